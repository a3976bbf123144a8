//===- ds-opt.cpp - the DS optimizer driver --------------------------------===//
//
// Like mlir-opt: every upstream dialect, pass and extension, plus the `ds`
// dialect and DS's own passes. Parses .mlir, runs a pass pipeline, prints IR.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "passes/Passes.h"
#include "passes/lower/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::ds::registerDsPasses();
  mlir::ds::registerCpuPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::ds::DsDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "DS optimizer driver: the ds dialect and all of MLIR\n",
      registry));
}
