//===- Attention.cu - FlashAttention-style attention and its gradient -----===//
//
// The contracts are those of ds_attention_* (kernels/cpu/Kernels.h). Plain
// FMA units, no tensor cores (yet); nothing of size T x T is ever stored.
//
// Tiles. Every kernel runs one block of 256 threads per (batch, kv head,
// tile of 64 rows), the rows queries or keys, and streams the other side
// through shared memory 64 at a time. Query rows are packed across a kv
// head's group: row r of (b, kvh) is query r / group of head
// kvh·group + r % group, so the group's heads share every K/V tile and a
// decode step (Tq = 1) still fills a tile. Rows are sorted by query, so a
// tile's queries see one contiguous range of keys.
//
// Thread (ty, tx) = (tid / 16, tid % 16) owns tile rows 4·ty .. 4·ty + 3:
// of a 64 x 64 score tile the columns tx + 16·j (j < 4), of an output 4
// adjacent columns per 64-column part, in registers. A warp owns 8 whole
// rows, so row reductions are half-warp shuffles, and a warp whose rows see
// none of a tile's keys (causal, window, the padding rows of the last tile)
// skips the arithmetic, still loading and synchronizing with the block.
//
// Scores A·Bᵀ are summed over D in chunks of 32: an operand stays resident
// in shared memory (all of D, loaded once) when the budget allows, else it
// is streamed chunk by chunk. Outputs are accumulated in passes of up to
// Parts·64 columns (a template parameter, so that the accumulators live in
// registers); a wider D takes several passes that recompute the scores.
// Shared rows are padded by 16 bytes, so that 16-byte loads down a column
// hit distinct banks.
//
// Forward: online softmax (running max and sum in the accumulation type,
// base 2 with log2(e) folded into the scale), no atomics.
// Backward, deterministic and without atomics:
//  1. the forward kernel in Stats mode stores each query row's max m, 1/l
//     and delta = rowsum(P ⊙ dP) (scratch from cudaMallocAsync);
//  2. per query tile: P = exp2(s·scale·log2e − m) / l, dS = P ⊙ (dP − delta),
//     dQ = scale·dS·K;
//  3. per key tile, over the packed query rows that see it (every head of
//     the group): dV = Pᵀ·dO, then dK = scale·dSᵀ·Q in separate passes (one
//     accumulator at a time keeps two blocks per SM; the dK passes recompute
//     Pᵀ).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Context.h"
#include "kernels/cuda/CudaKernels.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

namespace ds::kernels::cuda {
namespace {

constexpr int kThreads = 256; // 16 x 16
constexpr int kTile = 64;     // rows of a block, and of a streamed tile
constexpr int kRows = 4;      // tile rows per thread
constexpr int kCols = 4;      // score-tile columns per thread
constexpr int kChunk = 32;    // depth of one step of a score tile
/// Shared memory a block may take so that two fit on an SM (H100: 228 KiB);
/// beyond it operands are streamed instead of resident.
constexpr size_t kSharedBudget = 112 * 1024;
constexpr double kLog2e = 1.4426950408889634;

/// Output columns one pass keeps in registers, in 64-column parts.
constexpr int maxParts(int bytes) { return bytes == 4 ? 4 : 2; }
/// Blocks per SM the kernels are compiled for: float with up to 128 columns
/// per pass fits two in 128 registers (ptxas -v: no spills on sm_90, a few
/// bytes on sm_80); wider passes and double need more and get one.
constexpr int minBlocks(int bytes, int parts) {
  return bytes == 4 && parts <= 2 ? 2 : 1;
}

/// The sizes of a call; the host checks that they fit in int.
struct Shape {
  int Tq, Tk, Hq, Hkv, group, Dqk, Dv;
  int length; // keyLength clamped to [0, Tk]: keys [0, length) hold data
  int rows;   // Tq · group packed query rows per (batch, kv head)
  int causal;
  int window; // 0: none

