//===- Registration.h - what a compiler driver registers --------*- C++ -*-===//

#ifndef DS_PASSES_REGISTRATION_H
#define DS_PASSES_REGISTRATION_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class DialectRegistry;
class ModuleOp;
} // namespace mlir

namespace mlir::ds {

/// Everything a compiler driver needs in its context: every upstream
/// dialect and extension, the ds dialect, and (globally) every upstream and
/// DS pass, so that pass pipelines can be given as text. Passes that lower
/// a copy of the module to measure it (--ds-remat's budget) need it too.
void registerCompilerDialectsAndPasses(DialectRegistry &registry);

/// Parses `pipeline` (ds-opt syntax, e.g. "ds-autodiff,ds-optimizer{lr=0.01}")
/// and runs it on `module`. Pipeline syntax errors go to `error`; the passes'
/// own failures are diagnostics on the module's context.
LogicalResult runPassPipeline(ModuleOp module, const std::string &pipeline,
                              std::string &error);

} // namespace mlir::ds

#endif // DS_PASSES_REGISTRATION_H
