//===- Attention.cpp - blocked softmax attention and its gradient ---------===//
//
// Both directions work on blocks of kBlockQ consecutive queries of one head
// against the keys any of them sees, so the score block stays in cache and
// the products are small GEMMs (Tile.h) rather than dot products, whose
// horizontal sums would dominate at head sizes of 64.
//
// Forward: one task per (batch, query head, query block); every output row
// is written by exactly one task.
//
// Backward: dK and dV sum over every query of every query head of a group,
// so tasks own kv heads: one task per (batch, kv head) walks the group's
// query heads and blocks and is the only writer of that head's dK and dV
// (and of its queries' dQ). That needs no atomics and takes five products
// per block, the minimum. When there are fewer kv heads than threads, each
// head's query blocks are dealt to several tasks that accumulate dK and dV
// into private buffers, summed afterwards in a fixed order.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "kernels/cpu/Math.h"
#include "kernels/cpu/Tile.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace ds::kernels;

namespace {

/// Queries per block: six bands of the 6-row register tile (Tile.h); 36
/// rows of scores for 1024 keys are 144 KiB (f32), which stays in L2 next to
/// the transposed keys, twice over in the backward pass.
constexpr int64_t kBlockQ = 36;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The sizes of one call, where its rows live, and which keys a query sees.
struct Shape {
  int64_t B, Tq, Tk, Hq, Hkv, Dqk, Dv;
  bool causal;
  int64_t window;
  /// Only keys [0, length) hold data (a partly filled KV cache); length <= Tk.
  int64_t length;

  int64_t group() const { return Hq / Hkv; }

  /// Query i sees keys [firstKey(i), endKey(i)); both only grow with i, so
  /// a block of queries sees [firstKey(first), endKey(last)) at most. Query
  /// i sits at position i + length - Tq.
  int64_t firstKey(int64_t i) const {
    if (window <= 0)
      return 0;
    return std::clamp<int64_t>(i + length - Tq - window + 1, 0, length);
  }
  int64_t endKey(int64_t i) const {
    if (!causal)
      return length;
    return std::clamp<int64_t>(i + length - Tq + 1, 0, length);
  }

  int64_t qAt(int64_t b, int64_t i, int64_t h) const {
    return ((b * Tq + i) * Hq + h) * Dqk;
  }
  int64_t oAt(int64_t b, int64_t i, int64_t h) const {
    return ((b * Tq + i) * Hq + h) * Dv;
  }
  int64_t kAt(int64_t b, int64_t j, int64_t h) const {
    return ((b * Tk + j) * Hkv + h) * Dqk;
  }
  int64_t vAt(int64_t b, int64_t j, int64_t h) const {
    return ((b * Tk + j) * Hkv + h) * Dv;
  }
};

/// The row stride of a transposed [D][Tk] copy of keys or values: Tk
/// rounded up to whole vectors, plus one vector when that is a multiple of
/// 1 KiB, since rows 4 KiB apart share L1 sets and a transpose writing down
/// such a column evicts its own lines (it made non-causal attention at
/// Tk = 1024 spend 40% of its time transposing).
int64_t transposedStride(int64_t Tk) {
  int64_t ld = (Tk + 15) / 16 * 16;
  if (ld % 256 == 0)
    ld += 16;
  return ld;
}

/// Zeroes `rows` rows of `cols` elements, `stride` apart.
template <typename T>
void zeroRows(T *rows, int64_t count, int64_t cols, int64_t stride) {
  for (int64_t r = 0; r < count; ++r)
    std::fill(rows + r * stride, rows + r * stride + cols, T(0));
}

/// Turns a block of raw scores q·k (bq rows for queries i0.., nk columns for
/// keys lo..) into softmax probabilities in place: scaled, the row maximum
/// subtracted, keys the row does not see set to 0, normalized. A row that
/// sees no key becomes all zeros.
template <typename T>
void softmaxRows(const Shape &s, int64_t i0, int64_t bq, int64_t lo, int64_t nk,
                 T scale, T *p) {
  for (int64_t r = 0; r < bq; ++r) {
    T *row = p + r * nk;
    const int64_t first = s.firstKey(i0 + r) - lo;
    const int64_t end = std::max(first, s.endKey(i0 + r) - lo);
    std::fill(row, row + first, T(0));
    std::fill(row + end, row + nk, T(0));
    if (end == first)
      continue;
    // fmax, not a comparison: clang vectorizes only the former's reduction.
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t j = first; j < end; ++j)
      max = std::fmax(max, row[j] * scale);
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = first; j < end; ++j) {
      const T e = expOf(row[j] * scale - max);
      row[j] = e;
      sum += e;
    }
    const T inverse = T(1) / sum;
#pragma omp simd
    for (int64_t j = first; j < end; ++j)
      row[j] *= inverse;
  }
}

