//===- ModelSource.cpp - a model from a file, a config or a checkpoint ----===//

#include "frontend/ModelSource.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/SafeParse.h"
#include "frontend/builder/ModelBuilder.h"
#include "frontend/config/ModelConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <filesystem>

using namespace ds::frontend;

static bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Applies the command-line overrides and re-validates.
static bool applyOverrides(ds::config::ModelConfig &config,
                           const ConfigOverrides &overrides,
                           const std::string &path, std::string &error) {
  if (overrides.dtype) {
    const std::string &name = *overrides.dtype;
    if (name == "f32")
      config.set_dtype(ds::config::F32);
    else if (name == "f64")
      config.set_dtype(ds::config::F64);
    else if (name == "bf16")
      config.set_dtype(ds::config::BF16);
    else if (name == "f16")
      config.set_dtype(ds::config::F16);
    else {
      error = "--dtype: unknown element type '" + name +
              "' (expected f32, f64, bf16 or f16)";
      return false;
    }
  }
  if (overrides.numLayers)
    config.set_num_hidden_layers(*overrides.numLayers);
  if (overrides.batchSize)
    config.mutable_shape()->set_batch_size(*overrides.batchSize);
  if (overrides.seqLen)
    config.mutable_shape()->set_seq_len(*overrides.seqLen);
  return ds::config::finalizeModelConfig(config, path, error);
}

bool ds::frontend::loadModelSource(mlir::MLIRContext &context,
                                   llvm::SourceMgr &sourceMgr,
                                   const std::string &path,
                                   const ConfigOverrides &overrides,
                                   ModelSource &source, std::string &error) {
  context.loadDialect<mlir::ds::DsDialect, mlir::func::FuncDialect>();
  if (endsWith(path, ".mlir") || path == "-") {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
    if (!buffer) {
      error = path + ": " + buffer.getError().message();
      return false;
    }
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    source.module = mlir::ds::parseModuleSafely(sourceMgr, &context);
    if (!source.module) {
      error = path + ": could not parse the module (see the errors above)";
      return false;
    }
    // IR that ds-model built records its config.
    if (auto config = (*source.module)->getAttrOfType<mlir::StringAttr>(
            mlir::ds::kModelConfigAttrName))
      source.configText = config.getValue().str();
    return true;
  }

  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    source.checkpointDirectory = path;
  ds::config::ModelConfig config;
  if (!ds::config::loadModelConfig(path, config, error, &source.notes) ||
      !applyOverrides(config, overrides, path, error))
    return false;
  source.configText = ds::config::toTextproto(config);
  auto start = std::chrono::steady_clock::now();
  source.module = buildModel(context, config);
  source.buildSeconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count();
  return true;
}
