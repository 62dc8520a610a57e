#pragma once
// A minimal GIF reader for the tests, written from the GIF89a specification independently of
// src/geo/gif.cpp: it walks the blocks, checks their framing and decodes every frame's LZW.
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::test {

struct GifFrame {
  int width = 0, height = 0, delay_cs = 0, transparent = -1, disposal = 0;
  std::vector<uint8_t> palette;  // r, g, b triples
  std::vector<uint8_t> indices;
};

struct GifFile {
  int width = 0, height = 0;
  int loop = -1;  // NETSCAPE2.0 loop count, -1 when absent
  std::vector<GifFrame> frames;
};

inline std::vector<uint8_t> gif_lzw_decode(const std::vector<uint8_t>& data, int min_code_size) {
  const int clear = 1 << min_code_size, eoi = clear + 1;
  std::vector<std::vector<uint8_t>> table;
  auto reset = [&] {
    table.assign(static_cast<size_t>(eoi + 1), {});
    for (int i = 0; i < clear; ++i) table[static_cast<size_t>(i)] = {static_cast<uint8_t>(i)};
  };
  reset();
  int width = min_code_size + 1;
  size_t bit = 0;
  auto read = [&]() {
    int v = 0;
    for (int k = 0; k < width; ++k, ++bit) {
      if (bit / 8 >= data.size()) throw std::runtime_error("LZW data ends before the end code");
      v |= (data[bit / 8] >> (bit % 8) & 1) << k;
    }
    return v;
  };
  std::vector<uint8_t> out, prev;
  bool first = true;
  for (;;) {
    const int code = read();
    if (code == clear) {
      reset();
      width = min_code_size + 1;
      first = true;
      continue;
    }
    if (code == eoi) break;
    std::vector<uint8_t> s;
    if (first) {
      if (code >= clear) throw std::runtime_error("first code after clear is not a colour");
      s = table[static_cast<size_t>(code)];
      first = false;
    } else {
      if (code < static_cast<int>(table.size())) s = table[static_cast<size_t>(code)];
      else if (code == static_cast<int>(table.size())) (s = prev).push_back(prev[0]);
      else throw std::runtime_error("LZW code beyond the table");
      if (table.size() < 4096) {
        table.push_back(prev);
        table.back().push_back(s[0]);
      }
      if (table.size() == (size_t{1} << width) && width < 12) ++width;
    }
    out.insert(out.end(), s.begin(), s.end());
    prev = s;
  }
  return out;
}

inline GifFile read_gif(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t i = 0;
  auto need = [&](size_t n) {
    if (i + n > b.size()) throw std::runtime_error(path + ": truncated at byte " + std::to_string(i));
  };
  auto u8 = [&] { need(1); return b[i++]; };
  auto u16 = [&] { need(2); const int v = b[i] | b[i + 1] << 8; i += 2; return v; };
  auto sub_blocks = [&] {
    std::vector<uint8_t> data;
    for (uint8_t n = u8(); n; n = u8()) {
      need(n);
      data.insert(data.end(), b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
      i += n;
    }
    return data;
  };
  need(6);
  if (std::string(b.begin(), b.begin() + 6) != "GIF89a") throw std::runtime_error(path + ": not GIF89a");
  i = 6;
  GifFile g;
  g.width = u16();
  g.height = u16();
  const uint8_t flags = u8();
  i += 2;
  std::vector<uint8_t> global;
  if (flags & 0x80) {
    const size_t n = size_t{3} << ((flags & 7) + 1);
    need(n);
    global.assign(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
    i += n;
  }
  GifFrame next;
  for (;;) {
    const uint8_t c = u8();
    if (c == 0x3B) break;
    if (c == 0x21) {
      const uint8_t label = u8();
      const std::vector<uint8_t> data = sub_blocks();
      if (label == 0xF9 && data.size() == 4) {
        next.disposal = data[0] >> 2 & 7;
        next.delay_cs = data[1] | data[2] << 8;
        next.transparent = data[0] & 1 ? data[3] : -1;
      } else if (label == 0xFF && data.size() >= 14 && std::string(data.begin(), data.begin() + 11) == "NETSCAPE2.0") {
        g.loop = data[12] | data[13] << 8;
      }
      continue;
    }
    if (c != 0x2C) throw std::runtime_error(path + ": unexpected block " + std::to_string(c));
    GifFrame f = next;
    next = {};
    u16();
    u16();
    f.width = u16();
    f.height = u16();
    const uint8_t fl = u8();
    f.palette = global;
    if (fl & 0x80) {
      const size_t n = size_t{3} << ((fl & 7) + 1);
      need(n);
      f.palette.assign(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + n));
      i += n;
    }
    const int min_code_size = u8();
    f.indices = gif_lzw_decode(sub_blocks(), min_code_size);
    if (f.indices.size() != static_cast<size_t>(f.width) * static_cast<size_t>(f.height))
      throw std::runtime_error(path + ": a frame decodes to " + std::to_string(f.indices.size()) + " pixels");
    g.frames.push_back(std::move(f));
  }
  if (i != b.size()) throw std::runtime_error(path + ": bytes after the trailer");
  return g;
}

}  // namespace strata::test
