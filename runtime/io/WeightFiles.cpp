//===- WeightFiles.cpp - a checkpoint's tensors, by name ------------------===//

#include "runtime/io/WeightFiles.h"

#include "runtime/io/JsonReader.h"
#include "runtime/io/ParamNamePattern.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

namespace ds::rt {

namespace fs = std::filesystem;

namespace {

std::string formatDims(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t product(const std::vector<int64_t> &shape, size_t from = 0) {
  int64_t n = 1;
  for (size_t i = from; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

} // namespace

bool convertElements(DType from, const uint8_t *in, DType to, uint8_t *out,
                     size_t count, double &bad) {
  if (from == to) {
    std::memcpy(out, in, count * dtypeSize(to));
    return true;
  }
  if (from == DType::BF16 && to == DType::F32) {
    // Exact: bf16 is the top half of an f32.
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits = uint32_t(in[2 * i]) << 16 | uint32_t(in[2 * i + 1]) << 24;
      std::memcpy(out + 4 * i, &bits, 4);
    }
    return true;
  }
  const size_t inSize = dtypeSize(from), outSize = dtypeSize(to);
  const bool toInteger = !isFloat(to);
  for (size_t i = 0; i < count; ++i) {
    double value = decodeScalar(from, in + i * inSize);
    if (toInteger && (!std::isfinite(value) || value != std::trunc(value) ||
                      roundToDType(to, value) != value)) {
      bad = value;
      return false;
    }
    encodeScalar(to, value, out + i * outSize);
  }
  return true;
}

WeightFiles::WeightFiles() = default;
WeightFiles::~WeightFiles() = default;
WeightFiles::WeightFiles(WeightFiles &&) noexcept = default;
WeightFiles &WeightFiles::operator=(WeightFiles &&) noexcept = default;

std::vector<std::string> WeightFiles::paths() const {
  std::vector<std::string> result;
  for (const auto &file : files)
    result.push_back(file->path());
  return result;
}

bool WeightFiles::add(const std::string &path, std::string &error) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    error = path + ": no such file or directory";
    return false;
  }
  if (!fs::is_directory(path, ec))
    return addFile(path, error);
  const std::string indexPath = path + "/model.safetensors.index.json";
  if (fs::exists(indexPath, ec))
    return addIndexed(path, indexPath, error);
  std::vector<std::string> all, model;
  for (const fs::directory_entry &entry : fs::directory_iterator(path, ec)) {
    if (entry.path().extension() != ".safetensors")
      continue;
    all.push_back(entry.path().string());
    // A Hugging Face checkpoint keeps its weights in model*.safetensors;
    // other files beside them (goldens, gradients) are not weights.
    if (entry.path().filename().string().rfind("model", 0) == 0)
      model.push_back(entry.path().string());
  }
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  std::vector<std::string> &chosen = model.empty() ? all : model;
  if (chosen.empty()) {
    error = path + ": no *.safetensors files in this directory";
    return false;
  }
  std::sort(chosen.begin(), chosen.end());
  for (const std::string &file : chosen)
    if (!addFile(file, error))
      return false;
  return true;
}

/// A sharded Hugging Face checkpoint: the index's weight map names the
/// shard of every tensor; the shards must hold exactly those tensors.
bool WeightFiles::addIndexed(const std::string &directory,
                             const std::string &indexPath,
                             std::string &error) {
  std::optional<nlohmann::json> index = readJsonFile(indexPath, error);
  if (!index)
    return false;
  std::vector<std::string> problems;
  JsonReader r(*index, indexPath, "", problems);
  const nlohmann::json *weightMap = r.requireObject("weight_map");
  r.object("metadata");
  if (!r.ok()) {
    error = joinProblems(problems);
    return false;
  }
  const nlohmann::json &map = *weightMap;
  std::set<std::string> shards;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->is_string() || it->get<std::string>().empty() ||
        it->get<std::string>().find('/') != std::string::npos) {
      error = indexPath + ": weight_map[\"" + it.key() +
              "\"] must be a file name in the directory";
      return false;
    }
    shards.insert(it->get<std::string>());
  }
  if (shards.empty()) {
    error = indexPath + ": weight_map: lists no tensors";
    return false;
  }
  for (const std::string &shard : shards)
    if (!addFile(directory + "/" + shard, error))
      return false;
  for (auto it = map.begin(); it != map.end(); ++it) {
    Found found = find(it.key());
    const std::string expected = directory + "/" + it->get<std::string>();
    if (!found.entry) {
      error = indexPath + ": tensor '" + it.key() + "' is listed in " +
              it->get<std::string>() + ", which does not hold it";
      return false;
    }
    if (found.file->path() != expected) {
      error = indexPath + ": tensor '" + it.key() + "' is listed in " +
              it->get<std::string>() + " but stored in " + found.file->path();
      return false;
    }
  }
  if (this->index.size() != map.size())
    for (const auto &[name, found] : this->index)
      if (!map.contains(name)) {
        error = found.file->path() + ": tensor '" + name +
                "' is not in the index " + indexPath;
        return false;
      }
  return true;
}

