//===- ExpertParallel.h - Routed experts split over ranks -------*- C++ -*-===//
//
// Expert parallelism (--ds-shard="ep=N"): each rank of the `ep` grid axis
// holds E/N of every MoE layer's routed experts. The Partitioner
// (Partitioner.h) writes ds.moe_ffn and ds.moe_ffn_grad whose experts are
// split in one of two ways (docs/distributed.md, "Expert parallelism"):
//
// all-to-all (the default, exchangeWithExperts below)
//   plan       ds.expert_plan: every rank counts the tokens it sends to
//              each rank (those that chose one of its experts) and the
//              counts are all-gathered;
//   dispatch   ds.expert_dispatch: an all-to-all-v sends each token (its
//              input row, routing weights and, backward, its output's
//              gradient) only to the ranks of its experts, with the
//              indices renumbered as the receiving rank numbers its experts
//              (-1 for the others, which ds.moe_ffn skips);
//   compute    the rank's experts run on the rows it received;
//   combine    ds.expert_combine: the reverse all-to-all-v, each token's
//              parts summed on its own rank (forward, the output;
//              backward, the tokens' and routing weights' gradients).
//
// all-gather (ep-dispatch=all-gather)
//   dispatch   the tokens of the ranks along the expert axes are
//              all-gathered: each rank sees every token;
//   compute    as above, with the indices of other ranks' experts made -1
//              (localExpertIndices below);
//   combine    reduce-scatter back to the ranks that own the tokens.
//
// Either way the experts' weight gradients come out split like the
// experts: only the ranks along the other axes (data parallel) sum them.
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

/// The per-rank `moe` (a ds.moe_ffn or ds.moe_ffn_grad) with all-to-all
/// dispatch and combine. `locals` are its operands as
/// this rank holds them: those indexed by token (input, weights, indices
/// and, backward, the output's gradient) split over the tokens' axes, the
/// experts' weights by expert over `expertAxes`. Returns its results: by
/// token, split like the tokens; the experts' gradients split by expert,
/// partial over the tokens this rank saw.
///
/// The tokens are exchanged over `exchangedAxes`; when the experts are
/// split further over `splitAxes` (tensor-parallel ranks, which hold the
/// same tokens), each of those ranks runs its own experts of the rows its
/// group received and the caller sums the results over `splitAxes`.
SmallVector<Value> exchangeWithExperts(OpBuilder &b, Operation &moe,
                                       ValueRange locals, shard::GridOp grid,
                                       ArrayRef<shard::GridAxis> exchangedAxes,
                                       ArrayRef<shard::GridAxis> splitAxes,
                                       int64_t localExperts);

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_EXPERTPARALLEL_H
