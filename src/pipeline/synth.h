#pragma once
// `strata synth`: writes a synthetic Sentinel-2 time series (geo/synth) as GeoTIFFs, streaming
// strips so that a full 10980 x 10980 tile never sits in memory.
//
// Per date D (YYYY-MM-DD), in out_dir:
//   S2_D.tif          L1C: 13 bands B1..B12 (top of atmosphere); L2A: 12, no B10 (surface);
//                     uint16 DN (+1000 from baseline 04.00), nodata 0, UTM at 10 m, DEFLATE,
//                     with the product's metadata (level, baseline, offset, sun and view angles)
//   S2_D_QA.tif       L1C: QA60 (bit 10 opaque, bit 11 cirrus; empty from 2022-01-25);
//                     L2A: QA60 and SCL
//   labels_D.tif      uint8 Dynamic World class 0..8, nodata 255, Dynamic World palette
//   worldcover_D.tif  uint8 ESA WorldCover codes, nodata 0, WorldCover palette
// and synth.json: seed, size, CRS, dates, events (dates, pixel bounding boxes), class fractions.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geo/sentinel2.h"

namespace strata::pipeline {

struct SynthOptions {
  std::string out_dir;
  int64_t size = 512;
  int dates = 6;
  uint64_t seed = 42;
  bool fire = true, flood = true;
  std::string start = "2021-01-15";
  geo::s2::Level level = geo::s2::Level::l1c;
  int epsg = 0;               // 0: a UTM zone 29N..35N chosen from the seed
  bool overwrite = false;     // else a non-empty out_dir is refused
  std::string spectra;        // spectra table; "" = the repository's data/spectra/s2_class_spectra.csv
  int64_t strip_rows = 256;   // rows rendered and written at a time (rounded up to whole 256-px tiles)
  int threads = 0;            // threads computing each strip; 0 = all hardware threads
};

struct SynthResult {
  std::vector<std::string> files;
  int epsg = 0;
  int64_t pixels = 0;            // size^2 x dates
  double render_seconds = 0;     // computing the scene (no I/O), wall clock
  int threads = 1;
  double total_seconds = 0;
  std::array<double, 9> class_fraction{};  // over all dates' valid pixels
};

SynthResult run_synth(const SynthOptions& options);

}  // namespace strata::pipeline
