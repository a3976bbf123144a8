//===- ds-interp.cpp - run a model in the reference interpreter -----------===//
//
//   ds-interp models/tiny-moe.mlir --entry=loss --weights=w.safetensors \
//       --inputs=batch.safetensors --output=out.safetensors
//   ds-interp path/to/hf-checkpoint/ --inputs=batch.safetensors
//   ds-interp model.mlir ... --compare=golden.safetensors --expect=logits=logits_f32 --rtol=1e-4
//   ds-interp model.mlir --passes=ds-autodiff --entry=loss_grad ... \
//       --compare-params=grads.safetensors --rtol=1e-5
//
// Inputs and outputs are safetensors files keyed by the entry function's
// `ds.name`s (tokens, targets; logits, loss). Parameters come from weight
// files (Hugging Face names) or are initialised from --init-seed.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/reference/Interpreter.h"
#include "frontend/ModelSource.h"
#include "frontend/weights/Weights.h"
#include "passes/Passes.h"
#include "passes/Registration.h"
#include "passes/autodiff/Autodiff.h"
#include "runtime/io/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>

namespace cl = llvm::cl;
using ds::frontend::Tensor;

static cl::OptionCategory category("ds-interp options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir | config | checkpoint dir>"),
                                      cl::cat(category));
static cl::opt<std::string> entry("entry", cl::desc("Function to run"),
                                  cl::init("forward"), cl::cat(category));
static cl::list<std::string> weights("weights",
                                     cl::desc("Safetensors file or directory of weights (repeatable)"),
                                     cl::cat(category));
static cl::opt<uint64_t> initSeed("init-seed",
                                  cl::desc("Initialise the parameters from this seed instead of loading them"),
                                  cl::cat(category));
static cl::opt<std::string> inputsPath("inputs",
                                       cl::desc("Safetensors file holding the entry's named inputs"),
                                       cl::cat(category));
static cl::opt<std::string> inputsPrefix("inputs-prefix",
                                         cl::desc("Look inputs up as <prefix><name> in --inputs"),
                                         cl::cat(category));
static cl::opt<std::string> statePath(
    "state",
    cl::desc("Safetensors file of named state (an earlier --output of "
             "train_step): parameters and inputs found in it under their exact "
             "names are taken from it"),
    cl::cat(category));
static cl::opt<bool> zeroMissing("zero-missing-inputs",
                                 cl::desc("Inputs found in no file start as zeros (fresh optimizer state, step 0)"),
                                 cl::cat(category));
static cl::opt<unsigned> steps(
    "steps",
    cl::desc("Run the entry this many times, feeding each output back into "
             "the argument of the same name (train_step's state) and printing "
             "the loss of each run"),
    cl::init(1), cl::cat(category));
static cl::opt<std::string> outputPath("output",
                                       cl::desc("Write the named outputs to this safetensors file"),
                                       cl::cat(category));
static cl::opt<bool> stackedNames(
    "stacked-names",
    cl::desc("--output keeps stacked tensors whole, under their stacked names "
             "(default: one tensor per layer and expert, under Hugging Face "
             "names, e.g. grad.model.layers.3.mlp.gate.weight)"),
    cl::cat(category));
static cl::opt<std::string> comparePath("compare",
                                        cl::desc("Compare the outputs with tensors of this safetensors file"),
                                        cl::cat(category));
static cl::list<std::string> expectations("expect",
                                          cl::desc("output=tensor: which --compare tensor an output is checked against (default: same name)"),
                                          cl::cat(category));
static cl::opt<double> rtol("rtol", cl::desc("Relative error bound of --compare: ||out - ref|| / ||ref||"),
                            cl::init(1e-5), cl::cat(category));
static cl::opt<std::string> passes("passes",
                                   cl::desc("Run this pass pipeline on the model first (e.g. ds-autodiff,ds-optimizer{lr=0.01})"),
                                   cl::cat(category));
static cl::opt<std::string> compareParamsPath(
    "compare-params",
    cl::desc("Compare outputs named like parameters (a parameter's new value, "
             "or grad.<parameter>) with a checkpoint of per-layer tensors under "
             "the parameters' names"),
    cl::cat(category));
static cl::opt<std::string> dtype("dtype", cl::desc("Override the config's element type (configs only)"),
                                  cl::cat(category));
