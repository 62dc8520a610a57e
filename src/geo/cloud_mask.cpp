#include "geo/cloud_mask.h"

#include <algorithm>
#include <vector>

#include "core/checked.h"
#include "core/error.h"

namespace strata::geo {

std::string mask_code_name(uint8_t m) {
  static const char* const names[kMaskCodeCount] = {"clear", "cloud", "cirrus", "shadow", "nodata", "snow"};
  return m < kMaskCodeCount ? names[m] : "invalid";
}

std::string mask_source_name(MaskSource s) {
  switch (s) {
    case MaskSource::qa60: return "QA60";
    case MaskSource::scl: return "SCL";
    case MaskSource::spectral: return "spectral";
  }
  return "unknown";
}

// The per-pixel rules are core/mask_rules.h's (shared with the CUDA kernels); these are the loops.
void cloud_mask_qa60_reference(const uint16_t* qa60, int64_t n, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = qa60_code(qa60[i]);
}

void cloud_mask_scl_reference(const uint8_t* scl, int64_t n, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = scl_code(scl[i]);
}

void cloud_mask_spectral_reference(const SpectralBands& b, int64_t width, int64_t height, const SpectralParams& p,
                                   uint8_t* out) {
  check(b.b2 && b.b3 && b.b4 && b.b8 && b.b11, "spectral cloud mask: needs bands B2, B3, B4, B8 and B11");
  const int64_t n = checked_mul(width, height);
  for (int64_t i = 0; i < n; ++i)
    out[i] = spectral_code(b.b2[i], b.b3[i], b.b4[i], b.b8[i], b.b11[i], b.b10 != nullptr, b.b10 ? b.b10[i] : 0, p);
}

void dilate_mask(const uint8_t* in, int64_t width, int64_t height, int radius, DilationShape shape, uint8_t* out) {
  check(radius >= 0, "dilate_mask: negative radius " + std::to_string(radius));
  const int64_t n = checked_mul(width, height);
  std::copy(in, in + n, out);
  if (radius == 0) return;

  // The structuring element as offsets: a square, or the disk dx^2 + dy^2 <= r^2.
  std::vector<std::pair<int, int>> offsets;
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx)
      if (in_dilation(dx, dy, radius, shape)) offsets.emplace_back(dx, dy);

  // Each masked pixel paints its neighbourhood; clouds cover a small part of most scenes, so
  // this costs far less than looking around every pixel.
  std::vector<uint8_t> rank(static_cast<size_t>(n), 0);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const int r = dilation_rank(in[y * width + x]);
      if (r == 0) continue;
      for (const auto& [dx, dy] : offsets) {
        const int64_t xx = x + dx, yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
        uint8_t& target = rank[static_cast<size_t>(yy * width + xx)];
        target = static_cast<uint8_t>(std::max<int>(target, r));
      }
    }
  for (int64_t i = 0; i < n; ++i)
    if (is_clear(in[i]) && rank[static_cast<size_t>(i)] > 0) out[i] = code_of_rank(rank[static_cast<size_t>(i)]);
}

MaskSource choose_mask_source(const uint16_t* qa60, const uint8_t* scl, int64_t n) {
  if (scl) return MaskSource::scl;
  if (qa60 && std::any_of(qa60, qa60 + n, [](uint16_t q) { return (q & 0x0C00) != 0; })) return MaskSource::qa60;
  return MaskSource::spectral;
}

MaskSource cloud_mask(const MaskInputs& inputs, int64_t width, int64_t height, const MaskOptions& options,
                      uint8_t* out) {
  const int64_t n = checked_mul(width, height);
  const MaskSource source = inputs.source ? *inputs.source : choose_mask_source(inputs.qa60, inputs.scl, n);
  if ((source == MaskSource::qa60 && !inputs.qa60) || (source == MaskSource::scl && !inputs.scl))
    throw Error(std::string("cloud mask: ") + mask_source_name(source) + " chosen but not given");
  std::vector<uint8_t> raw(static_cast<size_t>(n));
  switch (source) {
    case MaskSource::qa60: cloud_mask_qa60_reference(inputs.qa60, n, raw.data()); break;
    case MaskSource::scl: cloud_mask_scl_reference(inputs.scl, n, raw.data()); break;
    case MaskSource::spectral:
      cloud_mask_spectral_reference(inputs.spectral, width, height, options.spectral, raw.data());
      break;
  }
  dilate_mask(raw.data(), width, height, options.dilation_radius, options.dilation_shape, out);
  return source;
}

MaskStats mask_stats(const uint8_t* mask, int64_t n) {
  MaskStats s;
  for (int64_t i = 0; i < n; ++i) {
    if (mask[i] < kMaskCodeCount)
      ++s.count[mask[i]];
    else
      ++s.invalid;
  }
  return s;
}

int64_t MaskStats::observed() const {
  int64_t total = invalid;
  for (int c = 0; c < kMaskCodeCount; ++c)
    if (c != code(MaskCode::nodata)) total += count[c];
  return total;
}

double MaskStats::clear_fraction() const {
  const int64_t obs = observed();
  return obs > 0 ? static_cast<double>(usable()) / static_cast<double>(obs) : 0.0;
}

}  // namespace strata::geo