template <typename T>
void attentionForward(const Shape &s, const T *q, const T *k, const T *v,
                      T *out, double scale) {
  if (s.B <= 0 || s.Hq <= 0 || s.Hkv <= 0)
    return;
  const int64_t blocks = ceilDiv(s.Tq, kBlockQ);
  const int64_t tasks = s.B * s.Hq * blocks;
  // Keys transposed once per (batch, kv head) to [Dqk][ld], so that q·Kᵀ
  // streams contiguous rows; shared by the head's query heads and blocks.
  // Keys past `length` are never read.
  const int64_t ld = transposedStride(s.length);
  std::vector<T> kt(s.B * s.Hkv * s.Dqk * ld);
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (int64_t bh = 0; bh < s.B * s.Hkv; ++bh)
      transposeBlock(s.length, s.Dqk, k + s.kAt(bh / s.Hkv, 0, bh % s.Hkv),
                     s.Hkv * s.Dqk, kt.data() + bh * s.Dqk * ld, ld);

    std::vector<T> p; // this thread's probabilities
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t block = task % blocks;
      const int64_t h = (task / blocks) % s.Hq;
      const int64_t b = task / (blocks * s.Hq);
      const int64_t kvh = h / s.group();
      const int64_t i0 = block * kBlockQ;
      const int64_t bq = std::min(kBlockQ, s.Tq - i0);
      const int64_t lo = s.firstKey(i0);
      const int64_t hi = s.endKey(i0 + bq - 1);

      T *o = out + s.oAt(b, i0, h);
      zeroRows(o, bq, s.Dv, s.Hq * s.Dv);
      if (hi <= lo)
        continue;
      const int64_t nk = hi - lo;
      p.assign(bq * nk, T(0));
      gemmAccumulate(bq, nk, s.Dqk, q + s.qAt(b, i0, h), s.Hq * s.Dqk,
                     kt.data() + (b * s.Hkv + kvh) * s.Dqk * ld + lo, ld,
                     p.data(), nk);
      softmaxRows(s, i0, bq, lo, nk, T(scale), p.data());
      gemmAccumulate(bq, s.Dv, nk, p.data(), nk, v + s.vAt(b, lo, kvh),
                     s.Hkv * s.Dv, o, s.Hq * s.Dv);
    }
  }
}

