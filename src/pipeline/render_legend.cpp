#include "pipeline/render_legend.h"

#include <algorithm>

#include "core/classes.h"
#include "geo/bitmap_font.h"

namespace strata::pipeline {
namespace {

constexpr geo::RGBA kWhite{255, 255, 255, 255}, kBlack{0, 0, 0, 255}, kGrey{96, 96, 96, 255};

std::string display_name(int c) {
  std::string s = class_names()[static_cast<size_t>(c)];
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

}  // namespace

int decoration_scale(const geo::Image& map) { return std::max(map.width, map.height) < 512 ? 1 : 2; }

geo::Image legend_panel(bool confidence, int s) {
  const int64_t margin = 4 * s, swatch = 8 * s, row = 11 * s;
  int64_t text = 0;
  for (int c = 0; c < kNumClasses; ++c) text = std::max(text, geo::text_width(display_name(c), s));
  const int64_t width = margin + swatch + margin + text + margin;
  const int64_t height = 2 * margin + kNumClasses * row + (confidence ? 2 * row : 0);
  geo::Image panel(width, height, kWhite);
  for (int c = 0; c < kNumClasses; ++c) {
    const int64_t y = margin + c * row;
    const auto& p = class_palette()[static_cast<size_t>(c)];
    geo::fill_rect(panel, margin, y, swatch, swatch, kGrey);  // a frame that shows pale colours
    geo::fill_rect(panel, margin + s, y + s, swatch - 2 * s, swatch - 2 * s, {p[0], p[1], p[2], 255});
    geo::draw_text(panel, 2 * margin + swatch, y + s / 2, display_name(c), kBlack, s);
  }
  if (confidence) {
    const int64_t y = margin + kNumClasses * row;
    geo::draw_text(panel, margin, y, "confidence", kBlack, s);
    const int64_t x0 = margin + geo::text_width("0 ", s), ramp = text - 4 * s;
    geo::draw_text(panel, margin, y + row, "0", kBlack, s);
    for (int64_t x = 0; x < ramp; ++x) {
      const auto v = static_cast<uint8_t>(255 * x / std::max<int64_t>(1, ramp - 1));
      geo::fill_rect(panel, x0 + x, y + row, 1, geo::kGlyphHeight * s, {v, v, v, 255});
    }
    geo::draw_text(panel, x0 + ramp + s * geo::kGlyphAdvance - s * geo::kGlyphWidth, y + row, "1", kBlack, s);
  }
  return panel;
}

geo::Image beside(const geo::Image& map, const geo::Image& panel) {
  geo::Image out(map.width + panel.width, std::max(map.height, panel.height));
  geo::blit(out, map, 0, 0);
  geo::blit(out, panel, map.width, 0);
  return out;
}

void draw_caption(geo::Image& map, const std::string& text, int s) {
  const int64_t pad = 2 * s;
  geo::fill_rect(map, pad, pad, geo::text_width(text, s) + 2 * pad, geo::kGlyphHeight * s + 2 * pad, kBlack);
  geo::draw_text(map, 2 * pad, 2 * pad, text, kWhite, s);
}

}  // namespace strata::pipeline
