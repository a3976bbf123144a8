//===- AttentionTiles.cuh - the tile machinery of Attention.cu ---*- CUDA -*-===//
//
// The shapes, shared-memory layouts and per-thread tile loops the attention
// kernels (Attention.cu, whose header comment describes the scheme) are
// built from. Included by Attention.cu only.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CUDA_ATTENTIONTILES_CUH
#define DS_KERNELS_CUDA_ATTENTIONTILES_CUH

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace ds::kernels::cuda::attention_tiles {

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

} // namespace ds::kernels::cuda::attention_tiles

#endif // DS_KERNELS_CUDA_ATTENTIONTILES_CUH