template <typename T>
void attentionBackward(const Shape &s, const T *q, const T *k, const T *v,
                       const T *dout, T *dq, T *dk, T *dv, double scale) {
  if (s.B <= 0 || s.Hq <= 0 || s.Hkv <= 0)
    return;
  const int64_t blocks = ceilDiv(s.Tq, kBlockQ);
  const int64_t heads = s.B * s.Hkv;
  const int64_t threads = omp_get_max_threads();
  const int64_t splits =
      heads >= threads
          ? 1
          : std::max<int64_t>(1, std::min(blocks, ceilDiv(threads, heads)));
  const int64_t tasks = heads * splits;
  // With several tasks per kv head, each sums its share of dK and dV here.
  std::vector<T> partK, partV;
  if (splits > 1) {
    partK.assign(tasks * s.Tk * s.Dqk, T(0));
    partV.assign(tasks * s.Tk * s.Dv, T(0));
  }
  const T tscale = T(scale);

#pragma omp parallel
  {
    std::vector<T> kt, vt, p, ds, transposed;
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < tasks; ++task) {
      const int64_t split = task % splits;
      const int64_t kvh = (task / splits) % s.Hkv;
      const int64_t b = task / (splits * s.Hkv);

      T *dkRows, *dvRows;
      int64_t ldk, ldv;
      if (splits == 1) {
        dkRows = dk + s.kAt(b, 0, kvh);
        dvRows = dv + s.vAt(b, 0, kvh);
        ldk = s.Hkv * s.Dqk;
        ldv = s.Hkv * s.Dv;
        zeroRows(dkRows, s.Tk, s.Dqk, ldk);
        zeroRows(dvRows, s.Tk, s.Dv, ldv);
      } else {
        dkRows = partK.data() + task * s.Tk * s.Dqk;
        dvRows = partV.data() + task * s.Tk * s.Dv;
        ldk = s.Dqk;
        ldv = s.Dv;
      }

      // The whole head's keys and values, transposed once for all its
      // query heads and blocks.
      const int64_t ld = transposedStride(s.Tk);
      kt.resize(s.Dqk * ld);
      vt.resize(s.Dv * ld);
      transposeBlock(s.Tk, s.Dqk, k + s.kAt(b, 0, kvh), s.Hkv * s.Dqk,
                     kt.data(), ld);
      transposeBlock(s.Tk, s.Dv, v + s.vAt(b, 0, kvh), s.Hkv * s.Dv, vt.data(),
                     ld);

      for (int64_t h = kvh * s.group(); h < (kvh + 1) * s.group(); ++h) {
        for (int64_t block = split; block < blocks; block += splits) {
          const int64_t i0 = block * kBlockQ;
          const int64_t bq = std::min(kBlockQ, s.Tq - i0);
          const int64_t lo = s.firstKey(i0);
          const int64_t hi = s.endKey(i0 + bq - 1);
          const T *qRows = q + s.qAt(b, i0, h);
          const T *doRows = dout + s.oAt(b, i0, h);
          T *dqRows = dq + s.qAt(b, i0, h);
          zeroRows(dqRows, bq, s.Dqk, s.Hq * s.Dqk);
          if (hi <= lo)
            continue;
          const int64_t nk = hi - lo;

          // P, recomputed as in the forward pass.
          p.assign(bq * nk, T(0));
          gemmAccumulate(bq, nk, s.Dqk, qRows, s.Hq * s.Dqk, kt.data() + lo, ld,
                         p.data(), nk);
          softmaxRows(s, i0, bq, lo, nk, tscale, p.data());

          // dP = dO·Vᵀ, then dS = scale·P ⊙ (dP − rowsum(P ⊙ dP)) in place;
          // rowsum(P ⊙ dP) equals rowsum(dO ⊙ O) without forming O.
          ds.assign(bq * nk, T(0));
          gemmAccumulate(bq, nk, s.Dv, doRows, s.Hq * s.Dv, vt.data() + lo, ld,
                         ds.data(), nk);
          for (int64_t r = 0; r < bq; ++r) {
            const T *pr = p.data() + r * nk;
            T *dr = ds.data() + r * nk;
            T delta = 0;
#pragma omp simd reduction(+ : delta)
            for (int64_t j = 0; j < nk; ++j)
              delta += pr[j] * dr[j];
#pragma omp simd
            for (int64_t j = 0; j < nk; ++j)
              dr[j] = tscale * pr[j] * (dr[j] - delta);
          }

          // dQ = dS·K.
          gemmAccumulate(bq, s.Dqk, nk, ds.data(), nk, k + s.kAt(b, lo, kvh),
                         s.Hkv * s.Dqk, dqRows, s.Hq * s.Dqk);
          // dV += Pᵀ·dO and dK += dSᵀ·Q, through transposed copies.
          transposed.resize(nk * bq);
          transposeBlock(bq, nk, p.data(), nk, transposed.data(), bq);
          gemmAccumulate(nk, s.Dv, bq, transposed.data(), bq, doRows,
                         s.Hq * s.Dv, dvRows + lo * ldv, ldv);
          transposeBlock(bq, nk, ds.data(), nk, transposed.data(), bq);
          gemmAccumulate(nk, s.Dqk, bq, transposed.data(), bq, qRows,
                         s.Hq * s.Dqk, dkRows + lo * ldk, ldk);
        }
      }
    }

    if (splits > 1) {
      // Sum the partial dK and dV rows, split by split.
#pragma omp for
      for (int64_t row = 0; row < s.B * s.Tk * s.Hkv; ++row) {
        const int64_t kvh = row % s.Hkv;
        const int64_t j = (row / s.Hkv) % s.Tk;
        const int64_t b = row / (s.Hkv * s.Tk);
        const int64_t first = (b * s.Hkv + kvh) * splits;
        T *dkRow = dk + s.kAt(b, j, kvh);
        T *dvRow = dv + s.vAt(b, j, kvh);
        std::fill(dkRow, dkRow + s.Dqk, T(0));
        std::fill(dvRow, dvRow + s.Dv, T(0));
        for (int64_t t = first; t < first + splits; ++t) {
          const T *pk = partK.data() + (t * s.Tk + j) * s.Dqk;
          const T *pv = partV.data() + (t * s.Tk + j) * s.Dv;
          for (int64_t c = 0; c < s.Dqk; ++c)
            dkRow[c] += pk[c];
          for (int64_t c = 0; c < s.Dv; ++c)
            dvRow[c] += pv[c];
        }
      }
    }
  }
}

