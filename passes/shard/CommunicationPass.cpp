//===- CommunicationPass.cpp - --ds-print-communication -------------------===//
//
// Prints the communication table of an entry point (see Passes.td and
// Communication.h).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/shard/Communication.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::ds {
#define GEN_PASS_DEF_DSPRINTCOMMUNICATIONPASS
#include "passes/Passes.h.inc"

namespace {

struct PrintCommunicationPass
    : impl::DsPrintCommunicationPassBase<PrintCommunicationPass> {
  using DsPrintCommunicationPassBase::DsPrintCommunicationPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto function = module.lookupSymbol<func::FuncOp>(entry);
    if (!function || function.isExternal()) {
      module.emitError("--ds-print-communication: no function @")
          << entry << " with a body";
      return signalPassFailure();
    }
    FailureOr<std::vector<CommunicationRow>> rows =
        communicationOf(module, function);
    if (failed(rows))
      return signalPassFailure();
    printCommunicationTable(llvm::errs(), entry, *rows);
    markAllAnalysesPreserved();
  }
};

} // namespace
} // namespace mlir::ds
