//===- ds-opt.cpp - the DS optimizer driver --------------------------------===//
//
// Like mlir-opt: every upstream dialect, pass and extension, plus the `ds`
// dialect and DS's own passes. Parses .mlir, runs a pass pipeline, prints IR.
//
// Two differences from MlirOptMain(argc, argv, ...): the input is read here
// and checked for the texts MLIR 22's parser crashes on
// (dialects/ds/SafeParse.h) before MLIR sees it, and -o is replaced
// atomically, only on success.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/SafeParse.h"
#include "passes/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace {

/// Reports the first parser hazard in `input` as "file:line:col: error:"
/// with the source line; false when there is one.
bool checkParserHazards(const llvm::MemoryBuffer &input) {
  std::optional<mlir::ds::ParserHazard> hazard =
      mlir::ds::findParserHazard(input.getBuffer());
  if (!hazard)
    return true;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(input.getBuffer(),
                                       input.getBufferIdentifier(),
                                       /*RequiresNullTerminator=*/false),
      llvm::SMLoc());
  sourceMgr.PrintMessage(
      llvm::SMLoc::getFromPointer(input.getBufferStart() + hazard->offset),
      llvm::SourceMgr::DK_Error, hazard->message);
  return false;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::DialectRegistry registry;
  mlir::ds::registerCompilerDialectsAndPasses(registry);

  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "DS optimizer driver: the ds dialect and all of MLIR\n",
      registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(
        mlir::MlirOptMain(llvm::outs(), nullptr, registry, config));

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::errs() << errorMessage << "\n";
    return EXIT_FAILURE;
  }
  if (!checkParserHazards(*input))
    return EXIT_FAILURE;
  // The output replaces -o's file only when the whole pipeline succeeded
  // (a temporary file, renamed): a failing run leaves an existing file as
  // it was.
  bool pipelineFailed = false;
  llvm::Error written = llvm::writeToOutput(
      outputFilename, [&](llvm::raw_ostream &os) -> llvm::Error {
        if (mlir::succeeded(
                mlir::MlirOptMain(os, std::move(input), registry, config)))
          return llvm::Error::success();
        pipelineFailed = true; // its diagnostics are printed already
        // writeToOutput closes the temporary file before `os` is destroyed:
        // nothing may be left in its buffer then.
        os.flush();
        return llvm::createStringError("ds-opt failed");
      });
  if (written) {
    if (!pipelineFailed)
      llvm::errs() << "ds-opt: error: " << outputFilename << ": "
                   << llvm::toString(std::move(written)) << "\n";
    else
      llvm::consumeError(std::move(written));
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
