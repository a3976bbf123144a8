//===- Budget.h - --ds-remat's memory budget --------------------*- C++ -*-===//
//
// policy=budget: recompute as little as possible to fit a training step's
// peak memory under a budget. The algorithm (docs/remat.md):
//
//  1. Build the gradients with policy none and measure the step's peak P0
//     (the CPU memory plan of a copy of the module, or the ds-level
//     estimate). P0 <= budget: done, nothing is recomputed.
//  2. Greedy on the layer functions (the bodies of scans, where the saved
//     bytes are multiplied by the number of layers): every saved value is a
//     candidate; recomputing it costs the FLOPs of its defining op and of
//     any operands not kept (recursively), times the layer's executions per
//     step, and frees its bytes times the same. Take the candidate with the
//     most bytes freed per FLOP, update, repeat until P0 minus the freed
//     bytes fits the budget.
//  3. Build the gradients with that choice and measure the peak again; if
//     the peak did not fall as far as predicted, go on with step 2 for the
//     difference (at most a few rounds).
//  Nothing left to recompute and still over: the budget is unreachable, and
//  the error states the smallest peak reached (every layer recomputed).
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_REMAT_BUDGET_H
#define DS_PASSES_REMAT_BUDGET_H

#include "passes/autodiff/Remat.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <string>

namespace mlir::ds {

struct BudgetOptions {
  /// The most bytes the step's peak may take.
  int64_t budget = 0;
  /// Measure with the CPU memory plan (true) or the ds-level estimate.
  bool usePlan = true;
  /// The entry point whose peak is held to the budget.
  std::string entry;
};

/// Builds the module's gradient functions again with `policy` (and erases
/// the previous ones); provided by the pass.
using RebuildGradients = llvm::function_ref<LogicalResult(const RematPolicy &)>;

/// Rebuilds the gradients to fit `options.budget`, as described above.
/// Emits an error at `module` when the budget cannot be met.
LogicalResult fitMemoryBudget(ModuleOp module, const BudgetOptions &options,
                              RebuildGradients rebuild);

/// Parses a byte count, a decimal number with an optional suffix: K, M, G,
/// T (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024); "62.5M". At
/// least 1.
std::optional<int64_t> parseBytes(llvm::StringRef text);

} // namespace mlir::ds

#endif // DS_PASSES_REMAT_BUDGET_H
