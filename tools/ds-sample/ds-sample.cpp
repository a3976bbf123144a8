//===- ds-sample.cpp - Generate text from a trained checkpoint ------------===//
//
//   ds-sample ARTIFACT_DIR --checkpoint=PATH --data=DATA_DIR
//             [--prompt=TEXT] [--max-tokens=N] [--greedy]
//             [--temperature=T] [--top-k=K] [--top-p=P] [--seed=S]
//
// Loads the weights of a ds-train checkpoint (a run directory means its
// newest intact checkpoint) into the artifact's @forward, encodes the prompt
// with the corpus's tokenizer, and prints text as it is generated. Each new
// token runs @forward over the last T tokens of the text (the model's
// sequence length): attention is causal, so the logits at the last filled
// position depend only on the tokens before it.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/infer/Sampler.h"
#include "runtime/train/Checkpoint.h"
#include "tools/ToolArgs.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

using namespace ds::rt;
namespace fs = std::filesystem;

constexpr const char *kUsage =
    "usage: ds-sample ARTIFACT_DIR --checkpoint=PATH --data=DIR [options]\n"
    "  --checkpoint=PATH      a ds-train run directory (its newest intact\n"
    "                         checkpoint) or one step-N checkpoint\n"
    "  --data=DIR             the ds-data directory (for its tokenizer)\n"
    "  --prompt=TEXT          text to continue (default: a new line)\n"
    "  --max-tokens=N         tokens to generate (default 200)\n"
    "  --greedy               always the most likely token\n"
    "  --temperature=T        softmax temperature (default 0.8)\n"
    "  --top-k=K              sample among the K most likely (default 40; 0: "
    "all)\n"
    "  --top-p=P              then among the smallest set with mass P "
    "(default 0.95)\n"
    "  --seed=S               the sampling seed (default 1)\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-sample: %s\n", message.c_str());
  return 1;
}

std::optional<Checkpoint> loadWeights(const std::string &path,
                                      std::string &error) {
  if (fs::exists(path + "/checkpoint.json"))
    return loadCheckpoint(path, error);
  const std::string directory =
      fs::is_directory(path + "/checkpoints") ? path + "/checkpoints" : path;
  if (!fs::is_directory(directory)) {
    error = path + ": no such checkpoint or run directory";
    return std::nullopt;
  }
  std::vector<std::string> skipped;
  auto checkpoint = loadLatestCheckpoint(directory, skipped, error);
  for (const std::string &problem : skipped)
    std::fprintf(stderr, "ds-sample: warning: skipping %s\n", problem.c_str());
  return checkpoint;
}

} // namespace

