//===- Report.h - what activation checkpointing costs a step ----*- C++ -*-===//
//
// ds-compile's report of the remat policy used: the operations a call of an
// entry point recomputes (the `ds.remat` ops of its backward functions,
// counted once per execution: a scan's body once per layer).
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_REMAT_REPORT_H
#define DS_PASSES_REMAT_REPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace mlir::ds {

struct RematCost {
  /// Floating-point operations recomputed per call (flopsOf's estimate).
  int64_t flops = 0;
  /// Recomputed ops executed per call.
  int64_t ops = 0;
  /// Floating-point operations of the whole call, recomputation included.
  int64_t totalFlops = 0;
};

RematCost rematCostOf(ModuleOp module, func::FuncOp entry);

/// The policy `entry`'s gradient functions were built with ("none" when
/// none says otherwise).
std::string rematPolicyOf(ModuleOp module, func::FuncOp entry);

} // namespace mlir::ds

#endif // DS_PASSES_REMAT_REPORT_H
