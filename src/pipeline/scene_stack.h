#pragma once
// The scenes of a prepare or predict run, opened once, and what they give for one window of the
// reference grid: reflectance on that grid, a cloud mask per scene, and their composite.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "geo/cloud_mask.h"
#include "geo/composite.h"
#include "geo/grid.h"
#include "geo/scene.h"
#include "pipeline/scene_inputs.h"

namespace strata::pipeline {

struct StackOptions {
  std::vector<std::string> bands;  // output bands, canonical names
  geo::SceneOptions scene;         // --bands of files without descriptions, --harmonize
  geo::MaskOptions mask;
  // false: no cloud mask, every observed pixel is clear (models that see clouds themselves, or a
  // comparison with another implementation that masks none); DN 0 stays no data.
  bool cloud_mask = true;
  double percentile = 50.0;
  int threads = 1;
};

// One scene's data for a window: [bands][h][w] DN on the reference grid (0 = no data) and its mask.
struct SceneWindow {
  std::vector<uint16_t> dn;
  std::vector<uint8_t> mask;
  geo::MaskSource source = geo::MaskSource::spectral;
};

// --composite: "median" -> 50, "pNN" -> NN, "none" -> -1 (no composite: each scene alone).
double composite_percentile(const std::string& mode);

class SceneStack {
 public:
  // Opens every scene (and its QA sibling), checks each has the output bands. The reference
  // grid is the first scene's; scenes in another CRS are reprojected onto it.
  SceneStack(std::vector<SceneInput> inputs, StackOptions options);
  ~SceneStack();

  const geo::Grid& grid() const;
  const std::vector<SceneInput>& inputs() const { return inputs_; }
  const std::vector<std::string>& bands() const { return options_.bands; }
  int64_t size() const { return static_cast<int64_t>(inputs_.size()); }
  const geo::Scene& scene(int64_t i) const;

  SceneWindow read(int64_t scene, const geo::Window& window) const;
  // The per-pixel percentile over the clear observations of every scene: out [bands][h][w]
  // (0 where there is none) and count [h][w].
  void composite(const geo::Window& window, std::vector<uint16_t>& out, std::vector<uint8_t>& count,
                 std::vector<SceneWindow>* scenes_out = nullptr) const;

 private:
  struct Opened;
  SceneWindow read_exact(int64_t scene, const geo::Window& window) const;
  void mark_nodata(SceneWindow& out, int64_t pixels) const;
  std::vector<SceneInput> inputs_;
  StackOptions options_;
  std::vector<std::unique_ptr<Opened>> scenes_;
};

}  // namespace strata::pipeline
