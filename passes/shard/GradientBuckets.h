//===- GradientBuckets.h - Few large gradient all_reduces -------*- C++ -*-===//
//
// Partition sums a gradient over the ranks where it is computed: one
// all_reduce per weight, per layer, inside the layer scans. Sums are linear,
// so they can wait: this moves them out to the entry point and merges them
// into buckets, as data-parallel trainers do (PyTorch DDP's 25 MB buckets):
//
// 1. add(all_reduce(a), all_reduce(b)) = all_reduce(add(a, b)): partial
//    contributions to one gradient are added first and summed once.
// 2. An all_reduce whose only use is a function's result moves to every
//    caller: after a call, on the call's result; after a scan, on the
//    stacked per-layer result (one all_reduce for every layer's gradient).
//    A scan's carry cannot wait (the next layer reads it) and stays.
// 3. In the entry, the all_reduces of one grid, axes and element type are
//    flattened, concatenated into buckets of at most `bucketBytes`, summed
//    with one all_reduce each and split back.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_SHARD_GRADIENTBUCKETS_H
#define DS_PASSES_SHARD_GRADIENTBUCKETS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::ds {

/// Applies 1-3 to the functions `entry` calls (transitively) and to
/// `entry`; the collectives' results are unchanged.
void bucketGradientSums(ModuleOp module, func::FuncOp entry,
                        int64_t bucketBytes);

} // namespace mlir::ds

#endif // DS_PASSES_SHARD_GRADIENTBUCKETS_H
