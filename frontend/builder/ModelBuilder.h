//===- ModelBuilder.h - ds IR from a model config ---------------*- C++ -*-===//
//
// Emits a model's forward graph in the ds dialect from a validated
// ModelConfig (see frontend/config/ModelConfig.h):
//
//   @forward(tokens [B,T] i32, parameters...) -> logits [B,T,V]
//   @loss(tokens, targets [B,T] i32, parameters...) -> mean cross-entropy
//   @decode(tokens [B,1] i32, position i32, caches..., parameters...)
//       -> (logits [B,1,V], caches...)
//
//   @prefill(tokens [B,T] i32, position i32, caches..., parameters...)
//       -> (logits [B,T,V], caches...)
//
// @decode runs one position of every sequence against a KV cache of seq_len
// positions: arguments named `cache.*` (zeros to start) come back updated
// as the results of the same name, and the logits equal @forward's at
// `position` for the same tokens. @prefill does the same for T positions
// from `position` (so, from 0: a prompt of up to T tokens, padded, in one
// call; the rows written for padding are overwritten by later steps before
// any query sees them).
//
// Each distinct layer kind is one function; all layers of a kind are one
// ds.scan over parameters stacked along a leading layer dimension, so the IR
// is the same size for 4 layers or 61.
//
//===----------------------------------------------------------------------===//

#ifndef DS_FRONTEND_BUILDER_MODELBUILDER_H
#define DS_FRONTEND_BUILDER_MODELBUILDER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace ds::config {
class ModelConfig;
} // namespace ds::config

namespace ds::frontend {

/// The names of the entry points every built model has.
inline constexpr const char *kForwardEntry = "forward";
inline constexpr const char *kLossEntry = "loss";
inline constexpr const char *kDecodeEntry = "decode";
inline constexpr const char *kPrefillEntry = "prefill";

/// Builds the module for `config`, which must have passed
/// finalizeModelConfig. The context gets the dialects it needs loaded.
/// The result verifies; the caller may verify again.
mlir::OwningOpRef<mlir::ModuleOp> buildModel(mlir::MLIRContext &context,
                                             const config::ModelConfig &config);

} // namespace ds::frontend

#endif // DS_FRONTEND_BUILDER_MODELBUILDER_H
