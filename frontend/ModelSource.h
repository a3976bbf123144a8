//===- ModelSource.h - a model from a file, a config or a checkpoint --------===//
//
// What the tools accept as "a model": a .mlir file, a config (textproto or a
// Hugging Face config.json), or a Hugging Face checkpoint directory (its
// config.json; its *.safetensors are the weights).
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_MODELSOURCE_H
#define DS_FRONTEND_MODELSOURCE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace ds::frontend {

/// Changes to a config before the model is built (tools' command-line
/// options). Ignored for .mlir inputs.
struct ConfigOverrides {
  std::optional<std::string> dtype; // "f32", "f64", "bf16", "f16"
  std::optional<int64_t> numLayers, batchSize, seqLen;
};

struct ModelSource {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// The checkpoint directory the model came from, if any: its weights.
  std::string checkpointDirectory;
  /// The finalized config as textproto, when built from a config (or read
  /// from the `ds.model_config` attribute of IR that ds-model built).
  std::string configText;
  /// Seconds spent building the IR from the config (0 for .mlir).
  double buildSeconds = 0.0;
  /// What loading the config noticed that is not an error (keys of a
  /// config.json ignored because they do not change the computation, ...),
  /// one line each; tools print them as notes.
  std::vector<std::string> notes;
};

/// Loads or builds the model at `path`. A .mlir file is added to `sourceMgr`
/// (give it a SourceMgrDiagnosticHandler to show errors with their source
/// lines); its parse errors go to the context's diagnostics, config errors to
/// `error`. Returns false on failure.
bool loadModelSource(mlir::MLIRContext &context, llvm::SourceMgr &sourceMgr,
                     const std::string &path,
                     const ConfigOverrides &overrides, ModelSource &source,
                     std::string &error);

} // namespace ds::frontend

#endif // DS_FRONTEND_MODELSOURCE_H
