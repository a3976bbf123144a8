//===- Kernels.h - kernels of lowered code and the bytes they move -*- C++ -*-===//
//
// After `--ds-lower-to-linalg`, a function's work is a sequence of kernels:
// generated ones (each linalg op, or each group `--ds-fuse` formed) and
// library calls (`ds_*` kernels on buffers). A kernel reads its inputs from
// memory and writes its results back, so the bytes it moves are a good
// first-order model of the time of memory-bound code, on a CPU as on a GPU.
// These counts are what `--ds-fuse` reports before and after it runs.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_FUSE_KERNELS_H
#define DS_PASSES_FUSE_KERNELS_H

#include "mlir/Support/LLVM.h"

#include <cstdint>

namespace mlir {
class Operation;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::ds {

/// The attribute `--ds-fuse` puts on each generated kernel:
/// `ds.kernel = {id, kind, ops}`.
inline constexpr llvm::StringLiteral kKernelAttr = "ds.kernel";
/// The per-function report: `ds.fusion = {kernels_before, ...}`.
inline constexpr llvm::StringLiteral kFusionAttr = "ds.fusion";

/// Kernels of one run of a function (ops inside `scf.for` loops count once
/// per iteration) and the bytes they move between memory and the chip.
struct KernelCounts {
  int64_t generated = 0;      ///< linalg ops and fused groups
  int64_t library = 0;        ///< calls of `ds_*` library kernels
  int64_t generatedBytes = 0; ///< read + written by generated kernels
  int64_t libraryBytes = 0;   ///< buffers passed to library kernels
};

/// Counts the kernels of `function`. A generated kernel is an op carrying
/// `ds.kernel`, or, in code `--ds-fuse` has not run on, any linalg op. Its
/// bytes are those of the distinct tensors it reads (defined outside it; an
/// output operand only when its payload reads it) plus its results; tensors
/// made by `tensor.empty` hold no data and are free.
KernelCounts countKernels(func::FuncOp function);

/// The bytes `op` reads and writes as one kernel (as above).
int64_t kernelBytes(Operation *op);

} // namespace mlir::ds

#endif // DS_PASSES_FUSE_KERNELS_H
