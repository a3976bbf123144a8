//===- MoeFfn.cpp - routed expert SwiGLU FFNs, grouped by expert ----------===//
//
// The hot MoE kernel. Per-token work would be N·K matrix-vector products
// that read every chosen expert's weights once per token. Instead:
//  1. dispatch: tokens are listed per expert and their rows gathered into
//     one [rows, D] block, experts one after another (the "permutation");
//  2. each expert is three GEMMs forward (eight, plus one recomputing its
//     output, backward) that read its weights once for all its tokens;
//  3. combine: each token sums its experts' output rows, weighted, in the
//     order of its choices (deterministic whatever the thread count).
// The gathered inputs and outputs take N·K·D elements each, as in every
// grouped-GEMM MoE implementation.
//
// Step 2 has two engines. Experts with many rows use OpenBLAS, one expert
// at a time, OpenBLAS threading each GEMM. Experts with few rows (DeepSeek's
// many small experts at CPU batch sizes) would spend more time in
// OpenBLAS's packing of their weights than in the products, so they run in
// parallel, one expert per OpenMP task, on the tile loops of Tile.h, which
// read the weights in place.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "kernels/cpu/Blas.h"
#include "kernels/cpu/Math.h"
#include "kernels/cpu/Tile.h"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace ds::kernels;

namespace {

/// Experts with at least this many rows go to OpenBLAS. Measured on Zen 3/4
/// class cores: at 16 rows × 128 × 448 OpenBLAS spends a third of its time
/// packing and the tile loops are as fast single-threaded; at 64 rows and up
/// OpenBLAS is 1.4× faster.
constexpr int64_t kBlasRows = 64;

/// Gathers and combines of fewer elements run on the calling thread:
/// starting a parallel region would cost more than the copies.
constexpr int64_t kParallelElements = 1 << 14;

/// Tokens grouped by expert. Expert e's rows are [offsets[e], offsets[e+1]),
/// each a token (increasing) with the routing weight it gives e. A token
/// that chose one expert twice gets one row with the weights summed: the
/// expert's output is the same, and within an expert every row is then a
/// distinct token.
template <typename T> struct Dispatch {
  std::vector<int64_t> offsets; // E + 1
  std::vector<int64_t> tokens;  // per row
  std::vector<T> weights;       // per row
  std::vector<int64_t> rowOf;   // per (n, k): its row, -1 for a bad index
  std::vector<char> owner;      // per (n, k): whether it created its row

  int64_t rows(int64_t e) const { return offsets[e + 1] - offsets[e]; }
  int64_t totalRows() const { return offsets.back(); }
};

/// A slot whose expert another rank holds (expert parallelism: the
/// sharding pass maps the experts of other ranks to -1): no row, no output,
/// a zero routing-weight gradient.
constexpr int64_t kExpertElsewhere = -1;

template <typename T>
Dispatch<T> dispatch(ds_status *status, int32_t site, const T *w,
                     const int64_t *idx, int64_t N, int64_t K, int64_t E) {
  Dispatch<T> d;
  d.offsets.assign(E + 1, 0);
  d.rowOf.assign(N * K, -1);
  d.owner.assign(N * K, 0);
  // The earlier choice of the same expert by the same token, or -1.
  auto earlier = [&](int64_t n, int64_t k) {
    for (int64_t j = 0; j < k; ++j)
      if (idx[n * K + j] == idx[n * K + k])
        return j;
    return int64_t(-1);
  };
  auto valid = [&](int64_t e) { return e >= 0 && e < E; };

  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = idx[n * K + k];
      if (e == kExpertElsewhere)
        continue;
      if (!valid(e)) {
        ds_status_fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, site, e, E);
        continue;
      }
      if (earlier(n, k) < 0)
        ++d.offsets[e + 1];
    }
  for (int64_t e = 0; e < E; ++e)
    d.offsets[e + 1] += d.offsets[e];

  d.tokens.resize(d.totalRows());
  d.weights.resize(d.totalRows());
  std::vector<int64_t> next(d.offsets.begin(), d.offsets.end() - 1);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = idx[n * K + k];
      if (!valid(e))
        continue;
      const int64_t j = earlier(n, k);
      if (j >= 0) {
        const int64_t row = d.rowOf[n * K + j];
        d.weights[row] += w[n * K + k];
        d.rowOf[n * K + k] = row;
        continue;
      }
      const int64_t row = next[e]++;
      d.tokens[row] = n;
      d.weights[row] = w[n * K + k];
      d.rowOf[n * K + k] = row;
      d.owner[n * K + k] = 1;
    }
  return d;
}

