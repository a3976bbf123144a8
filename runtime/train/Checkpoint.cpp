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

namespace {

/// `<directory>/step-N` and its partial directory `...partial-<tag>`,
/// created empty (with `directory`).
bool makePartialDirectory(const std::string &directory, int64_t step,
                          int64_t tag, std::string &partial,
                          std::string &final, std::string &error) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) {
    error = directory + ": cannot create: " + ec.message();
    return false;
  }
  final = directory + "/" + stepName(step);
  partial = final + ".partial-" + std::to_string(tag);
  fs::remove_all(partial, ec);
  fs::create_directory(partial, ec);
  if (ec) {
    error = partial + ": cannot create: " + ec.message();
    return false;
  }
  return true;
}

/// Writes `tensors` to `path` and returns its size and checksum.
bool writeTensorFile(const std::string &path,
                     const std::vector<RawTensorToWrite> &tensors,
                     uint64_t &bytes, uint64_t &hash, std::string &error) {
  return writeSafetensorsRaw(path, tensors, {{"format", kFormat}}, error) &&
         checksumFile(path, hash, bytes, error);
}

nlohmann::ordered_json infoJson(const CheckpointInfo &info) {
  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["step"] = info.step;
  json["data"] = {{"epoch", info.data.epoch}, {"cursor", info.data.cursor}};
  json["seed"] = info.seed;
  json["notes"] = info.notes;
  return json;
}

nlohmann::ordered_json fileRecord(uint64_t bytes, uint64_t hash) {
  return {{"bytes", bytes}, {"fnv1a64", formatChecksum(hash)}};
}

/// checkpoint.json into `partial`, then `partial` renamed to `final`, then
/// all but the newest `keep` checkpoints and every partial one removed.
bool commit(const std::string &directory, const std::string &partial,
            const std::string &final, const nlohmann::ordered_json &json,
            int keep, std::string &error) {
  std::error_code ec;
  if (!writeFileAtomically(partial + "/" + kInfoFile, json.dump(2) + "\n",
                           error))
    return false;
  // An older checkpoint of the same step (a rerun) is replaced whole.
  fs::remove_all(final, ec);
  if (std::rename(partial.c_str(), final.c_str()) != 0) {
    error = final + ": cannot rename " + partial + " to it: " +
            std::strerror(errno);
    return false;
  }
  if (!syncParentDirectory(final, error))
    return false;
  for (auto it = fs::directory_iterator(directory, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().filename().string().find(".partial-") != std::string::npos)
      fs::remove_all(it->path(), ec);
  std::vector<std::string> complete = listCheckpoints(directory);
  for (size_t i = 0; keep > 0 && i + size_t(keep) < complete.size(); ++i)
    fs::remove_all(complete[i], ec);
  return true;
}

std::vector<RawTensorToWrite> toWrite(const NamedTensors &tensors) {
  std::vector<RawTensorToWrite> raw;
  for (const auto &[name, tensor] : tensors)
    raw.push_back(tensor.toWrite(name));
  return raw;
}

std::string shardFileName(int64_t rank) {
  char name[48];
  std::snprintf(name, sizeof(name), "shard-%05" PRId64 ".safetensors", rank);
  return name;
}

} // namespace

bool saveCheckpoint(const std::string &directory, const CheckpointInfo &info,
                    const NamedTensors &tensors, int keep, std::string &error) {
  std::string partial, final;
  if (!makePartialDirectory(directory, info.step, int64_t(getpid()), partial,
                            final, error))
    return false;
  uint64_t bytes = 0, hash = 0;
  nlohmann::ordered_json json = infoJson(info);
  if (!writeTensorFile(partial + "/" + kStateFile, toWrite(tensors), bytes,
                       hash, error) ||
      !(json["files"] = {{kStateFile, fileRecord(bytes, hash)}},
        commit(directory, partial, final, json, keep, error))) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    return false;
  }
  return true;
}

