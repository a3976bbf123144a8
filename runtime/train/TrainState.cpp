//===- TrainState.cpp - What a training run starts from and resumes -------===//

#include "runtime/train/TrainState.h"

#include "runtime/io/ParamInit.h"
#include "runtime/train/ShardedState.h"
#include "runtime/train/WeightSource.h"

#include <optional>
#include <vector>

namespace ds::rt {

/// The model's vocabulary: the rows of its token embedding.
int64_t modelVocabulary(const EntrySpec &entry) {
  for (const ArgumentSpec &argument : entry.arguments)
    if (argument.role == ArgumentRole::Param && !argument.shape.empty() &&
        (argument.name.ends_with("embed_tokens.weight") ||
         argument.name.ends_with("wte.weight")))
      return argument.wholeShape(entry.blocks(argument))[0];
  return -1;
}

bool isBatchArgument(const std::string &name) {
  return name == "tokens" || name == "targets";
}

/// The training state a new run starts from: parameters from their
/// initializers (or from `init`'s weights), everything else zero. A
/// parameter rank `rank` holds a block of (ZeRO-3) is made whole, so every
/// grid starts from the same weights, and cut.
bool initialState(const EntrySpec &entry, const std::string &init,
                  uint64_t seed, int64_t rank, NamedTensors &state,
                  std::string &error) {
  std::vector<TensorSpec> whole;
  for (const TensorSpec *parameter : parametersOf(entry)) {
    whole.push_back(*parameter);
    whole.back().shape = parameter->wholeShape(entry.blocks(*parameter));
  }
  std::vector<const TensorSpec *> wanted;
  for (const TensorSpec &spec : whole)
    wanted.push_back(&spec);
  LoadedWeights loaded;
  if (!init.empty() &&
      !loadWeights(init, wanted, loaded, error))
    return false;
  for (const ArgumentSpec &argument : entry.arguments) {
    if (isBatchArgument(argument.name))
      continue;
    std::optional<HostTensor> tensor;
    if (argument.role == ArgumentRole::Param && !init.empty()) {
      tensor = std::move(loaded.tensors.at(argument.name));
    } else if (argument.role == ArgumentRole::Param) {
      if (!argument.init) {
        error = "parameter '" + argument.name +
                "' has no initializer in the manifest (recompile the artifact)";
        return false;
      }
      const std::vector<int64_t> shape =
          argument.wholeShape(entry.blocks(argument));
      std::vector<double> values;
      if (!initialValues(argument.name, shape, *argument.init, seed,
                         values, error))
        return false;
      tensor = HostTensor::fromDoubles(argument.dtype, shape, values, error);
    } else {
      tensor = HostTensor::zeros(argument.dtype, argument.shape, error);
    }
    if (!tensor)
      return false;
    if (argument.role == ArgumentRole::Param && argument.splitDim) {
      tensor = blockOf(*tensor, *argument.splitDim,
                       entry.blockIndex(argument, rank),
                       entry.blocks(argument), error);
      if (!tensor)
        return false;
    }
    state.insert_or_assign(argument.name, std::move(*tensor));
  }
  return true;
}

/// Checks that a checkpoint holds every state tensor the entry takes, with
/// the right dtype and shape.
bool matchesEntry(const Checkpoint &checkpoint, const EntrySpec &entry,
                  std::string &error) {
  for (const ArgumentSpec &argument : entry.arguments) {
    if (isBatchArgument(argument.name))
      continue;
    auto it = checkpoint.tensors.find(argument.name);
    if (it == checkpoint.tensors.end()) {
      error = checkpoint.path + ": no tensor '" + argument.name +
              "', which the artifact's train_step takes";
      return false;
    }
    if (it->second.dtype() != argument.dtype ||
        it->second.shape() != argument.wholeShape(entry.blocks(argument))) {
      error = checkpoint.path + ": tensor '" + argument.name +
              "' does not have the dtype and shape the artifact expects";
      return false;
    }
  }
  return true;
}

} // namespace ds::rt
