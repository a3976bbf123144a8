//===- Checkpoint.cpp - Training checkpoints that never load wrong --------===//

#include "runtime/train/Checkpoint.h"

#include "runtime/data/AtomicFile.h"
#include "runtime/io/JsonReader.h"
#include "runtime/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unistd.h>

namespace ds::rt {

namespace fs = std::filesystem;

namespace {

constexpr const char *kFormat = "ds-checkpoint/1";
constexpr const char *kStateFile = "state.safetensors";
constexpr const char *kInfoFile = "checkpoint.json";

std::string stepName(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%08" PRId64, step);
  return name;
}

/// The step of a complete checkpoint directory name, or -1.
/// The step a directory named "step-N" holds, or -1 when the name is not of
/// that form or N does not fit the counter (so a directory named with a
/// 30-digit number is not a checkpoint, rather than a wrapped-around step).
int64_t stepOf(const std::string &name) {
  if (name.size() < 6 || name.compare(0, 5, "step-") != 0)
    return -1;
  int64_t step = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    const int digit = name[i] - '0';
    if (step > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return -1;
    step = step * 10 + digit;
  }
  return step;
}

} // namespace

bool checksumFile(const std::string &path, uint64_t &hash, uint64_t &bytes,
                  std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read";
    return false;
  }
  hash = 0xcbf29ce484222325ull;
  bytes = 0;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    const std::streamsize n = in.gcount();
    for (std::streamsize i = 0; i < n; ++i) {
      hash ^= uint8_t(buffer[size_t(i)]);
      hash *= 0x100000001b3ull;
    }
    bytes += uint64_t(n);
  }
  return true;
}

std::string formatChecksum(uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, hash);
  return text;
}

std::vector<std::string> listCheckpoints(const std::string &directory) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator(directory, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const int64_t step = stepOf(it->path().filename().string());
    if (step >= 0 && it->is_directory())
      found.emplace_back(step, it->path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> paths;
  for (auto &[step, path] : found)
    paths.push_back(path);
  return paths;
}

bool saveCheckpoint(const std::string &directory, const CheckpointInfo &info,
                    const NamedTensors &tensors, int keep, std::string &error) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    error = directory + ": cannot create: " + ec.message();
    return false;
  }
  const std::string final = directory + "/" + stepName(info.step);
  const std::string partial =
      final + ".partial-" + std::to_string(static_cast<long>(getpid()));
  fs::remove_all(partial, ec);
  fs::create_directory(partial, ec);
  if (ec) {
    error = partial + ": cannot create: " + ec.message();
    return false;
  }
  auto fail = [&](const std::string &message) {
    error = message;
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    return false;
  };
  std::vector<RawTensorToWrite> raw;
  for (const auto &[name, tensor] : tensors)
    raw.push_back(tensor.toWrite(name));
  const std::string state = partial + "/" + kStateFile;
  if (!writeSafetensorsRaw(state, raw, {{"format", kFormat}}, error))
    return fail(error);
  uint64_t hash = 0, bytes = 0;
  if (!checksumFile(state, hash, bytes, error))
    return fail(error);
  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["step"] = info.step;
  json["data"] = {{"epoch", info.data.epoch}, {"cursor", info.data.cursor}};
  json["seed"] = info.seed;
  json["notes"] = info.notes;
  json["files"] = {
      {kStateFile, {{"bytes", bytes}, {"fnv1a64", formatChecksum(hash)}}}};
  if (!writeFileAtomically(partial + "/" + kInfoFile, json.dump(2) + "\n",
                           error))
    return fail(error);
  // An older checkpoint of the same step (a rerun) is replaced whole.
  fs::remove_all(final, ec);
  if (std::rename(partial.c_str(), final.c_str()) != 0)
    return fail(final + ": cannot rename " + partial + " to it: " +
                std::strerror(errno));
  if (!syncParentDirectory(final, error))
    return false;
  // Prune: partial directories of any process, then all but the newest
  // `keep` complete checkpoints.
  for (auto it = fs::directory_iterator(directory, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().filename().string().find(".partial-") != std::string::npos)
      fs::remove_all(it->path(), ec);
  std::vector<std::string> complete = listCheckpoints(directory);
  for (size_t i = 0; keep > 0 && i + size_t(keep) < complete.size(); ++i)
    fs::remove_all(complete[i], ec);
  return true;
}