int main(int argc, char **argv) {
  std::string artifactDir, checkpointPath, dataDir, prompt;
  int64_t maxTokens = 200;
  uint64_t seed = 1;
  SamplingOptions sampling{.temperature = 0.8, .topK = 40, .topP = 0.95};
  using ds::tools::flagValue;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string text;
    auto bad = [&](const char *flag) {
      return fail(std::string(flag) + " needs a number, got '" + text + "'");
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--greedy") {
      sampling.greedy = true;
    } else if (flagValue(arg, "--checkpoint", checkpointPath) ||
               flagValue(arg, "--data", dataDir) ||
               flagValue(arg, "--prompt", prompt)) {
    } else if (flagValue(arg, "--max-tokens", text)) {
      if (!ds::tools::parseInteger(text, maxTokens))
        return bad("--max-tokens");
    } else if (flagValue(arg, "--seed", text)) {
      if (!ds::tools::parseInteger(text, seed))
        return bad("--seed");
    } else if (flagValue(arg, "--top-k", text)) {
      if (!ds::tools::parseInteger(text, sampling.topK))
        return bad("--top-k");
    } else if (flagValue(arg, "--temperature", text)) {
      if (!ds::tools::parseReal(text, sampling.temperature))
        return bad("--temperature");
    } else if (flagValue(arg, "--top-p", text)) {
      if (!ds::tools::parseReal(text, sampling.topP))
        return bad("--top-p");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "'\n" + kUsage);
    } else if (artifactDir.empty()) {
      artifactDir = arg;
    } else {
      return fail("more than one artifact given");
    }
  }
  if (artifactDir.empty() || checkpointPath.empty() || dataDir.empty())
    return fail(std::string("an artifact, --checkpoint and --data are "
                            "required\n") + kUsage);
  std::string error;
  if (!checkSamplingOptions(sampling, error))
    return fail(error);
  if (maxTokens < 0)
    return fail("--max-tokens must not be negative");

  std::shared_ptr<const Artifact> artifact = Artifact::load(artifactDir, error);
  if (!artifact)
    return fail(error);
  const Artifact::Entry *forward = artifact->findEntry("forward");
  const ArgumentSpec *tokensSpec =
      forward ? forward->spec->findArgument("tokens") : nullptr;
  const ResultSpec *logitsSpec =
      forward && !forward->spec->results.empty() ? &forward->spec->results[0]
                                                 : nullptr;
  if (!tokensSpec || tokensSpec->shape.size() != 2 || !logitsSpec ||
      logitsSpec->shape.size() != 3 || logitsSpec->dtype != DType::F32)
    return fail(artifactDir + ": the artifact needs a 'forward' entry from "
                              "tokens [B, T] to f32 logits [B, T, V] "
                              "(ds-compile ... --entry=train_step,loss,forward)");
  const int64_t seqLen = tokensSpec->shape[1];
  const int64_t vocab = logitsSpec->shape[2];
  auto tokenizer = Tokenizer::load(dataDir + "/tokenizer.model", error);
  if (!tokenizer)
    return fail(error);
  if (tokenizer->vocabSize() != vocab)
    return fail("vocabulary mismatch: the model predicts " +
                std::to_string(vocab) + " tokens but the tokenizer in " +
                dataDir + " has " + std::to_string(tokenizer->vocabSize()));
  std::optional<Checkpoint> checkpoint = loadWeights(checkpointPath, error);
  if (!checkpoint)
    return fail(error);
  NamedTensors inputs;
  for (const ArgumentSpec &argument : forward->spec->arguments) {
    if (argument.name == "tokens")
      continue;
    auto it = checkpoint->tensors.find(argument.name);
    if (it == checkpoint->tensors.end() ||
        it->second.dtype() != argument.dtype ||
        it->second.shape() != argument.shape)
      return fail(checkpoint->path + ": no tensor '" + argument.name +
                  "' of the shape the artifact's forward takes (a checkpoint "
                  "of another model?)");
    inputs.insert_or_assign(argument.name, std::move(it->second));
  }
  auto tokens = HostTensor::zeros(DType::I32, tokensSpec->shape, error);
  if (!tokens)
    return fail(error);
  inputs.insert_or_assign("tokens", std::move(*tokens));

  // The prompt: its lines, each but the last closed by end-of-sentence.
  std::vector<int32_t> context;
  {
    std::vector<uint32_t> ids;
    size_t begin = 0;
    while (true) {
      const size_t end = prompt.find('\n', begin);
      tokenizer->encodeLine(prompt.substr(begin, end - begin), ids);
      if (end == std::string::npos)
        break;
      ids.push_back(uint32_t(tokenizer->eosId()));
      begin = end + 1;
    }
    context.assign(ids.begin(), ids.end());
    if (context.empty())
      context.push_back(tokenizer->eosId());
  }
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  Executable executable(artifact);
  RandomStream random(streamSeed(seed, "ds-sample"));
  std::vector<HostTensor> results;
  for (int64_t n = 0; n < maxTokens; ++n) {
    const size_t window =
        std::min<size_t>(context.size(), size_t(seqLen));
    int32_t *row = inputs.at("tokens").dataAs<int32_t>();
    std::fill(row, row + seqLen, 0);
    std::copy(context.end() - long(window), context.end(), row);
    if (!executable.runNamed("forward", inputs, results, error))
      return fail(error);
    const float *logits =
        results[0].dataAs<float>() + (window - 1) * size_t(vocab);
    const int32_t next =
        sampleToken({logits, size_t(vocab)}, sampling, random);
    std::fputs(tokenizer->decodeNext(context, next).c_str(), stdout);
    std::fflush(stdout);
    context.push_back(next);
  }
  std::fputc('\n', stdout);
  return 0;
}
