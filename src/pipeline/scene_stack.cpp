#include "pipeline/scene_stack.h"

#include <algorithm>
#include <mutex>
#include <cstdlib>

#include "core/checked.h"
#include "core/error.h"
#include "core/log.h"
#include "geo/raster.h"
#include "geo/sentinel2.h"

namespace strata::pipeline {

struct SceneStack::Opened {
  geo::Scene scene;
  std::optional<geo::Raster> qa_file;  // the _QA sibling
  int qa60_band = -1, scl_band = -1;    // in the scene itself, or else in qa_file
  bool qa_in_scene = false;
  // Decided once per scene, on first use (a scan of QA60 may be needed).
  std::once_flag source_once;
  geo::MaskSource source = geo::MaskSource::spectral;

  const geo::Raster& qa_raster() const { return qa_in_scene ? scene.raster() : *qa_file; }
};

namespace {

const std::vector<std::string> kSpectralTestBands = {"B2", "B3", "B4", "B8", "B10", "B11", "B12"};

// The mask source of a whole scene, with choose_mask_source's rule: SCL when the scene has it,
// else QA60 when it is populated anywhere in the scene (bit 10 or 11), else the spectral test.
// QA60 is scanned on its own grid (60 m in real products), in strips, stopping at the first
// flagged pixel.
geo::MaskSource scene_mask_source(const geo::Raster& qa, int qa60_band, int scl_band) {
  if (scl_band >= 0) return geo::MaskSource::scl;
  if (qa60_band >= 0) {
    const geo::Grid& g = qa.grid();
    const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(1, g.width));
    std::vector<uint16_t> strip;
    for (int64_t y = 0; y < g.height; y += rows) {
      const geo::Window w{0, y, g.width, std::min(rows, g.height - y)};
      strip.resize(static_cast<size_t>(w.pixels()));
      qa.read<uint16_t>({qa60_band}, w, strip.data());
      if (geo::choose_mask_source(strip.data(), nullptr, w.pixels()) == geo::MaskSource::qa60) return geo::MaskSource::qa60;
    }
  }
  return geo::MaskSource::spectral;
}

}  // namespace

double composite_percentile(const std::string& mode) {
  if (mode == "median") return 50.0;
  if (mode == "none") return -1.0;
  if (mode.size() > 1 && mode[0] == 'p') {
    char* end = nullptr;
    const double p = std::strtod(mode.c_str() + 1, &end);
    if (*end == '\0' && p >= 0 && p <= 100) return p;
  }
  throw UsageError("--composite must be median, none or pNN (a percentile, e.g. p25), not '" + mode + "'");
}

SceneStack::SceneStack(std::vector<SceneInput> inputs, StackOptions options)
    : inputs_(std::move(inputs)), options_(std::move(options)) {
  if (inputs_.empty()) throw Error("no scenes to read");
  for (const SceneInput& in : inputs_) {
    auto o = std::make_unique<Opened>(geo::Scene::open(in.path, options_.scene));
    if (options_.bands.empty()) options_.bands = o->scene.band_names();
    for (const std::string& b : options_.bands)
      if (!o->scene.has_band(b))
        throw Error(in.path + ": has no band " + geo::s2::canonical_name(b) + " (the dataset's bands come from " +
                    inputs_.front().path + " or --bands)");
    o->qa60_band = o->scene.aux_band("QA60");
    o->scl_band = o->scene.aux_band("SCL");
    o->qa_in_scene = o->qa60_band >= 0 || o->scl_band >= 0;
    if (!o->qa_in_scene && !in.qa_path.empty()) {
      o->qa_file = geo::Raster::open(in.qa_path);
      for (int b = 0; b < o->qa_file->band_count(); ++b) {
        const std::string d = o->qa_file->band_description(b);
        if (geo::is_aux_band(d)) (geo::aux_name(d) == "QA60" ? o->qa60_band : o->scl_band) = b;
      }
      if (o->qa60_band < 0 && o->scl_band < 0)
        throw Error(in.qa_path + ": has no band described QA60 or SCL");
    }
    if (!geo::same_crs(o->scene.grid().crs_wkt, scenes_.empty() ? o->scene.grid().crs_wkt : grid().crs_wkt))
      log::warn(in.path, ": in another CRS than ", inputs_.front().path, "; reprojecting it onto that grid");
    scenes_.push_back(std::move(o));
  }
  for (auto& b : options_.bands) b = geo::s2::canonical_name(b);
}

SceneStack::~SceneStack() = default;

const geo::Grid& SceneStack::grid() const { return scenes_.front()->scene.grid(); }
const geo::Scene& SceneStack::scene(int64_t i) const { return scenes_.at(static_cast<size_t>(i))->scene; }

SceneWindow SceneStack::read(int64_t index, const geo::Window& window) const {
  // Dilation reaches across the window's edge: compute on a window grown by its radius, then crop,
  // so the mask does not depend on how the grid was cut into windows.
  const int64_t r = options_.mask.dilation_radius;
  if (r <= 0) return read_exact(index, window);
  const geo::Window grown = geo::intersect({window.x - r, window.y - r, window.width + 2 * r, window.height + 2 * r}, grid().full());
  SceneWindow big = read_exact(index, grown);
  SceneWindow out;
  out.source = big.source;
  const int64_t nb = static_cast<int64_t>(options_.bands.size()), dx = window.x - grown.x, dy = window.y - grown.y;
  out.dn.resize(static_cast<size_t>(checked_mul(nb, window.pixels())));
  out.mask.resize(static_cast<size_t>(window.pixels()));
  for (int64_t b = 0; b <= nb; ++b)
    for (int64_t y = 0; y < window.height; ++y) {
      const int64_t src = (y + dy) * grown.width + dx;
      if (b < nb)
        std::copy_n(big.dn.begin() + b * grown.pixels() + src, window.width, out.dn.begin() + b * window.pixels() + y * window.width);
      else
        std::copy_n(big.mask.begin() + src, window.width, out.mask.begin() + y * window.width);
    }
  return out;
}

