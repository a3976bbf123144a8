//===- Checkpoint.cpp - Training checkpoints that never load wrong --------===//

#include "runtime/train/Checkpoint.h"

#include "runtime/data/AtomicFile.h"
#include "runtime/io/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
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
int64_t stepOf(const std::string &name) {
  if (name.size() < 6 || name.compare(0, 5, "step-") != 0)
    return -1;
  int64_t step = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

/// FNV-1a 64 and size of a file's bytes.
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

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, value);
  return text;
}

} // namespace

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
  json["files"] = {{kStateFile, {{"bytes", bytes}, {"fnv1a64", hex(hash)}}}};
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

std::optional<Checkpoint> loadCheckpoint(const std::string &path,
                                         std::string &error) {
  std::ifstream in(path + "/" + kInfoFile);
  if (!in) {
    error = path + ": no " + kInfoFile;
    return std::nullopt;
  }
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded() || !json.is_object() ||
      json.value("format", "") != kFormat) {
    error = path + "/" + kInfoFile + ": not a " + kFormat + " description";
    return std::nullopt;
  }
  Checkpoint checkpoint;
  checkpoint.path = path;
  try {
    checkpoint.info.step = json.at("step").get<int64_t>();
    checkpoint.info.data.epoch = json.at("data").at("epoch").get<uint64_t>();
    checkpoint.info.data.cursor = json.at("data").at("cursor").get<uint64_t>();
    checkpoint.info.seed = json.at("seed").get<uint64_t>();
    checkpoint.info.notes =
        json.at("notes").get<std::map<std::string, std::string>>();
    const auto &file = json.at("files").at(kStateFile);
    const uint64_t wantBytes = file.at("bytes").get<uint64_t>();
    const std::string wantHash = file.at("fnv1a64").get<std::string>();
    uint64_t hash = 0, bytes = 0;
    const std::string state = path + "/" + kStateFile;
    if (!checksumFile(state, hash, bytes, error))
      return std::nullopt;
    if (bytes != wantBytes || hex(hash) != wantHash) {
      error = state + ": damaged: " + std::to_string(bytes) +
              " bytes with checksum " + hex(hash) + ", written as " +
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
  } catch (const nlohmann::json::exception &e) {
    error = path + "/" + kInfoFile + ": " + e.what();
    return std::nullopt;
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
