//===- TensorFiles.h - arguments from and results to safetensors -*- C++ -*-===//
//
// How the runtime's tools move an entry's tensors in and out of files, in
// the two namings a tensor can have:
//
// * stacked: the compiled model's own argument names, one tensor for all
//   layers or experts of a kind (`model.layers.[1:4].mlp.gate.weight`,
//   shape [3, E, D]);
// * per layer: Hugging Face's names, one tensor per layer and expert
//   (`model.layers.1.mlp.gate.weight` ... `model.layers.3.mlp.gate.weight`).
//
// Reading accepts either (runtime/io/WeightFiles.h gathers the slices), so a
// Hugging Face checkpoint directory feeds a compiled model as it is; writing
// uses per-layer names by default, so what DS writes loads in transformers
// and reads back into any grid of layers.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TENSORFILES_H
#define DS_RUNTIME_TENSORFILES_H

#include "runtime/HostTensor.h"
#include "runtime/Manifest.h"
#include "runtime/io/WeightFiles.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ds::rt {

/// `spec.name` read from `files` with `spec`'s dtype and shape (converted
/// from the stored type; stacked names gather their slices). Nullopt and
/// `error` (naming the tensor and the file) when it is missing or does not
/// fit.
std::optional<HostTensor> readTensor(const WeightFiles &files,
                                     const TensorSpec &spec,
                                     std::string &error);

/// A tensor to write and the name to write it under.
using NamedTensorRef = std::pair<std::string, const HostTensor *>;

/// Writes `tensors` to `path` atomically. With `unstack`, a tensor whose name
/// stacks layers or experts is written as one tensor per slice under the
/// per-layer names (its bytes, unconverted); other names are written as
/// they are.
bool writeTensors(const std::string &path,
                  const std::vector<NamedTensorRef> &tensors, bool unstack,
                  const std::map<std::string, std::string> &metadata,
                  std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_TENSORFILES_H
