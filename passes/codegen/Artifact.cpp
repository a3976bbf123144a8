//===- Artifact.cpp - compiling a ds module into a CPU artifact -----------===//

#include "passes/codegen/Artifact.h"
#include "passes/fuse/Kernels.h"
#include "passes/gpu/CudaPipeline.h"
#include "dialects/ds/DsSharding.h"

#include "dialects/ds/DsDialect.h"
#include "passes/codegen/NativeCode.h"
#include "passes/lower/Pipeline.h"

#include "runtime/Manifest.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace mlir::ds {
namespace {

/// "model.mlir:12:5", or the location as MLIR prints it when it names no
/// file position.
std::string describeLocation(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
    os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine() << ":"
       << fileLoc.getColumn();
  else
    loc.print(os);
  return text;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

/// safetensors' name of an element type (docs/artifact.md).
std::string dtypeName(Type type) {
  if (type.isF32()) return "F32";
  if (type.isF64()) return "F64";
  if (type.isBF16()) return "BF16";
  if (type.isF16()) return "F16";
  if (isa<Float8E4M3FNType>(type)) return "F8_E4M3";
  if (isa<Float8E5M2Type>(type)) return "F8_E5M2";
  if (type.isInteger(1)) return "BOOL";
  if (type.isInteger(8)) return "I8";
  if (type.isInteger(16)) return "I16";
  if (type.isInteger(32)) return "I32";
  if (type.isInteger(64)) return "I64";
  return "?";
}

llvm::json::Object describeTensor(Type type, StringRef name) {
  auto tensor = cast<RankedTensorType>(type);
  llvm::json::Array shape;
  for (int64_t d : tensor.getShape())
    shape.push_back(d);
  return llvm::json::Object{{"name", name.str()},
                            {"dtype", dtypeName(tensor.getElementType())},
                            {"shape", std::move(shape)}};
}

/// Optimizer state is named after what it holds (passes/optimizer).
bool isOptimizerState(StringRef name) {
  return name.starts_with("exp_avg.") || name.starts_with("exp_avg_sq.") ||
         name == "loss_scale" || name == "good_steps";
}

llvm::json::Object describeEntry(func::FuncOp function,
                                 const CompileReport::Entry &plan) {
  llvm::json::Array arguments, results;
  for (unsigned i = 0; i < function.getNumArguments(); ++i) {
    std::string name = "arg" + std::to_string(i);
    std::string role = "input";
    std::optional<llvm::json::Object> init;
    if (auto param = function.getArgAttrOfType<ParamAttr>(i, kParamAttrName)) {
      name = param.getName().str();
      role = "param";
      // How to make its starting value (runtime/io/ParamInit.h).
      init = llvm::json::Object{{"kind", stringifyInitKind(param.getInit())},
                                {"a", param.getA().convertToDouble()},
                                {"b", param.getB().convertToDouble()}};
    } else if (auto given =
                   function.getArgAttrOfType<StringAttr>(i, kNameAttrName)) {
      name = given.str();
      if (isOptimizerState(name))
        role = "state";
    }
    llvm::json::Object argument =
        describeTensor(function.getArgument(i).getType(), name);
    argument["role"] = role;
    if (auto dim = function.getArgAttrOfType<IntegerAttr>(i, kSplitDimAttrName))
      argument["split_dim"] = dim.getInt();
    if (auto axes =
            function.getArgAttrOfType<DenseI64ArrayAttr>(i, kSplitAxesAttrName))
      argument["split_axes"] = llvm::json::Array(axes.asArrayRef());
    if (init)
      argument["init"] = std::move(*init);
    arguments.push_back(std::move(argument));
  }
  for (unsigned i = 0; i < function.getNumResults(); ++i) {
    std::string name = "result" + std::to_string(i);
    if (auto given = function.getResultAttrOfType<StringAttr>(i, kNameAttrName))
      name = given.str();
    llvm::json::Object result =
        describeTensor(function.getResultTypes()[i], name);
    if (auto balances =
            function.getResultAttrOfType<StringAttr>(i, kBalancesAttrName))
      result["balances"] = balances.str();
    if (auto dim =
            function.getResultAttrOfType<IntegerAttr>(i, kSplitDimAttrName))
      result["split_dim"] = dim.getInt();
    if (auto axes = function.getResultAttrOfType<DenseI64ArrayAttr>(
            i, kSplitAxesAttrName))
      result["split_axes"] = llvm::json::Array(axes.asArrayRef());
    results.push_back(std::move(result));
  }
  llvm::json::Object entry{
      {"name", function.getSymName().str()},
      {"symbol", "ds_entry_" + function.getSymName().str()},
      {"workspace_bytes", plan.workspaceBytes},
      {"memory",
       llvm::json::Object{{"peak_bytes", plan.workspaceBytes},
                          {"buffers", plan.buffers},
                          {"unplanned_bytes", plan.unplannedBytes}}},
      {"arguments", std::move(arguments)},
      {"results", std::move(results)}};
  // Code --ds-shard made per-rank runs on that many ranks at once.
  if (auto ranks = function->getAttrOfType<IntegerAttr>(kRanksAttrName))
    entry["ranks"] = ranks.getInt();
  if (auto grid = function->getAttrOfType<DenseI64ArrayAttr>(kGridAttrName))
    entry["grid"] = llvm::json::Array(grid.asArrayRef());
  return entry;
}

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader never sees half a manifest.
bool writeAtomically(const std::string &path, StringRef text,
                     std::string &error) {
  std::string temporary = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(temporary, ec);
    if (ec) {
      error = temporary + ": " + ec.message();
      return false;
    }
    os << text;
    os.close();
    if (os.has_error()) {
      error = temporary + ": write failed";
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    error = path + ": " + ec.message();
    return false;
  }
  return true;
}

/// Adds `ds_abi` to the LLVM module: the runtime's description of the
/// entry points (ds::rt::Manifest::abiText) of `manifestText`, computed by
/// the runtime's own code from the manifest as the runtime will parse it,
/// so that the two sides cannot disagree on the format.
LogicalResult embedAbiText(ModuleOp module, const std::string &manifestText,
                           std::string &error) {
  std::string problem;
  std::optional<::ds::rt::Manifest> parsed =
      ::ds::rt::Manifest::parse(manifestText, "manifest.json", problem);
  if (!parsed) {
    error = "internal error: the manifest does not parse: " + problem;
    return failure();
  }
  std::string abi = parsed->abiText();
  abi.push_back('\0');
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  auto type = LLVM::LLVMArrayType::get(IntegerType::get(module.getContext(), 8),
                                       abi.size());
  LLVM::GlobalOp::create(b, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, ::ds::rt::kAbiSymbol,
                         b.getStringAttr(abi));
  return success();
}

} // namespace


std::string existingCacheKey(const std::string &outputDir) {
  llvm::SmallString<256> manifest(outputDir);
  llvm::sys::path::append(manifest, "manifest.json");
  auto buffer = llvm::MemoryBuffer::getFile(manifest);
  if (!buffer)
    return "";
  auto parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed) {
    llvm::consumeError(parsed.takeError());
    return "";
  }
  const llvm::json::Object *object = parsed->getAsObject();
  if (!object)
    return "";
  auto key = object->getString("cache_key");
  auto library = object->getString("library");
  if (!key || !library)
    return "";
  llvm::SmallString<256> libraryPath(outputDir);
  llvm::sys::path::append(libraryPath, *library);
  if (!llvm::sys::fs::exists(libraryPath))
    return "";
  return key->str();
}