namespace {

/// Reads checkpoint.json into `checkpoint.info`, with the state file's
/// recorded size and checksum. Every field is checked (type, range) and the
/// step must be the one the directory is named after.
bool readInfo(const std::string &path, Checkpoint &checkpoint,
              uint64_t &stateBytes, std::string &stateHash,
              std::string &error) {
  const std::string infoPath = path + "/" + kInfoFile;
  std::optional<nlohmann::json> json = readJsonFile(infoPath, error);
  if (!json)
    return false;
  std::vector<std::string> problems;
  JsonReader r(*json, infoPath, "", problems);
  if (auto format = r.requireString("format"); format && *format != kFormat)
    r.fail("format", "expected \"" + std::string(kFormat) + "\", got \"" +
                         *format + "\"");
  if (auto step = r.requireCount("step")) {
    const int64_t named = stepOf(fs::path(path).filename().string());
    if (named >= 0 && named != *step)
      r.fail("step", std::to_string(*step) + " is not the directory's step " +
                         std::to_string(named));
    checkpoint.info.step = *step;
  }
  if (const nlohmann::json *data = r.requireObject("data")) {
    JsonReader d = r.child(*data, "data");
    checkpoint.info.data.epoch = d.requireUnsigned("epoch").value_or(0);
    checkpoint.info.data.cursor = d.requireUnsigned("cursor").value_or(0);
  }
  checkpoint.info.seed = r.requireUnsigned("seed").value_or(0);
  if (auto notes = r.stringMap("notes"))
    checkpoint.info.notes = std::move(*notes);
  if (const nlohmann::json *files = r.requireObject("files")) {
    JsonReader f = r.child(*files, "files");
    if (const nlohmann::json *state = f.requireObject(kStateFile)) {
      JsonReader s = f.child(*state, kStateFile);
      stateBytes = uint64_t(s.requireCount("bytes").value_or(0));
      stateHash = s.requireString("fnv1a64").value_or("");
    }
  }
  if (!r.ok()) {
    error = joinProblems(problems);
    return false;
  }
  return true;
}

} // namespace

std::optional<Checkpoint> loadCheckpoint(const std::string &path,
                                         std::string &error) {
  std::error_code ec;
  if (!fs::exists(path + "/" + kInfoFile, ec)) {
    error = path + ": no " + kInfoFile;
    return std::nullopt;
  }
  Checkpoint checkpoint;
  checkpoint.path = path;
  uint64_t wantBytes = 0;
  std::string wantHash;
  if (!readInfo(path, checkpoint, wantBytes, wantHash, error))
    return std::nullopt;
  uint64_t hash = 0, bytes = 0;
  const std::string state = path + "/" + kStateFile;
  if (!checksumFile(state, hash, bytes, error))
    return std::nullopt;
  if (bytes != wantBytes || formatChecksum(hash) != wantHash) {
    error = state + ": damaged: " + std::to_string(bytes) +
            " bytes with checksum " + formatChecksum(hash) + ", written as " +
            std::to_string(wantBytes) + " bytes with checksum " + wantHash;
    return std::nullopt;
  }
  auto reader = SafetensorsReader::open(state, error);
  if (!reader)
    return std::nullopt;
  for (const TensorEntry &entry : reader->tensors()) {
    auto tensor = HostTensor::fromSafetensors(*reader, entry, error);
    if (!tensor)
      return std::nullopt;
    checkpoint.tensors.emplace(entry.name, std::move(*tensor));
  }
  return checkpoint;
}

std::optional<Checkpoint>
loadLatestCheckpoint(const std::string &directory,
                     std::vector<std::string> &skipped, std::string &error) {
  std::vector<std::string> candidates = listCheckpoints(directory);
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    std::string problem;
    if (auto checkpoint = loadCheckpoint(*it, problem))
      return checkpoint;
    skipped.push_back(problem);
  }
  error = directory + ": no intact checkpoint" +
          (candidates.empty() ? " (none written yet)"
                              : " (" + std::to_string(candidates.size()) +
                                    " damaged)");
  return std::nullopt;
}

} // namespace ds::rt
