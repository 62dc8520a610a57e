#include "geo/gif.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "core/atomic_file.h"
#include "core/checked.h"
#include "core/error.h"

namespace strata::geo {
namespace {

constexpr int kMaxCode = 4095;  // GIF's LZW codes are at most 12 bits

// The palette for frames with more than 256 colours: a 6x6x6 cube and evenly spaced greys.
std::vector<RGBA> fixed_palette(bool transparent) {
  std::vector<RGBA> p;
  if (transparent) p.push_back({0, 0, 0, 0});
  for (int r = 0; r < 6; ++r)
    for (int g = 0; g < 6; ++g)
      for (int b = 0; b < 6; ++b)
        p.push_back({static_cast<uint8_t>(51 * r), static_cast<uint8_t>(51 * g), static_cast<uint8_t>(51 * b), 255});
  const int greys = 256 - static_cast<int>(p.size());
  for (int i = 0; i < greys; ++i) {
    const auto v = static_cast<uint8_t>((2 * i + 1) * 255 / (2 * greys));
    p.push_back({v, v, v, 255});
  }
  return p;
}

uint8_t nearest(const std::vector<RGBA>& palette, size_t first, int r, int g, int b) {
  size_t best = first;
  int best_d = INT32_MAX;
  for (size_t i = first; i < palette.size(); ++i) {
    const int dr = palette[i].r - r, dg = palette[i].g - g, db = palette[i].b - b;
    const int d = dr * dr + dg * dg + db * db;
    if (d < best_d) best_d = d, best = i;
  }
  return static_cast<uint8_t>(best);
}

// Bits packed least significant first, as GIF's LZW stream wants.
class BitWriter {
 public:
  void put(int code, int width) {
    acc_ |= static_cast<uint32_t>(code) << bits_;
    bits_ += width;
    for (; bits_ >= 8; bits_ -= 8, acc_ >>= 8) out_.push_back(static_cast<uint8_t>(acc_ & 0xFF));
  }
  std::vector<uint8_t> finish() {
    if (bits_ > 0) out_.push_back(static_cast<uint8_t>(acc_ & 0xFF));
    return std::move(out_);
  }

 private:
  std::vector<uint8_t> out_;
  uint32_t acc_ = 0;
  int bits_ = 0;
};

// The string table: (prefix code, next index) -> code, open addressing at load <= 1/2.
class CodeTable {
 public:
  void clear() { keys_.fill(-1); }
  int find(int prefix, uint8_t k) const {
    const int32_t key = prefix << 8 | k;
    for (size_t h = slot(key);; h = (h + 1) & (kSize - 1)) {
      if (keys_[h] == key) return codes_[h];
      if (keys_[h] < 0) return -1;
    }
  }
  void insert(int prefix, uint8_t k, int code) {
    const int32_t key = prefix << 8 | k;
    size_t h = slot(key);
    while (keys_[h] >= 0) h = (h + 1) & (kSize - 1);
    keys_[h] = key;
    codes_[h] = static_cast<uint16_t>(code);
  }

 private:
  static constexpr size_t kSize = 8192;
  static size_t slot(int32_t key) { return (static_cast<uint32_t>(key) * 2654435761u >> 19) & (kSize - 1); }
  std::array<int32_t, kSize> keys_{};
  std::array<uint16_t, kSize> codes_{};
};

}  // namespace

IndexedImage quantize(const Image& image) {
  IndexedImage out{image.width, image.height, std::vector<uint8_t>(image.pixels.size()), {}, -1};
  const bool transparent = std::any_of(image.pixels.begin(), image.pixels.end(), [](RGBA p) { return p.a < 128; });
  if (transparent) {
    out.palette.push_back({0, 0, 0, 0});
    out.transparent = 0;
  }
  const size_t first = out.palette.size();
  std::unordered_map<uint32_t, uint8_t> exact;
  bool fits = true;
  for (size_t i = 0; i < image.pixels.size() && fits; ++i) {
    const RGBA p = image.pixels[i];
    if (p.a < 128) continue;
    const uint32_t key = static_cast<uint32_t>(p.r) << 16 | static_cast<uint32_t>(p.g) << 8 | p.b;
    auto it = exact.find(key);
    if (it == exact.end()) {
      if (out.palette.size() == 256) {
        fits = false;
        break;
      }
      it = exact.emplace(key, static_cast<uint8_t>(out.palette.size())).first;
      out.palette.push_back({p.r, p.g, p.b, 255});
    }
    out.indices[i] = it->second;
  }
  if (!fits) {
    out.palette = fixed_palette(transparent);
    std::vector<int16_t> cache(1 << 15, -1);  // 5 bits per channel -> palette index
    for (size_t i = 0; i < image.pixels.size(); ++i) {
      const RGBA p = image.pixels[i];
      if (p.a < 128) {
        out.indices[i] = 0;
        continue;
      }
      const int key = (p.r >> 3) << 10 | (p.g >> 3) << 5 | (p.b >> 3);
      int16_t& c = cache[static_cast<size_t>(key)];
      if (c < 0) c = nearest(out.palette, first, (p.r & ~7) | 4, (p.g & ~7) | 4, (p.b & ~7) | 4);
      out.indices[i] = static_cast<uint8_t>(c);
    }
  }
  for (size_t i = 0; i < image.pixels.size() && transparent; ++i)
    if (image.pixels[i].a < 128) out.indices[i] = 0;
  return out;
}

std::vector<uint8_t> gif_lzw_encode(const std::vector<uint8_t>& indices, int min_code_size) {
  if (min_code_size < 2 || min_code_size > 8) throw Error("GIF: LZW minimum code size must be 2..8");
  const int clear = 1 << min_code_size, eoi = clear + 1;
  BitWriter out;
  auto table = std::make_unique<CodeTable>();
  table->clear();
  int width = min_code_size + 1, max_code = eoi;
  out.put(clear, width);
  if (indices.empty()) {
    out.put(eoi, width);
    return out.finish();
  }
  int prefix = indices[0];
  for (size_t i = 1; i < indices.size(); ++i) {
    const uint8_t k = indices[i];
    if (const int code = table->find(prefix, k); code >= 0) {
      prefix = code;
      continue;
    }
    out.put(prefix, width);
    table->insert(prefix, k, ++max_code);
    if (max_code >= 1 << width) ++width;
    if (max_code == kMaxCode) {  // table full: start again
      out.put(clear, width);
      table->clear();
      width = min_code_size + 1;
      max_code = eoi;
    }
    prefix = k;
  }
  out.put(prefix, width);
  // The decoder adds a string after the last code too, and may widen before reading the end code.
  if (++max_code >= 1 << width && width < 12) ++width;
  out.put(eoi, width);
  return out.finish();
}

GifWriter::GifWriter(std::string path, int64_t width, int64_t height)
    : path_(std::move(path)), width_(width), height_(height) {
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535)
    throw Error(path_ + ": a GIF is at most 65535 x 65535 pixels, not " + std::to_string(width) + "x" + std::to_string(height));
  tmp_ = temporary_name(path_);
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) throw Error(path_ + ": cannot write: " + std::strerror(errno));
  put("GIF89a", 6);
  put16(width);
  put16(height);
  const uint8_t screen[3] = {0x70, 0, 0};  // no global colour table (each frame has its own), 8-bit colour
  put(screen, 3);
  // Loop forever (the NETSCAPE2.0 application extension, loop count 0).
  const uint8_t loop[19] = {0x21, 0xFF, 0x0B, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 0x03, 0x01, 0, 0, 0};
  put(loop, sizeof loop);
}