  /// Query i sits at position(i) and sees keys [firstKey(i), endKey(i));
  /// both bounds only grow with i.
  __host__ __device__ int position(int i) const { return i + length - Tq; }
  __host__ __device__ int firstKey(int i) const {
    const int key = window > 0 ? position(i) - window + 1 : 0;
    return key < 0 ? 0 : key > length ? length : key;
  }
  __host__ __device__ int endKey(int i) const {
    const int key = causal ? position(i) + 1 : length;
    return key < 0 ? 0 : key > length ? length : key;
  }
  /// Whether the query at position `pos` sees `key`.
  __device__ bool sees(int pos, int key) const {
    return key < length && (!causal || key <= pos) &&
           (window <= 0 || pos - key < window);
  }
  /// The [B, Tq, Hq] index of packed query row r of (b, kvh).
  __device__ int64_t queryIndex(int b, int kvh, int r) const {
    const int i = r / group;
    return (int64_t(b) * Tq + i) * Hq + int64_t(kvh) * group + (r - i * group);
  }
  /// The [B, Tk, Hkv] index of key j of (b, kvh).
  __device__ int64_t keyIndex(int b, int kvh, int j) const {
    return (int64_t(b) * Tk + j) * Hkv + kvh;
  }
};

/// The arguments of every kernel.
template <typename T, typename Acc> struct Args {
  Shape s;
  int tiles; // tiles per (batch, kv head): of query rows, or of keys
  const T *q, *k, *v, *dout;
  T *out, *dq, *dk, *dv;
  Acc *stats; // backward: m, 1/l and delta of every query row, statsN apart
  int64_t statsN;
  Acc scale, scale2; // scale, and scale · log2(e)
  bool residentA, residentB;
};

/// Where shared memory goes, in elements of T: row operands a and b (64 rows
/// of all of D when resident, of one chunk when streamed), a buffer for
/// streamed chunks and 64-column slices, and the 64 x 64 tile z of
/// probabilities or dS. The host sizes it and the device carves it up with
/// the same function.
struct Layout {
  int lda, ldb, b, buffer, z, total;
};
template <typename T>
__host__ __device__ Layout makeLayout(int dA, bool residentA, int dB,
                                      bool residentB, bool hasB) {
  constexpr int skew = 16 / sizeof(T); // one 16-byte vector
  auto ld = [](int d, bool resident) {
    return (resident ? (d + kChunk - 1) / kChunk * kChunk : kChunk) + skew;
  };
  Layout l;
  l.lda = ld(dA, residentA);
  l.ldb = ld(dB, residentB);
  l.b = kTile * l.lda;
  l.buffer = l.b + (hasB ? kTile * l.ldb : 0);
  l.z = l.buffer + kTile * kTile; // holds a 64 x 64 slice or one chunk
  l.total = l.z + kTile * (kTile + skew);
  return l;
}
template <typename T> __host__ __device__ constexpr int chunkLd() {
  return kChunk + 16 / sizeof(T);
}
template <typename T> __host__ __device__ constexpr int zLd() {
  return kTile + 16 / sizeof(T);
}

__device__ inline float exp2Of(float x) { return exp2f(x); }
__device__ inline double exp2Of(double x) { return exp2(x); }
/// score · scale2, rounded on its own (never fused into a following
/// subtraction), so that every kernel gets the same bits.
__device__ inline float scaled(float x, float y) { return __fmul_rn(x, y); }
__device__ inline double scaled(double x, double y) { return __dmul_rn(x, y); }

/// P of one score: exp2(score·scale·log2e − m) / l if the query sees the
/// key, else 0.
template <typename Acc>
__device__ Acc probability(bool seen, Acc score, Acc scale2, Acc m,
                           Acc inverse) {
  return seen ? exp2Of(scaled(score, scale2) - m) * inverse : Acc(0);
}

/// 16 bytes of T, for vector loads and stores.
template <typename T> struct Vector;
template <> struct Vector<float> { using Type = float4; };
template <> struct Vector<double> { using Type = double2; };

/// Four consecutive elements of 16-byte aligned shared memory.
__device__ inline void load4(float (&d)[4], const float *p) {
  const float4 x = *reinterpret_cast<const float4 *>(p);
  d[0] = x.x, d[1] = x.y, d[2] = x.z, d[3] = x.w;
}
__device__ inline void load4(double (&d)[4], const double *p) {
  const double2 x = reinterpret_cast<const double2 *>(p)[0];
  const double2 y = reinterpret_cast<const double2 *>(p)[1];
  d[0] = x.x, d[1] = x.y, d[2] = y.x, d[3] = y.y;
}

/// Max (Max) or sum over the 16 lanes that own a row (xor 8..1 stays inside
/// the half-warp). Every lane of the warp must call it.
template <bool Max, typename A> __device__ A halfWarp(A x) {
#pragma unroll
  for (int lane = 8; lane > 0; lane /= 2) {
    const A y = __shfl_xor_sync(0xffffffffu, x, lane);
    x = Max ? (y > x ? y : x) : x + y;
  }
  return x;
}

/// f(i, j) for each of the thread's score entries (row 4·ty + i, column
/// tx + 16·j); unrolled, so register arrays are indexed by constants.
template <typename F> __device__ void eachScore(F f) {
#pragma unroll
  for (int i = 0; i < kRows; ++i)
#pragma unroll
    for (int j = 0; j < kCols; ++j)
      f(i, j);
}
/// f(c, column) for the thread's accumulators acc[i][c] of a pass from
/// column c0 (4 adjacent columns per 64-column part).
template <int Parts, typename F> __device__ void eachColumn(int c0, F f) {
#pragma unroll
  for (int c = 0; c < 4 * Parts; ++c)
    f(c, c0 + c / 4 * kTile + threadIdx.x % 16 * 4 + c % 4);
}

/// Copies 64 rows x Width columns to dst (row stride ld): tile row r is row
/// first + r of a tensor whose row R starts at src + rowAt(R), from column
/// col0. Rows at or past `limit` and columns at or past D read as zero, so
/// that tails compute on zeros (which masking then discards) instead of
/// branching. A warp reads consecutive columns of a row: coalesced, in
/// 16-byte vectors where D and src allow.
template <int Width, typename T, typename RowAt>
__device__ void loadTile(T *dst, int ld, const T *src, RowAt rowAt, int first,
                         int limit, int col0, int D) {
  constexpr int V = 16 / sizeof(T);
  if (D % V == 0 && reinterpret_cast<uintptr_t>(src) % 16 == 0) {
    using Vec = typename Vector<T>::Type;
#pragma unroll
    for (int n = 0; n < kTile * Width / V / kThreads; ++n) {
      const int e = threadIdx.x + n * kThreads;
      const int r = e / (Width / V), c = e % (Width / V) * V;
      Vec x = {};
      if (first + r < limit && col0 + c < D)
        x = *reinterpret_cast<const Vec *>(src + rowAt(first + r) + col0 + c);
      *reinterpret_cast<Vec *>(dst + r * ld + c) = x;
    }
    return;
  }
#pragma unroll 4
  for (int n = 0; n < kTile * Width / kThreads; ++n) {
    const int e = threadIdx.x + n * kThreads;
    const int r = e / Width, c = e % Width;
    dst[r * ld + c] = first + r < limit && col0 + c < D
                          ? src[rowAt(first + r) + col0 + c]
                          : T(0);
  }
}

/// A row operand of a score tile: resident (all of D, stride ld) or a chunk
/// buffer that the tile's loader refills.
template <typename T> struct Operand {
  T *tile;
  int ld;
  bool resident;
};

/// s[i][j] += Σ_d A[4·ty + i][d] · B[tx + 16·j][d] over d < D: the scores of
/// a's 64 rows against b's. Streamed operands are refilled chunk by chunk
/// by load(tile, d0). Every thread must call it (it synchronizes); `active`
/// says whether the warp wants the result.
template <typename T, typename Acc, typename LoadA, typename LoadB>
__device__ void dotTile(Acc (&s)[kRows][kCols], Operand<T> a, LoadA loadA,
                        Operand<T> b, LoadB loadB, int D, bool active) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int d0 = 0; d0 < D; d0 += kChunk) {
    if (!a.resident)
      loadA(a.tile, d0);
    if (!b.resident)
      loadB(b.tile, d0);
    __syncthreads();
    if (active) {
      const T *ap = a.tile + (a.resident ? d0 : 0) + ty * kRows * a.ld;
      const T *bp = b.tile + (b.resident ? d0 : 0) + tx * b.ld;
#pragma unroll 1
      for (int d = 0; d < kChunk; d += 4) {
        T x[kRows][4];
#pragma unroll
        for (int i = 0; i < kRows; ++i)
          load4(x[i], ap + i * a.ld + d);
#pragma unroll
        for (int j = 0; j < kCols; ++j) {
          T y[4];
          load4(y, bp + j * 16 * b.ld + d);
#pragma unroll
          for (int e = 0; e < 4; ++e)
#pragma unroll
            for (int i = 0; i < kRows; ++i)
              s[i][j] += Acc(x[i][e]) * Acc(y[e]);
        }
      }
    }
    __syncthreads();
  }
}

