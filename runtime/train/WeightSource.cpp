//===- WeightSource.cpp - a model's weights from wherever they are --------===//

#include "runtime/train/WeightSource.h"

#include "runtime/TensorFiles.h"
#include "runtime/train/Checkpoint.h"

#include <filesystem>

namespace ds::rt {

namespace fs = std::filesystem;

std::vector<const TensorSpec *> parametersOf(const EntrySpec &entry) {
  std::vector<const TensorSpec *> parameters;
  for (const ArgumentSpec &argument : entry.arguments)
    if (argument.role == ArgumentRole::Param)
      parameters.push_back(&argument);
  return parameters;
}

namespace {

/// A ds-train run directory or one of its checkpoints, if `path` is one.
bool isCheckpointPath(const std::string &path, std::string &directory,
                      bool &single) {
  std::error_code ec;
  single = fs::exists(path + "/checkpoint.json", ec);
  if (single)
    return true;
  if (fs::is_directory(path + "/checkpoints", ec)) {
    directory = path + "/checkpoints";
    return true;
  }
  // A checkpoints directory itself: step-N subdirectories.
  if (!listCheckpoints(path).empty()) {
    directory = path;
    return true;
  }
  return false;
}

bool takeFromCheckpoint(Checkpoint &checkpoint,
                        const std::vector<const TensorSpec *> &wanted,
                        LoadedWeights &weights, std::string &error) {
  weights.origin = checkpoint.path;
  for (const TensorSpec *spec : wanted) {
    auto it = checkpoint.tensors.find(spec->name);
    if (it == checkpoint.tensors.end()) {
      error = checkpoint.path + ": no tensor '" + spec->name +
              "' (a checkpoint of another model?)";
      return false;
    }
    if (it->second.dtype() != spec->dtype || it->second.shape() != spec->shape) {
      error = checkpoint.path + ": tensor '" + spec->name + "' is " +
              formatType(it->second.dtype(), it->second.shape()) +
              ", but the model takes " + formatType(spec->dtype, spec->shape) +
              " (a checkpoint of another model?)";
      return false;
    }
    weights.tensors.insert_or_assign(spec->name, std::move(it->second));
  }
  return true;
}

} // namespace

bool loadWeights(const std::string &path,
                 const std::vector<const TensorSpec *> &wanted,
                 LoadedWeights &weights, std::string &error) {
  weights = LoadedWeights();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    error = path + ": no such checkpoint, run directory or weights file";
    return false;
  }
  std::string directory;
  bool single = false;
  if (isCheckpointPath(path, directory, single)) {
    std::optional<Checkpoint> checkpoint =
        single ? loadCheckpoint(path, error)
               : loadLatestCheckpoint(directory, weights.skipped, error);
    return checkpoint && takeFromCheckpoint(*checkpoint, wanted, weights, error);
  }
  WeightFiles files;
  if (!files.add(path, error))
    return false;
  weights.origin = path;
  for (const TensorSpec *spec : wanted) {
    if (!files.provides(spec->name)) {
      error = path + ": no tensor '" + spec->name +
              "', nor its per-layer tensors (weights of another model?)";
      return false;
    }
    std::optional<HostTensor> tensor = readTensor(files, *spec, error);
    if (!tensor)
      return false;
    weights.tensors.insert_or_assign(spec->name, std::move(*tensor));
  }
  return true;
}

} // namespace ds::rt
