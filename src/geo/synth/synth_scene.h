#pragma once
// A synthetic Sentinel-2 time series over a square scene: for any window and date it computes the
// 13-band DN block, QA60, an SCL-like layer, the true 9-class labels and WorldCover codes. Every
// value is a pure function of (seed, x, y, date), so blocks can be computed in any order, alone or
// in parallel, and a 10980 x 10980 tile streams in strips. No GDAL here: writing files is
// src/pipeline/synth.cpp's job.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geo/grid.h"
#include "geo/sentinel2.h"
#include "geo/synth/atmosphere.h"
#include "geo/synth/calendar.h"
#include "geo/synth/endmembers.h"
#include "geo/synth/events.h"
#include "geo/synth/landscape.h"
#include "geo/synth/noise.h"
#include "geo/synth/optics_field.h"
#include "geo/synth/phenology.h"
#include "geo/synth/sky.h"
#include "geo/synth/spectra_table.h"

namespace strata::geo::synth {

struct SynthConfig {
  int64_t size = 512;            // scene width = height, pixels of 10 m
  int dates = 6;
  uint64_t seed = 42;
  bool fire = true, flood = true;
  std::string start = "2021-01-15";
  // L1C: the surface seen through the atmosphere (top-of-atmosphere reflectance); L2A: the
  // surface reflectance an atmospheric correction retrieves from it (B10 is left at 0).
  s2::Level level = s2::Level::l1c;
  double latitude_deg = 47.0;    // the sun's height through the year
  SpectraTable spectra;          // SpectraTable::load(...)
};

// Processing baseline 04.00 (from 25 January 2022): DN carry a +1000 offset and QA60 is empty.
bool baseline_04(const Date& date);

// SCL-like scene classes (a subset of Sen2Cor's codes).
enum Scl : uint8_t {
  kSclNoData = 0, kSclShadow = 3, kSclVegetation = 4, kSclNotVegetated = 5, kSclWater = 6,
  kSclCloudMedium = 8, kSclCloudHigh = 9, kSclCirrus = 10, kSclSnow = 11
};
constexpr uint16_t kQaOpaque = 1u << 10, kQaCirrus = 1u << 11;
constexpr int64_t kCoarse = 6;  // 60 m bands are 6 x 6 pixels of 10 m

struct SynthBlock {
  Window window;
  std::vector<uint16_t> bands;      // [13][height][width], DN; 0 = nodata
  std::vector<uint16_t> qa60;       // bit 10 opaque cloud, bit 11 cirrus
  std::vector<uint8_t> scl;         // Scl
  std::vector<uint8_t> label;       // 0..8, 255 = nodata
  std::vector<uint8_t> worldcover;  // WorldCover codes, 0 = nodata
  // Ground truth for tests: the single endmember a pixel shows (Endmember), or kMixed where it is
  // a blend, a class edge, under cloud/cirrus/shadow, changed by an event, or nodata.
  std::vector<uint8_t> endmember;

  // Working memory of render(), kept here so that streaming many blocks does not reallocate.
  struct Scratch {
    std::vector<LandCell> cells;
    std::vector<LandCell> wide;  // cells one pixel beyond them all round (terrain gradients)
    std::vector<TerrainLight> light;
    std::vector<Surface> surf;
    std::vector<uint8_t> changed;
    std::vector<float> spec, mixed;
    std::vector<uint8_t> interior;
    SkyLayers sky;
    OpticsField optics;
  } scratch;
};

class SynthScene {
 public:
  explicit SynthScene(SynthConfig config);

  const SynthConfig& config() const { return config_; }
  int64_t size() const { return config_.size; }
  const std::vector<Date>& dates() const { return dates_; }
  const std::vector<Sky>& skies() const { return skies_; }
  const Event& fire() const { return fire_; }
  const Event& flood() const { return flood_; }
  // Per date: the atmosphere.
  const std::vector<Atmosphere>& atmospheres() const { return atmospheres_; }
  const EndmemberSpectra& spectra() const { return spectra_; }
  const Landscape& landscape() const { return land_; }

  // `window` must lie inside the scene; `date` in [0, dates).
  SynthBlock render(const Window& window, int date) const;
  // Same, reusing `out`'s buffers.
  void render(const Window& window, int date, SynthBlock& out) const;

 private:
  Surface surface_at(int64_t x, int64_t y, const LandCell& c, int date, bool& changed) const;
  // Renders rows [strip.y, strip.y + strip.height) of out.window (strips keep scratch in cache).
  void render_strip(const Window& strip, int date, SynthBlock& out) const;
  // The steps of render_strip; `a` is the strip widened to whole 60 m pixels, `h` is `a` + 1 px.
  void ground_spectra(const Window& h, int date, SynthBlock::Scratch& scratch) const;
  void mix_edges(const Window& a, const Window& h, SynthBlock::Scratch& scratch) const;
  // 20 m and 60 m bands averaged over their native pixels; purity over whole 60 m pixels.
  void resample_native(const Window& a, const Window& h, SynthBlock::Scratch& scratch) const;
  void observe(const Window& w, const Window& a, const Window& h, int date, SynthBlock& out) const;

  SynthConfig config_;
  uint64_t seed_;
  std::vector<Date> dates_;
  std::vector<Sky> skies_;
  Landscape land_;
  EndmemberSpectra spectra_;
  Event fire_, flood_;
  std::vector<float> snow_lines_;  // per date
  std::vector<Atmosphere> atmospheres_, retrieved_;  // per date; retrieved_: what an atmospheric correction (L2A) retrieves
  std::vector<SunVector> suns_;                      // per date
  std::vector<std::array<float, kBands>> direct_share_;  // per date, at the scene's mean haze
  std::array<int64_t, kBands> band_factor_{};   // native pixel / 10 m: 1, 2 or 6
  std::array<uint8_t, kBands> noise_source_{}, noise_slot_{};
  NormalTable normal_;
};

}  // namespace strata::geo::synth