/// acc[i][c] += Σ_o z[4·ty + i][o] · Y[o][column(c)]: the 64 x 64 tile z
/// (probabilities or dS) times the 64 rows of Y its columns stand for,
/// loaded 64 columns at a time into `buffer` by load(buffer, column).
/// Parts at or past D are skipped. Every thread must call it.
template <int Parts, typename T, typename Acc, typename Load>
__device__ void accumulateTile(Acc (&acc)[kRows][4 * Parts], const T *z,
                               T *buffer, Load load, int c0, int D,
                               bool active) {
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
#pragma unroll
  for (int part = 0; part < Parts; ++part) {
    if (c0 + part * kTile >= D)
      break;
    load(buffer, c0 + part * kTile);
    __syncthreads();
    if (active) {
      const T *zp = z + ty * kRows * zLd<T>();
      const T *yp = buffer + tx * 4;
#pragma unroll 1
      for (int o = 0; o < kTile; o += 4) {
        T x[kRows][4];
#pragma unroll
        for (int i = 0; i < kRows; ++i)
          load4(x[i], zp + i * zLd<T>() + o);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          T y[4];
          load4(y, yp + (o + e) * kTile);
#pragma unroll
          for (int i = 0; i < kRows; ++i)
#pragma unroll
            for (int c = 0; c < 4; ++c)
              acc[i][part * 4 + c] += Acc(x[i][e]) * Acc(y[c]);
        }
      }
    }
    __syncthreads();
  }
}

/// A tile of packed query rows: which exist, which keys they see, and the
/// calling thread's share.
struct QueryRows {
  int first, end;     // rows [first, end) exist
  int keyLo, keyHi;   // keys any of them sees
  bool warpHasRows;   // whether the calling warp owns existing rows
  int warpLo, warpHi; // keys the warp's rows see
  int pos[kRows];     // positions of the thread's rows (past `end`: unused)

  __device__ QueryRows(const Shape &s, int tile) {
    first = tile * kTile;
    end = min(first + kTile, s.rows);
    keyLo = s.firstKey(first / s.group);
    keyHi = s.endKey((end - 1) / s.group);
    const int w0 = first + threadIdx.x / 32 * 2 * kRows;
    warpHasRows = w0 < end;
    warpLo = warpHasRows ? s.firstKey(w0 / s.group) : 0;
    warpHi =
        warpHasRows ? s.endKey((min(w0 + 2 * kRows, end) - 1) / s.group) : 0;
#pragma unroll
    for (int i = 0; i < kRows; ++i)
      pos[i] = s.position((first + threadIdx.x / 16 * kRows + i) / s.group);
  }
  /// Whether the warp has work among keys [key0, key0 + 64).
  __device__ bool active(int key0) const {
    return warpLo < warpHi && key0 < warpHi && key0 + kTile > warpLo;
  }
};

