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

#include "kernels/cuda/AttentionTiles.cuh"
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
using namespace attention_tiles;

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

// The C ABI (CudaKernels.h).
extern "C" void ds_cuda_attention_f32(const float *q, const float *k,
                                      const float *v, float *out, int64_t B,
                                      int64_t Tq, int64_t Tk, int64_t Hq,
                                      int64_t Hkv, int64_t Dqk, int64_t Dv,
                                      double scale, int32_t causal,
                                      int64_t window, int64_t keyLength) {
  attention<float, float>("ds_cuda_attention_f32", true, q, k, v, nullptr,
                          out, nullptr, nullptr, nullptr, B, Tq, Tk, Hq, Hkv,
                          Dqk, Dv, scale, causal, window, keyLength);
}

extern "C" void ds_cuda_attention_f64(const double *q, const double *k,
                                      const double *v, double *out, int64_t B,
                                      int64_t Tq, int64_t Tk, int64_t Hq,
                                      int64_t Hkv, int64_t Dqk, int64_t Dv,
                                      double scale, int32_t causal,
                                      int64_t window, int64_t keyLength) {
  attention<double, double>("ds_cuda_attention_f64", true, q, k, v, nullptr,
                            out, nullptr, nullptr, nullptr, B, Tq, Tk, Hq,
                            Hkv, Dqk, Dv, scale, causal, window, keyLength);
}

extern "C" void ds_cuda_attention_grad_f32(
    const float *q, const float *k, const float *v, const float *dout,
    float *dq, float *dk, float *dv, int64_t B, int64_t Tq, int64_t Tk,
    int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv, double scale,
    int32_t causal, int64_t window, int64_t keyLength) {
  attention<float, float>("ds_cuda_attention_grad_f32", false, q, k, v, dout,
                          nullptr, dq, dk, dv, B, Tq, Tk, Hq, Hkv, Dqk, Dv,
                          scale, causal, window, keyLength);
}

extern "C" void ds_cuda_attention_grad_f64(
    const double *q, const double *k, const double *v, const double *dout,
    double *dq, double *dk, double *dv, int64_t B, int64_t Tq, int64_t Tk,
    int64_t Hq, int64_t Hkv, int64_t Dqk, int64_t Dv, double scale,
    int32_t causal, int64_t window, int64_t keyLength) {
  attention<double, double>("ds_cuda_attention_grad_f64", false, q, k, v,
                            dout, nullptr, dq, dk, dv, B, Tq, Tk, Hq, Hkv,
                            Dqk, Dv, scale, causal, window, keyLength);
}
