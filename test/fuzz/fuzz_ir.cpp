//===- fuzz_ir.cpp - ds IR: parse, verify, canonicalize, print ------------===//
//
// Input: .mlir text with the ds and func dialects (the seeds are every .mlir
// file in the repository, split at `// -----`). What parses (through
// parseModuleSafely, as every DS tool does) and verifies is canonicalized
// and CSE'd, and must still verify; then it is printed, in the custom and the
// generic form, and each printout must parse and verify again. So the
// fuzzer checks the ds dialect's parsers, verifiers, folders and printers
// against each other, not only that they do not crash.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/SafeParse.h"
#include "test/fuzz/FuzzFiles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace {

std::string print(ModuleOp module, bool generic) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  module.print(os, flags);
  return text;
}

void checkReparses(ModuleOp module, MLIRContext &context, bool generic) {
  const std::string text = print(module, generic);
  std::string diagnostics;
  ScopedDiagnosticHandler capture(&context, [&](Diagnostic &diagnostic) {
    diagnostics += diagnostic.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> again = parseSourceString<ModuleOp>(text, &context);
  if (!again)
    ::ds::fuzz::propertyFailed(std::string(generic ? "generic" : "custom") +
                         " printout does not parse back:\n" + diagnostics +
                         text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DialectRegistry registry;
  registry.insert<mlir::ds::DsDialect, func::FuncDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Errors are the expected outcome for most inputs; printing them would
  // only slow the fuzzer down.
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = mlir::ds::parseModuleSafely(sourceMgr, &context);
  if (!module || failed(verify(*module)))
    return 0;

  PassManager pm(&context);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (failed(pm.run(*module)))
    ::ds::fuzz::propertyFailed("canonicalize + cse turned valid IR invalid:\n" +
                         print(*module, /*generic=*/true));
  checkReparses(*module, context, /*generic=*/false);
  checkReparses(*module, context, /*generic=*/true);
  return 0;
}