/// Blocks run (b, kvh, tile) with the tile fastest; query tiles run last
/// first, since under a causal mask they see the most keys.
struct BlockIndex {
  int tile, kvh, b;
  __device__ BlockIndex(int tiles, int Hkv, bool reverse) {
    const int x = int(blockIdx.x % unsigned(tiles));
    tile = reverse ? tiles - 1 - x : x;
    const int bh = int(blockIdx.x / unsigned(tiles));
    kvh = bh % Hkv;
    b = bh / Hkv;
  }
};

enum class Mode { Forward, Stats, QueryGrad };

/// One tile of packed query rows against every key it sees. Forward: O =
/// softmax(scale·QKᵀ)·V. Stats (backward step 1): each row's m, 1/l and
/// delta = rowsum(P ⊙ dP), dP = dO·Vᵀ, instead of O: the same dP as in dS
/// (the same dot products, summed in the same order), so that a row's dS
/// cancels as it should (with one visible key, dS = 0 exactly), which
/// delta = dO·O with a recomputed O does not. QueryGrad: dQ = scale·dS·K.
template <typename T, typename Acc, int Parts, Mode mode>
__global__ void __launch_bounds__(kThreads, minBlocks(sizeof(T), Parts))
    queryKernel(Args<T, Acc> p) {
  constexpr bool grad = mode == Mode::QueryGrad, rowStats = mode == Mode::Stats;
  extern __shared__ __align__(16) unsigned char shared[];
  const Shape &s = p.s;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const BlockIndex block(p.tiles, s.Hkv, true);
  const int b = block.b, kvh = block.kvh;
  const Layout lay =
      makeLayout<T>(s.Dqk, p.residentA, s.Dv, p.residentB, grad || rowStats);
  T *qs = reinterpret_cast<T *>(shared);
  T *os = qs + lay.b, *buffer = qs + lay.buffer, *z = qs + lay.z;
  const QueryRows rows(s, block.tile);
  auto zAt = [&](int i, int j) -> T & {
    return z[(ty * kRows + i) * zLd<T>() + tx + 16 * j];
  };

  auto qAt = [&](int r) { return s.queryIndex(b, kvh, r) * s.Dqk; };
  auto oAt = [&](int r) { return s.queryIndex(b, kvh, r) * s.Dv; };
  auto kAt = [&](int j) { return s.keyIndex(b, kvh, j) * s.Dqk; };
  auto vAt = [&](int j) { return s.keyIndex(b, kvh, j) * s.Dv; };
  auto loadQ = [&](T *dst, int d0) {
    loadTile<kChunk>(dst, lay.lda, p.q, qAt, rows.first, rows.end, d0, s.Dqk);
  };
  auto loadO = [&](T *dst, int d0) {
    loadTile<kChunk>(dst, lay.ldb, p.dout, oAt, rows.first, rows.end, d0, s.Dv);
  };
  if (p.residentA)
    for (int d0 = 0; d0 < s.Dqk; d0 += kChunk)
      loadQ(qs + d0, d0);
  if ((grad || rowStats) && p.residentB)
    for (int d0 = 0; d0 < s.Dv; d0 += kChunk)
      loadO(os + d0, d0);

  // The output: O from P·V, or dQ from dS·K; Stats has none (one pass).
  const T *y = grad ? p.k : p.v;
  const int yD = grad ? s.Dqk : rowStats ? 1 : s.Dv;
  auto yAt = [&](int j) { return s.keyIndex(b, kvh, j) * yD; };

  // Forward and Stats: each row's running max, and this lane's share of
  // its sum (and of rowsum(P ⊙ dP), unnormalized); QueryGrad: the rows'
  // m, 1/l and delta.
  Acc m[kRows], l[kRows], delta[kRows];
  if constexpr (grad) {
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      const int r = rows.first + ty * kRows + i;
      const int64_t at = r < rows.end ? s.queryIndex(b, kvh, r) : -1;
      m[i] = at < 0 ? Acc(0) : p.stats[at];
      l[i] = at < 0 ? Acc(0) : p.stats[p.statsN + at];
      delta[i] = at < 0 ? Acc(0) : p.stats[2 * p.statsN + at];
    }
  }
  for (int c0 = 0; c0 < yD; c0 += Parts * kTile) {
    Acc acc[kRows][4 * Parts] = {};
    if constexpr (!grad) {
#pragma unroll
      for (int i = 0; i < kRows; ++i)
        m[i] = -INFINITY, l[i] = 0, delta[i] = 0;
    }
    for (int key0 = rows.keyLo; key0 < rows.keyHi; key0 += kTile) {
      const bool active = rows.active(key0);
      auto loadK = [&](T *dst, int d0) {
        loadTile<kChunk>(dst, chunkLd<T>(), p.k, kAt, key0, rows.keyHi, d0,
                         s.Dqk);
      };
      auto loadV = [&](T *dst, int d0) {
        loadTile<kChunk>(dst, chunkLd<T>(), p.v, vAt, key0, rows.keyHi, d0,
                         s.Dv);
      };
      Acc sc[kRows][kCols] = {}, dp[kRows][kCols] = {};
      dotTile(sc, Operand<T>{qs, lay.lda, p.residentA}, loadQ,
              Operand<T>{buffer, chunkLd<T>(), false}, loadK, s.Dqk, active);
      if constexpr (grad) {
        // z = P, then dS = P ⊙ (dP − delta) in place (each thread rewrites
        // its own entries): P waits in shared memory, not in registers,
        // while dP is computed.
        if (active)
          eachScore([&](int i, int j) {
            zAt(i, j) = T(probability(s.sees(rows.pos[i], key0 + tx + 16 * j),
                                      sc[i][j], p.scale2, m[i], l[i]));
          });
        dotTile(dp, Operand<T>{os, lay.ldb, p.residentB}, loadO,
                Operand<T>{buffer, chunkLd<T>(), false}, loadV, s.Dv, active);
        if (active)
          eachScore([&](int i, int j) {
            zAt(i, j) = T(Acc(zAt(i, j)) * (dp[i][j] - delta[i]));
          });
      } else {
        if constexpr (rowStats)
          dotTile(dp, Operand<T>{os, lay.ldb, p.residentB}, loadO,
                  Operand<T>{buffer, chunkLd<T>(), false}, loadV, s.Dv, active);
        if (active) {
#pragma unroll
          for (int i = 0; i < kRows; ++i) {
            Acc rowMax = -INFINITY;
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
              // (Stats rounds like the gradient kernels; the forward pass
              // may fuse.)
              const Acc x =
                  rowStats ? scaled(sc[i][j], p.scale2) : sc[i][j] * p.scale2;
              sc[i][j] =
                  s.sees(rows.pos[i], key0 + tx + 16 * j) ? x : Acc(-INFINITY);
              rowMax = sc[i][j] > rowMax ? sc[i][j] : rowMax;
            }
            rowMax = halfWarp<true>(rowMax);
            const Acc next = rowMax > m[i] ? rowMax : m[i];
            // While the row has seen no key its max is -inf: subtract 0, so
            // that every exp2 is exp2(-inf) = 0 rather than NaN.
            const Acc base = next == Acc(-INFINITY) ? Acc(0) : next;
            const Acc rescale = exp2Of(m[i] - base);
            m[i] = next;
            Acc sum = 0, dot = 0;
#pragma unroll
            for (int j = 0; j < kCols; ++j) {
              const Acc e = exp2Of(sc[i][j] - base);
              if constexpr (rowStats)
                dot += e * dp[i][j];
              else
                zAt(i, j) = T(e);
              sum += e;
            }
            l[i] = l[i] * rescale + sum;
            delta[i] = delta[i] * rescale + dot;
#pragma unroll
            for (int c = 0; c < 4 * Parts; ++c)
              acc[i][c] *= rescale;
          }
        }
      }
      if constexpr (!rowStats) {
        auto loadY = [&](T *dst, int column) {
          loadTile<kTile>(dst, kTile, y, yAt, key0, rows.keyHi, column, yD);
        };
        accumulateTile<Parts>(acc, z, buffer, loadY, c0, yD, active);
      }
    }

    if constexpr (grad) {
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const int r = rows.first + ty * kRows + i;
        eachColumn<Parts>(c0, [&](int c, int column) {
          if (r < rows.end && column < s.Dqk)
            p.dq[qAt(r) + column] = T(p.scale * acc[i][c]);
        });
      }
    } else if (rows.warpHasRows) { // whole warps: shuffles need every lane
#pragma unroll
      for (int i = 0; i < kRows; ++i) {
        const Acc sum = halfWarp<false>(l[i]);
        // A row that saw no key has sum 0 and gets zeros.
        const Acc inverse = sum > 0 ? Acc(1) / sum : Acc(0);
        const int r = rows.first + ty * kRows + i;
        if constexpr (rowStats) {
          const Acc dot = halfWarp<false>(delta[i]);
          if (tx == 0 && r < rows.end) {
            const int64_t at = s.queryIndex(b, kvh, r);
            p.stats[at] = sum > 0 ? m[i] : Acc(0);
            p.stats[p.statsN + at] = inverse;
            p.stats[2 * p.statsN + at] = dot * inverse;
          }
        } else {
          eachColumn<Parts>(c0, [&](int c, int column) {
            if (r < rows.end && column < s.Dv)
              p.out[oAt(r) + column] = T(acc[i][c] * inverse);
          });
        }
      }
    }
  }
}