bool saveShardedCheckpoint(Communicator &communicator,
                           const std::string &directory,
                           const CheckpointInfo &info,
                           const NamedTensors &tensors,
                           const std::vector<std::vector<SliceInfo>> &slices,
                           const std::vector<const HostTensor *> &blocks,
                           int keep, std::string &error) {
  const int rank = communicator.rank(), ranks = communicator.size();
  if (int(slices.size()) != ranks ||
      slices[size_t(rank)].size() != blocks.size()) {
    error = "internal error: the checkpoint's slices do not match its blocks";
    return false;
  }
  // Rank 0 names and makes the partial directory; every rank learns
  // whether it could.
  std::string partial, final, problem;
  int64_t named[2] = {0, int64_t(getpid())};
  if (rank == 0)
    named[0] = makePartialDirectory(directory, info.step, named[1], partial,
                                    final, problem)
                   ? 1
                   : 0;
  if (!communicator.broadcast(named, 2, DType::I64, 0, error))
    return false;
  if (!named[0]) {
    error = rank == 0 ? problem
                      : "rank 0 could not make the checkpoint directory";
    return false;
  }
  final = directory + "/" + stepName(info.step);
  partial = final + ".partial-" + std::to_string(named[1]);
  // Every rank writes its blocks at once; rank 0 the whole tensors too.
  uint64_t written[3] = {1, 0, 0}; // ok, bytes, checksum
  if (!blocks.empty()) {
    std::vector<RawTensorToWrite> raw;
    for (size_t i = 0; i < blocks.size(); ++i)
      raw.push_back(blocks[i]->toWrite(slices[size_t(rank)][i].name));
    written[0] = writeTensorFile(partial + "/" + shardFileName(rank), raw,
                                 written[1], written[2], problem);
  }
  uint64_t stateBytes = 0, stateHash = 0;
  if (rank == 0 && written[0])
    written[0] = writeTensorFile(partial + "/" + kStateFile, toWrite(tensors),
                                 stateBytes, stateHash, problem);
  // Moved as 64-bit words (I64: the collectives move bytes unchanged).
  std::vector<uint64_t> records(size_t(ranks) * 3);
  if (!communicator.allGather(written, records.data(), 3, DType::I64, error))
    return false;
  // Rank 0 commits only when every file is on disk.
  int64_t committed = 0;
  if (rank == 0) {
    for (int r = 0; r < ranks && problem.empty(); ++r)
      if (!records[size_t(r) * 3])
        problem = "rank " + std::to_string(r) + " could not write its part";
    if (problem.empty()) {
      nlohmann::ordered_json json = infoJson(info);
      json["files"][kStateFile] = fileRecord(stateBytes, stateHash);
      for (int r = 0; r < ranks; ++r) {
        if (slices[size_t(r)].empty())
          continue;
        const std::string file = shardFileName(r);
        json["files"][file] = fileRecord(records[size_t(r) * 3 + 1],
                                         records[size_t(r) * 3 + 2]);
        for (const SliceInfo &slice : slices[size_t(r)])
          json["slices"][file][slice.name] = {{"dim", slice.dim},
                                              {"start", slice.start},
                                              {"shape", slice.wholeShape}};
      }
      committed = commit(directory, partial, final, json, keep, problem);
    }
    if (!committed) {
      std::error_code ignored;
      fs::remove_all(partial, ignored);
    }
  }
  if (!communicator.broadcast(&committed, 1, DType::I64, 0, error))
    return false;
  if (!committed)
    error = !problem.empty() ? problem
                             : "the checkpoint was not saved (see rank 0)";
  return committed != 0;
}

