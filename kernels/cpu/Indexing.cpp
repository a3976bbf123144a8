//===- Indexing.cpp - gather and scatter-add along one axis ---------------===//
//
// Both check their indices once, in order, before the copying starts: the
// first bad index is reported exactly as a sequential loop would, and the
// parallel part only skips bad indices silently.
//
// Scatter-add stays deterministic: a task owns a range of (outer, column)
// and adds its updates in index order, so repeated indices sum in the same
// order whatever the thread count. Embedding backward (outer = 1, a few
// thousand indices into a vocabulary) splits over columns.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace {

/// Gathers and scatters below this many bytes run on the calling thread:
/// starting a parallel region costs more than copying them.
constexpr int64_t kParallelBytes = 1 << 16;

void reportFirstBad(ds_status *status, int32_t site, const int64_t *indices,
                    int64_t count, int64_t bound) {
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= bound) {
      ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, indices[i],
                     bound);
      return;
    }
}

/// a + b, wrapping around for integers (signed overflow would be undefined).
template <typename T> T addWrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return T(U(a) + U(b));
  } else {
    return a + b;
  }
}

template <typename T>
void scatterAdd(ds_status *status, int32_t site, const T *updates,
                const int64_t *indices, T *out, int64_t outer, int64_t axisSize,
                int64_t inner, int64_t numIndices) {
  reportFirstBad(status, site, indices, numIndices, axisSize);
  // Column blocks of 64 elements: whole cache lines, enough tasks for an
  // embedding table's width.
  constexpr int64_t kColumns = 64;
  const int64_t columnBlocks = (inner + kColumns - 1) / kColumns;
  const int64_t tasks = outer * columnBlocks;
  const bool parallel =
      int64_t(sizeof(T)) * outer * std::max(axisSize, numIndices) * inner >
      kParallelBytes;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t task = 0; task < tasks; ++task) {
    const int64_t o = task / columnBlocks;
    const int64_t c0 = (task % columnBlocks) * kColumns;
    const int64_t c1 = std::min(inner, c0 + kColumns);
    T *dst = out + o * axisSize * inner;
    for (int64_t a = 0; a < axisSize; ++a)
      std::fill(dst + a * inner + c0, dst + a * inner + c1, T(0));
    const T *src = updates + o * numIndices * inner;
    for (int64_t i = 0; i < numIndices; ++i) {
      const int64_t index = indices[i];
      if (index < 0 || index >= axisSize)
        continue;
      T *d = dst + index * inner;
      const T *s = src + i * inner;
      for (int64_t c = c0; c < c1; ++c)
        d[c] = addWrapping(d[c], s[c]);
    }
  }
}

} // namespace

extern "C" void ds_gather(ds_status *status, int32_t site, const void *src,
                          const int64_t *indices, void *out, int64_t outer,
                          int64_t axis_size, int64_t inner_bytes,
                          int64_t num_indices) {
  reportFirstBad(status, site, indices, num_indices, axis_size);
  const auto *from = static_cast<const char *>(src);
  auto *to = static_cast<char *>(out);
  const int64_t slices = outer * num_indices;
  const bool parallel = slices * inner_bytes > kParallelBytes;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t slice = 0; slice < slices; ++slice) {
    const int64_t o = slice / num_indices;
    const int64_t index = indices[slice % num_indices];
    char *dst = to + slice * inner_bytes;
    if (index < 0 || index >= axis_size)
      std::memset(dst, 0, size_t(inner_bytes));
    else
      std::memcpy(dst, from + (o * axis_size + index) * inner_bytes,
                  size_t(inner_bytes));
  }
}

extern "C" void ds_scatter_add_f32(ds_status *status, int32_t site,
                                   const float *updates, const int64_t *indices,
                                   float *out, int64_t outer, int64_t axis_size,
                                   int64_t inner, int64_t num_indices) {
  scatterAdd(status, site, updates, indices, out, outer, axis_size, inner,
             num_indices);
}

extern "C" void ds_scatter_add_f64(ds_status *status, int32_t site,
                                   const double *updates,
                                   const int64_t *indices, double *out,
                                   int64_t outer, int64_t axis_size,
                                   int64_t inner, int64_t num_indices) {
  scatterAdd(status, site, updates, indices, out, outer, axis_size, inner,
             num_indices);
}

extern "C" void ds_scatter_add_i32(ds_status *status, int32_t site,
                                   const int32_t *updates,
                                   const int64_t *indices, int32_t *out,
                                   int64_t outer, int64_t axis_size,
                                   int64_t inner, int64_t num_indices) {
  scatterAdd(status, site, updates, indices, out, outer, axis_size, inner,
             num_indices);
}

extern "C" void ds_scatter_add_i64(ds_status *status, int32_t site,
                                   const int64_t *updates,
                                   const int64_t *indices, int64_t *out,
                                   int64_t outer, int64_t axis_size,
                                   int64_t inner, int64_t num_indices) {
  scatterAdd(status, site, updates, indices, out, outer, axis_size, inner,
             num_indices);
}