bool WeightFiles::addFile(const std::string &path, std::string &error) {
  std::unique_ptr<SafetensorsReader> reader =
      SafetensorsReader::open(path, error);
  if (!reader)
    return false;
  for (const TensorEntry &entry : reader->tensors()) {
    auto [it, inserted] =
        index.try_emplace(entry.name, Found{reader.get(), &entry});
    if (!inserted) {
      error = path + ": tensor '" + entry.name + "' is also in " +
              it->second.file->path();
      return false;
    }
  }
  files.push_back(std::move(reader));
  return true;
}

WeightFiles::Found WeightFiles::find(std::string_view name) const {
  auto it = index.find(name);
  return it == index.end() ? Found{} : it->second;
}

bool WeightFiles::provides(const std::string &name) const {
  if (find(name).entry)
    return true;
  ParamNamePattern pattern;
  std::string error;
  if (!ParamNamePattern::parse(name, pattern, error) ||
      pattern.numStackedDims() == 0)
    return false;
  for (int64_t slice = 0; slice < pattern.numSlices(); ++slice)
    if (find(pattern.expandFlat(slice)).entry)
      return true;
  return false;
}

bool WeightFiles::readOne(const Found &found, const std::string &name,
                          const std::string &context, DType dtype,
                          const std::vector<int64_t> &shape, uint8_t *out,
                          std::string &error) const {
  const TensorEntry &entry = *found.entry;
  // DeepSeek-V3's released checkpoints store fp8 weights with per-block
  // scales beside them; reading the fp8 values alone would be silently
  // wrong.
  if (find(name + "_scale_inv").entry) {
    error = found.file->path() + ": tensor '" + name +
            "' is block-quantized (it has '" + name +
            "_scale_inv'); dequantize the checkpoint to bf16 first";
    return false;
  }
  if (entry.shape != shape) {
    error = found.file->path() + ": tensor '" + name + "'" + context +
            " has shape " + formatDims(entry.shape) +
            ", but the model expects " + formatDims(shape);
    return false;
  }
  if (isFloat(entry.dtype) != isFloat(dtype)) {
    error = found.file->path() + ": tensor '" + name + "' has dtype " +
            dtypeName(entry.dtype) + ", but the model expects " +
            dtypeName(dtype);
    return false;
  }
  double bad = 0.0;
  if (!convertElements(entry.dtype, found.file->bytes(entry), dtype, out,
                       size_t(product(shape)), bad)) {
    error = found.file->path() + ": tensor '" + name + "' holds " +
            std::to_string(bad) + ", which does not fit " + dtypeName(dtype);
    return false;
  }
  return true;
}

bool WeightFiles::read(const std::string &name, DType dtype,
                       const std::vector<int64_t> &shape, uint8_t *out,
                       std::string &error) const {
  if (Found found = find(name); found.entry)
    return readOne(found, name, "", dtype, shape, out, error);
  ParamNamePattern pattern;
  if (!ParamNamePattern::parse(name, pattern, error))
    return false;
  const size_t stacked = pattern.numStackedDims();
  if (stacked == 0) {
    error = "no tensor '" + name + "' in the weight files";
    return false;
  }
  if (shape.size() < stacked) {
    error = "tensor '" + name + "' stacks " + std::to_string(stacked) +
            " dimensions, but has shape " + formatDims(shape);
    return false;
  }
  for (size_t dim = 0; dim < stacked; ++dim)
    if (shape[dim] != pattern.extent(dim)) {
      error = "tensor '" + name + "': dimension " + std::to_string(dim) +
              " is " + std::to_string(shape[dim]) + ", but the name stacks " +
              std::to_string(pattern.extent(dim));
      return false;
    }
  const std::vector<int64_t> sliceShape(shape.begin() + stacked, shape.end());
  const size_t sliceBytes = size_t(product(sliceShape)) * dtypeSize(dtype);
  const std::string context = " (a slice of '" + name + "')";
  for (int64_t slice = 0; slice < pattern.numSlices(); ++slice) {
    const std::string sliceName = pattern.expandFlat(slice);
    Found found = find(sliceName);
    if (!found.entry) {
      error = "missing tensor '" + sliceName + "'" + context +
              " in the weight files";
      return false;
    }
    if (!readOne(found, sliceName, context, dtype, sliceShape,
                 out + size_t(slice) * sliceBytes, error))
      return false;
  }
  return true;
}

} // namespace ds::rt
