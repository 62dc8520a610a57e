#pragma once
// What --scenes names, resolved into scene files: a glob ('scenes/*.tif'), a list file (one path
// per line), a STAC ItemCollection or Item (.json; each item's band assets become one VRT), or a
// directory. QA60/SCL come from bands inside the scene or from a "<stem>_QA.tif" sibling.
#include <string>
#include <vector>

namespace strata::pipeline {

struct SceneInput {
  std::string path;     // what GDAL opens: a file, a /vsicurl/ URL or a VRT built from STAC assets
  std::string qa_path;  // the "<stem>_QA.tif" sibling, or ""
  std::string date;     // YYYY-MM-DD, or "" when neither metadata nor name tells
  std::string id;       // file stem or STAC item id
};

// `work_dir` receives the VRTs built for STAC items. Error naming the spec when it matches nothing.
std::vector<SceneInput> resolve_scenes(const std::vector<std::string>& specs, const std::string& work_dir);

// The acquisition date of a scene: from its metadata (ACQUISITION_DATE, SENSING_TIME, datetime,
// PERIOD_START, ...) or from a YYYY-MM-DD / YYYYMMDD in its file name; "" when neither has one.
std::string scene_date(const std::string& path);
// The YYYY-MM-DD (or YYYYMMDD) in a file's name, as YYYY-MM-DD; "" when it has none.
std::string date_in_name(const std::string& path);

// Scenes whose date lies in [start, end] (inclusive, YYYY-MM-DD; empty = open). A scene without a
// date is an error when a window is given: the window cannot be honoured silently.
std::vector<SceneInput> filter_by_date(const std::vector<SceneInput>& scenes, const std::string& start,
                                       const std::string& end);

// "2021-06-01" is a valid date; UsageError naming `what` otherwise.
void check_date(const std::string& date, const std::string& what);

}  // namespace strata::pipeline
