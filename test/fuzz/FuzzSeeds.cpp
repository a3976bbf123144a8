//===- FuzzSeeds.cpp - seeds for the binary and multi-file fuzz targets ---===//
//
//   ds-fuzz-seeds TARGET OUT_DIR
//
// Writes seed inputs for TARGET (safetensors, data, checkpoint, manifest)
// into OUT_DIR, each made by DS's own writers (or, for manifest, the
// artifact the manifest target runs), in the multi-file form of
// FuzzFiles.h. The text targets' seeds are the repository's files
// (tools/fuzz.sh).
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DataSummary.h"
#include "runtime/data/TokenShard.h"
#include "runtime/io/Safetensors.h"
#include "runtime/train/Checkpoint.h"
#include "test/fuzz/FuzzFiles.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

using namespace ds;
namespace fs = std::filesystem;

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

/// Reads `relative` paths under `directory` into Files.
bool collect(const std::string &directory,
             const std::vector<std::string> &relative, Files &files,
             std::string &error) {
  for (const std::string &path : relative) {
    std::optional<std::string> contents = fuzz::readFile(directory + "/" + path);
    if (!contents) {
      error = directory + "/" + path + ": cannot read";
      return false;
    }
    files.emplace_back(path, std::move(*contents));
  }
  return true;
}

std::vector<double> ramp(size_t count, double scale) {
  std::vector<double> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = scale * (double(i % 11) - 5.0);
  return values;
}

bool writeTensors(const std::string &path, const std::vector<std::string> &names,
                  std::string &error) {
  std::vector<std::vector<double>> storage;
  std::vector<rt::TensorToWrite> tensors;
  const rt::DType dtypes[] = {rt::DType::F32, rt::DType::BF16, rt::DType::F16,
                              rt::DType::I64, rt::DType::I32, rt::DType::F64};
  for (size_t i = 0; i < names.size(); ++i) {
    std::vector<int64_t> shape = {int64_t(2 + i % 3), 4};
    if (i % 4 == 3)
      shape = {}; // a scalar
    storage.push_back(ramp(size_t(shape.empty() ? 1 : shape[0] * shape[1]),
                           0.25));
    tensors.push_back(
        {names[i], dtypes[i % std::size(dtypes)], shape, storage.back().data()});
  }
  return rt::writeSafetensors(path, tensors, {{"format", "pt"}}, error);
}

