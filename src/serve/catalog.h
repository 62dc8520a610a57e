#pragma once
// What `strata serve` serves: the maps of one or more `strata predict` output folders, found
// through each folder's predict.json and its VRTs. A map is known by its id, the product's date
// (YYYY-MM-DD) or, for a product without one (a composite), its name. Clients name maps by id
// only: no string from a request ever reaches GDAL, it only selects an entry of this catalog.
#include <optional>
#include <string>
#include <vector>

#include "geo/grid.h"

namespace strata::serve {

struct LonLatBounds {
  double west = 0, south = 0, east = 0, north = 0;
  bool contains(double lon, double lat) const { return lon >= west && lon <= east && lat >= south && lat <= north; }
};

struct MapEntry {
  std::string id;        // date, or the product's name when it has none
  std::string date;      // YYYY-MM-DD or ""
  std::string product;   // predict's product name (e.g. S2_2021-06-01, composite)
  std::string folder;    // the predict output folder
  std::string vrt;       // the product's VRT mosaic
  std::string model, model_hash, probabilities;  // from predict.json
  std::vector<std::string> scenes;               // the Sentinel-2 inputs predict read
  std::string scene;     // the Sentinel-2 scene of this date, for the rgb layer ("" when none)
  geo::Grid grid;
  LonLatBounds bounds;   // the grid's extent in WGS 84
  double pixel_metres = 0;  // ground size of a pixel (for TileJSON's maxzoom)
};

class Catalog {
 public:
  // Reads every folder's predict.json and opens each product's VRT once to learn its grid. Error
  // naming the file when a folder has no predict.json or a VRT is missing or unreadable; a
  // UsageError when two folders hold a map for the same date (serve one region per catalog).
  static Catalog load(const std::vector<std::string>& folders);
  // The scene of each dated map for the rgb layer: from `scenes` (files, as predict's --scenes
  // resolved them) by date, or else the single scene predict.json lists for that product when the
  // file is there. A composite has none.
  void attach_scenes(const std::vector<std::pair<std::string, std::string>>& date_and_path);

  const std::vector<MapEntry>& entries() const { return entries_; }  // sorted by id (dates in order)
  const MapEntry* find(const std::string& id) const;
  // Entries with a date in [start, end] (YYYY-MM-DD, "" = open), in date order.
  std::vector<const MapEntry*> dated(const std::string& start, const std::string& end) const;
  LonLatBounds bounds() const;  // the union of the entries' bounds

 private:
  std::vector<MapEntry> entries_;
};

}  // namespace strata::serve
