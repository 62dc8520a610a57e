#pragma once
// `strata predict`: a checkpoint + scenes -> Dynamic-World-style maps. The region is cut into
// tiles with a halo of at least the model's receptive radius (pipeline/predict_tiles.h); ranks
// take tiles from a job-wide counter (dynamic load balancing); each tile is read, masked,
// normalised, run through the network, softmaxed, cropped and written as a COG. A VRT per product
// mosaics the tiles. Tiled equals whole-image, and any number of ranks gives the same bytes.
//
// Incremental: every tile records the model's hash and its inputs' fingerprint; a rerun skips
// tiles already made by the same model from the same inputs and redoes the rest, so reclassifying
// after a model change, or finishing a killed run, is the same command again.
//
// PRED_DIR/predict.json                 the run: model, hash, tile, halo, products
//          <product>.vrt                 mosaic of the product's tiles
//          <product>/r<ROW>_c<COL>.tif   a tile: 9 probability bands + label (see predict_output.h)
// A product is a scene (its id, e.g. S2_2021-06-01) or, with --composite, "composite".
#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "pipeline/scene_stack.h"

namespace strata::pipeline {

struct PredictOptions {
  std::string model;                 // checkpoint (.h5) from `strata train`
  std::vector<std::string> scenes;   // as prepare's --scenes
  std::string out_dir;
  std::string start, end;            // YYYY-MM-DD or ""
  std::string composite = "none";    // none: a map per scene; median | pNN: one map of the composite
  int64_t tile = 1024;
  int64_t halo = -1;                 // -1: auto, the model's receptive radius
  std::string probabilities = "uint8";  // uint8 | float32
  std::string device = "cpu";
  std::string precision = "fp32";    // the convolutions' arithmetic: fp32 | tf32 | bf16 (tensor cores, cuda only)
  bool force = false;                // redo every tile, even those already current
  StackOptions stack;                // bands come from the checkpoint
};

struct PredictSummary {
  std::vector<std::string> products;  // the VRTs, in product order
  int64_t tiles = 0, computed = 0, skipped = 0;
  int64_t valid_pixels = 0, nodata_pixels = 0;  // over the tiles computed in this run
  int64_t halo = 0;
  std::string model_hash;
  double seconds = 0, network_seconds = 0;  // wall clock of the whole run, and in the network (summed over ranks)
};

PredictSummary run_predict(const PredictOptions& options, dist::Communicator& comm);

}  // namespace strata::pipeline
