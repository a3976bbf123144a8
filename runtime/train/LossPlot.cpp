//===- LossPlot.cpp - The loss curve as a PNG -----------------------------===//

#include "runtime/train/LossPlot.h"

#include "runtime/data/AtomicFile.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ds::rt {

namespace {

// 3×5 glyphs, one row per entry, bit 2 = left column.
struct Glyph {
  char c;
  std::array<uint8_t, 5> rows;
};
constexpr Glyph kFont[] = {
    {'0', {7, 5, 5, 5, 7}}, {'1', {2, 6, 2, 2, 7}}, {'2', {7, 1, 7, 4, 7}},
    {'3', {7, 1, 7, 1, 7}}, {'4', {5, 5, 7, 1, 1}}, {'5', {7, 4, 7, 1, 7}},
    {'6', {7, 4, 7, 5, 7}}, {'7', {7, 1, 1, 1, 1}}, {'8', {7, 5, 7, 5, 7}},
    {'9', {7, 5, 7, 1, 7}}, {'.', {0, 0, 0, 0, 2}}, {'-', {0, 0, 7, 0, 0}},
    {'a', {0, 7, 1, 7, 7}}, {'e', {7, 5, 7, 4, 7}}, {'g', {7, 5, 7, 1, 7}},
    {'i', {2, 0, 2, 2, 2}}, {'l', {6, 2, 2, 2, 7}}, {'m', {0, 7, 7, 5, 5}},
    {'n', {0, 6, 5, 5, 5}}, {'o', {0, 7, 5, 5, 7}}, {'p', {7, 5, 7, 4, 4}},
    {'r', {0, 7, 4, 4, 4}}, {'s', {7, 4, 7, 1, 7}}, {'t', {4, 7, 4, 4, 7}},
    {'u', {0, 5, 5, 5, 7}}, {'v', {0, 5, 5, 5, 2}}, {'k', {4, 5, 6, 5, 5}},
};

struct Color {
  uint8_t r, g, b;
};
constexpr Color kWhite{255, 255, 255}, kBlack{30, 30, 30},
    kGrid{225, 225, 225}, kBlue{31, 119, 180}, kOrange{255, 127, 14},
    kGrey{120, 120, 120};

class Canvas {
public:
  Canvas(int width, int height)
      : width_(width), height_(height),
        pixels_(size_t(width) * size_t(height) * 3, 255) {}

  void set(int x, int y, Color c) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_)
      return;
    uint8_t *p = &pixels_[(size_t(y) * size_t(width_) + size_t(x)) * 3];
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
  void line(double x0, double y0, double x1, double y1, Color c, int thick = 1,
            int dash = 0) {
    const int steps = int(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      if (dash > 0 && (i / dash) % 2 == 1)
        continue;
      const double t = double(i) / steps;
      const int x = int(std::lround(x0 + (x1 - x0) * t));
      const int y = int(std::lround(y0 + (y1 - y0) * t));
      for (int dx = 0; dx < thick; ++dx)
        for (int dy = 0; dy < thick; ++dy)
          set(x + dx - thick / 2, y + dy - thick / 2, c);
    }
  }
  void dot(double x, double y, Color c) {
    for (int dx = -2; dx <= 2; ++dx)
      for (int dy = -2; dy <= 2; ++dy)
        if (dx * dx + dy * dy <= 5)
          set(int(std::lround(x)) + dx, int(std::lround(y)) + dy, c);
  }
  /// Text at (x, y) = top-left, each font pixel drawn as scale×scale.
  void text(int x, int y, const std::string &s, Color c, int scale = 2) {
    for (char ch : s) {
      for (const Glyph &g : kFont)
        if (g.c == ch)
          for (int row = 0; row < 5; ++row)
            for (int col = 0; col < 3; ++col)
              if (g.rows[size_t(row)] & (4 >> col))
                for (int sx = 0; sx < scale; ++sx)
                  for (int sy = 0; sy < scale; ++sy)
                    set(x + col * scale + sx, y + row * scale + sy, c);
      x += 4 * scale;
    }
  }
  static int textWidth(const std::string &s, int scale = 2) {
    return int(s.size()) * 4 * scale;
  }
  const std::vector<uint8_t> &pixels() const { return pixels_; }

private:
  int width_, height_;
  std::vector<uint8_t> pixels_;
};

std::string number(double value) {
  char text[32];
  if (std::fabs(value) >= 10000)
    std::snprintf(text, sizeof(text), "%.0fk", value / 1000);
  else if (std::fabs(value - std::round(value)) < 1e-9)
    std::snprintf(text, sizeof(text), "%.0f", value);
  else
    std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

/// A "nice" tick spacing giving about `count` ticks over `range`.
double tickStep(double range, int count) {
  const double raw = range / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * magnitude)
      return m * magnitude;
  return 10 * magnitude;
}

