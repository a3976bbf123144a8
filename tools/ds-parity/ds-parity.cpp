//===- ds-parity.cpp - compiled code against the reference interpreter ----===//
//
//   ds-parity ops.mlir --inputs=case.safetensors --rtol=1e-5
//   ds-parity models/tiny-moe.mlir --passes=ds-autodiff,ds-optimizer \
//       --entry=train_step --inputs=tokens.safetensors
//
// For every entry point: takes its arguments from --inputs by name (or draws
// them at random: floats uniform in [-1, 1], integers in [0, --int-range)),
// runs it in the reference interpreter and in code compiled by the CPU
// backend (an artifact loaded through libdsrt, exactly as ds-run does), and
// compares every result by relative L2 error. Exits non-zero if any result
// differs by more than --rtol, or if only one side reports a run-time error.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/reference/Interpreter.h"
#include "frontend/ModelSource.h"
#include "frontend/weights/Weights.h"
#include "passes/Passes.h"
#include "passes/codegen/Artifact.h"
#include "passes/lower/Pipeline.h"
#include "runtime/Executable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <random>

namespace cl = llvm::cl;
using mlir::ds::reference::ElementKind;
using mlir::ds::reference::Tensor;

static cl::OptionCategory category("ds-parity options");
static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir | config>"),
                                      cl::cat(category));
static cl::list<std::string> entries("entry", cl::CommaSeparated,
                                     cl::desc("Entry points to check"),
                                     cl::cat(category));
static cl::opt<std::string> passes("passes",
                                   cl::desc("Pass pipeline to run first"),
                                   cl::cat(category));
static cl::list<std::string> inputFiles(
    "inputs",
    cl::desc("safetensors files (or checkpoint directories) with arguments by "
             "name; a checkpoint directory given as the model comes first"),
    cl::cat(category));
static cl::opt<std::string> inputsDir(
    "inputs-dir",
    cl::desc("Directory with one <entry>.safetensors per entry point"),
    cl::cat(category));
static cl::opt<bool> skipUnsupported(
    "skip-unsupported",
    cl::desc("Skip entry points the CPU backend cannot compile (dynamic "
             "shapes, fp8) instead of failing"),
    cl::cat(category));
static cl::opt<double> rtol("rtol", cl::desc("Relative L2 error bound"),
                            cl::init(1e-5), cl::cat(category));
static cl::opt<unsigned> seed("seed", cl::desc("Seed of random inputs"),
                              cl::init(1), cl::cat(category));
static cl::opt<int64_t> intRange("int-range",
                                 cl::desc("Random integers lie in [0, N)"),
                                 cl::init(4), cl::cat(category));
static cl::opt<std::string> keep("artifact",
                                 cl::desc("Write the artifact here (default: "
                                          "a temporary directory)"),
                                 cl::cat(category));
static cl::opt<bool> noSharing(
    "no-memory-sharing",
    cl::desc("Give every buffer its own workspace bytes"), cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::Prefix,
                                  cl::desc("LLVM optimisation level (0-3)"),
                                  cl::init(3), cl::cat(category));
static cl::opt<bool> parallel(
    "parallel",
    cl::desc("Generated loops with enough work on OpenMP threads (default)"),
    cl::init(true), cl::cat(category));

static int fail(const std::string &message) {
  llvm::errs() << "ds-parity: " << message << "\n";
  return 1;
}

/// The argument's name as the manifest gives it.
static std::string argumentName(mlir::func::FuncOp function, unsigned i) {
  if (auto param = function.getArgAttrOfType<mlir::ds::ParamAttr>(
          i, mlir::ds::kParamAttrName))
    return param.getName().str();
  if (auto name = function.getArgAttrOfType<mlir::StringAttr>(
          i, mlir::ds::kNameAttrName))
    return name.str();
  return "arg" + std::to_string(i);
}

static std::string resultName(mlir::func::FuncOp function, unsigned i) {
  if (auto name = function.getResultAttrOfType<mlir::StringAttr>(
          i, mlir::ds::kNameAttrName))
    return name.str();
  return "result" + std::to_string(i);
}

/// safetensors' name of an element kind (as the manifest spells dtypes).
static const char *safetensorsName(ElementKind kind) {
  switch (kind) {
  case ElementKind::F64: return "F64";
  case ElementKind::F32: return "F32";
  case ElementKind::F16: return "F16";
  case ElementKind::BF16: return "BF16";
  case ElementKind::F8E4M3FN: return "F8_E4M3";
  case ElementKind::F8E5M2: return "F8_E5M2";
  case ElementKind::I1: return "BOOL";
  case ElementKind::I8: return "I8";
  case ElementKind::I16: return "I16";
  case ElementKind::I32: return "I32";
  case ElementKind::I64: return "I64";
  }
  return "?";
}