bool safetensorsSeeds(const std::string &scratch,
                      std::vector<Files> &seeds, std::string &error) {
  // One file with every common dtype, a scalar, and per-layer names.
  Files single;
  if (!writeTensors(scratch + "/model.safetensors",
                    {"model.embed_tokens.weight", "model.layers.0.mlp.weight",
                     "model.layers.1.mlp.weight", "model.norm.weight",
                     "lm_head.weight", "step"},
                    error) ||
      !collect(scratch, {"model.safetensors"}, single, error))
    return false;
  seeds.push_back(std::move(single));

  // A sharded Hugging Face checkpoint: index.json and two shards.
  fs::create_directories(scratch + "/sharded");
  const std::string dir = scratch + "/sharded";
  if (!writeTensors(dir + "/model-00001-of-00002.safetensors",
                    {"model.layers.0.self_attn.weight", "model.norm.weight"},
                    error) ||
      !writeTensors(dir + "/model-00002-of-00002.safetensors",
                    {"model.layers.1.self_attn.weight"}, error))
    return false;
  nlohmann::json index = {
      {"metadata", {{"total_size", 200}}},
      {"weight_map",
       {{"model.layers.0.self_attn.weight", "model-00001-of-00002.safetensors"},
        {"model.norm.weight", "model-00001-of-00002.safetensors"},
        {"model.layers.1.self_attn.weight", "model-00002-of-00002.safetensors"}}}};
  std::ofstream(dir + "/model.safetensors.index.json") << index.dump(2);
  Files sharded;
  if (!collect(dir,
               {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors"},
               sharded, error))
    return false;
  seeds.push_back(std::move(sharded));
  return true;
}

bool dataSeeds(const std::string &scratch, std::vector<Files> &seeds,
               std::string &error) {
  // Two vocabularies: 2-byte tokens, and 4-byte ones.
  for (uint32_t vocab : {512u, 70000u}) {
    const std::string dir = scratch + "/data-" + std::to_string(vocab);
    fs::create_directories(dir);
    std::vector<uint32_t> train(96), val(40);
    for (size_t i = 0; i < train.size(); ++i)
      train[i] = uint32_t((i * 37 + 5) % vocab);
    for (size_t i = 0; i < val.size(); ++i)
      val[i] = uint32_t((i * 53 + 1) % vocab);
    rt::DataSummary summary;
    summary.vocabSize = vocab;
    summary.eosId = 2;
    summary.trainTokens = int64_t(train.size());
    summary.valTokens = int64_t(val.size());
    summary.lines = 12;
    summary.valFraction = 0.3;
    summary.seed = 1234;
    summary.unigramValLoss = 4.25;
    summary.corpus = {"corpus.txt"};
    Files files;
    if (!rt::TokenShard::write(dir + "/train.tokens", train, vocab, error) ||
        !rt::TokenShard::write(dir + "/val.tokens", val, vocab, error) ||
        !summary.write(dir, error) ||
        !collect(dir, {"data.json", "train.tokens", "val.tokens"}, files, error))
      return false;
    seeds.push_back(std::move(files));
  }
  return true;
}

bool checkpointSeeds(const std::string &scratch, std::vector<Files> &seeds,
                     std::string &error) {
  const std::string dir = scratch + "/checkpoints";
  rt::NamedTensors tensors;
  const std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {
      {"model.embed_tokens.weight", {6, 4}},
      {"model.layers.[0:2].mlp.weight", {2, 4, 4}},
      {"adam.m.model.embed_tokens.weight", {6, 4}},
      {"step", {}}};
  for (const auto &[name, shape] : specs) {
    size_t count = 1;
    for (int64_t dim : shape)
      count *= size_t(dim);
    const std::vector<double> values = ramp(count, 0.125);
    auto tensor = rt::HostTensor::fromDoubles(
        name == "step" ? rt::DType::I64 : rt::DType::F32, shape, values, error);
    if (!tensor)
      return false;
    tensors.emplace(name, std::move(*tensor));
  }
  Files files;
  for (int64_t step : {3, 12}) {
    rt::CheckpointInfo info;
    info.step = step;
    info.data = {1, uint64_t(step * 2)};
    info.seed = 99;
    info.notes = {{"artifact", "7da2e32b0e0cebe6"}, {"data", "data/"}};
    if (!rt::saveCheckpoint(dir, info, tensors, 2, error))
      return false;
  }
  for (const std::string &path : rt::listCheckpoints(dir)) {
    const std::string name = fs::path(path).filename().string();
    if (!collect(dir, {name + "/checkpoint.json", name + "/state.safetensors"},
                 files, error))
      return false;
  }
  seeds.push_back(std::move(files));
  return true;
}

bool manifestSeeds(const std::string &, std::vector<Files> &seeds,
                   std::string &error) {
  const std::string path = DS_FUZZ_ARTIFACT_DIR "/manifest.json";
  std::optional<std::string> text = fuzz::readFile(path);
  if (!text) {
    error = path + ": cannot read";
    return false;
  }
  // Compact: the fuzzer's inputs stay short and every byte matters.
  nlohmann::json json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) {
    error = path + ": not JSON";
    return false;
  }
  // A manifest is a single file, not the multi-file form.
  seeds.push_back({{"", json.dump()}});
  return true;
}

} // namespace

int main(int argc, char **argv) {
  using Maker = std::function<bool(const std::string &, std::vector<Files> &,
                                   std::string &)>;
  const std::map<std::string, Maker> makers = {
      {"safetensors", safetensorsSeeds},
      {"data", dataSeeds},
      {"checkpoint", checkpointSeeds},
      {"manifest", manifestSeeds}};
  if (argc != 3 || !makers.count(argv[1])) {
    std::fprintf(stderr, "usage: ds-fuzz-seeds safetensors|data|checkpoint|"
                         "manifest OUT_DIR\n");
    return 2;
  }
  const std::string target = argv[1], out = argv[2];
  fuzz::ScratchDirectory scratch;
  std::vector<Files> seeds;
  std::string error;
  if (!makers.at(target)(scratch.path(), seeds, error)) {
    std::fprintf(stderr, "ds-fuzz-seeds: %s\n", error.c_str());
    return 1;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  for (size_t i = 0; i < seeds.size(); ++i) {
    const bool single = seeds[i].size() == 1 && seeds[i][0].first.empty();
    const std::string input =
        single ? seeds[i][0].second : fuzz::joinFiles(seeds[i]);
    const std::string path = out + "/seed-" + target + "-" + std::to_string(i);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << input;
    if (!file.flush()) {
      std::fprintf(stderr, "ds-fuzz-seeds: %s: cannot write\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