/// dV = Pᵀ · dO and dK = scale · dSᵀ · Q of one tile of 64 keys, over all
/// packed query rows (every query head of the group) that see it.
template <typename T, typename Acc, int Parts>
__global__ void __launch_bounds__(kThreads, minBlocks(sizeof(T), Parts))
    keyKernel(Args<T, Acc> p) {
  extern __shared__ __align__(16) unsigned char shared[];
  const Shape &s = p.s;
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const BlockIndex block(p.tiles, s.Hkv, false);
  const int b = block.b, kvh = block.kvh;
  const Layout lay = makeLayout<T>(s.Dqk, p.residentA, s.Dv, p.residentB, true);
  T *ks = reinterpret_cast<T *>(shared);
  T *vs = ks + lay.b, *buffer = ks + lay.buffer, *z = ks + lay.z;
  auto zAt = [&](int i, int j) -> T & {
    return z[(ty * kRows + i) * zLd<T>() + tx + 16 * j];
  };

  // Keys [k0, kEnd) hold data; all of the tile's rows below Tk are written.
  const int k0 = block.tile * kTile, kEnd = min(k0 + kTile, s.length);
  // The packed query rows [rowFirst, rowEnd) that see a key of the tile:
  // position(i) >= k0 if causal, position(i) − (kEnd − 1) < window.
  int rowFirst = 0, rowEnd = 0;
  if (k0 < kEnd) {
    const int iFirst = s.causal ? max(0, k0 + s.Tq - s.length) : 0;
    const int iEnd = s.window > 0
                         ? int(min(int64_t(s.Tq), int64_t(kEnd) - 1 + s.window +
                                                      s.Tq - s.length))
                         : s.Tq;
    if (iFirst < iEnd)
      rowFirst = iFirst * s.group, rowEnd = iEnd * s.group;
  }
  const int warpKey = k0 + threadIdx.x / 32 * 2 * kRows;
  const int warpKeyEnd = min(warpKey + 2 * kRows, kEnd);

  auto qAt = [&](int r) { return s.queryIndex(b, kvh, r) * s.Dqk; };
  auto oAt = [&](int r) { return s.queryIndex(b, kvh, r) * s.Dv; };
  auto kAt = [&](int j) { return s.keyIndex(b, kvh, j) * s.Dqk; };
  auto vAt = [&](int j) { return s.keyIndex(b, kvh, j) * s.Dv; };
  auto loadK = [&](T *dst, int d0) {
    loadTile<kChunk>(dst, lay.lda, p.k, kAt, k0, kEnd, d0, s.Dqk);
  };
  auto loadV = [&](T *dst, int d0) {
    loadTile<kChunk>(dst, lay.ldb, p.v, vAt, k0, kEnd, d0, s.Dv);
  };
  if (p.residentA && rowFirst < rowEnd)
    for (int d0 = 0; d0 < s.Dqk; d0 += kChunk)
      loadK(ks + d0, d0);
  if (p.residentB && rowFirst < rowEnd)
    for (int d0 = 0; d0 < s.Dv; d0 += kChunk)
      loadV(vs + d0, d0);

  // Passes of Parts·64 columns: first of dV, then of dK.
  constexpr int kWidth = Parts * kTile;
  const int valuePasses = (s.Dv + kWidth - 1) / kWidth;
  const int passes = valuePasses + (s.Dqk + kWidth - 1) / kWidth;
  for (int pass = 0; pass < passes; ++pass) {
    const bool values = pass < valuePasses;
    const int c0 = (values ? pass : pass - valuePasses) * kWidth;
    // What the scores multiply: dO for dV, Q for dK.
    const T *y = values ? p.dout : p.q;
    const int yD = values ? s.Dv : s.Dqk;
    auto yAt = [&](int r) { return s.queryIndex(b, kvh, r) * yD; };
    Acc acc[kRows][4 * Parts] = {};
    for (int q0 = rowFirst; q0 < rowEnd; q0 += kTile) {
      const int qEnd = min(q0 + kTile, rowEnd);
      const bool active = warpKey < warpKeyEnd &&
                          warpKey < s.endKey((qEnd - 1) / s.group) &&
                          warpKeyEnd > s.firstKey(q0 / s.group);
      // Stat `which` (m, 1/l, delta) of score column j, packed row
      // q0 + tx + 16·j: read where it is used, not held in registers
      // through the dot products.
      auto stat = [&](int j, int which) {
        const int r = q0 + tx + 16 * j;
        return r < qEnd ? p.stats[which * p.statsN + s.queryIndex(b, kvh, r)]
                        : Acc(0);
      };
      auto loadQ = [&](T *dst, int d0) {
        loadTile<kChunk>(dst, chunkLd<T>(), p.q, qAt, q0, qEnd, d0, s.Dqk);
      };
      auto loadO = [&](T *dst, int d0) {
        loadTile<kChunk>(dst, chunkLd<T>(), p.dout, oAt, q0, qEnd, d0, s.Dv);
      };
      // z = Pᵀ (keys x queries); for dK then dSᵀ = Pᵀ ⊙ (dPᵀ − delta) in
      // place, as in queryKernel.
      Acc sc[kRows][kCols] = {};
      dotTile(sc, Operand<T>{ks, lay.lda, p.residentA}, loadK,
              Operand<T>{buffer, chunkLd<T>(), false}, loadQ, s.Dqk, active);
      if (active) {
#pragma unroll
        for (int j = 0; j < kCols; ++j) {
          const int pos = s.position((q0 + tx + 16 * j) / s.group);
          const Acc m = stat(j, 0), inverse = stat(j, 1);
#pragma unroll
          for (int i = 0; i < kRows; ++i)
            zAt(i, j) = T(probability(s.sees(pos, k0 + ty * kRows + i),
                                      sc[i][j], p.scale2, m, inverse));
        }
      }
      if (!values) {
        Acc dp[kRows][kCols] = {};
        dotTile(dp, Operand<T>{vs, lay.ldb, p.residentB}, loadV,
                Operand<T>{buffer, chunkLd<T>(), false}, loadO, s.Dv, active);
        if (active) {
#pragma unroll
          for (int j = 0; j < kCols; ++j) {
            const Acc delta = stat(j, 2);
#pragma unroll
            for (int i = 0; i < kRows; ++i)
              zAt(i, j) = T(Acc(zAt(i, j)) * (dp[i][j] - delta));
          }
        }
      }
      auto loadY = [&](T *dst, int column) {
        loadTile<kTile>(dst, kTile, y, yAt, q0, qEnd, column, yD);
      };
      accumulateTile<Parts>(acc, z, buffer, loadY, c0, yD, active);
    }

    T *out = values ? p.dv : p.dk;
    const Acc factor = values ? Acc(1) : p.scale;
#pragma unroll
    for (int i = 0; i < kRows; ++i) {
      const int key = k0 + ty * kRows + i;
      if (key >= s.Tk)
        continue;
      T *row = out + s.keyIndex(b, kvh, key) * yD;
      eachColumn<Parts>(c0, [&](int c, int column) {
        if (column < yD)
          row[column] = T(factor * acc[i][c]);
      });
    }
  }
}