namespace {

/// What checkpoint.json says of the files beside it: each file's size and
/// checksum, and where the blocks in shard files lie.
struct FileRecords {
  std::map<std::string, std::pair<uint64_t, std::string>> files;
  std::map<std::string, std::map<std::string, SliceInfo>> slices;
};

/// A file name checkpoint.json may list: the state file or a shard file,
/// never a path.
bool isCheckpointFile(const std::string &name) {
  if (name == kStateFile)
    return true;
  return name.size() > 6 && name.compare(0, 6, "shard-") == 0 &&
         name.find('/') == std::string::npos && name.find("..") == std::string::npos &&
         name.size() > 12 &&
         name.compare(name.size() - 12, 12, ".safetensors") == 0;
}

void readSlices(JsonReader &r, FileRecords &records) {
  const nlohmann::json *slices = r.object("slices");
  if (!slices)
    return;
  JsonReader s = r.child(*slices, "slices");
  for (const auto &[file, tensors] : slices->items()) {
    if (!records.files.count(file)) {
      s.fail(file, "slices of a file the checkpoint does not list");
      return;
    }
    const nlohmann::json *list = s.requireObject(file);
    if (!list)
      return;
    JsonReader t = s.child(*list, file);
    for (const auto &[name, value] : list->items()) {
      const nlohmann::json *slice = t.requireObject(name);
      if (!slice)
        return;
      JsonReader one = t.child(*slice, name);
      SliceInfo info;
      info.name = name;
      info.dim = one.requireCount("dim").value_or(0);
      info.start = one.requireCount("start").value_or(0);
      info.wholeShape = one.requireCounts("shape").value_or(
          std::vector<int64_t>{});
      if (info.dim >= int64_t(info.wholeShape.size()))
        one.fail("dim", "not a dimension of the whole tensor");
      records.slices[file][name] = std::move(info);
    }
  }
}

/// Reads checkpoint.json into `checkpoint.info` and `records`. Every field
/// is checked (type, range) and the step must be the one the directory is
/// named after.
bool readInfo(const std::string &path, Checkpoint &checkpoint,
              FileRecords &records, std::string &error) {
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
    if (!files->contains(kStateFile))
      f.fail(kStateFile, "missing");
    for (const auto &[name, value] : files->items()) {
      if (!isCheckpointFile(name)) {
        f.fail(name, "not a file a checkpoint holds");
        break;
      }
      const nlohmann::json *file = f.requireObject(name);
      if (!file)
        break;
      JsonReader one = f.child(*file, name);
      records.files[name] = {uint64_t(one.requireCount("bytes").value_or(0)),
                             one.requireString("fnv1a64").value_or("")};
    }
  }
  if (r.ok())
    readSlices(r, records);
  if (!r.ok()) {
    error = joinProblems(problems);
    return false;
  }
  return true;
}

/// Checks that `file` in `path` has the size and checksum recorded.
bool checkFile(const std::string &path, const std::string &file,
               const std::pair<uint64_t, std::string> &want,
               std::string &error) {
  uint64_t hash = 0, bytes = 0;
  const std::string full = path + "/" + file;
  if (!checksumFile(full, hash, bytes, error))
    return false;
  if (bytes != want.first || formatChecksum(hash) != want.second) {
    error = full + ": damaged: " + std::to_string(bytes) +
            " bytes with checksum " + formatChecksum(hash) + ", written as " +
            std::to_string(want.first) + " bytes with checksum " + want.second;
    return false;
  }
  return true;
}

/// A whole tensor being assembled from blocks: which indices along its
/// split dimension are filled.
struct Assembly {
  int64_t dim = 0;
  std::vector<char> filled;
};

