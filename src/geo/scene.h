#pragma once
// A Sentinel-2 scene on disk: a raster whose bands are known Sentinel-2 bands. Band order
// comes from the band descriptions when present, else from the user's --bands list. DN of
// processing baseline 04.00 and later carry a +1000 offset; harmonisation removes it, decided
// from metadata or an explicit option, and is always logged (never silent).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "geo/raster.h"

namespace strata::geo {

enum class Harmonize { auto_detect, yes, no };
Harmonize parse_harmonize(const std::string& s);  // "auto" | "yes" | "no"; UsageError otherwise

struct SceneOptions {
  std::vector<std::string> bands;  // file band order, used when the file has no band descriptions
  Harmonize harmonize = Harmonize::auto_detect;
};

// QA60 and SCL travel as auxiliary bands inside a scene file or its "<stem>_QA.tif" sibling.
bool is_aux_band(const std::string& name);
std::string aux_name(const std::string& name);  // "QA60" | "SCL"

class Scene {
 public:
  static Scene open(const std::string& path, const SceneOptions& options = {});

  const Raster& raster() const { return raster_; }
  const std::string& path() const { return raster_.path(); }
  const Grid& grid() const { return raster_.grid(); }
  // Canonical Sentinel-2 names of the file's bands, in file order.
  const std::vector<std::string>& band_names() const { return band_names_; }
  bool has_band(const std::string& name) const;
  // The 0-based file band of QA60 or SCL, or -1 when the file has none.
  int aux_band(const std::string& name) const;
  // The 0-based file band of each entry of band_names().
  const std::vector<int>& band_file_index() const { return band_index_; }
  // The 0-based file bands of `bands` (any spelling); Error naming the file for a band it lacks.
  std::vector<int> file_bands(const std::vector<std::string>& bands) const;
  std::optional<double> nodata() const { return nodata_; }
  bool harmonized() const { return harmonize_; }
  // The processing baseline from metadata ("04.00"), or "" when the file does not say.
  const std::string& processing_baseline() const { return baseline_; }
  // "L1C" or "L2A": from PROCESSING_LEVEL (or PROCESSING_LEVEL-like) metadata, else L2A for a
  // file with an SCL band or without B10 beside B11, L1C with B10; "" when nothing tells.
  std::string processing_level() const;

  // Reads `bands` (any spelling) inside `window` as [bands, h, w] uint16 DN on the pre-04.00
  // scale. Nodata pixels keep the file's nodata value. Error naming the file for a band it lacks.
  TensorU16 read(const std::vector<std::string>& bands, const Window& window) const;

 private:
  Scene(Raster r) : raster_(std::move(r)) {}
  Raster raster_;
  std::vector<std::string> band_names_;
  std::vector<int> band_index_;
  std::map<std::string, int> aux_;
  std::optional<double> nodata_;
  std::string baseline_;
  bool harmonize_ = false;
};

}  // namespace strata::geo
