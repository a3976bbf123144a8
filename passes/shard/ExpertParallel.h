//===- ExpertParallel.h - Routed experts split over ranks -------*- C++ -*-===//
//
// Expert parallelism (--ds-shard="ep=N"): each rank of the `ep` grid axis
// holds E/N of every MoE layer's routed experts. The Partitioner
// (Partitioner.h) writes ds.moe_ffn and ds.moe_ffn_grad whose experts are
// split so (docs/distributed.md, "Expert parallelism"):
//
//   dispatch   the tokens, routing weights and indices (and, backward, the
//              output's gradient) of the ranks along the expert axes are
//              all-gathered: each rank sees every token that may choose
//              one of its experts;
//   compute    the rank's experts run on the tokens that chose them: the
//              indices of the experts other ranks hold become -1, which
//              ds.moe_ffn skips (localExpertIndices below);
//   combine    each rank's output (and, backward, the tokens' and routing
//              weights' gradients) is its experts' part of the sum over a
//              token's choices: reduce-scattered back to the rank that owns
//              the token.
//
// The experts' weight gradients come out split like the experts: only the
// ranks along the other axes (data parallel) sum them.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_SHARD_EXPERTPARALLEL_H
#define DS_PASSES_SHARD_EXPERTPARALLEL_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::ds {

/// `indices` ([N, K] global expert numbers) as this rank's: e − first for
/// the `localExperts` experts it holds (block `my place along expertAxes`
/// of the `globalExperts`), -1 for the others.
Value localExpertIndices(OpBuilder &b, Location loc, Value indices,
                         shard::GridOp grid,
                         ArrayRef<shard::GridAxis> expertAxes,
                         int64_t localExperts, int64_t globalExperts);

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_EXPERTPARALLEL_H
