//===- ds-interp.cpp - run a model in the reference interpreter -----------===//
//
//   ds-interp models/tiny-moe.mlir --entry=loss --weights=w.safetensors \
//       --inputs=batch.safetensors --output=out.safetensors
//   ds-interp path/to/hf-checkpoint/ --inputs=batch.safetensors
//   ds-interp model.mlir ... --compare=golden.safetensors --expect=logits=logits_f32 --rtol=1e-4
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
static cl::opt<std::string> outputPath("output",
                                       cl::desc("Write the named outputs to this safetensors file"),
                                       cl::cat(category));
static cl::opt<std::string> comparePath("compare",
                                        cl::desc("Compare the outputs with tensors of this safetensors file"),
                                        cl::cat(category));
static cl::list<std::string> expectations("expect",
                                          cl::desc("output=tensor: which --compare tensor an output is checked against (default: same name)"),
                                          cl::cat(category));
static cl::opt<double> rtol("rtol", cl::desc("Relative error bound of --compare: ||out - ref|| / ||ref||"),
                            cl::init(1e-5), cl::cat(category));
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
  std::unique_ptr<ds::rt::SafetensorsReader> inputs;
  if (!inputsPath.empty()) {
    inputs = ds::rt::SafetensorsReader::open(inputsPath, error);
    if (!inputs)
      return fail(error);
  }
  // A model built from a config takes its batch shape from the tokens given,
  // unless told otherwise.
  if (inputs && !overrides.batchSize && !overrides.seqLen) {
    if (const ds::rt::TensorEntry *tokens = inputs->find("tokens");
        tokens && tokens->shape.size() == 2) {
      overrides.batchSize = tokens->shape[0];
      overrides.seqLen = tokens->shape[1];
    }
  }

  mlir::MLIRContext context;
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  ds::frontend::ModelSource source;
  if (!ds::frontend::loadModelSource(context, sourceMgr, modelPath, overrides,
                                     source, error))
    return fail(error);
  if (mlir::failed(mlir::verify(*source.module)))
    return fail(modelPath + ": the module does not verify");
  auto function = source.module->lookupSymbol<mlir::func::FuncOp>(entry);
  if (!function)
    return fail(modelPath + ": no function @" + entry);

  // Parameters: initialised, or read from the weight files.
  std::vector<ds::frontend::ParameterInfo> parameters =
      ds::frontend::listParameters(function);
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
  for (const ds::frontend::ParameterInfo &parameter : parameters) {
    isParameter[parameter.argIndex] = true;
    if (initialise) {
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
    if (!inputs)
      return fail("@" + entry + " takes input '" + name +
                  "': pass --inputs=<file.safetensors>");
    const ds::rt::TensorEntry *found = inputs->find(name);
    if (!found)
      return fail(inputsPath + ": no tensor '" + name + "' (input #" +
                  std::to_string(index) + " of @" + entry + ")");
    auto type =
        mlir::cast<mlir::RankedTensorType>(function.getArgumentTypes()[index]);
    auto kind = mlir::ds::reference::elementKindOf(type.getElementType());
    if (!ds::frontend::readTensor(*inputs, *found, *kind, arguments[index],
                                  error))
      return fail(error);
  }

  mlir::FailureOr<std::vector<Tensor>> results =
      mlir::ds::reference::interpret(function, arguments);
  if (mlir::failed(results))
    return fail("@" + entry + " failed at run time (see the error above)");

  std::vector<std::pair<std::string, Tensor>> named;
  for (auto [index, result] : llvm::enumerate(*results)) {
    named.emplace_back(resultName(function, index), result);
    printSummary(named.back().first, result);
  }
  if (!outputPath.empty() &&
      !ds::frontend::saveTensors(outputPath, named, error))
    return fail(error);

  if (comparePath.empty())
    return 0;
  std::map<std::string, std::string> expected;
  for (const std::string &pair : expectations) {
    size_t equals = pair.find('=');
    if (equals == std::string::npos)
      return fail("--expect wants output=tensor, got '" + pair + "'");
    expected[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  std::unique_ptr<ds::rt::SafetensorsReader> golden =
      ds::rt::SafetensorsReader::open(comparePath, error);
  if (!golden)
    return fail(error);
  bool allWithin = true;
  for (const auto &[name, tensor] : named) {
    std::string reference = expected.count(name) ? expected[name] : name;
    const ds::rt::TensorEntry *found = golden->find(reference);
    if (!found)
      return fail(comparePath + ": no tensor '" + reference + "' to compare '" +
                  name + "' with");
    Tensor want(tensor.kind, found->shape, golden->readAsDoubles(*found));
    double relative = mlir::ds::reference::relativeError(tensor, want);
    bool within = relative <= rtol;
    allWithin &= within;
    llvm::outs() << "compare " << name << " with " << reference
                 << ": relative error " << llvm::format("%.3e", relative)
                 << (within ? " <= " : " > ") << llvm::format("%.0e", rtol.getValue())
                 << (within ? " ok" : " FAILED") << "\n";
  }
  return allWithin ? 0 : 1;
}