Shape makeShape(int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
                int64_t Dqk, int64_t Dv, int32_t causal, int64_t window,
                int64_t keyLength) {
  return Shape{B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal != 0, window,
               std::clamp<int64_t>(keyLength, 0, Tk)};
}

} // namespace

extern "C" void ds_attention_f32(const float *q, const float *k, const float *v,
                                 float *out, int64_t B, int64_t Tq, int64_t Tk,
                                 int64_t Hq, int64_t Hkv, int64_t Dqk,
                                 int64_t Dv, double scale, int32_t causal,
                                 int64_t window, int64_t keyLength) {
  attentionForward(
      makeShape(B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength), q, k,
      v, out, scale);
}

extern "C" void ds_attention_f64(const double *q, const double *k,
                                 const double *v, double *out, int64_t B,
                                 int64_t Tq, int64_t Tk, int64_t Hq,
                                 int64_t Hkv, int64_t Dqk, int64_t Dv,
                                 double scale, int32_t causal, int64_t window,
                                 int64_t keyLength) {
  attentionForward(
      makeShape(B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength), q, k,
      v, out, scale);
}

extern "C" void ds_attention_grad_f32(const float *q, const float *k,
                                      const float *v, const float *dout,
                                      float *dq, float *dk, float *dv,
                                      int64_t B, int64_t Tq, int64_t Tk,
                                      int64_t Hq, int64_t Hkv, int64_t Dqk,
                                      int64_t Dv, double scale, int32_t causal,
                                      int64_t window, int64_t keyLength) {
  attentionBackward(
      makeShape(B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength), q, k,
      v, dout, dq, dk, dv, scale);
}

extern "C" void ds_attention_grad_f64(const double *q, const double *k,
                                      const double *v, const double *dout,
                                      double *dq, double *dk, double *dv,
                                      int64_t B, int64_t Tq, int64_t Tk,
                                      int64_t Hq, int64_t Hkv, int64_t Dqk,
                                      int64_t Dv, double scale, int32_t causal,
                                      int64_t window, int64_t keyLength) {
  attentionBackward(
      makeShape(B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength), q, k,
      v, dout, dq, dk, dv, scale);
}
