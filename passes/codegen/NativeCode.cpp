//===- NativeCode.cpp - LLVM dialect → object file → shared library ------===//

#include "passes/codegen/NativeCode.h"

#include "passes/codegen/Artifact.h"
#include "passes/codegen/CodegenConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::ds {

CompileOptions defaultCompileOptions() {
  CompileOptions options;
  options.linker = DS_LINKER;
  options.kernelsArchive = DS_KERNELS_CPU_ARCHIVE;
  llvm::SmallVector<StringRef> flags;
  StringRef(DS_LINK_FLAGS).split(flags, '|', -1, false);
  for (StringRef flag : flags)
    options.linkFlags.push_back(flag.str());
  return options;
}

NativeTarget hostTarget() {
  NativeTarget target;
  target.triple = llvm::sys::getProcessTriple();
  target.cpu = llvm::sys::getHostCPUName().str();
  std::string features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (feature.second ? "+" : "-") + feature.first().str();
  }
  target.features = features;
  return target;
}

LogicalResult emitObjectFile(ModuleOp module, const NativeTarget &target,
                             int optLevel, const std::string &objectPath,
                             const std::string &irPath, std::string &error) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  // A GPU target's host code: gpu.binary and gpu.launch_func.
  registerGPUDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(target.triple);
  std::string lookupError;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!llvmTarget) {
    error = "no LLVM target for " + target.triple + ": " + lookupError;
    return failure();
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "ds");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return failure();
  }
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  {
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager cgscc;
    llvm::ModuleAnalysisManager modules;
    llvm::PipelineTuningOptions tuning;
    tuning.LoopVectorization = true;
    tuning.SLPVectorization = true;
    llvm::PassBuilder builder(machine.get(), tuning);
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(cgscc);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, cgscc, modules);
    llvm::ModulePassManager pipeline =
        builder.buildPerModuleDefaultPipeline(
            optLevel >= 3   ? llvm::OptimizationLevel::O3
            : optLevel == 2 ? llvm::OptimizationLevel::O2
            : optLevel == 1 ? llvm::OptimizationLevel::O1
                            : llvm::OptimizationLevel::O0);
    pipeline.run(*llvmModule, modules);
  }

  if (!irPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(irPath, ec);
    if (ec) {
      error = irPath + ": " + ec.message();
      return failure();
    }
    llvmModule->print(os, nullptr);
  }

  std::error_code ec;
  llvm::raw_fd_ostream os(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = objectPath + ": " + ec.message();
    return failure();
  }
  llvm::legacy::PassManager emit;
  if (machine->addPassesToEmitFile(emit, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  emit.run(*llvmModule);
  os.flush();
  return success();
}

LogicalResult linkSharedLibrary(const CompileOptions &options,
                                const std::string &objectPath,
                                const std::string &libraryPath,
                                bool cpuKernels, std::string &error) {
  llvm::ErrorOr<std::string> linker =
      llvm::sys::findProgramByName(options.linker);
  if (!linker) {
    error = "cannot find the linker driver '" + options.linker + "'";
    return failure();
  }
  std::vector<std::string> arguments{*linker, "-shared", "-o", libraryPath,
                                     objectPath};
  if (cpuKernels) {
    arguments.push_back(options.kernelsArchive);
    arguments.insert(arguments.end(), options.linkFlags.begin(),
                     options.linkFlags.end());
  }
  std::vector<StringRef> argumentRefs(arguments.begin(), arguments.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*linker, argumentRefs, std::nullopt,
                                         {}, 0, 0, &message);
  if (status != 0) {
    std::string command;
    for (const std::string &argument : arguments)
      command += argument + " ";
    error = "linking failed (" +
            (message.empty() ? "exit " + std::to_string(status) : message) +
            "): " + command;
    return failure();
  }
  return success();
}

} // namespace mlir::ds