/// rows[r] = src[tokens[r]] for every dispatched row ([N, D] to [rows, D]).
template <typename T>
void gatherRows(const Dispatch<T> &d, const T *src, int64_t D, T *rows) {
  const bool parallel = d.totalRows() * D >= kParallelElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < d.totalRows(); ++r)
    std::memcpy(rows + r * D, src + d.tokens[r] * D, sizeof(T) * D);
}

/// dst[n] = Σ over token n's rows (in choice order) of rows[r], times the
/// row's routing weight when `weighted`. Tokens without a row get zeros.
template <typename T>
void combineRows(const Dispatch<T> &d, const T *rows, int64_t N, int64_t K,
                 int64_t D, bool weighted, T *dst) {
  const bool parallel = N * D >= kParallelElements;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t n = 0; n < N; ++n) {
    T *o = dst + n * D;
    std::fill(o, o + D, T(0));
    for (int64_t k = 0; k < K; ++k) {
      if (!d.owner[n * K + k])
        continue;
      const int64_t r = d.rowOf[n * K + k];
      const T scale = weighted ? d.weights[r] : T(1);
      const T *y = rows + r * D;
      for (int64_t c = 0; c < D; ++c)
        o[c] += scale * y[c];
    }
  }
}

/// C = op(A)·op(B), or C += op(A)·op(B) when `accumulate`, for one expert:
/// through OpenBLAS (on the calling thread, outside OpenMP regions) or
/// through the tile loops (anywhere; `scratch` holds a transposed A).
template <typename T> struct Engine {
  bool blas;
  std::vector<T> scratch;

  void product(bool transA, bool transB, int64_t M, int64_t N, int64_t K,
               const T *A, int64_t lda, const T *B, int64_t ldb,
               bool accumulate, T *C, int64_t ldc) {
    if (blas) {
      gemm(transA, transB, M, N, K, T(1), A, lda, B, ldb,
           accumulate ? T(1) : T(0), C, ldc);
      return;
    }
    if (!accumulate)
      for (int64_t r = 0; r < M; ++r)
        std::fill(C + r * ldc, C + r * ldc + N, T(0));
    if (transA) { // A is stored [K, M]: copy it to [M, K]
      scratch.resize(M * K);
      transposeBlock(K, M, A, lda, scratch.data(), K);
      A = scratch.data();
      lda = K;
    }
    if (transB)
      gemmNTAccumulate(M, N, K, A, lda, B, ldb, C, ldc);
    else
      gemmAccumulate(M, N, K, A, lda, B, ldb, C, ldc);
  }
};

/// One expert's sizes and weights.
template <typename T> struct Expert {
  int64_t rows, D, I;
  const T *gate, *up, *down; // [I, D], [I, D], [D, I]
};

/// Per-engine buffers of one expert's [rows, I] activations.
template <typename T> struct Activations {
  std::vector<T> G, U, dH;
  void resize(int64_t n) {
    G.resize(n);
    U.resize(n);
    dH.resize(n);
  }
};

/// G = X·gateᵀ and U = X·upᵀ, then H = silu(G) ⊙ U into `H`.
template <typename T>
void swiglu(Engine<T> &engine, const Expert<T> &x, const T *xs, T *G, T *U,
            T *H) {
  const int64_t rows = x.rows, D = x.D, I = x.I;
  engine.product(false, true, rows, I, D, xs, D, x.gate, D, false, G, I);
  engine.product(false, true, rows, I, D, xs, D, x.up, D, false, U, I);
  for (int64_t i = 0; i < rows * I; ++i)
    H[i] = siluOf(G[i]) * U[i];
}

