//===- ds-export.cpp - Trained weights as a Hugging Face checkpoint --------===//
//
//   ds-export ARTIFACT_DIR --checkpoint=PATH -o DIR [--dtype=bf16]
//             [--max-shard-size=BYTES] [--force]
//
// Writes DIR as a Hugging Face checkpoint directory that transformers loads
// with `AutoModelForCausalLM.from_pretrained(DIR)` and every DS tool reads
// back: the artifact's config.json (ds-compile writes it from the model's
// config) and the model's parameters under Hugging Face names, one tensor
// per layer and expert, in model.safetensors, or in shards
// model-0000i-of-0000n.safetensors with model.safetensors.index.json when
// they exceed --max-shard-size. PATH is anything ds-sample takes: a ds-train
// run directory (its newest intact checkpoint), one checkpoint, a Hugging
// Face directory or a safetensors file.
//
// The directory is assembled beside DIR and renamed into place when
// complete, so an interrupted export leaves no half-written checkpoint.
// A runtime tool: libdsrt only, no compiler.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/TensorFiles.h"
#include "runtime/data/AtomicFile.h"
#include "runtime/io/ParamNamePattern.h"
#include "runtime/io/WeightFiles.h"
#include "runtime/train/WeightSource.h"
#include "tools/ToolArgs.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace ds::rt;

constexpr const char *kUsage =
    "usage: ds-export ARTIFACT_DIR --checkpoint=PATH -o DIR [options]\n"
    "  --checkpoint=PATH      the weights: a ds-train run directory (its\n"
    "                         newest intact checkpoint), one checkpoint, a\n"
    "                         Hugging Face directory or a safetensors file\n"
    "  -o DIR, --output=DIR   the Hugging Face checkpoint directory to write\n"
    "  --dtype=T              store the weights as f32, bf16, f16 or f64\n"
    "                         (default: as the model computes them)\n"
    "  --max-shard-size=N     bytes per model-0000i-of-0000n.safetensors shard\n"
    "                         (default 5000000000; one model.safetensors when\n"
    "                         everything fits)\n"
    "  --force                replace DIR if it exists\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-export: %s\n", message.c_str());
  return 1;
}

struct Options {
  std::string artifact, checkpoint, output, dtype;
  uint64_t maxShardBytes = 5'000'000'000ull;
  bool force = false;
};

/// The parameters of the artifact's model, from the entry that has them.
std::vector<const TensorSpec *> modelParameters(const Manifest &manifest) {
  for (const char *name : {"forward", "loss", "train_step", "decode"})
    if (const EntrySpec *entry = manifest.findEntry(name))
      if (auto parameters = parametersOf(*entry); !parameters.empty())
        return parameters;
  for (const EntrySpec &entry : manifest.entries)
    if (auto parameters = parametersOf(entry); !parameters.empty())
      return parameters;
  return {};
}

/// `tensor` converted to `dtype` (itself when it already is).
std::optional<HostTensor> converted(HostTensor tensor, DType dtype,
                                    std::string &error) {
  if (tensor.dtype() == dtype)
    return tensor;
  std::optional<HostTensor> out = HostTensor::zeros(dtype, tensor.shape(), error);
  double bad = 0.0;
  if (out && !convertElements(tensor.dtype(), tensor.data(), dtype,
                              out->data(), size_t(tensor.numElements()), bad)) {
    error = "cannot convert to " + std::string(dtypeName(dtype));
    return std::nullopt;
  }
  return out;
}

/// The tensors to write, one per layer and expert, each with the bytes it
/// takes; a stacked parameter yields its slices (views into `weights`).
struct Slice {
  std::string name;
  const HostTensor *tensor;
  size_t offset, bytes;
  std::vector<int64_t> shape;
};

bool slicesOf(const std::string &name, const HostTensor &tensor,
              std::vector<Slice> &slices, std::string &error) {
  ParamNamePattern pattern;
  if (!ParamNamePattern::parse(name, pattern, error))
    return false;
  const size_t stacked = pattern.numStackedDims();
  std::vector<int64_t> shape(tensor.shape().begin() + stacked,
                             tensor.shape().end());
  const size_t bytes = tensor.byteSize() / size_t(pattern.numSlices());
  for (int64_t slice = 0; slice < pattern.numSlices(); ++slice)
    slices.push_back({pattern.expandFlat(slice), &tensor, size_t(slice) * bytes,
                      bytes, shape});
  return true;
}

/// Writes `slices` into `directory`: one model.safetensors, or shards and
/// their index when they exceed `maxBytes`.
bool writeShards(const std::string &directory, const std::vector<Slice> &slices,
                 uint64_t maxBytes, std::string &error) {
  std::vector<std::vector<const Slice *>> shards(1);
  uint64_t shardBytes = 0, total = 0;
  for (const Slice &slice : slices) {
    if (shardBytes > 0 && shardBytes + slice.bytes > maxBytes) {
      shards.emplace_back();
      shardBytes = 0;
    }
    shards.back().push_back(&slice);
    shardBytes += slice.bytes;
    total += slice.bytes;
  }
  const size_t count = shards.size();
  nlohmann::ordered_json weightMap = nlohmann::ordered_json::object();
  for (size_t i = 0; i < count; ++i) {
    char file[64];
    if (count == 1)
      std::snprintf(file, sizeof(file), "model.safetensors");
    else
      std::snprintf(file, sizeof(file), "model-%05zu-of-%05zu.safetensors",
                    i + 1, count);
    std::vector<RawTensorToWrite> raw;
    for (const Slice *slice : shards[i]) {
      raw.push_back({slice->name, slice->tensor->dtype(), slice->shape,
                     slice->tensor->data() + slice->offset});
      weightMap[slice->name] = file;
    }
    if (!writeSafetensorsRaw(directory + "/" + file, raw, {{"format", "pt"}},
                             error))
      return false;
  }
  if (count == 1)
    return true;
  nlohmann::ordered_json index = {{"metadata", {{"total_size", total}}},
                                  {"weight_map", weightMap}};
  return writeFileAtomically(directory + "/model.safetensors.index.json",
                             index.dump(2) + "\n", error);
}

