#pragma once
// One band of a raster, whole, as a vector: what tests compare maps with.
#include <string>
#include <vector>

#include "geo/raster.h"

namespace strata::test {

template <class T>
std::vector<T> read_band(const std::string& path, int band) {
  const geo::Raster r = geo::Raster::open(path);
  std::vector<T> v(static_cast<size_t>(r.grid().full().pixels()));
  r.read<T>({band}, r.grid().full(), v.data());
  return v;
}

}  // namespace strata::test