/// ys = down·(silu(gate·x) ⊙ (up·x)) for the expert's rows xs.
template <typename T>
void expertForward(Engine<T> &engine, Activations<T> &a, const Expert<T> &x,
                   const T *xs, T *ys) {
  a.resize(x.rows * x.I);
  swiglu(engine, x, xs, a.G.data(), a.U.data(), a.G.data());
  engine.product(false, true, x.rows, x.D, x.I, a.G.data(), x.I, x.down, x.I,
                 false, ys, x.D);
}

/// The expert's weight gradients and its rows' dx (into dxs) and <dy, y>
/// (into dots), for rows xs with output gradients dys and routing weights.
/// `ys` is [rows, D] scratch.
template <typename T>
void expertBackward(Engine<T> &engine, Activations<T> &a, const Expert<T> &x,
                    const T *xs, const T *dys, const T *weights, T *ys, T *dots,
                    T *dxs, T *dgate, T *dup, T *ddown) {
  const int64_t rows = x.rows, D = x.D, I = x.I;
  a.resize(rows * I);
  T *G = a.G.data(), *U = a.U.data(), *H = a.dH.data();
  // Forward again: H (held in dH's buffer for now) and Y.
  swiglu(engine, x, xs, G, U, H);
  engine.product(false, true, rows, D, I, H, I, x.down, I, false, ys, D);
  // dw = <dy, y>; then C = w·dy replaces Y.
  for (int64_t r = 0; r < rows; ++r) {
    T *y = ys + r * D;
    const T *g = dys + r * D;
    T dot = 0;
    for (int64_t c = 0; c < D; ++c)
      dot += g[c] * y[c];
    dots[r] = dot;
    for (int64_t c = 0; c < D; ++c)
      y[c] = weights[r] * g[c];
  }
  const T *C = ys;
  // ddown = Cᵀ·H; then dH = C·down replaces H.
  engine.product(true, false, D, I, rows, C, D, H, I, false, ddown, I);
  T *dH = a.dH.data();
  engine.product(false, false, rows, I, D, C, D, x.down, I, false, dH, I);
  // Through SwiGLU, in place: G becomes dG, U becomes dU.
  for (int64_t i = 0; i < rows * I; ++i) {
    const T g = G[i], u = U[i];
    G[i] = dH[i] * u * siluGradOf(g);
    U[i] = dH[i] * siluOf(g);
  }
  // dgate = dGᵀ·X, dup = dUᵀ·X, dX = dG·gate + dU·up.
  engine.product(true, false, I, D, rows, G, I, xs, D, false, dgate, D);
  engine.product(true, false, I, D, rows, U, I, xs, D, false, dup, D);
  engine.product(false, false, rows, D, I, G, I, x.gate, D, false, dxs, D);
  engine.product(false, false, rows, D, I, U, I, x.up, D, true, dxs, D);
}

/// Runs `work(engine, activations, e)` for every expert with rows: large
/// ones one at a time through OpenBLAS, then the small ones in parallel
/// through the tile loops.
template <typename T, typename Work>
void forEachExpert(const Dispatch<T> &d, int64_t E, Work &&work) {
  Engine<T> blas{true, {}};
  Activations<T> activations;
  bool small = false;
  for (int64_t e = 0; e < E; ++e) {
    if (d.rows(e) >= kBlasRows)
      work(blas, activations, e);
    else if (d.rows(e) > 0)
      small = true;
  }
  if (!small)
    return;
#pragma omp parallel
  {
    Engine<T> tiles{false, {}};
    Activations<T> local;
#pragma omp for schedule(dynamic)
    for (int64_t e = 0; e < E; ++e)
      if (d.rows(e) > 0 && d.rows(e) < kBlasRows)
        work(tiles, local, e);
  }
}

template <typename T>
void moeFfn(ds_status *status, int32_t site, const T *x, const T *w,
            const int64_t *idx, const T *gate, const T *up, const T *down,
            T *out, int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  if (N <= 0 || D <= 0)
    return;
  if (K <= 0 || E <= 0) {
    std::fill(out, out + N * D, T(0));
    return;
  }
  const Dispatch<T> d = dispatch(status, site, w, idx, N, K, E);
  std::vector<T> xs(d.totalRows() * D), ys(d.totalRows() * D, T(0));
  gatherRows(d, x, D, xs.data());
  if (I > 0) // otherwise every expert outputs zeros
    forEachExpert(d, E, [&](Engine<T> &engine, Activations<T> &a, int64_t e) {
      const Expert<T> ex{
          d.rows(e), D, I, gate + e * I * D, up + e * I * D, down + e * D * I};
      expertForward(engine, a, ex, xs.data() + d.offsets[e] * D,
                    ys.data() + d.offsets[e] * D);
    });
  combineRows(d, ys.data(), N, K, D, true, out);
}

