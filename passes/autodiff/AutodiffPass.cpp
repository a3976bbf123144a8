//===- AutodiffPass.cpp - --ds-autodiff -----------------------------------===//

#include "passes/Passes.h"
#include "passes/autodiff/Autodiff.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSAUTODIFFPASS
#include "passes/Passes.h.inc"

namespace {
struct DsAutodiffPass : impl::DsAutodiffPassBase<DsAutodiffPass> {
  using DsAutodiffPassBase::DsAutodiffPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entryFunction = module.lookupSymbol<func::FuncOp>(entry);
    if (!entryFunction) {
      module.emitError("--ds-autodiff: no function @")
          << entry << " to differentiate (set it with entry=NAME)";
      return signalPassFailure();
    }
    AutodiffOptions options;
    options.allFloatArguments = allFloatArguments;
    options.seedArgument = seedArgument;
    if (failed(differentiateFunction(entryFunction, options)))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::ds
