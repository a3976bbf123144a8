//===- DsSharding.h - ShardingInterface for ds ops --------------*- C++ -*-===//
//
// Upstream MLIR's `shard` dialect shards an op from its loop structure:
// iterator types (parallel or reduction), one indexing map per operand and
// result, and a `partition` that emits the per-rank op and the collectives
// it needs. This attaches that structure to the ds ops, as external models,
// so that `sharding-propagation` and `shard-partition` work on ds IR
// (docs/distributed.md says what they do and do not do in MLIR 22).
//
// Covered: the elementwise ops (unary, binary with NumPy broadcasting,
// select, compare, gelu_grad, cast, broadcast), transpose, slice, pad,
// concat and split (the axes they cut, extend or join stay whole),
// scatter_add (scattered tokens give partial tables: all_reduce), matmul (batch,
// M, N parallel; K a sum reduction: a split K gives a local product and an
// all_reduce), the reductions (reduce_sum, reduce_mean, reduce_max: a split
// reduced axis gives a local reduction and an all_reduce; a mean is
// rescaled by the number of shards), and the ops that normalize along an
// axis they keep (softmax, log_softmax, rms_norm, layer_norm: that axis
// must stay whole, and a sharding that splits it is refused with an error
// naming it), attention by batch and head (grouped KV heads split with the
// query heads), rope, gather (the gathered axis whole), and cross_entropy
// (positions split: the loss is the count-weighted mean over ranks, so
// ranks with different numbers of ignored targets still agree with one
// process), moe_route (by token) and moe_ffn (by token, and tensor
// parallel over each expert's hidden channels: one all_reduce). Expert
// parallelism moves tokens between ranks and is not a loop split: DS's own
// sharding pass will write it.
//
// A size-1 dimension that broadcasts against a larger one is given a loop
// of its own that no result indexes: upstream's indexing maps must be
// projected permutations (no constants), and this keeps the broadcast
// dimension from ever being split.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_DSSHARDING_H
#define DS_DIALECTS_DS_DSSHARDING_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::ds {

/// Registers the ds ops' ShardingInterface models (and the shard dialect
/// they build collectives in).
void registerShardingInterfaceModels(DialectRegistry &registry);

} // namespace mlir::ds

#endif // DS_DIALECTS_DS_DSSHARDING_H
