//===- RankMemory.h - What one rank holds for a training step ---*- C++ -*-===//
//
// `ds-compile --plan` sizes a training run before anything is allocated:
// from the per-rank step that --ds-shard writes (its types are a rank's),
// the bytes of the weights, gradients, optimizer state and the activations
// the backward pass reads, by rank. Counted from types alone, so it runs on
// DeepSeek-V3's full-size step in well under a second.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_SHARD_RANKMEMORY_H
#define DS_PASSES_SHARD_RANKMEMORY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>

namespace mlir::ds {

struct RankMemory {
  /// The weights as this rank holds them (its blocks of split ones).
  int64_t parameters = 0;
  /// The gradients of the trained weights as the backward pass returns
  /// them on this rank, before any reduce-scatter.
  int64_t gradients = 0;
  /// AdamW's moments as this rank holds them.
  int64_t optimizerState = 0;
  /// Forward values the backward pass reads (the autodiff residuals: what
  /// a `*_fwd` function returns to a `*_bwd` one, stacked per layer by the
  /// scans), at their peak, when the forward pass has ended. Values a
  /// backward function recomputes (--ds-remat) are not among them.
  int64_t activations = 0;
};

/// The memory of one call of `entry` (a training step) on one rank.
RankMemory rankMemoryOf(ModuleOp module, func::FuncOp entry);

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_RANKMEMORY_H
