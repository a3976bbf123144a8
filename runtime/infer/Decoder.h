//===- Decoder.h - Token-by-token decoding over a KV cache ------*- C++ -*-===//
//
// Runs a compiled model's @decode entry (frontend/builder/ModelBuilder.h):
//
//   decode(tokens [B, 1] i32, position i32, cache.*..., parameters...)
//       -> (logits [B, 1, V] f32, cache.*...)
//
// One call writes position `position` of all B sequences into the caches and
// returns the next-token logits there. The Decoder owns the caches (zeros at
// first) and feeds each call's updated caches to the next one, swapping
// buffers rather than copying them; it owns the weights too, bound once by
// name. The caches hold cacheLength() positions (the sequence length the
// model was compiled for); step() at a full cache is an error: the caller
// decides how to make room (reset() and feed a shorter context again).
//
// When the artifact also has @prefill (the same with T = cacheLength()
// tokens per call), prefill() feeds a whole prompt to empty caches in one
// call, padded to T: as fast as one @forward instead of one step per token.
//
// Ownership: the Decoder keeps the artifact alive and owns every tensor it
// passes to the model. Not thread-safe; one Decoder per thread.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_INFER_DECODER_H
#define DS_RUNTIME_INFER_DECODER_H

#include "runtime/Executable.h"

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ds::rt {

class Decoder {
public:
  /// The names of the entry points it runs.
  static constexpr const char *kEntry = "decode";
  static constexpr const char *kPrefillEntry = "prefill";

  /// Checks the artifact's decode entry (see the file comment) and binds
  /// `weights` to its parameters by name: each must be there with the
  /// argument's dtype and shape (the message names the first that is not).
  /// Weights it does not take are dropped.
  static std::optional<Decoder> create(std::shared_ptr<const Artifact> artifact,
                                       NamedTensors weights,
                                       std::string &error);

  Decoder(Decoder &&) = default;
  Decoder &operator=(Decoder &&) = default;

  int64_t batchSize() const { return batch; }
  int64_t vocabSize() const { return vocab; }
  /// Positions the caches hold.
  int64_t cacheLength() const { return capacity; }
  /// The next position step() writes: the number of tokens fed since the
  /// last reset().
  int64_t position() const { return next; }

  /// Feeds one token per sequence (`tokens.size() == batchSize()`) at
  /// position(), then advances it. `logits` views the next-token logits,
  /// [batchSize(), vocabSize()] row-major, valid until the next call.
  /// Fails (and changes nothing) when the caches are full or a token is
  /// outside the vocabulary.
  bool step(std::span<const int32_t> tokens, std::span<const float> &logits,
            std::string &error);

  /// Whether prefill() is available (the artifact has @prefill).
  bool canPrefill() const { return !prefillArguments.empty(); }

  /// Feeds `count` tokens per sequence (`tokens` is [batchSize(), count],
  /// row-major, 1 <= count <= cacheLength()) to empty caches (position() ==
  /// 0) in one call, then position() == count. `logits` views the logits
  /// after the last of them, [batchSize(), vocabSize()].
  bool prefill(std::span<const int32_t> tokens, int64_t count,
               std::span<const float> &logits, std::string &error);

  /// Empties the caches: the next step() writes position 0.
  void reset();

private:
  Decoder(std::shared_ptr<const Artifact> artifact)
      : executable(std::make_unique<Executable>(std::move(artifact))) {}
  /// Checks @prefill, when the artifact has one, against @decode's
  /// arguments and binds it to the same tensors.
  bool bindPrefill(const EntrySpec &decodeSpec, std::string &error);

  std::unique_ptr<Executable> executable;
  int64_t batch = 0, vocab = 0, capacity = 0, next = 0;
  /// One tensor per argument of the entry, in order; `arguments` points at
  /// them (the caches' pointers follow their buffers across swaps).
  std::vector<HostTensor> tensors;
  std::vector<const HostTensor *> arguments;
  std::vector<HostTensor> results;
  size_t tokensIndex = 0, positionIndex = 0;
  /// (argument index, result index) of every cache.
  std::vector<std::pair<size_t, size_t>> caches;

  /// @prefill's arguments: its own tokens [B, T] (on the heap, so that the
  /// pointer to it survives moving the Decoder), the rest shared with
  /// @decode (by name); the result index of each cache, as `caches`.
  std::unique_ptr<HostTensor> prefillTokens;
  std::vector<const HostTensor *> prefillArguments;
  std::vector<size_t> prefillCacheResults;
  std::vector<HostTensor> prefillResults;
  std::vector<float> lastLogits;
};

} // namespace ds::rt

#endif // DS_RUNTIME_INFER_DECODER_H