/// Whether the CPU backend compiles `function`: static signature, no fp8.
static bool compilable(mlir::func::FuncOp function) {
  for (mlir::Type type : function.getFunctionType().getInputs())
    if (!mlir::cast<mlir::ShapedType>(type).hasStaticShape())
      return false;
  for (mlir::Type type : function.getFunctionType().getResults())
    if (!mlir::cast<mlir::ShapedType>(type).hasStaticShape())
      return false;
  bool fp8 = false;
  function.walk([&](mlir::Operation *op) {
    for (mlir::Type type : llvm::concat<mlir::Type>(op->getOperandTypes(),
                                                    op->getResultTypes()))
      if (auto floatType = mlir::dyn_cast<mlir::FloatType>(
              mlir::getElementTypeOrSelf(type)))
        fp8 |= floatType.getWidth() == 8;
  });
  return !fp8;
}

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Compiled CPU code against the interpreter\n");

  mlir::DialectRegistry registry;
  mlir::ds::registerCompilerDialectsAndPasses(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  // A model built from a config takes its batch shape from the tokens in
  // --inputs, as ds-interp does.
  ds::frontend::ConfigOverrides overrides;
  std::string error;
  for (const std::string &path : inputFiles) {
    ds::frontend::WeightFiles files;
    if (!files.add(path, error))
      return fail(error);
    if (const ds::rt::TensorEntry *tokens = files.find("tokens").entry;
        tokens && tokens->shape.size() == 2) {
      overrides.batchSize = tokens->shape[0];
      overrides.seqLen = tokens->shape[1];
    }
  }
  ds::frontend::ModelSource source;
  if (!ds::frontend::loadModelSource(context, sourceMgr, inputPath, overrides,
                                     source, error))
    return fail(error);
  for (const std::string &note : source.notes)
    llvm::errs() << "ds-parity: note: " << note << "\n";
  mlir::ModuleOp module = *source.module;
  if (mlir::failed(mlir::verify(module)))
    return fail(inputPath + ": the module does not verify");
  if (!passes.empty() &&
      mlir::failed(mlir::ds::runPassPipeline(module, passes, error)))
    return fail("--passes: " + error);

  std::vector<std::string> names(entries.begin(), entries.end());
  if (names.empty())
    names = mlir::ds::defaultEntries(module);
  if (skipUnsupported) {
    std::vector<std::string> supported;
    for (const std::string &name : names) {
      auto function = module.lookupSymbol<mlir::func::FuncOp>(name);
      if (function && !compilable(function)) {
        llvm::outs() << "@" << name << ": skipped (dynamic shapes or fp8)\n";
        continue;
      }
      supported.push_back(name);
    }
    names = supported;
  }

  // Arguments by name: a checkpoint directory's weights first, then the
  // --inputs files, a later source overriding an earlier one. Stacked
  // parameters also come from their per-layer (Hugging Face) slices.
  std::vector<ds::frontend::WeightFiles> sources;
  std::vector<std::string> sourcePaths(inputFiles.begin(), inputFiles.end());
  if (!source.checkpointDirectory.empty())
    sourcePaths.insert(sourcePaths.begin(), source.checkpointDirectory);
  for (const std::string &path : sourcePaths) {
    sources.emplace_back();
    if (!sources.back().add(path, error))
      return fail(error);
  }

  // The reference results, before compilation consumes the module.
  std::mt19937_64 generator(seed);
  struct Case {
    std::string entry;
    std::vector<Tensor> arguments;
    std::vector<std::string> resultNames;
    mlir::FailureOr<std::vector<Tensor>> expected = mlir::failure();
  };
  std::vector<Case> cases;
  for (const std::string &name : names) {
    auto function = module.lookupSymbol<mlir::func::FuncOp>(name);
    if (!function)
      return fail(inputPath + ": no function @" + name);
    Case c;
    c.entry = name;
    ds::frontend::WeightFiles own;
    if (!inputsDir.empty() &&
        !own.add(inputsDir + "/" + name + ".safetensors", error))
      return fail(error);
    for (unsigned i = 0; i < function.getNumArguments(); ++i) {
      auto type = mlir::cast<mlir::RankedTensorType>(
          function.getArgument(i).getType());
      std::optional<ElementKind> kind =
          mlir::ds::reference::elementKindOf(type.getElementType());
      if (!kind)
        return fail("@" + name + ": unsupported argument type");
      std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
      Tensor tensor(*kind, shape);
      std::string argName = argumentName(function, i);
      const ds::frontend::WeightFiles *from = nullptr;
      for (const ds::frontend::WeightFiles &files : sources)
        if (files.provides(argName))
          from = &files;
      if (!own.empty() && own.provides(argName))
        from = &own;
      if (from) {
        if (!ds::frontend::readNamedTensor(*from, argName, *kind, shape, tensor,
                                           error))
          return fail("@" + name + ": input '" + argName + "': " + error);
        if (tensor.shape != shape)
          return fail("@" + name + ": input '" + argName + "' has shape " +
                      ds::rt::formatShape(tensor.shape) + ", expected " +
                      ds::rt::formatShape(shape));
      } else {
        std::uniform_real_distribution<double> real(-1.0, 1.0);
        std::uniform_int_distribution<int64_t> integer(
            0, std::max<int64_t>(intRange - 1, 0));
        // Second moments (exp_avg_sq.*) are never negative.
        bool nonNegative = llvm::StringRef(argName).starts_with("exp_avg_sq.");
        for (double &value : tensor.values) {
          value = isFloatKind(*kind) ? real(generator)
                                     : double(integer(generator));
          if (nonNegative)
            value = std::abs(value);
        }
      }
      tensor.roundValues();
      c.arguments.push_back(std::move(tensor));
    }
    for (unsigned i = 0; i < function.getNumResults(); ++i)
      c.resultNames.push_back(resultName(function, i));
    c.expected = mlir::ds::reference::interpret(function, c.arguments);
    cases.push_back(std::move(c));
  }

  llvm::SmallString<128> directory(keep);
  if (directory.empty() &&
      llvm::sys::fs::createUniqueDirectory("ds-parity", directory))
    return fail("cannot create a temporary directory");
  mlir::ds::CompileOptions options = mlir::ds::defaultCompileOptions();
  options.entries = names;
  options.parallel = parallel;
  options.optLevel = static_cast<int>(optLevel);
  options.shareMemory = !noSharing;
  options.source = inputPath;
  mlir::ds::CompileReport report;
  mlir::LogicalResult compiled = mlir::ds::compileArtifact(
      module, options, std::string(directory), report, error);
  if (mlir::failed(compiled))
    return fail(error.empty() ? "compilation failed (see the errors above)"
                              : error);
  auto artifact = ds::rt::Artifact::load(std::string(directory), error);
  if (!artifact)
    return fail(error);
  ds::rt::Executable executable(std::move(artifact));

  bool allOk = true;
  for (Case &c : cases) {
    std::vector<ds::rt::HostTensor> inputs;
    for (const Tensor &argument : c.arguments) {
      std::optional<ds::rt::DType> dtype =
          ds::rt::parseDType(safetensorsName(argument.kind));
      if (!dtype)
        return fail("@" + c.entry + ": no runtime dtype for " +
                    mlir::ds::reference::kindName(argument.kind));
      auto tensor = ds::rt::HostTensor::fromDoubles(*dtype, argument.shape,
                                                    argument.values, error);
      if (!tensor)
        return fail(error);
      inputs.push_back(std::move(*tensor));
    }
    std::vector<ds::rt::HostTensor> outputs;
    bool ran = executable.run(c.entry, std::span<const ds::rt::HostTensor>(inputs),
                              outputs, error);
    if (!ran || mlir::failed(c.expected)) {
      bool bothFailed = !ran && mlir::failed(c.expected);
      llvm::outs() << "@" << c.entry << ": "
                   << (ran ? "ran" : "run-time error: " + error)
                   << (mlir::failed(c.expected) ? " (the interpreter failed)"
                                                : " (the interpreter ran)")
                   << (bothFailed ? " both failed" : " MISMATCH") << "\n";
      allOk &= bothFailed;
      continue;
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor &expected = (*c.expected)[i];
      Tensor actual(expected.kind, expected.shape);
      for (int64_t j = 0; j < actual.numElements(); ++j)
        actual.values[j] = outputs[i].at(j);
      double relative = mlir::ds::reference::relativeError(actual, expected);
      bool ok = relative <= rtol;
      allOk &= ok;
      llvm::outs() << llvm::format("@%s %s: relative error %.3g (rtol %.3g) %s\n",
                                   c.entry.c_str(), c.resultNames[i].c_str(),
                                   relative, double(rtol),
                                   ok ? "ok" : "FAILED");
    }
  }
  if (keep.empty())
    llvm::sys::fs::remove_directories(directory);
  return allOk ? 0 : 1;
}