//===-- Host side ---------------------------------------------------------===//

/// Checks the sizes (recording why they do not fit) and fills `s`.
bool makeShape(const char *name, int64_t B, int64_t Tq, int64_t Tk, int64_t Hq,
               int64_t Hkv, int64_t Dqk, int64_t Dv, int32_t causal,
               int64_t window, int64_t keyLength, Shape &s) {
  // Times, heads and D are ints on the device, and so are positions and
  // their differences.
  constexpr int64_t kLimit = int64_t(1) << 29;
  for (int64_t size : {B, Tq, Tk, Hq, Hkv, Dqk, Dv})
    if (size < 0 || size >= kLimit) {
      recordError(name, "a size is negative or 2^29 or more");
      return false;
    }
  if (Hkv == 0 ? Hq != 0 : Hq % Hkv != 0) {
    recordError(name, "Hq = " + std::to_string(Hq) +
                          " is not a multiple of Hkv = " + std::to_string(Hkv));
    return false;
  }
  const int64_t group = Hkv ? Hq / Hkv : 0;
  const int64_t tiles =
      std::max((Tq * group + kTile - 1) / kTile, (Tk + kTile - 1) / kTile);
  if (Tq * group >= kLimit || (tiles > 0 && B * Hkv > INT_MAX / tiles)) {
    recordError(name, "too many query rows or blocks");
    return false;
  }
  // A window longer than every distance is no window.
  const int length = int(std::clamp<int64_t>(keyLength, 0, Tk));
  const int span = int(std::clamp<int64_t>(window, 0, kLimit));
  s = Shape{int(Tq),         int(Tk),     int(Hq), int(Hkv),
            int(group),      int(Dqk),    int(Dv), length,
            int(Tq * group), causal != 0, span};
  return true;
}