/// The artifact's config.json, with torch_dtype set to what is stored.
bool exportConfig(const std::string &artifact, DType dtype,
                  std::string &config, std::string &error) {
  const std::string path = artifact + "/config.json";
  std::ifstream in(path);
  if (!in) {
    error = path + ": not found; compile the model from its config, a "
                   "Hugging Face directory or IR that ds-model wrote (ds-compile "
                   "says why an artifact has none)";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::ordered_json json =
      nlohmann::ordered_json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    error = path + ": not a JSON object";
    return false;
  }
  const char *name = dtype == DType::BF16   ? "bfloat16"
                     : dtype == DType::F16  ? "float16"
                     : dtype == DType::F64  ? "float64"
                                            : "float32";
  json["torch_dtype"] = name;
  config = json.dump(2) + "\n";
  return true;
}

int exportCheckpoint(const Options &options) {
  std::string error;
  std::shared_ptr<const Artifact> artifact =
      Artifact::load(options.artifact, error);
  if (!artifact)
    return fail(error);
  const std::vector<const TensorSpec *> parameters =
      modelParameters(artifact->manifest());
  if (parameters.empty())
    return fail(options.artifact + ": no entry takes parameters");
  DType dtype = parameters.front()->dtype;
  if (!options.dtype.empty()) {
    const std::map<std::string, DType> names = {{"f32", DType::F32},
                                                {"bf16", DType::BF16},
                                                {"f16", DType::F16},
                                                {"f64", DType::F64}};
    auto it = names.find(options.dtype);
    if (it == names.end())
      return fail("--dtype: unknown type '" + options.dtype +
                  "' (expected f32, bf16, f16 or f64)");
    dtype = it->second;
  }
  std::string config;
  if (!exportConfig(options.artifact, dtype, config, error))
    return fail(error);
  LoadedWeights weights;
  if (!loadWeights(options.checkpoint, parameters, weights, error))
    return fail(error);
  for (const std::string &problem : weights.skipped)
    std::fprintf(stderr, "ds-export: warning: skipping %s\n", problem.c_str());


  std::vector<Slice> slices;
  for (const TensorSpec *parameter : parameters) {
    HostTensor &tensor = weights.tensors.at(parameter->name);
    std::optional<HostTensor> stored = converted(std::move(tensor), dtype, error);
    if (!stored)
      return fail(parameter->name + ": " + error);
    tensor = std::move(*stored);
    if (!slicesOf(parameter->name, tensor, slices, error))
      return fail(error);
  }

  // Assembled beside the destination, then renamed into place.
  std::error_code ec;
  if (fs::exists(options.output, ec) && !options.force)
    return fail(options.output + " exists (pass --force to replace it)");
  const std::string partial =
      options.output + ".partial-" + std::to_string(::getpid());
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec)
    return fail(partial + ": cannot create: " + ec.message());
  auto cleanUp = [&](const std::string &message) {
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    return fail(message);
  };
  if (!writeShards(partial, slices, options.maxShardBytes, error) ||
      !writeFileAtomically(partial + "/config.json", config, error))
    return cleanUp(error);
  const std::string old = options.output + ".old-" + std::to_string(::getpid());
  if (fs::exists(options.output, ec)) {
    fs::rename(options.output, old, ec);
    if (ec)
      return cleanUp(options.output + ": cannot replace: " + ec.message());
  }
  fs::rename(partial, options.output, ec);
  if (ec)
    return cleanUp(options.output + ": cannot create: " + ec.message());
  fs::remove_all(old, ec);
  if (!syncParentDirectory(options.output, error))
    return fail(error);
  std::printf("ds-export: %s -> %s (%zu tensors, %s, from %s)\n",
              options.checkpoint.c_str(), options.output.c_str(),
              slices.size(), dtypeName(dtype), weights.origin.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  using ds::tools::flagValue;
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string value;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--force") {
      options.force = true;
    } else if (arg == "-o" && i + 1 < argc) {
      options.output = argv[++i];
    } else if (flagValue(arg, "--output", value)) {
      options.output = value;
    } else if (flagValue(arg, "--checkpoint", value)) {
      options.checkpoint = value;
    } else if (flagValue(arg, "--dtype", value)) {
      options.dtype = value;
    } else if (flagValue(arg, "--max-shard-size", value)) {
      if (!ds::tools::parseInteger(value, options.maxShardBytes) ||
          options.maxShardBytes == 0)
        return fail("--max-shard-size needs a positive number of bytes, got '" +
                    value + "'");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + std::string(arg) + "'\n" + kUsage);
    } else if (options.artifact.empty()) {
      options.artifact = arg;
    } else {
      return fail("more than one artifact given\n" + std::string(kUsage));
    }
  }
  if (options.artifact.empty() || options.checkpoint.empty() ||
      options.output.empty())
    return fail(std::string("an artifact, --checkpoint and -o are required\n") +
                kUsage);
  return exportCheckpoint(options);
}