uint32_t crc32(const std::string &bytes, size_t begin, size_t end) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t i = begin; i < end; ++i)
    c = table[(c ^ uint8_t(bytes[i])) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void appendBigEndian(std::string &out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(char((value >> shift) & 0xff));
}

void appendChunk(std::string &out, const char *type, const std::string &data) {
  appendBigEndian(out, uint32_t(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out += data;
  appendBigEndian(out, crc32(out, start, out.size()));
}

} // namespace

std::string encodePng(int width, int height, const std::vector<uint8_t> &rgb) {
  // Raw scanlines, each with filter type 0.
  std::string raw;
  raw.reserve(size_t(height) * (size_t(width) * 3 + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char *>(&rgb[size_t(y) * size_t(width) * 3]),
               size_t(width) * 3);
  }
  // zlib: header, stored deflate blocks of at most 65535 bytes, Adler-32.
  std::string zlib = {char(0x78), char(0x01)};
  for (size_t offset = 0; offset < raw.size() || offset == 0;) {
    const size_t size = std::min<size_t>(65535, raw.size() - offset);
    const bool final = offset + size == raw.size();
    zlib.push_back(final ? 1 : 0);
    zlib.push_back(char(size & 0xff));
    zlib.push_back(char(size >> 8));
    zlib.push_back(char(~size & 0xff));
    zlib.push_back(char((~size >> 8) & 0xff));
    zlib.append(raw, offset, size);
    offset += size;
    if (final)
      break;
  }
  uint32_t a = 1, b = 0;
  for (unsigned char c : raw) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  appendBigEndian(zlib, (b << 16) | a);
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string header;
  appendBigEndian(header, uint32_t(width));
  appendBigEndian(header, uint32_t(height));
  header += std::string{char(8), char(2), char(0), char(0), char(0)};
  appendChunk(png, "IHDR", header);
  appendChunk(png, "IDAT", zlib);
  appendChunk(png, "IEND", "");
  return png;
}

bool writeLossPlot(const std::string &path, const LossCurve &curve,
                   std::string &error) {
  constexpr int W = 900, H = 540, left = 80, right = 30, top = 50, bottom = 60;
  Canvas canvas(W, H);
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto *points : {&curve.train, &curve.val})
    for (auto [x, y] : *points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  if (curve.baseline > 0) {
    y0 = std::min(y0, curve.baseline);
    y1 = std::max(y1, curve.baseline);
  }
  if (x0 > x1) { // nothing to draw: an empty frame
    x0 = 0;
    x1 = 1;
    y0 = 0;
    y1 = 1;
  }
  if (x1 - x0 < 1)
    x1 = x0 + 1;
  const double pad = std::max(0.05 * (y1 - y0), 0.05);
  y0 = std::max(0.0, y0 - pad);
  y1 += pad;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom); };
  // Grid and tick labels.
  const double xs = tickStep(x1 - x0, 8), ys = tickStep(y1 - y0, 6);
  for (double x = std::ceil(x0 / xs) * xs; x <= x1 + 1e-9; x += xs) {
    canvas.line(px(x), top, px(x), H - bottom, kGrid);
    const std::string label = number(x);
    canvas.text(int(px(x)) - Canvas::textWidth(label) / 2, H - bottom + 10, label, kBlack);
  }
  for (double y = std::ceil(y0 / ys) * ys; y <= y1 + 1e-9; y += ys) {
    canvas.line(left, py(y), W - right, py(y), kGrid);
    const std::string label = number(y);
    canvas.text(left - 10 - Canvas::textWidth(label), int(py(y)) - 5, label, kBlack);
  }
  canvas.line(left, top, left, H - bottom, kBlack);
  canvas.line(left, H - bottom, W - right, H - bottom, kBlack);
  canvas.text(W / 2 - Canvas::textWidth("step") / 2, H - 25, "step", kBlack);
  canvas.text(10, top - 30, "loss", kBlack);
  // Curves.
  if (curve.baseline > 0)
    canvas.line(left, py(curve.baseline), W - right, py(curve.baseline), kGrey, 2, 8);
  for (size_t i = 1; i < curve.train.size(); ++i)
    canvas.line(px(curve.train[i - 1].first), py(curve.train[i - 1].second),
                px(curve.train[i].first), py(curve.train[i].second), kBlue, 2);
  for (size_t i = 0; i < curve.val.size(); ++i) {
    if (i > 0)
      canvas.line(px(curve.val[i - 1].first), py(curve.val[i - 1].second),
                  px(curve.val[i].first), py(curve.val[i].second), kOrange, 2);
    canvas.dot(px(curve.val[i].first), py(curve.val[i].second), kOrange);
  }
  // Legend.
  int lx = W - right - 220, ly = top - 35;
  for (auto [label, color] : {std::pair<const char *, Color>{"train", kBlue},
                              {"val", kOrange},
                              {"unigram", kGrey}}) {
    canvas.line(lx, ly + 5, lx + 20, ly + 5, color, 3);
    canvas.text(lx + 26, ly, label, kBlack);
    lx += 30 + Canvas::textWidth(label) + 12;
  }
  return writeFileAtomically(path, encodePng(W, H, canvas.pixels()), error);
}

} // namespace ds::rt