template <typename T> void zero(const char *name, T *data, int64_t count) {
  const cudaError_t error =
      count > 0
          ? cudaMemsetAsync(data, 0, size_t(count) * sizeof(T), currentStream())
          : cudaSuccess;
  if (error != cudaSuccess) {
    cudaGetLastError();
    recordError(name,
                std::string("cudaMemsetAsync: ") + cudaGetErrorString(error));
  }
}

/// Decides which row operands stay resident (a first, then b) within the
/// shared-memory budget; returns the bytes a block takes, or 0 (error
/// recorded) when even streaming both does not fit the device.
template <typename T>
size_t chooseLayout(const char *name, int dA, int dB, bool hasB,
                    bool &residentA, bool &residentB) {
  int device = 0, optin = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin,
                             device) != cudaSuccess) {
    cudaGetLastError();
    recordError(name, "cannot query the device's shared memory");
    return 0;
  }
  auto bytes = [&](bool a, bool b) {
    return size_t(makeLayout<T>(dA, a, dB, b, hasB).total) * sizeof(T);
  };
  const size_t budget = std::min(size_t(optin), kSharedBudget);
  residentA = bytes(true, false) <= budget;
  residentB = hasB && bytes(residentA, true) <= budget;
  const size_t total = bytes(residentA, residentB);
  if (total > size_t(optin)) {
    recordError(name, "needs " + std::to_string(total) +
                          " bytes of shared memory per block; the device has " +
                          std::to_string(optin));
    return 0;
  }
  return total;
}

/// Launches kernel<P> for P = ceil(D / 64) clamped to [2, Max]
/// (the 64-column parts of a pass; a part past D costs registers but no
/// arithmetic) over `tiles` tiles per (batch, kv head), with the shared
/// memory chooseLayout picks (operands a, b of dA, dB).
template <typename T, typename Acc, int Max = maxParts(sizeof(T)), int P = 2,
          typename Kernel>
