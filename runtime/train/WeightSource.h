//===- WeightSource.h - a model's weights from wherever they are -*- C++ -*-===//
//
// The tools that take trained weights (ds-train --init, ds-sample
// --checkpoint, ds-export) accept them in every form a user has:
//
//   a ds-train run directory     its newest intact checkpoint
//   a step-N checkpoint          that checkpoint (checksums verified)
//   a Hugging Face checkpoint    config.json beside model.safetensors, or
//                                shards with model.safetensors.index.json
//   a safetensors file           tensors by name
//
// Tensors are found under the compiled model's names (DS checkpoints store
// parameters stacked over layers and experts) or, for a stacked parameter,
// gathered from its per-layer Hugging Face tensors; floats are converted to
// the model's types. Only the tensors asked for are read.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_WEIGHTSOURCE_H
#define DS_RUNTIME_TRAIN_WEIGHTSOURCE_H

#include "runtime/Executable.h"
#include "runtime/Manifest.h"

#include <string>
#include <vector>

namespace ds::rt {

struct LoadedWeights {
  NamedTensors tensors;
  /// What was read, for messages: the step-N directory, or `path`.
  std::string origin;
  /// Damaged checkpoints skipped on the way to an intact one.
  std::vector<std::string> skipped;
};

/// Reads the tensors `wanted` from `path` (see the file comment). Fails,
/// naming the tensor, when one is missing or of another shape (a checkpoint
/// of another model).
bool loadWeights(const std::string &path,
                 const std::vector<const TensorSpec *> &wanted,
                 LoadedWeights &weights, std::string &error);

/// The parameters of `entry` (its arguments with role "param"), in order.
std::vector<const TensorSpec *> parametersOf(const EntrySpec &entry);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_WEIGHTSOURCE_H
