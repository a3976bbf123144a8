//===- fuzz_checkpoint.cpp - checkpoint directories ------------------------===//
//
// Input: a run's checkpoint directory (FuzzFiles.h): `step-N/checkpoint.json`
// and `step-N/state.safetensors`, any number of steps, stray names too.
// Before loading, each checkpoint.json that names its state file gets that
// file's true size and checksum written in, as a checkpoint saved by DS
// would have: otherwise nearly every mutation would stop at the checksum and
// the fuzzer would never reach what comes after it. Then the newest intact
// checkpoint is loaded as a resuming run does, and every tensor read.
//
//===----------------------------------------------------------------------===//

#include "runtime/train/Checkpoint.h"
#include "test/fuzz/FuzzFiles.h"

#include <nlohmann/json.hpp>

using namespace ds;

namespace {

/// The checkpoint.json of `file` with the state file's recorded size and
/// checksum replaced by those of `state` (unchanged when it is not JSON of
/// that shape or there is no such file).
std::string withTrueChecksum(const fuzz::ScratchDirectory &scratch,
                             const fuzz::InputFile &file) {
  const std::string original(file.contents);
  nlohmann::json json = nlohmann::json::parse(original, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("files") ||
      !json["files"].is_object() ||
      !json["files"].contains("state.safetensors") ||
      !json["files"]["state.safetensors"].is_object())
    return original;
  const std::string directory =
      file.path.substr(0, file.path.size() - std::string("checkpoint.json").size());
  uint64_t hash = 0, bytes = 0;
  std::string error;
  if (!rt::checksumFile(scratch.path() + "/" + directory + "state.safetensors",
                        hash, bytes, error))
    return original;
  nlohmann::json &state = json["files"]["state.safetensors"];
  state["bytes"] = bytes;
  state["fnv1a64"] = rt::formatChecksum(hash);
  return json.dump();
}

bool endsWith(const std::string &text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ScratchDirectory scratch;
  auto files = scratch.unpack(data, size);
  if (!files)
    return -1; // not an input this target reads: kept out of the corpus
  for (const fuzz::InputFile &file : *files)
    if (endsWith(file.path, "checkpoint.json") &&
        !scratch.write(file.path, withTrueChecksum(scratch, file)))
      return -1;

  std::vector<std::string> skipped;
  std::string error;
  std::optional<rt::Checkpoint> checkpoint =
      rt::loadLatestCheckpoint(scratch.path(), skipped, error);
  if (!checkpoint)
    return 0;
  // Every byte of every tensor is read: a tensor whose size disagrees with
  // its shape would show here.
  uint64_t sum = 0;
  for (const auto &[name, tensor] : checkpoint->tensors)
    for (size_t i = 0; i < tensor.byteSize(); ++i)
      sum += tensor.data()[i];
  fuzz::keep(sum);
  (void)rt::listCheckpoints(scratch.path());
  return 0;
}