static cl::opt<int64_t> batchSize("batch-size", cl::desc("Override shape.batch_size (configs only)"),
                                  cl::init(0), cl::cat(category));
static cl::opt<int64_t> seqLen("seq-len", cl::desc("Override shape.seq_len (configs only)"),
                               cl::init(0), cl::cat(category));

namespace {

int fail(const std::string &message) {
  llvm::errs() << "ds-interp: error: " << message << "\n";
  return 1;
}

/// The `ds.name` of argument or result `index`, or "argN" / "resultN".
std::string argumentName(mlir::func::FuncOp function, unsigned index) {
  if (auto name = function.getArgAttrOfType<mlir::StringAttr>(
          index, mlir::ds::kNameAttrName))
    return name.str();
  return "arg" + std::to_string(index);
}
std::string resultName(mlir::func::FuncOp function, unsigned index) {
  if (auto name = function.getResultAttrOfType<mlir::StringAttr>(
          index, mlir::ds::kNameAttrName))
    return name.str();
  return "result" + std::to_string(index);
}

void printSummary(const std::string &name, const Tensor &tensor) {
  llvm::outs() << name << ": " << mlir::ds::reference::kindName(tensor.kind)
               << " " << mlir::ds::reference::formatShape(tensor.shape);
  if (tensor.values.size() == 1) {
    llvm::outs() << " = " << llvm::format("%.9g", tensor.values[0]) << "\n";
    return;
  }
  // Small tensors are printed whole (row-major), larger ones summarised.
  if (tensor.values.size() <= 16) {
    llvm::outs() << " = [";
    for (size_t i = 0; i < tensor.values.size(); ++i)
      llvm::outs() << (i ? ", " : "") << llvm::format("%.9g", tensor.values[i]);
    llvm::outs() << "]\n";
    return;
  }
  double sum = 0.0, squares = 0.0;
  for (double value : tensor.values) {
    sum += value;
    squares += value * value;
  }
  double count = std::max<double>(1.0, tensor.values.size());
  llvm::outs() << ", mean " << llvm::format("%.6g", sum / count) << ", rms "
               << llvm::format("%.6g", std::sqrt(squares / count)) << "\n";
}

/// --compare-params: outputs named `grad.<param>` or `<param>` (a parameter
/// of the entry function) against the checkpoint's per-layer tensors.
bool compareParameters(mlir::func::FuncOp function,
                       const std::vector<std::pair<std::string, Tensor>> &named,
                       std::string &error) {
  ds::frontend::WeightFiles reference;
  if (!reference.add(compareParamsPath, error))
    return false;
  std::map<std::string, ds::frontend::ParameterInfo> parameters;
  for (const ds::frontend::ParameterInfo &info :
       ds::frontend::listParameters(function))
    parameters[info.name] = info;
  const std::string prefix = mlir::ds::kGradientNamePrefix;
  bool allWithin = true;
  int compared = 0, skipped = 0;
  double worst = 0.0;
  for (const auto &[name, tensor] : named) {
    std::string param = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size())
                                                    : name;
    auto found = parameters.find(param);
    if (found == parameters.end())
      continue;
    Tensor want;
    std::string loadError;
    if (!ds::frontend::loadParameter(found->second, reference, want,
                                     loadError)) {
      llvm::outs() << "compare-params " << name
                   << ": skipped (no reference: " << loadError << ")\n";
      ++skipped;
      continue;
    }
    want.kind = tensor.kind;
    double relative = mlir::ds::reference::relativeError(tensor, want);
    bool within = relative <= rtol;
    allWithin &= within;
    worst = std::max(worst, relative);
    ++compared;
    llvm::outs() << "compare-params " << name << ": relative error "
                 << llvm::format("%.3e", relative) << (within ? " ok" : " FAILED")
                 << "\n";
  }
  llvm::outs() << "compare-params: " << compared << " tensors compared, "
               << skipped << " skipped, worst relative error "
               << llvm::format("%.3e", worst)
               << (allWithin && compared > 0 ? " ok" : " FAILED") << "\n";
  return allWithin && compared > 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "DS reference interpreter\n");

  ds::frontend::ConfigOverrides overrides;
  if (!dtype.empty())
    overrides.dtype = dtype;
  if (batchSize > 0)
    overrides.batchSize = batchSize;
  if (seqLen > 0)
    overrides.seqLen = seqLen;

  std::string error;
  // --inputs and --state hold tensors by name: the argument's own, or, for
  // a stacked one, its per-layer slices (Hugging Face names).
  ds::frontend::WeightFiles inputs, state;
  if (!inputsPath.empty() && !inputs.add(inputsPath, error))
    return fail(error);
  if (!statePath.empty() && !state.add(statePath, error))
    return fail(error);
  // A model built from a config takes its batch shape from the tokens given,
  // unless told otherwise.
  if (!overrides.batchSize && !overrides.seqLen) {
    if (const ds::rt::TensorEntry *tokens = inputs.find("tokens").entry;
        tokens && tokens->shape.size() == 2) {
      overrides.batchSize = tokens->shape[0];
      overrides.seqLen = tokens->shape[1];
    }
  }

  // Every dialect and pass a --passes pipeline may name (policy budget of
  // --ds-remat lowers a copy of the module, for one).
  mlir::DialectRegistry registry;
  mlir::ds::registerCompilerDialectsAndPasses(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  ds::frontend::ModelSource source;
  if (!ds::frontend::loadModelSource(context, sourceMgr, modelPath, overrides,
                                     source, error))
    return fail(error);
  for (const std::string &note : source.notes)
    llvm::errs() << "ds-interp: note: " << note << "\n";
  if (mlir::failed(mlir::verify(*source.module)))
    return fail(modelPath + ": the module does not verify");
  if (!passes.empty()) {
    std::string pipelineError;
    if (mlir::failed(mlir::ds::runPassPipeline(*source.module, passes,
                                               pipelineError)))
      return fail("--passes: " + pipelineError);
  }
  auto function = source.module->lookupSymbol<mlir::func::FuncOp>(entry);
  if (!function)
    return fail(modelPath + ": no function @" + entry);

  // Parameters: initialised, or read from the weight files.
  std::vector<ds::frontend::ParameterInfo> parameters =
      ds::frontend::listParameters(function);
  if (!ds::frontend::checkParametersFit(parameters, error))
    return fail(error);
  std::vector<Tensor> arguments(function.getNumArguments());
  std::vector<bool> isParameter(function.getNumArguments(), false);
  bool initialise = initSeed.getNumOccurrences() > 0;
  ds::frontend::WeightFiles files;
  std::vector<std::string> weightPaths(weights.begin(), weights.end());
  if (weightPaths.empty() && !source.checkpointDirectory.empty() && !initialise)
    weightPaths.push_back(source.checkpointDirectory);
  if (!parameters.empty() && weightPaths.empty() && !initialise)
    return fail("@" + entry + " has " + std::to_string(parameters.size()) +
                " parameters: pass --weights or --init-seed");
  for (const std::string &path : weightPaths)
    if (!files.add(path, error))
      return fail(error);
  // Argument `index` from `files` under `name`, if they provide it.
  auto readNamed = [&](const ds::frontend::WeightFiles &files,
                       const std::string &name, unsigned index,
                       Tensor &value, bool &found) {
    auto type =
        mlir::cast<mlir::RankedTensorType>(function.getArgumentTypes()[index]);
    found = files.find(name).entry || files.provides(name);
    if (!found)
      return true;
    auto kind = mlir::ds::reference::elementKindOf(type.getElementType());
    std::vector<int64_t> shape;
    if (type.hasStaticShape())
      shape.assign(type.getShape().begin(), type.getShape().end());
    return ds::frontend::readNamedTensor(files, name, *kind, shape, value,
                                         error);
  };
  for (const ds::frontend::ParameterInfo &parameter : parameters) {
    isParameter[parameter.argIndex] = true;
    bool found = false;
    if (!readNamed(state, parameter.name, parameter.argIndex,
                   arguments[parameter.argIndex], found))
      return fail(error);
    if (found) {
      continue;
    } else if (initialise) {
      arguments[parameter.argIndex] =
          ds::frontend::initializeParameter(parameter, initSeed);
    } else if (!ds::frontend::loadParameter(parameter, files,
                                            arguments[parameter.argIndex],
                                            error)) {
      return fail(error);
    }
  }

  // Named inputs.
  for (unsigned index = 0; index < function.getNumArguments(); ++index) {
    if (isParameter[index])
      continue;
    std::string name = argumentName(function, index);
    bool found = false;
    if (!readNamed(inputs, inputsPrefix + name, index, arguments[index],
                   found))
      return fail(error);
    if (found)
      continue;
    if (!readNamed(state, name, index, arguments[index], found))
      return fail(error);
    if (found)
      continue;
    auto type =
        mlir::cast<mlir::RankedTensorType>(function.getArgumentTypes()[index]);
    if (zeroMissing && type.hasStaticShape()) {
      arguments[index] = Tensor(
          *mlir::ds::reference::elementKindOf(type.getElementType()),
          std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
      continue;
    }
    if (inputsPath.empty())
      return fail("@" + entry + " takes input '" + name +
                  "': pass --inputs=<file.safetensors>");
    return fail(inputsPath + ": no tensor '" + inputsPrefix + name +
                "' (input #" + std::to_string(index) + " of @" + entry + ")");
  }

  // Which argument each output replaces when the entry runs again: the one
  // with the same name (a parameter's name, or its ds.name).
  std::map<std::string, unsigned> argumentByName;
  for (unsigned index = 0; index < function.getNumArguments(); ++index) {
    if (auto param = function.getArgAttrOfType<mlir::ds::ParamAttr>(
            index, mlir::ds::kParamAttrName))
      argumentByName[param.getName().str()] = index;
    else
      argumentByName[argumentName(function, index)] = index;
  }
  mlir::FailureOr<std::vector<Tensor>> results;
  for (unsigned run = 0; run < steps; ++run) {
    results = mlir::ds::reference::interpret(function, arguments);
    if (mlir::failed(results))
      return fail("@" + entry + " failed at run time (see the error above)");
    if (steps == 1)
      break;
    for (auto [index, result] : llvm::enumerate(*results)) {
      std::string name = resultName(function, index);
      if (name == "loss")
        llvm::outs() << "step " << run + 1 << ": loss "
                     << llvm::format("%.6f", result.values.front()) << "\n";
      auto found = argumentByName.find(name);
      if (found != argumentByName.end())
        arguments[found->second] = result;
    }
  }

  std::vector<std::pair<std::string, Tensor>> named;
  for (auto [index, result] : llvm::enumerate(*results)) {
    named.emplace_back(resultName(function, index), result);
    printSummary(named.back().first, result);
  }
  // --output is written only when every comparison passed: a failing
  // command leaves no file behind (and replaces none).
  auto finish = [&](bool allWithin) {
    if (!allWithin)
      return 1;
    if (!outputPath.empty() &&
        !ds::frontend::saveTensors(outputPath, named, error, !stackedNames))
      return fail(error);
    return 0;
  };

  bool allWithin = true;
  if (!compareParamsPath.empty())
    allWithin &= compareParameters(function, named, error);
  if (!error.empty())
    return fail(error);
  if (comparePath.empty())
    return finish(allWithin);
  std::map<std::string, std::string> expected;
  for (const std::string &pair : expectations) {
    size_t equals = pair.find('=');
    if (equals == std::string::npos)
      return fail("--expect wants output=tensor, got '" + pair + "'");
    expected[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  // The reference tensors: under the output's name, or, for a stacked
  // output, its per-layer slices.
  ds::frontend::WeightFiles golden;
  if (!golden.add(comparePath, error))
    return fail(error);
  for (const auto &[name, tensor] : named) {
    // With --expect, exactly the outputs it names are compared.
    if (!expected.empty() && !expected.count(name))
      continue;
    std::string reference = expected.count(name) ? expected[name] : name;
    Tensor want;
    std::string readError;
    // Floats are read exactly (as f64), whatever the output's precision.
    const auto kind = mlir::ds::reference::isFloatKind(tensor.kind)
                          ? mlir::ds::reference::ElementKind::F64
                          : tensor.kind;
    if (!ds::frontend::readNamedTensor(golden, reference, kind, tensor.shape,
                                       want, readError))
      return fail(comparePath + ": no tensor '" + reference + "' to compare '" +
                  name + "' with (" + readError + ")");
    want.kind = tensor.kind;
    double relative = mlir::ds::reference::relativeError(tensor, want);
    bool within = relative <= rtol;
    allWithin &= within;
    llvm::outs() << "compare " << name << " with " << reference
                 << ": relative error " << llvm::format("%.3e", relative)
                 << (within ? " <= " : " > ") << llvm::format("%.0e", rtol.getValue())
                 << (within ? " ok" : " FAILED") << "\n";
  }
  return finish(allWithin);
}