template <typename T>
void moeFfnGrad(ds_status *status, int32_t site, const T *x, const T *w,
                const int64_t *idx, const T *gate, const T *up, const T *down,
                const T *dy, T *dx, T *dw, T *dgate, T *dup, T *ddown,
                int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  // Experts no token reaches keep these zeros.
  std::fill(dgate, dgate + E * I * D, T(0));
  std::fill(dup, dup + E * I * D, T(0));
  std::fill(ddown, ddown + E * D * I, T(0));
  std::fill(dw, dw + N * K, T(0));
  std::fill(dx, dx + N * D, T(0));
  if (N <= 0 || D <= 0 || K <= 0 || E <= 0 || I <= 0) {
    if (N > 0 && K > 0 && E > 0) // still report bad indices
      dispatch(status, site, w, idx, N, K, E);
    return;
  }
  const Dispatch<T> d = dispatch(status, site, w, idx, N, K, E);
  const int64_t R = d.totalRows();
  std::vector<T> xs(R * D), dys(R * D), ys(R * D), dxs(R * D), dots(R);
  gatherRows(d, x, D, xs.data());
  gatherRows(d, dy, D, dys.data());
  forEachExpert(d, E, [&](Engine<T> &engine, Activations<T> &a, int64_t e) {
    const Expert<T> ex{d.rows(e),       D, I, gate + e * I * D, up + e * I * D,
                       down + e * D * I};
    const int64_t first = d.offsets[e];
    expertBackward(engine, a, ex, xs.data() + first * D, dys.data() + first * D,
                   d.weights.data() + first, ys.data() + first * D,
                   dots.data() + first, dxs.data() + first * D,
                   dgate + e * I * D, dup + e * I * D, ddown + e * D * I);
  });
  combineRows(d, dxs.data(), N, K, D, false, dx);
  for (int64_t i = 0; i < N * K; ++i)
    if (d.rowOf[i] >= 0)
      dw[i] = dots[d.rowOf[i]];
}

} // namespace

extern "C" void ds_moe_ffn_f32(ds_status *status, int32_t site, const float *x,
                               const float *w, const int64_t *idx,
                               const float *gate, const float *up,
                               const float *down, float *out, int64_t N,
                               int64_t D, int64_t K, int64_t E, int64_t I) {
  moeFfn(status, site, x, w, idx, gate, up, down, out, N, D, K, E, I);
}

extern "C" void ds_moe_ffn_f64(ds_status *status, int32_t site, const double *x,
                               const double *w, const int64_t *idx,
                               const double *gate, const double *up,
                               const double *down, double *out, int64_t N,
                               int64_t D, int64_t K, int64_t E, int64_t I) {
  moeFfn(status, site, x, w, idx, gate, up, down, out, N, D, K, E, I);
}

extern "C" void ds_moe_ffn_grad_f32(
    ds_status *status, int32_t site, const float *x, const float *w,
    const int64_t *idx, const float *gate, const float *up, const float *down,
    const float *dy, float *dx, float *dw, float *dgate, float *dup,
    float *ddown, int64_t N, int64_t D, int64_t K, int64_t E, int64_t I) {
  moeFfnGrad(status, site, x, w, idx, gate, up, down, dy, dx, dw, dgate, dup,
             ddown, N, D, K, E, I);
}

extern "C" void ds_moe_ffn_grad_f64(ds_status *status, int32_t site,
                                    const double *x, const double *w,
                                    const int64_t *idx, const double *gate,
                                    const double *up, const double *down,
                                    const double *dy, double *dx, double *dw,
                                    double *dgate, double *dup, double *ddown,
                                    int64_t N, int64_t D, int64_t K, int64_t E,
                                    int64_t I) {
  moeFfnGrad(status, site, x, w, idx, gate, up, down, dy, dx, dw, dgate, dup,
             ddown, N, D, K, E, I);
}