void launch(const char *name, Kernel kernel, Args<T, Acc> args, int64_t B,
            int tiles, int D, int dA, int dB, bool hasB) {
  if constexpr (P < Max) {
    if (D > P * kTile)
      return launch<T, Acc, Max, P + 1>(name, kernel, args, B, tiles, D, dA, dB,
                                        hasB);
  }
  const int64_t blocks = B * args.s.Hkv * tiles;
  if (blocks == 0)
    return;
  const size_t bytes =
      chooseLayout<T>(name, dA, dB, hasB, args.residentA, args.residentB);
  if (!bytes)
    return;
  void (*entry)(Args<T, Acc>) = kernel(std::integral_constant<int, P>{});
  if (bytes > 48 * 1024) // the default limit; beyond it, opt in
    cudaFuncSetAttribute(entry, cudaFuncAttributeMaxDynamicSharedMemorySize,
                         int(bytes));
  args.tiles = tiles;
  entry<<<unsigned(blocks), kThreads, bytes, currentStream()>>>(args);
  checkLaunch(name);
}

/// The query kernel of `mode`, as launch() takes it.
template <typename T, typename Acc, Mode mode> auto queryKernels() {
  return [](auto parts) {
    return queryKernel<T, Acc, decltype(parts)::value, mode>;
  };
}

/// The forward pass (out) or the backward pass (dq, dk, dv).
template <typename T, typename Acc>
void attention(const char *name, bool forward, const T *q, const T *k,
               const T *v, const T *dout, T *out, T *dq, T *dk, T *dv,
               int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv,
               int64_t Dqk, int64_t Dv, double scale, int32_t causal,
               int64_t window, int64_t keyLength) {
  Shape s;
  if (!makeShape(name, B, Tq, Tk, Hq, Hkv, Dqk, Dv, causal, window, keyLength,
                 s))
    return;
  Args<T, Acc> args{};
  args.s = s;
  args.q = q, args.k = k, args.v = v, args.dout = dout;
  args.out = out, args.dq = dq, args.dk = dk, args.dv = dv;
  args.scale = Acc(scale), args.scale2 = Acc(scale * kLog2e);
  const int queryTiles = (s.rows + kTile - 1) / kTile;

  if (forward) {
    if (B * Tq * Hq * Dv == 0)
      return;
    if (s.length == 0) // no query sees a key
      return zero(name, out, B * Tq * Hq * Dv);
    return launch(name, queryKernels<T, Acc, Mode::Forward>(), args, B,
                  queryTiles, s.Dv, s.Dqk, 0, false);
  }

  // Without queries, values or visible keys every gradient is zero.
  if (B * Tq * Hq == 0 || Dv == 0 || s.length == 0) {
    zero(name, dq, B * Tq * Hq * Dqk);
    zero(name, dk, B * Tk * Hkv * Dqk);
    zero(name, dv, B * Tk * Hkv * Dv);
    return;
  }
  cudaStream_t stream = currentStream();
  args.statsN = B * Tq * Hq;
  const cudaError_t error =
      cudaMallocAsync(reinterpret_cast<void **>(&args.stats),
                      size_t(3 * args.statsN) * sizeof(Acc), stream);
  if (error != cudaSuccess) {
    cudaGetLastError();
    recordError(name,
                std::string("cudaMallocAsync: ") + cudaGetErrorString(error));
    return;
  }
  launch<T, Acc, 2>(name, queryKernels<T, Acc, Mode::Stats>(), args, B,
                    queryTiles, 0, s.Dqk, s.Dv, true); // no output columns
  if (s.Dqk > 0)
    launch(name, queryKernels<T, Acc, Mode::QueryGrad>(), args, B, queryTiles,
           s.Dqk, s.Dqk, s.Dv, true);
  launch(
      name,
      [](auto parts) { return keyKernel<T, Acc, decltype(parts)::value>; },
      args, B, (s.Tk + kTile - 1) / kTile, std::max(s.Dqk, s.Dv), s.Dqk, s.Dv,
      true);
  cudaFreeAsync(args.stats, stream);
}

} // namespace
} // namespace ds::kernels::cuda

using ds::kernels::cuda::attention;

// The C ABI (CudaKernels.h): a forward and a backward entry per type.
#define DS_CUDA_ATTENTION(T, SUFFIX)                                           \
  extern "C" void ds_cuda_attention_##SUFFIX(                                  \
      const T *q, const T *k, const T *v, T *out, int64_t B, int64_t Tq,       \
      int64_t Tk, int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv,            \
      double scale, int32_t causal, int64_t window, int64_t keyLength) {       \
    attention<T, T>("ds_cuda_attention_" #SUFFIX, true, q, k, v, nullptr, out, \
                    nullptr, nullptr, nullptr, B, Tq, Tk, Hq, Hkv, Dqk, Dv,    \
                    scale, causal, window, keyLength);                         \
  }                                                                            \
  extern "C" void ds_cuda_attention_grad_##SUFFIX(                             \
      const T *q, const T *k, const T *v, const T *dout, T *dq, T *dk, T *dv,  \
      int64_t B, int64_t Tq, int64_t Tk, int64_t Hq, int64_t Hkv, int64_t Dqk, \
      int64_t Dv, double scale, int32_t causal, int64_t window,                \
      int64_t keyLength) {                                                     \
    attention<T, T>("ds_cuda_attention_grad_" #SUFFIX, false, q, k, v, dout,   \
                    nullptr, dq, dk, dv, B, Tq, Tk, Hq, Hkv, Dqk, Dv, scale,   \
                    causal, window, keyLength);                                \
  }

DS_CUDA_ATTENTION(float, f32)
DS_CUDA_ATTENTION(double, f64)
