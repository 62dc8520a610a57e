#pragma once
// A built-in 5x7 bitmap font (printable ASCII) for legends and captions, so render needs no
// font files. Each glyph advances 6 pixels (times the scale); other characters draw as '?'.
#include <cstdint>
#include <string>

#include "geo/image.h"

namespace strata::geo {

constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;

int64_t text_width(const std::string& text, int scale);
// (x, y): the top-left corner of the first glyph.
void draw_text(Image& dst, int64_t x, int64_t y, const std::string& text, RGBA colour, int scale);

}  // namespace strata::geo
