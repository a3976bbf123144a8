//===- Rope.cpp - rotary position embeddings ------------------------------===//
//
// A (position, channel pair) angle is shared by every head of a row, so each
// row's cosines and sines are computed once (once per position for the whole
// call when positions are shared across the leading axis) and then applied
// to its H heads. Angles and rotations are in double: positions reach 1e5
// and more with YaRN, where float angles lose whole radians.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace {

/// c = cos(a)·magnitude and s = ±sin(a)·magnitude for the half = dim/2
/// pairs of one position, interleaved as table[2i], table[2i+1].
void rotations(int64_t position, int64_t half, const double *frequencies,
               double magnitude, bool adjoint, double *table) {
  for (int64_t i = 0; i < half; ++i) {
    const double angle = double(position) * frequencies[i];
    const double s = std::sin(angle) * magnitude;
    table[2 * i] = std::cos(angle) * magnitude;
    table[2 * i + 1] = adjoint ? -s : s;
  }
}

struct Layout {
  int64_t H, D, offset, half;
  bool interleaved;
};

/// Rotates one row's H heads ([H, D] at in and out) by `table`.
template <typename T>
void rotateRow(const Layout &l, const double *table, const T *in, T *out) {
  if (in != out)
    std::memcpy(out, in, sizeof(T) * l.H * l.D);
  for (int64_t h = 0; h < l.H; ++h) {
    const T *x = in + h * l.D;
    T *y = out + h * l.D;
    for (int64_t i = 0; i < l.half; ++i) {
      const int64_t first = l.interleaved ? l.offset + 2 * i : l.offset + i;
      const int64_t second = l.interleaved ? first + 1 : l.offset + i + l.half;
      const double c = table[2 * i], s = table[2 * i + 1];
      const double x1 = double(x[first]), x2 = double(x[second]);
      y[first] = T(x1 * c - x2 * s);
      y[second] = T(x2 * c + x1 * s);
    }
  }
}

template <typename T>
void rope(const T *in, const int64_t *positions, T *out, int64_t leading,
          int64_t steps, int64_t H, int64_t D, int64_t offset, int64_t dim,
          bool interleaved, bool shared, const double *frequencies,
          double magnitude, bool adjoint) {
  const Layout l{H, D, offset, dim / 2, interleaved};
  const int64_t rows = leading * steps;
  const int64_t width = 2 * l.half;
  // Shared positions: one table for all T positions, computed up front.
  std::vector<double> sharedTable;
  if (shared) {
    sharedTable.resize(steps * width);
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < steps; ++t)
      rotations(positions[t], l.half, frequencies, magnitude, adjoint,
                sharedTable.data() + t * width);
  }
#pragma omp parallel
  {
    std::vector<double> table(shared ? 0 : width);
#pragma omp for schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      const double *rowTable;
      if (shared) {
        rowTable = sharedTable.data() + (row % steps) * width;
      } else {
        rotations(positions[row], l.half, frequencies, magnitude, adjoint,
                  table.data());
        rowTable = table.data();
      }
      rotateRow(l, rowTable, in + row * H * D, out + row * H * D);
    }
  }
}

} // namespace

extern "C" void ds_rope_f32(const float *in, const int64_t *positions,
                            float *out, int64_t leading, int64_t T, int64_t H,
                            int64_t D, int64_t offset, int64_t dim,
                            int32_t interleaved, int32_t positions_shared,
                            const double *frequencies, double magnitude,
                            int32_t adjoint) {
  rope(in, positions, out, leading, T, H, D, offset, dim, interleaved != 0,
       positions_shared != 0, frequencies, magnitude, adjoint != 0);
}

extern "C" void ds_rope_f64(const double *in, const int64_t *positions,
                            double *out, int64_t leading, int64_t T, int64_t H,
                            int64_t D, int64_t offset, int64_t dim,
                            int32_t interleaved, int32_t positions_shared,
                            const double *frequencies, double magnitude,
                            int32_t adjoint) {
  rope(in, positions, out, leading, T, H, D, offset, dim, interleaved != 0,
       positions_shared != 0, frequencies, magnitude, adjoint != 0);
}
