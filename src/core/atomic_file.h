#pragma once
// Outputs are written under a temporary name beside their final one and renamed into place when
// complete, so a crash never leaves a half-written file under a final name. These are the pieces
// every writer (rasters, shards, checkpoints, JSON) shares.
#include <string>

namespace strata {

// "<path>.tmp-<pid>-<n>": unique per process and call, in the same directory (so rename is atomic).
std::string temporary_name(const std::string& path);

// Renames `tmp` to `path`; Error naming both and the reason on failure.
void rename_into_place(const std::string& tmp, const std::string& path);

// Writes `text` to a temporary name and renames it into place.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace strata