/// Copies `block` into `whole` at `slice` (rows [start, start + block's
/// size) along slice.dim); false with `error` when it does not fit or
/// overlaps a block placed before.
bool placeBlock(HostTensor &whole, Assembly &assembly, const HostTensor &block,
                const SliceInfo &slice, std::string &error) {
  const std::vector<int64_t> &shape = whole.shape();
  const std::vector<int64_t> &piece = block.shape();
  const size_t dim = size_t(slice.dim);
  bool fits = block.dtype() == whole.dtype() && piece.size() == shape.size() &&
              dim < shape.size() && slice.dim == assembly.dim &&
              slice.start + piece[dim] <= shape[dim];
  for (size_t d = 0; fits && d < shape.size(); ++d)
    fits = d == dim || piece[d] == shape[d];
  for (int64_t i = 0; fits && i < piece[dim]; ++i)
    fits = !assembly.filled[size_t(slice.start + i)];
  if (!fits) {
    error = "the block of '" + slice.name + "' at " + std::to_string(slice.start) +
            " along dimension " + std::to_string(slice.dim) +
            " does not fit its whole tensor or overlaps another block";
    return false;
  }
  int64_t outer = 1, inner = int64_t(dtypeSize(whole.dtype()));
  for (size_t d = 0; d < shape.size(); ++d)
    if (d < dim)
      outer *= shape[d];
    else if (d > dim)
      inner *= shape[d];
  const size_t row = size_t(piece[dim] * inner);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(whole.data() + size_t((o * shape[dim] + slice.start) * inner),
                block.data() + size_t(o) * row, row);
  for (int64_t i = 0; i < piece[dim]; ++i)
    assembly.filled[size_t(slice.start + i)] = 1;
  return true;
}

/// Adds the tensors of one checked file to `checkpoint`: whole ones as they
/// are, blocks (listed in `slices`) into their whole tensors.
bool loadFile(const std::string &path, const std::string &file,
              const std::map<std::string, SliceInfo> *slices,
              Checkpoint &checkpoint, std::map<std::string, Assembly> &assembled,
              std::string &error) {
  auto reader = SafetensorsReader::open(path + "/" + file, error);
  if (!reader)
    return false;
  for (const TensorEntry &entry : reader->tensors()) {
    auto tensor = HostTensor::fromSafetensors(*reader, entry, error);
    if (!tensor)
      return false;
    const SliceInfo *slice = nullptr;
    if (slices)
      if (auto it = slices->find(entry.name); it != slices->end())
        slice = &it->second;
    if (!slice) {
      if (file != kStateFile || checkpoint.tensors.count(entry.name)) {
        error = path + "/" + file + ": tensor '" + entry.name +
                "' has no slice record or is stored twice";
        return false;
      }
      checkpoint.tensors.emplace(entry.name, std::move(*tensor));
      continue;
    }
    auto whole = checkpoint.tensors.find(entry.name);
    if (whole == checkpoint.tensors.end()) {
      auto zeros = HostTensor::zeros(tensor->dtype(), slice->wholeShape, error);
      if (!zeros)
        return false;
      whole = checkpoint.tensors.emplace(entry.name, std::move(*zeros)).first;
      Assembly &a = assembled[entry.name];
      a.dim = slice->dim;
      a.filled.assign(size_t(slice->wholeShape[size_t(slice->dim)]), 0);
    } else if (!assembled.count(entry.name)) {
      error = path + ": tensor '" + entry.name +
              "' is stored whole and in blocks";
      return false;
    }
    if (!placeBlock(whole->second, assembled[entry.name], *tensor, *slice,
                    error)) {
      error = path + "/" + file + ": " + error;
      return false;
    }
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
  FileRecords records;
  if (!readInfo(path, checkpoint, records, error))
    return std::nullopt;
  for (const auto &[file, want] : records.files)
    if (!checkFile(path, file, want, error))
      return std::nullopt;
  std::map<std::string, Assembly> assembled;
  for (const auto &[file, want] : records.files) {
    auto slices = records.slices.find(file);
    if (!loadFile(path, file,
                  slices == records.slices.end() ? nullptr : &slices->second,
                  checkpoint, assembled, error))
      return std::nullopt;
  }
  for (const auto &[name, assembly] : assembled)
    if (std::find(assembly.filled.begin(), assembly.filled.end(), 0) !=
        assembly.filled.end()) {
      error = path + ": tensor '" + name +
              "' misses blocks (a rank's shard file is incomplete)";
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
