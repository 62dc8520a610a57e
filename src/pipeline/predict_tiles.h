#pragma once
// How predict cuts a grid into tiles and what each tile's network sees. Pure geometry, so the
// rule that makes tiled inference equal whole-image inference is in one place and unit-tested:
//  - the input is the tile grown by the halo and clipped to the grid, so at the grid's edge the
//    network pads exactly as it would on the whole image;
//  - tile size, halo and so every input origin are multiples of the model's spatial multiple
//    (unet-small's pooling cells line up with the whole image's);
//  - an input whose size is not a multiple is extended at its right and bottom by repeating its
//    last column and row, which happens only at the grid's right and bottom edge, where the
//    whole image is extended the same way.
#include <cstdint>
#include <vector>

#include "geo/grid.h"

namespace strata::pipeline {

struct TileGeometry {
  geo::Window tile;    // output pixels, on the grid
  geo::Window input;   // pixels read: tile + halo, clipped to the grid
  int64_t padded_width = 0, padded_height = 0;  // network input size: input rounded up to the multiple
};

// The halo for --halo auto: the receptive radius rounded up to the spatial multiple.
int64_t auto_halo(int64_t receptive_radius, int64_t multiple);

// Tiles of `tile` x `tile` pixels (smaller at the right and bottom edge), row-major.
// UsageError when tile or halo is not a positive multiple of `multiple` (halo may be 0).
std::vector<TileGeometry> plan_tiles(int64_t width, int64_t height, int64_t tile, int64_t halo, int64_t multiple);

// [bands][ih][iw] -> [bands][ph][pw], repeating the last column and row.
template <class T>
void pad_replicate(const T* in, int64_t bands, int64_t ih, int64_t iw, int64_t ph, int64_t pw, T* out);

}  // namespace strata::pipeline
