#pragma once
// Animated GIF89a, written here (GDAL's GIF driver writes one frame only): every frame is a
// full-size image with its own colour table, LZW-compressed, shown for a delay and replaced
// ("restore to background") by the next, and the animation loops forever. The file is written
// under a temporary name and renamed into place by commit().
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "geo/image.h"

namespace strata::geo {

// A frame reduced to at most 256 colours. Fully transparent pixels (alpha < 128) share index 0
// when there are any. A frame with at most 256 colours keeps them exactly; otherwise each pixel
// takes the nearest colour of a fixed palette (a 6x6x6 colour cube and a grey ramp).
struct IndexedImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> indices;
  std::vector<RGBA> palette;  // 1..256 entries
  int transparent = -1;       // the transparent index, or -1
};
IndexedImage quantize(const Image& image);

// GIF's variable-width LZW over `indices` (each < 2^min_code_size), from the clear code to the
// end-of-information code, packed least significant bit first (before the 255-byte sub-blocks).
std::vector<uint8_t> gif_lzw_encode(const std::vector<uint8_t>& indices, int min_code_size);

class GifWriter {
 public:
  GifWriter(std::string path, int64_t width, int64_t height);
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;
  ~GifWriter();  // without commit(): removes the temporary file

  // delay: hundredths of a second this frame is shown.
  void add_frame(const Image& frame, int delay_cs);
  void commit();
  int frames() const { return frames_; }

 private:
  void put(const void* data, size_t n);
  void put16(int64_t v);
  std::string path_, tmp_;
  int64_t width_, height_;
  std::FILE* f_ = nullptr;
  int frames_ = 0;
};

}  // namespace strata::geo
