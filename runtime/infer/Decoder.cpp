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

/// Every token in [0, vocab); `what` names the call in the message.
bool checkTokens(std::span<const int32_t> tokens, int64_t vocab,
                 const char *what, std::string &error) {
  for (int32_t token : tokens)
    if (token < 0 || token >= vocab) {
      error = std::string(what) + ": token " + std::to_string(token) +
              " is outside the vocabulary [0, " + std::to_string(vocab) + ")";
      return false;
    }
  return true;
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
  if (!decoder.bindPrefill(spec, error))
    return std::nullopt;
  return decoder;
}

bool Decoder::bindPrefill(const EntrySpec &decodeSpec, std::string &error) {
  const Artifact::Entry *entry =
      executable->artifact().findEntry(kPrefillEntry);
  if (!entry)
    return true; // optional
  const EntrySpec &spec = *entry->spec;
  auto bad = [&](const std::string &what) {
    error = "the artifact's '" + std::string(kPrefillEntry) + "' entry " +
            what + " (expected @decode's arguments and results with tokens "
            "[B, T] and logits [B, T, V], T the cache length)";
    return false;
  };
  std::vector<const HostTensor *> bound;
  for (const ArgumentSpec &argument : spec.arguments) {
    if (argument.name == "tokens") {
      if (argument.dtype != DType::I32 ||
          argument.shape != std::vector<int64_t>{batch, capacity})
        return bad("takes tokens " +
                   formatType(argument.dtype, argument.shape));
      auto tokens = HostTensor::zeros(DType::I32, argument.shape, error);
      if (!tokens)
        return false;
      prefillTokens = std::make_unique<HostTensor>(std::move(*tokens));
      bound.push_back(prefillTokens.get());
      continue;
    }
    auto shared = std::find_if(
        decodeSpec.arguments.begin(), decodeSpec.arguments.end(),
        [&](const ArgumentSpec &a) { return a.name == argument.name; });
    if (shared == decodeSpec.arguments.end() ||
        shared->dtype != argument.dtype || shared->shape != argument.shape)
      return bad("takes '" + argument.name + "', which @decode does not");
    bound.push_back(&tensors[size_t(shared - decodeSpec.arguments.begin())]);
  }
  if (spec.results.empty() || spec.results[0].dtype != DType::F32 ||
      spec.results[0].shape != std::vector<int64_t>{batch, capacity, vocab})
    return bad("does not return f32 logits [B, T, V] first");
  std::vector<size_t> cacheResults;
  for (auto [argument, result] : caches) {
    const std::string &name = decodeSpec.arguments[argument].name;
    const ResultSpec *found = spec.findResult(name);
    if (!found)
      return bad("does not return the cache '" + name + "'");
    cacheResults.push_back(size_t(found - spec.results.data()));
  }
  prefillArguments = std::move(bound);
  prefillCacheResults = std::move(cacheResults);
  return true;
}

bool Decoder::prefill(std::span<const int32_t> tokens, int64_t count,
                      std::span<const float> &logits, std::string &error) {
  if (!canPrefill()) {
    error = "prefill: the artifact has no '" + std::string(kPrefillEntry) +
            "' entry";
    return false;
  }
  if (next != 0) {
    error = "prefill: the caches are not empty (position " +
            std::to_string(next) + ")";
    return false;
  }
  if (count < 1 || count > capacity ||
      int64_t(tokens.size()) != batch * count) {
    error = "prefill: " + std::to_string(tokens.size()) + " tokens for " +
            std::to_string(batch) + " sequences of " + std::to_string(count) +
            " (at most " + std::to_string(capacity) + ")";
    return false;
  }
  if (!checkTokens(tokens, vocab, "prefill", error))
    return false;
  // Padding (token 0) fills the rows past `count`; the cache rows it writes
  // lie past the position and are overwritten before any query sees them.
  int32_t *rows = prefillTokens->dataAs<int32_t>();
  std::fill(rows, rows + batch * capacity, 0);
  for (int64_t b = 0; b < batch; ++b)
    std::copy_n(tokens.data() + b * count, count, rows + b * capacity);
  *tensors[positionIndex].dataAs<int32_t>() = 0;
  if (!executable->run(kPrefillEntry, prefillArguments, prefillResults, error))
    return false;
  for (size_t c = 0; c < caches.size(); ++c)
    std::swap(tensors[caches[c].first], prefillResults[prefillCacheResults[c]]);
  lastLogits.resize(size_t(batch * vocab));
  const float *all = prefillResults[0].dataAs<float>();
  for (int64_t b = 0; b < batch; ++b)
    std::copy_n(all + (b * capacity + count - 1) * vocab, vocab,
                lastLogits.data() + b * vocab);
  next = count;
  logits = lastLogits;
  return true;
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
  if (!checkTokens(tokens, vocab, "decode step", error))
    return false;
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