GifWriter::~GifWriter() {
  if (f_) {
    std::fclose(f_);
    std::remove(tmp_.c_str());
  }
}

void GifWriter::put(const void* data, size_t n) {
  if (!f_) throw Error(path_ + ": write after commit");
  if (std::fwrite(data, 1, n, f_) != n) throw Error(path_ + ": cannot write " + tmp_ + ": " + std::strerror(errno));
}

void GifWriter::put16(int64_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v & 0xFF), static_cast<uint8_t>(v >> 8 & 0xFF)};
  put(b, 2);
}

void GifWriter::add_frame(const Image& frame, int delay_cs) {
  if (frame.width != width_ || frame.height != height_)
    throw Error(path_ + ": frame " + std::to_string(frames_ + 1) + " is " + std::to_string(frame.width) + "x" +
                std::to_string(frame.height) + ", the animation " + std::to_string(width_) + "x" + std::to_string(height_));
  const IndexedImage q = quantize(frame);
  int bits = 1;  // the colour table holds 2^bits entries
  while ((size_t{1} << bits) < q.palette.size()) ++bits;

  // Graphic control: restore to background after the frame, the delay, the transparent index.
  const uint8_t packed = static_cast<uint8_t>(2 << 2 | (q.transparent >= 0 ? 1 : 0));
  const uint8_t gce[4] = {0x21, 0xF9, 0x04, packed};
  put(gce, 4);
  put16(std::clamp(delay_cs, 0, 65535));
  const uint8_t gce_end[2] = {static_cast<uint8_t>(std::max(q.transparent, 0)), 0};
  put(gce_end, 2);

  const uint8_t descriptor = 0x2C;
  put(&descriptor, 1);
  put16(0);
  put16(0);
  put16(width_);
  put16(height_);
  const uint8_t local_table = static_cast<uint8_t>(0x80 | (bits - 1));
  put(&local_table, 1);
  std::vector<uint8_t> table(size_t{3} << bits, 0);
  for (size_t i = 0; i < q.palette.size(); ++i) {
    table[3 * i] = q.palette[i].r;
    table[3 * i + 1] = q.palette[i].g;
    table[3 * i + 2] = q.palette[i].b;
  }
  put(table.data(), table.size());

  const auto min_code_size = static_cast<uint8_t>(std::max(2, bits));
  put(&min_code_size, 1);
  const std::vector<uint8_t> data = gif_lzw_encode(q.indices, min_code_size);
  for (size_t at = 0; at < data.size(); at += 255) {
    const auto n = static_cast<uint8_t>(std::min<size_t>(255, data.size() - at));
    put(&n, 1);
    put(data.data() + at, n);
  }
  const uint8_t end = 0;
  put(&end, 1);
  ++frames_;
}

void GifWriter::commit() {
  if (frames_ == 0) throw Error(path_ + ": a GIF needs at least one frame");
  const uint8_t trailer = 0x3B;
  put(&trailer, 1);
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) {
    std::remove(tmp_.c_str());
    throw Error(path_ + ": cannot write " + tmp_ + ": " + std::strerror(errno));
  }
  try {
    rename_into_place(tmp_, path_);
  } catch (...) {
    std::remove(tmp_.c_str());
    throw;
  }
}

}  // namespace strata::geo
