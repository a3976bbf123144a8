//===- PeakMemory.h - a training step's peak memory from its ds IR -*- C++ -*-===//
//
// The memory plan (--ds-plan-memory) places the buffers of the lowered,
// bufferized step; this is its estimate from the ds IR, before anything is
// lowered: each op's result is live from the op to its last use, calls and
// scans run their callee's body (a scan's stacked results are allocated
// whole before the first layer, its carries in two slots), reshapes are
// views of their operand, constants are global. The peak excludes the
// entry's arguments and results, as the plan's workspace does. It counts
// every intermediate tensor, where the lowering fuses elementwise chains
// and so materializes fewer; docs/remat.md compares both.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_REMAT_PEAKMEMORY_H
#define DS_PASSES_REMAT_PEAKMEMORY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>

namespace mlir::ds {

/// The estimated peak bytes of intermediates of one call of `entry`.
int64_t estimatePeakMemory(ModuleOp module, func::FuncOp entry);

} // namespace mlir::ds

#endif // DS_PASSES_REMAT_PEAKMEMORY_H
