//===- Registration.cpp - what a compiler driver registers ----------------===//

#include "passes/Registration.h"
#include "passes/Passes.h"
#include "passes/gpu/CudaPipeline.h"
#include "passes/lower/Pipeline.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsSharding.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::ds {

void registerCompilerDialectsAndPasses(DialectRegistry &registry) {
  registerAllPasses();
  registerDsPasses();
  registerCpuPipeline();
  registerCudaPipeline();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates device code to LLVM IR.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<DsDialect>();
  registerShardingInterfaceModels(registry);
}

LogicalResult runPassPipeline(ModuleOp module, const std::string &pipeline,
                              std::string &error) {
  PassManager pm(module.getContext());
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline(pipeline, pm, errorStream)))
    return failure();
  if (failed(pm.run(module))) {
    error = "the pipeline failed (see the errors above)";
    return failure();
  }
  return success();
}

} // namespace mlir::ds
