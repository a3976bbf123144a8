//===- ThreadLoops.h - a linalg op's work split among GPU threads -*- C++ -*-===//
//
// The pieces `--ds-gpu-kernels` builds kernels from: the iterations of one
// `linalg.generic` on memrefs (static shapes), emitted inside a `gpu.launch`
// body as loops whose iterations the threads share. Elementwise work is a
// strided loop; a reduction is either split among the threads of a block
// (each combines a strided share, then `gpu.all_reduce` combines the
// threads' partial values with warp shuffles and shared memory) or done by
// one thread per output.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_GPU_THREADLOOPS_H
#define DS_PASSES_GPU_THREADLOOPS_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class OpBuilder;
class Location;
namespace linalg {
class GenericOp;
} // namespace linalg
} // namespace mlir

namespace mlir::ds::gpu_codegen {

/// Iterations of the loops of `op` that are parallel, and of those that
/// are reductions (products of their static sizes).
int64_t parallelIterations(linalg::GenericOp op);
int64_t reductionIterations(linalg::GenericOp op);

/// How many consecutive iterations of `op`'s innermost loop a thread takes
/// at a time when its buffers are aligned (4: 16-byte accesses; 1).
int64_t laneWidth(linalg::GenericOp op);

/// Whether every result of `op` is `out ⊕ x` for an operator ⊕ that
/// `gpu.all_reduce` knows (add, mul, min, max, and, or, xor) and an `x`
/// that does not read the outputs: then threads may reduce shares of the
/// iterations separately and combine them.
bool hasSplittableReduction(linalg::GenericOp op);

/// The iterations first, first + stride, ... of `op`, all of whose loops
/// are parallel: each reads its inputs, runs the payload and stores. Where
/// the layout allows (32-bit elements, an innermost loop of a multiple of
/// four over contiguous memory), a thread takes four consecutive
/// iterations at a time with one 16-byte load per operand and one 16-byte
/// store per result, behind a run-time check that the buffers are 16-byte
/// aligned; element by element otherwise.
void emitStridedIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
                           Value first, Value stride);

/// The same, one element at a time.
void emitScalarIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
                          Value first, Value stride);

/// One output point of `op` (its parallel loops at `parallelIndices`, one
/// per parallel loop in order) reduced by all threads of a block:
/// `threadId` takes reduction iterations threadId, threadId + blockSize,
/// ...; `gpu.all_reduce` combines the threads' values; thread 0 combines
/// the total with the output's value and stores it. Requires
/// hasSplittableReduction(op). Every thread of the block must run it.
///
/// With `initialValues` (one per output), the outputs start from those
/// values instead of what their buffers hold: the fill that would have
/// written them is folded into the reduction.
void emitBlockReduction(OpBuilder &b, Location loc, linalg::GenericOp op,
                        ValueRange parallelIndices, Value threadId,
                        Value blockSize, ValueRange initialValues = {});

/// The output points first, first + stride, ... of `op`, each reduced in
/// order by one thread (any payload).
void emitSerialReductions(OpBuilder &b, Location loc, linalg::GenericOp op,
                          Value first, Value stride,
                          ValueRange initialValues = {});

/// `flat` as indices of a row-major iteration space of `sizes`.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value flat,
                               ArrayRef<int64_t> sizes);

} // namespace mlir::ds::gpu_codegen

#endif // DS_PASSES_GPU_THREADLOOPS_H