SceneWindow SceneStack::read_exact(int64_t index, const geo::Window& w) const {
  const Opened& o = *scenes_[static_cast<size_t>(index)];
  const geo::Grid& ref = grid();
  const int64_t n = w.pixels();
  SceneWindow out;
  out.dn.resize(static_cast<size_t>(checked_mul(n, static_cast<int64_t>(options_.bands.size()))));
  out.mask.resize(static_cast<size_t>(n));

  auto read_bands = [&](const std::vector<std::string>& names, std::vector<uint16_t>& buf) {
    const std::vector<int> idx = o.scene.file_bands(names);
    buf.resize(static_cast<size_t>(checked_mul(n, static_cast<int64_t>(names.size()))));
    const uint16_t nodata = o.scene.nodata() ? static_cast<uint16_t>(*o.scene.nodata()) : 0;
    o.scene.raster().read_onto<uint16_t>(idx, ref, w, buf.data(), geo::Resampling::bilinear, nodata);
    // One nodata value (0) from here on, and the DN on the pre-04.00 scale.
    for (auto& v : buf) {
      if (v == nodata || v == 0) v = 0;
      else if (o.scene.harmonized()) v = geo::s2::harmonize_dn(v);
    }
  };
  read_bands(options_.bands, out.dn);
  if (!options_.cloud_mask) {
    std::fill(out.mask.begin(), out.mask.end(), geo::code(geo::MaskCode::clear));
    mark_nodata(out, n);
    return out;
  }

  Opened& mutable_o = *scenes_[static_cast<size_t>(index)];
  std::call_once(mutable_o.source_once, [&] {
    if (o.qa60_band >= 0 || o.scl_band >= 0) mutable_o.source = scene_mask_source(o.qa_raster(), o.qa60_band, o.scl_band);
  });
  geo::MaskInputs mi;
  mi.source = o.source;
  std::vector<uint16_t> qa60;
  std::vector<uint8_t> scl;
  if (o.source == geo::MaskSource::qa60) {
    qa60.resize(static_cast<size_t>(n));
    o.qa_raster().read_onto<uint16_t>({o.qa60_band}, ref, w, qa60.data(), geo::Resampling::nearest, 0);
    mi.qa60 = qa60.data();
  }
  if (o.source == geo::MaskSource::scl) {
    scl.resize(static_cast<size_t>(n));
    o.qa_raster().read_onto<uint8_t>({o.scl_band}, ref, w, scl.data(), geo::Resampling::nearest, 0);
    mi.scl = scl.data();
  }
  std::vector<uint16_t> spectral;
  if (o.source == geo::MaskSource::spectral) {
    std::vector<std::string> have;
    for (const auto& b : kSpectralTestBands)
      if (o.scene.has_band(b)) have.push_back(b);
    read_bands(have, spectral);
    auto plane = [&](const char* name) -> const uint16_t* {
      auto it = std::find(have.begin(), have.end(), name);
      return it == have.end() ? nullptr : spectral.data() + (it - have.begin()) * n;
    };
    mi.spectral = {plane("B2"), plane("B3"), plane("B4"), plane("B8"), plane("B10"), plane("B11"), plane("B12")};
  }
  try {
    out.source = geo::cloud_mask(mi, w.width, w.height, options_.mask, out.mask.data());
  } catch (const Error& e) {
    throw Error(inputs_[static_cast<size_t>(index)].path + ": " + e.what());
  }
  mark_nodata(out, n);
  return out;
}

// Pixels without data in any output band are nodata whatever the mask says.
void SceneStack::mark_nodata(SceneWindow& out, int64_t n) const {
  const int64_t nb = static_cast<int64_t>(options_.bands.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t b = 0; b < nb; ++b)
      if (out.dn[static_cast<size_t>(b * n + i)] == 0) {
        out.mask[static_cast<size_t>(i)] = geo::code(geo::MaskCode::nodata);
        break;
      }
}

void SceneStack::composite(const geo::Window& w, std::vector<uint16_t>& out, std::vector<uint8_t>& count,
                           std::vector<SceneWindow>* scenes_out) const {
  std::vector<SceneWindow> local;
  std::vector<SceneWindow>& sw = scenes_out ? *scenes_out : local;
  sw.clear();
  for (int64_t s = 0; s < size(); ++s) sw.push_back(read(s, w));
  geo::CompositeInput in;
  in.bands = static_cast<int64_t>(options_.bands.size());
  in.height = w.height;
  in.width = w.width;
  for (const auto& s : sw) {
    in.images.push_back(s.dn.data());
    in.masks.push_back(s.mask.data());
    in.nodata.push_back(uint16_t{0});
  }
  out.resize(static_cast<size_t>(checked_mul(in.bands, w.pixels())));
  count.resize(static_cast<size_t>(w.pixels()));
  geo::CompositeParams p;
  p.percentile = options_.percentile;
  p.out_nodata = 0;
  p.threads = options_.threads;
  geo::composite_fast(in, p, {out.data(), count.data()});
}

}  // namespace strata::pipeline