LogicalResult compileArtifact(ModuleOp module, const CompileOptions &options,
                              const std::string &outputDir,
                              CompileReport &report, std::string &error) {
  MLIRContext *ctx = module.getContext();
  std::vector<std::string> entries = options.entries;
  if (entries.empty())
    entries = defaultEntries(module);
  // Describe the entry points before lowering changes their signatures.
  SmallVector<func::FuncOp> entryFunctions;
  for (const std::string &name : entries) {
    auto function = module.lookupSymbol<func::FuncOp>(name);
    if (!function || function.isExternal())
      return module.emitError("entry point '")
             << name << "' is not a function with a body in this module";
    entryFunctions.push_back(function);
  }
  OwningOpRef<ModuleOp> signatures = module.clone();

  auto start = std::chrono::steady_clock::now();
  CpuPipelineOptions pipelineOptions;
  pipelineOptions.entries = entries;
  pipelineOptions.parallel = options.parallel;
  pipelineOptions.fuse = options.fuse;
  pipelineOptions.shareMemory = options.shareMemory;
  PassManager lower(ctx);
  buildCpuLoweringPipeline(lower, pipelineOptions);
  if (failed(lower.run(module)))
    return failure();

  llvm::json::Array sites;
  if (auto siteAttrs = module->getAttrOfType<ArrayAttr>("ds.sites"))
    for (Attribute site : siteAttrs)
      sites.push_back(cast<StringAttr>(site).str());
  module->removeAttr("ds.sites");
  llvm::json::Array entryJson;
  for (const std::string &name : entries) {
    auto lowered = module.lookupSymbol<func::FuncOp>(name);
    CompileReport::Entry plan;
    plan.name = name;
    auto read = [&](StringRef attr) -> int64_t {
      if (auto value = lowered->getAttrOfType<IntegerAttr>(attr))
        return value.getInt();
      return 0;
    };
    plan.workspaceBytes = read("ds.workspace_bytes");
    plan.unplannedBytes = read("ds.unplanned_bytes");
    plan.buffers = read("ds.buffers");
    if (auto fusion = lowered->getAttrOfType<DictionaryAttr>(kFusionAttr)) {
      auto count = [&](StringRef name) -> int64_t {
        if (auto value = fusion.getAs<IntegerAttr>(name))
          return value.getInt();
        return 0;
      };
      plan.kernelsBefore = count("kernels_before");
      plan.kernelsAfter = count("kernels_after");
      plan.bytesBefore = count("bytes_before");
      plan.bytesAfter = count("bytes_after");
      plan.libraryCalls = count("library_calls");
      plan.libraryBytes = count("library_bytes");
    }
    report.entries.push_back(plan);
    entryJson.push_back(describeEntry(
        signatures->lookupSymbol<func::FuncOp>(name), plan));
  }

  bool cuda = options.target == "cuda";
  PassManager llvmLowering(ctx);
  llvm::json::Object kernelSites;
  if (cuda) {
    CudaPipelineOptions cudaOptions;
    std::optional<GpuChip> chip = parseGpuChip(options.gpuChip);
    if (!chip) {
      error = "unknown GPU '" + options.gpuChip + "' (sm_80, sm_90, sm_90a)";
      return failure();
    }
    cudaOptions.chip = *chip;
    cudaOptions.toolkit = options.cudaToolkit;
    PassManager kernels(ctx);
    buildCudaKernelPipeline(kernels, cudaOptions);
    if (failed(kernels.run(module)))
      return failure();
    // Where each kernel came from, before the launches become plain calls:
    // the runtime names it in the message when one fails.
    module.walk([&](gpu::LaunchFuncOp launch) {
      kernelSites[launch.getKernelName().getValue()] =
          describeLocation(launch.getLoc());
    });
    buildCudaHostPipeline(llvmLowering);
  } else {
    buildCpuLlvmPipeline(llvmLowering, pipelineOptions);
  }
  if (failed(llvmLowering.run(module)))
    return failure();
  report.lowerSeconds = secondsSince(start);

  // The manifest, and the description of the entry points the library
  // carries so that the runtime can refuse a manifest that does not match.
  NativeTarget target = hostTarget();
  llvm::json::Object manifest{
      {"format", "ds-artifact"},
      {"version", 1},
      {"target", options.target},
      {"triple", target.triple},
      {"cpu", target.cpu},
      {"library", "model.so"},
      {"cache_key", options.cacheKey},
      {"training_key", options.trainingKey},
      {"source", options.source},
      {"entries", std::move(entryJson)},
      {"sites", std::move(sites)}};
  if (cuda)
    manifest["gpu"] = llvm::json::Object{{"chip", options.gpuChip},
                                         {"kernels", std::move(kernelSites)}};
  std::string text;
  {
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)))
       << "\n";
  }
  if (failed(embedAbiText(module, text, error)))
    return failure();

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
    error = outputDir + ": " + ec.message();
    return failure();
  }
  auto inDir = [&](StringRef file) {
    llvm::SmallString<256> path(outputDir);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };
  // An old manifest must never describe a new library: it goes first.
  llvm::sys::fs::remove(inDir("manifest.json"));
  start = std::chrono::steady_clock::now();
  std::string objectPath = inDir("model.o");
  if (failed(emitObjectFile(module, target, options.optLevel, objectPath,
                            options.keepIntermediates ? inDir("model.ll") : "",
                            error)))
    return failure();
  report.codegenSeconds = secondsSince(start);

  start = std::chrono::steady_clock::now();
  // Link to a temporary name and rename: an artifact that is being rebuilt
  // never holds a half-written library.
  std::string libraryPath = inDir("model.so");
  if (failed(linkSharedLibrary(options, objectPath, libraryPath + ".tmp",
                               /*cpuKernels=*/!cuda, error)))
    return failure();
  if (std::error_code ec = llvm::sys::fs::rename(libraryPath + ".tmp",
                                                 libraryPath)) {
    error = libraryPath + ": " + ec.message();
    return failure();
  }
  if (!options.keepIntermediates)
    llvm::sys::fs::remove(objectPath);
  report.linkSeconds = secondsSince(start);

  if (!writeAtomically(inDir("manifest.json"), text, error))
    return failure();
  (void)ctx;
  return success();
}

} // namespace mlir::ds
