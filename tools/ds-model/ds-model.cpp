//===- ds-model.cpp - build a model's ds IR from its config ---------------===//
//
//   ds-model models/tiny-moe.textproto -o tiny-moe.mlir
//   ds-model path/to/hf-checkpoint/ --timing -o /dev/null
//   ds-model models/tiny-moe.textproto --init-weights=w.safetensors --seed=1
//
// Emits @forward and @loss (see frontend/builder/ModelBuilder.h), verifies
// them, and optionally writes freshly initialised weights under their
// checkpoint names.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "frontend/ModelSource.h"
#include "frontend/config/ModelConfig.h"
#include "frontend/builder/ModelBuilder.h"
#include "frontend/weights/Weights.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace cl = llvm::cl;

static cl::OptionCategory category("ds-model options");
static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<config.textproto | config.json | checkpoint dir>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output .mlir file"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(category));
static cl::opt<std::string> dtype("dtype",
                                  cl::desc("Override the element type: f32, f64, bf16, f16"),
                                  cl::cat(category));
static cl::opt<int64_t> numLayers("num-layers", cl::desc("Override num_hidden_layers"),
                                  cl::init(0), cl::cat(category));
static cl::opt<int64_t> batchSize("batch-size", cl::desc("Override shape.batch_size"),
                                  cl::init(0), cl::cat(category));
static cl::opt<int64_t> seqLen("seq-len", cl::desc("Override shape.seq_len"),
                               cl::init(0), cl::cat(category));
static cl::opt<bool> printConfig("print-config",
                                 cl::desc("Print the finalized config (textproto) and exit"),
                                 cl::cat(category));
static cl::opt<bool> printHfConfig(
    "print-hf-config",
    cl::desc("Print the Hugging Face config.json that describes the model "
             "and exit"),
    cl::cat(category));
static cl::opt<bool> timing("timing",
                            cl::desc("Report build and verify times and the IR size on stderr"),
                            cl::cat(category));
static cl::opt<std::string> initWeights("init-weights",
                                        cl::desc("Write initialised weights to this safetensors file"),
                                        cl::value_desc("file"), cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of --init-weights"),
                              cl::init(0), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "DS model builder\n");

  ds::frontend::ConfigOverrides overrides;
  if (!dtype.empty())
    overrides.dtype = dtype;
  if (numLayers > 0)
    overrides.numLayers = numLayers;
  if (batchSize > 0)
    overrides.batchSize = batchSize;
  if (seqLen > 0)
    overrides.seqLen = seqLen;

  mlir::MLIRContext context;
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  ds::frontend::ModelSource source;
  std::string error;
  if (!ds::frontend::loadModelSource(context, sourceMgr, inputPath, overrides,
                                     source, error)) {
    llvm::errs() << "ds-model: error: " << error << "\n";
    return 1;
  }
  for (const std::string &note : source.notes)
    llvm::errs() << "ds-model: note: " << note << "\n";
  if (printConfig) {
    llvm::outs() << source.configText;
    return 0;
  }
  if (printHfConfig) {
    ds::config::ModelConfig config;
    std::string json;
    if (source.configText.empty() ||
        !ds::config::parseTextprotoConfig(source.configText, inputPath, config,
                                          error) ||
        !ds::config::exportHfConfigJson(config, json, error)) {
      llvm::errs() << "ds-model: error: "
                   << (source.configText.empty()
                           ? inputPath + ": not a model config"
                           : error)
                   << "\n";
      return 1;
    }
    llvm::outs() << json;
    return 0;
  }

  auto start = std::chrono::steady_clock::now();
  if (mlir::failed(mlir::verify(*source.module))) {
    llvm::errs() << "ds-model: error: the built module does not verify\n";
    return 1;
  }
  double verifySeconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count();

  std::string text;
  llvm::raw_string_ostream stream(text);
  stream << "// Generated by ds-model from " << inputPath
         << "; regenerate rather than edit.\n";
  source.module->print(stream);
  stream.flush();
  if (timing)
    llvm::errs() << "build: " << llvm::format("%.3f", source.buildSeconds)
                 << " s, verify: " << llvm::format("%.3f", verifySeconds)
                 << " s, IR: " << text.size() << " bytes\n";

  // What --init-weights needs is checked before anything is written: a
  // failing command leaves no output behind.
  std::vector<ds::frontend::ParameterInfo> parameters;
  if (!initWeights.empty()) {
    auto forward = source.module->lookupSymbol<mlir::func::FuncOp>(
        ds::frontend::kForwardEntry);
    if (!forward) {
      llvm::errs() << "ds-model: error: --init-weights needs a @forward "
                      "function\n";
      return 1;
    }
    parameters = ds::frontend::listParameters(forward);
    if (!ds::frontend::checkParametersFit(parameters, error)) {
      llvm::errs() << "ds-model: error: --init-weights: " << error << "\n";
      return 1;
    }
  }

  // Both outputs or neither: the IR goes to a temporary file that replaces
  // -o's only after the weights (written atomically themselves) are saved.
  bool weightsFailed = false;
  llvm::Error written = llvm::writeToOutput(
      outputPath, [&](llvm::raw_ostream &os) -> llvm::Error {
        os << text;
        if (initWeights.empty())
          return llvm::Error::success();
        std::vector<ds::frontend::Tensor> values;
        for (const auto &parameter : parameters)
          values.push_back(ds::frontend::initializeParameter(parameter, seed));
        if (ds::frontend::saveParameters(initWeights, parameters, values,
                                         error))
          return llvm::Error::success();
        weightsFailed = true;
        os.flush(); // see ds-opt.cpp: the temporary file is closed next
        return llvm::createStringError(error);
      });
  if (written) {
    const std::string message = llvm::toString(std::move(written));
    llvm::errs() << "ds-model: error: "
                 << (weightsFailed ? message : outputPath + ": " + message)
                 << "\n";
    return 1;
  }
  return 0;
}
