#pragma once
// Per-pixel cloud masks for Sentinel-2: one byte per pixel holding a MaskCode. Three sources,
// chosen per scene by choose_mask_source(): the L1C/L2A QA60 band, the L2A scene
// classification (SCL), or a spectral test on the reflectances when neither is usable.
// All inputs are on one pixel grid (the 10 m grid: the caller resamples QA60 (60 m) and
// SCL (20 m) onto it with nearest neighbour, e.g. Raster::read_onto(..., Resampling::nearest)).
// These are the CPU references; kernels/geo_kernels.h holds the CUDA versions. QA60 decoding is a
// plain loop the compiler vectorises (~200 Mpx/s on one core, docs/performance.md), so it needs no
// fast path.
#include <cstdint>
#include <optional>
#include <string>

#include "core/mask_rules.h"

namespace strata::geo {

// The mask code of one pixel (MaskCode, code(), is_clear(), kMaskCodeCount) and the per-pixel
// rules below are written once in core/mask_rules.h, shared with the CUDA kernels (kernels/).
// Snow is its own code because it is a valid, cloud-free observation that the spectral
// brightness test would otherwise call cloud; it counts as clear.
//   clear  0  a usable observation of the ground
//   cloud  1  opaque cloud (QA60 bit 10, SCL 8/9, spectral brightness test, dilated margins)
//   cirrus 2  thin cirrus (QA60 bit 11, SCL 10, spectral B10 test)
//   shadow 3  cloud shadow (SCL 3)
//   nodata 4  no observation (SCL 0/1, outside the swath, the band's nodata value)
//   snow   5  snow or ice, cloud-free (SCL 11, spectral NDSI test): usable, counts as clear
using strata::code;
using strata::is_clear;
using strata::kMaskCodeCount;
using strata::MaskCode;
std::string mask_code_name(uint8_t m);  // "clear", "cloud", ...; "invalid" for m >= kMaskCodeCount

// QA60: bit 10 (1024) opaque cloud -> cloud, bit 11 (2048) cirrus -> cirrus; both set -> cloud
// (opaque wins); neither -> clear. Other bits are ignored (ESA sets none).
void cloud_mask_qa60_reference(const uint16_t* qa60, int64_t n, uint8_t* out);

// SCL (Sen2Cor scene classification): 0 no data, 1 saturated/defective -> nodata; 3 cloud shadow
// -> shadow; 8 cloud medium probability, 9 cloud high probability -> cloud; 10 thin cirrus ->
// cirrus; 11 snow -> snow; 2 dark area, 4 vegetation, 5 bare soil, 6 water, 7 unclassified
// (Sen2Cor's low-probability cloud; kept, as Sen2Cor itself and most composites do) -> clear;
// anything above 11 is not an SCL class -> nodata.
void cloud_mask_scl_reference(const uint8_t* scl, int64_t n, uint8_t* out);

// The bands the spectral test reads, each [h][w] DN (reflectance x 10000, pre-04.00 scale:
// harmonised). b10 may be nullptr (L2A has no B10): then there is no cirrus test.
using strata::SpectralBands;  // b2, b3, b4, b8, b10 (optional), b11, b12 (optional)

// Thresholds of the spectral test, in DN. Tests are applied in this order, the first that
// matches wins:
//   nodata  b2 == nodata_dn (when has_nodata)
//   snow    NDSI = (B3 - B11) / (B3 + B11) > ndsi_snow and B8 > nir_snow_min
//           (Hall et al.'s snow test; the NIR floor rejects water, which also has a high NDSI)
//   cloud   B2 > blue_cloud_min and B2 - 0.5 * B4 > hot_cloud_min
//           (bright in the blue, and "white": the haze-optimised-transform idea of Zhang et al.
//           2002 / Fmask; bright soil, sand and roofs are redder than blue and fail it)
//   cirrus  B10 > cirrus_b10_min (when B10 is given; cirrus at ~1.375 um is opaque to
//           the ground below through water vapour, so any signal is high cloud)
//   clear   otherwise.
// There is no shadow test: telling cloud shadow from water or dark forest needs the cloud's
// height and the sun's geometry; dilate_mask()'s margin covers the shadow nearest the cloud.
using strata::SpectralParams;  // the thresholds above, with these defaults
void cloud_mask_spectral_reference(const SpectralBands& bands, int64_t width, int64_t height,
                                   const SpectralParams& params, uint8_t* out);

// Grows cloud, cirrus and shadow by `radius` pixels into clear and snow pixels (clouds' edges
// are thin and undetected; their shadows lie beside them). A grown pixel takes the strongest
// code within reach: cloud > shadow > cirrus. Nodata neither grows nor is overwritten.
// radius 0 copies. in and out must not overlap.
using strata::DilationShape;  // square, disk
void dilate_mask(const uint8_t* in, int64_t width, int64_t height, int radius, DilationShape shape, uint8_t* out);

// Which input a scene's mask came from.
enum class MaskSource { qa60, scl, spectral };
std::string mask_source_name(MaskSource s);  // "QA60", "SCL", "spectral"

// SCL when given (L2A: it flags cloud shadows, which QA60 has no bit for; with QA60 chosen,
// shadows beside clouds stay in the data and map as water), else QA60 when populated (bit 10 or
// 11 set somewhere: L1C before 2022), else the spectral test. ESA stopped filling QA60 with
// processing baseline 04.00 (25 January 2022): later scenes carry an all-zero QA60, which must
// not read as "all clear"; an all-zero QA60 of an earlier, truly cloud-free scene also falls
// through, which costs nothing: the spectral test finds it clear too. Either pointer may be null.
MaskSource choose_mask_source(const uint16_t* qa60, const uint8_t* scl, int64_t n);

// What prepare calls per scene: choose the source, build the mask, dilate it.
struct MaskInputs {
  const uint16_t* qa60 = nullptr;  // [h][w] or nullptr
  const uint8_t* scl = nullptr;    // [h][w] or nullptr
  SpectralBands spectral;          // needed only when neither QA60 nor SCL is usable
  // The source decided for the whole scene (pipeline::SceneStack does, so a window's mask does
  // not depend on where the window lies); empty: choose_mask_source on these pixels.
  std::optional<MaskSource> source;
};
struct MaskOptions {
  SpectralParams spectral;
  int dilation_radius = 0;  // pixels; 0 = no dilation
  DilationShape dilation_shape = DilationShape::disk;
};
// Writes the mask to out ([h][w]) and returns the source used. Error when the spectral test is
// needed and a band it requires (B2, B3, B4, B8, B11) is missing.
MaskSource cloud_mask(const MaskInputs& inputs, int64_t width, int64_t height, const MaskOptions& options,
                      uint8_t* out);

// Counts of each code in a mask, and the clear fraction prepare uses to skip cloudy scenes.
struct MaskStats {
  int64_t count[kMaskCodeCount] = {};
  int64_t invalid = 0;  // bytes that are not a MaskCode
  int64_t usable() const { return count[0] + count[5]; }  // clear + snow
  int64_t observed() const;                               // everything but nodata
  // usable / observed; 0 when nothing was observed.
  double clear_fraction() const;
};
MaskStats mask_stats(const uint8_t* mask, int64_t n);

}  // namespace strata::geo
