//===- Decoder.cpp - Token-by-token decoding over a KV cache --------------===//

#include "runtime/infer/Decoder.h"

#include <algorithm>
#include <cstring>

namespace ds::rt {

namespace {

constexpr std::string_view kCachePrefix = "cache.";

bool isCache(const std::string &name) {
  return name.compare(0, kCachePrefix.size(), kCachePrefix) == 0;
}

} // namespace

std::optional<Decoder> Decoder::create(std::shared_ptr<const Artifact> artifact,
                                       NamedTensors weights,
                                       std::string &error) {
  const Artifact::Entry *entry = artifact->findEntry(kEntry);
  if (!entry) {
    error = "the artifact has no '" + std::string(kEntry) + "' entry";
    return std::nullopt;
  }
  const EntrySpec &spec = *entry->spec;
  auto bad = [&](const std::string &what) {
    error = "the artifact's '" + std::string(kEntry) + "' entry " + what +
            " (expected decode(tokens [B, 1] i32, position i32, cache..., "
            "parameters...) -> (logits [B, 1, V] f32, cache...))";
    return std::nullopt;
  };
  const ArgumentSpec *tokens = spec.findArgument("tokens");
  const ArgumentSpec *position = spec.findArgument("position");
  if (!tokens || tokens->dtype != DType::I32 || tokens->shape.size() != 2 ||
      tokens->shape[1] != 1)
    return bad("has no 'tokens' argument of type i32 [B, 1]");
  if (!position || position->dtype != DType::I32 || !position->shape.empty())
    return bad("has no rank-0 i32 'position' argument");
  if (spec.results.empty() || spec.results[0].dtype != DType::F32 ||
      spec.results[0].shape.size() != 3 ||
      spec.results[0].shape[0] != tokens->shape[0] ||
      spec.results[0].shape[1] != 1)
    return bad("does not return f32 logits [B, 1, V] first");

  Decoder decoder(std::move(artifact));
  decoder.batch = tokens->shape[0];
  decoder.vocab = spec.results[0].shape[2];
  decoder.capacity = -1;
  for (size_t index = 0; index < spec.arguments.size(); ++index) {
    const ArgumentSpec &argument = spec.arguments[index];
    std::optional<HostTensor> tensor;
    if (&argument == tokens || &argument == position || isCache(argument.name)) {
      if (&argument == tokens)
        decoder.tokensIndex = index;
      else if (&argument == position)
        decoder.positionIndex = index;
      tensor = HostTensor::zeros(argument.dtype, argument.shape, error);
      if (!tensor)
        return std::nullopt;
    } else {
      auto it = weights.find(argument.name);
      if (it == weights.end() || it->second.dtype() != argument.dtype ||
          it->second.shape() != argument.shape) {
        error = "no weight '" + argument.name + "' of type " +
                formatType(argument.dtype, argument.shape) +
                " for the artifact's '" + std::string(kEntry) +
                "' entry (weights of another model?)";
        return std::nullopt;
      }
      tensor = std::move(it->second);
    }
    decoder.tensors.push_back(std::move(*tensor));
  }
  // Every cache comes back as the result of the same name and type. Caches
  // are [layers, B, positions, ...], all of the same length.
  for (size_t index = 0; index < spec.arguments.size(); ++index) {
    const ArgumentSpec &argument = spec.arguments[index];
    if (!isCache(argument.name))
      continue;
    auto result = std::find_if(
        spec.results.begin(), spec.results.end(),
        [&](const ResultSpec &r) { return r.name == argument.name; });
    if (result == spec.results.end() || result->dtype != argument.dtype ||
        result->shape != argument.shape)
      return bad("does not return its cache '" + argument.name +
                 "' with the argument's type");
    if (argument.shape.size() < 3 || argument.shape[1] != decoder.batch)
      return bad("has a cache '" + argument.name +
                 "' that is not [layers, B, positions, ...]");
    if (decoder.capacity >= 0 && argument.shape[2] != decoder.capacity)
      return bad("has caches of different lengths");
    decoder.capacity = argument.shape[2];
    decoder.caches.emplace_back(index, size_t(result - spec.results.begin()));
  }
  if (decoder.caches.empty())
    return bad("has no 'cache.*' arguments");
  for (const HostTensor &tensor : decoder.tensors)
    decoder.arguments.push_back(&tensor);
  return decoder;
}

bool Decoder::step(std::span<const int32_t> tokens,
                   std::span<const float> &logits, std::string &error) {
  if (int64_t(tokens.size()) != batch) {
    error = "decode step: " + std::to_string(tokens.size()) +
            " tokens for a batch of " + std::to_string(batch);
    return false;
  }
  if (next >= capacity) {
    error = "decode step: the KV cache is full (" + std::to_string(capacity) +
            " positions)";
    return false;
  }
  for (int32_t token : tokens)
    if (token < 0 || token >= vocab) {
      error = "decode step: token " + std::to_string(token) +
              " is outside the vocabulary [0, " + std::to_string(vocab) + ")";
      return false;
    }
  std::memcpy(tensors[tokensIndex].data(), tokens.data(),
              tokens.size() * sizeof(int32_t));
  *tensors[positionIndex].dataAs<int32_t>() = int32_t(next);
  if (!executable->run(kEntry, arguments, results, error))
    return false;
  // The updated caches become the next call's inputs; the old buffers are
  // reused for the next call's results.
  for (auto [argument, result] : caches)
    std::swap(tensors[argument], results[result]);
  ++next;
  logits = {results[0].dataAs<float>(), size_t(batch * vocab)};
  return true;
}

void Decoder::reset() {
  next = 0;
  for (auto [argument, result] : caches) {
    HostTensor &cache = tensors[argument];
    std::memset(cache.data(), 0, cache.byteSize());
  }
}

} // namespace ds::rt
