//===- ds-sample.cpp - Generate text from a trained checkpoint ------------===//
//
//   ds-sample ARTIFACT_DIR --checkpoint=PATH --data=DATA_DIR
//             [--prompt=TEXT] [--max-tokens=N] [--num-samples=N] [--greedy]
//             [--temperature=T] [--top-k=K] [--top-p=P] [--seed=S]
//             [--no-cache]
//
// Loads trained weights (a ds-train run directory means its
// newest intact checkpoint), encodes the prompt with the corpus's tokenizer,
// and prints text as it is generated.
//
// With the artifact's @decode entry (ds-compile --entry=...,decode,prefill)
// each token costs one decoding step over a KV cache (runtime/infer/
// Decoder): the prompt goes in with one @prefill call (or one step per token
// without it), then every sampled token is one step. The cache holds the
// model's sequence length T; when it is full, the last T/2 tokens are fed
// again from position 0 and generation goes on. --no-cache (or an
// artifact without @decode) instead runs @forward over the last T tokens
// for every new token, which gives the same logits while the text fits in T
// positions, at T times the work.
//
// Up to B samples (the model's batch size) are drawn at once, one per batch
// row, each with its own random stream; with more than one they are printed
// one after the other at the end.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/data/Tokenizer.h"
#include "runtime/infer/Decoder.h"
#include "runtime/infer/Sampler.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/WeightSource.h"
#include "tools/ToolArgs.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace ds::rt;
namespace fs = std::filesystem;

constexpr const char *kUsage =
    "usage: ds-sample ARTIFACT_DIR --checkpoint=PATH --data=DIR [options]\n"
    "  --checkpoint=PATH      a ds-train run directory (its newest intact\n"
    "                         checkpoint), one step-N checkpoint, a Hugging\n"
    "                         Face checkpoint directory or a safetensors file\n"
    "  --data=DIR             the ds-data directory (for its tokenizer)\n"
    "  --prompt=TEXT          text to continue (default: a new line)\n"
    "  --max-tokens=N         tokens to generate (default 200)\n"
    "  --num-samples=N        samples drawn at once, up to the model's batch\n"
    "                         size (default 1)\n"
    "  --greedy               always the most likely token\n"
    "  --temperature=T        softmax temperature (default 0.8)\n"
    "  --top-k=K              sample among the K most likely (default 40; 0: "
    "all)\n"
    "  --top-p=P              then among the smallest set with mass P "
    "(default 0.95)\n"
    "  --seed=S               the sampling seed (default 1)\n"
    "  --no-cache             recompute @forward over the window for every\n"
    "                         token instead of decoding with the KV cache\n"
    "  --device=N             the GPU a CUDA artifact runs on (default 0)\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-sample: %s\n", message.c_str());
  return 1;
}

/// The sequences being generated, one per batch row: all start as the
/// prompt; `sample` draws each row's next token from its logits.
struct Generation {
  std::vector<std::vector<int32_t>> rows;
  std::vector<RandomStream> random;
  SamplingOptions sampling;
  const Tokenizer *tokenizer = nullptr;
  bool stream = false; // print row 0 (only) as it grows

  void sample(size_t row, std::span<const float> logits) {
    const int32_t next = sampleToken(logits, sampling, random[row]);
    if (stream && row == 0) {
      std::fputs(tokenizer->decodeNext(rows[row], next).c_str(), stdout);
      std::fflush(stdout);
    }
    rows[row].push_back(next);
  }
};

/// Feeds `count` tokens of every row, starting at index `from`, to the
/// decoder (in one @prefill call when the caches are empty and the artifact
/// has it); `logits` then views the last position's.
bool feed(Decoder &decoder, const Generation &g, size_t from, size_t count,
          std::span<const float> &logits, std::string &error) {
  if (decoder.position() == 0 && decoder.canPrefill()) {
    std::vector<int32_t> block;
    for (const std::vector<int32_t> &row : g.rows)
      block.insert(block.end(), row.begin() + long(from),
                   row.begin() + long(from + count));
    return decoder.prefill(block, int64_t(count), logits, error);
  }
  std::vector<int32_t> column(decoder.batchSize(), 0);
  for (size_t i = from; i < from + count; ++i) {
    for (size_t row = 0; row < g.rows.size(); ++row)
      column[row] = g.rows[row][i];
    if (!decoder.step(column, logits, error))
      return false;
  }
  return true;
}

/// Generation with the KV cache: the prompt, then one step per token. A full
/// cache is emptied and refilled with the last half of the text.
bool generateCached(Decoder &decoder, Generation &g, int64_t maxTokens,
                    std::string &error) {
  const size_t capacity = size_t(decoder.cacheLength());
  const size_t vocab = size_t(decoder.vocabSize());
  std::span<const float> logits;
  size_t length = g.rows[0].size();
  size_t keep = std::min(length, capacity);
  if (!feed(decoder, g, length - keep, keep, logits, error))
    return false;
  for (int64_t n = 0; n < maxTokens; ++n) {
    for (size_t row = 0; row < g.rows.size(); ++row)
      g.sample(row, logits.subspan(row * vocab, vocab));
    if (n + 1 == maxTokens)
      break;
    ++length;
    if (size_t(decoder.position()) == capacity) {
      decoder.reset();
      keep = std::max<size_t>(capacity / 2, 1);
      if (!feed(decoder, g, length - keep, keep, logits, error))
        return false;
    } else if (!feed(decoder, g, length - 1, 1, logits, error)) {
      return false;
    }
  }
  return true;
}

/// Generation without a cache: @forward over the last T tokens of every row
/// for every new token; the logits at the last filled position are used.
bool generateByRecomputing(Executable &executable, NamedTensors &inputs,
                           int64_t seqLen, int64_t vocab, Generation &g,
                           int64_t maxTokens, std::string &error) {
  std::vector<HostTensor> results;
  for (int64_t n = 0; n < maxTokens; ++n) {
    const size_t window = std::min<size_t>(g.rows[0].size(), size_t(seqLen));
    int32_t *tokens = inputs.at("tokens").dataAs<int32_t>();
    for (size_t row = 0; row < g.rows.size(); ++row) {
      int32_t *line = tokens + row * seqLen;
      std::fill(line, line + seqLen, 0);
      std::copy(g.rows[row].end() - long(window), g.rows[row].end(), line);
    }
    if (!executable.runNamed("forward", inputs, results, error))
      return false;
    for (size_t row = 0; row < g.rows.size(); ++row)
      g.sample(row, {results[0].dataAs<float>() +
                         (row * seqLen + window - 1) * size_t(vocab),
                     size_t(vocab)});
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string artifactDir, checkpointPath, dataDir, prompt;
  int64_t maxTokens = 200, numSamples = 1, device = 0;
  uint64_t seed = 1;
  bool useCache = true;
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
    } else if (arg == "--no-cache") {
      useCache = false;
    } else if (flagValue(arg, "--checkpoint", checkpointPath) ||
               flagValue(arg, "--data", dataDir) ||
               flagValue(arg, "--prompt", prompt)) {
    } else if (flagValue(arg, "--max-tokens", text)) {
      if (!ds::tools::parseInteger(text, maxTokens))
        return bad("--max-tokens");
    } else if (flagValue(arg, "--num-samples", text)) {
      if (!ds::tools::parseInteger(text, numSamples))
        return bad("--num-samples");
    } else if (flagValue(arg, "--seed", text)) {
      if (!ds::tools::parseInteger(text, seed))
        return bad("--seed");
    } else if (flagValue(arg, "--device", text)) {
      if (!ds::tools::parseInteger(text, device))
        return bad("--device");
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
  if (numSamples < 1)
    return fail("--num-samples must be at least 1");

  std::shared_ptr<const Artifact> artifact = Artifact::load(
      artifactDir, error, ds::rt::LoadOptions{static_cast<int>(device)});
  if (!artifact)
    return fail(error);
  const Artifact::Entry *forward = artifact->findEntry("forward");
  const Artifact::Entry *decode = artifact->findEntry(Decoder::kEntry);
  if (useCache && !decode) {
    std::fprintf(stderr,
                 "ds-sample: warning: %s has no 'decode' entry; recomputing "
                 "@forward for every token (compile with "
                 "--entry=...,decode for a KV cache)\n",
                 artifactDir.c_str());
    useCache = false;
  }
  const ArgumentSpec *tokensSpec =
      forward ? forward->spec->findArgument("tokens") : nullptr;
  const ResultSpec *logitsSpec =
      forward && !forward->spec->results.empty() ? &forward->spec->results[0]
                                                 : nullptr;
  if (!useCache &&
      (!tokensSpec || tokensSpec->shape.size() != 2 || !logitsSpec ||
       logitsSpec->shape.size() != 3 || logitsSpec->dtype != DType::F32))
    return fail(artifactDir + ": the artifact needs a 'forward' entry from "
                              "tokens [B, T] to f32 logits [B, T, V] "
                              "(ds-compile ... --entry=train_step,loss,forward,"
                              "decode)");
  const Artifact::Entry &model = useCache ? *decode : *forward;
  const ResultSpec &logitsResult = model.spec->results[0];
  const int64_t vocab = logitsResult.shape.size() == 3 ? logitsResult.shape[2] : 0;
  const int64_t batch = logitsResult.shape.empty() ? 0 : logitsResult.shape[0];
  if (numSamples > batch)
    return fail("--num-samples=" + std::to_string(numSamples) +
                " exceeds the model's batch size " + std::to_string(batch));
  auto tokenizer = Tokenizer::load(dataDir + "/tokenizer.model", error);
  if (!tokenizer)
    return fail(error);
  if (tokenizer->vocabSize() != vocab)
    return fail("vocabulary mismatch: the model predicts " +
                std::to_string(vocab) + " tokens but the tokenizer in " +
                dataDir + " has " + std::to_string(tokenizer->vocabSize()));
  LoadedWeights checkpoint;
  if (!loadWeights(checkpointPath, parametersOf(*model.spec), checkpoint,
                   error))
    return fail(error);
  for (const std::string &problem : checkpoint.skipped)
    std::fprintf(stderr, "ds-sample: warning: skipping %s\n", problem.c_str());

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
  // Every batch row runs; the first numSamples are kept.
  Generation g;
  g.rows.assign(size_t(batch), context);
  for (int64_t row = 0; row < batch; ++row)
    g.random.emplace_back(streamSeed(
        seed, row == 0 ? std::string("ds-sample")
                       : "ds-sample/" + std::to_string(row)));
  g.sampling = sampling;
  g.tokenizer = &*tokenizer;
  g.stream = numSamples == 1;
  if (g.stream) {
    std::fputs(prompt.c_str(), stdout);
    std::fflush(stdout);
  }

  const auto started = std::chrono::steady_clock::now();
  bool ok;
  if (useCache) {
    std::optional<Decoder> decoder =
        Decoder::create(artifact, std::move(checkpoint.tensors), error);
    if (!decoder)
      return fail(checkpoint.origin + ": " + error);
    ok = generateCached(*decoder, g, maxTokens, error);
  } else {
    NamedTensors inputs;
    for (const ArgumentSpec &argument : forward->spec->arguments) {
      if (argument.name == "tokens")
        continue;
      auto it = checkpoint.tensors.find(argument.name);
      if (it == checkpoint.tensors.end())
        return fail(checkpoint.origin + ": no tensor '" + argument.name +
                    "', which the artifact's forward takes");
      inputs.insert_or_assign(argument.name, std::move(it->second));
    }
    auto tokens = HostTensor::zeros(DType::I32, tokensSpec->shape, error);
    if (!tokens)
      return fail(error);
    inputs.insert_or_assign("tokens", std::move(*tokens));
    Executable executable(artifact);
    ok = generateByRecomputing(executable, inputs, tokensSpec->shape[1], vocab,
                               g, maxTokens, error);
  }
  if (!ok)
    return fail(error);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  if (g.stream) {
    // The text ends its line before the speed line goes to stderr, so the two
    // never share a line when both streams go to one terminal or file.
    std::fputc('\n', stdout);
  } else {
    for (int64_t row = 0; row < numSamples; ++row) {
      std::printf("--- sample %lld ---\n%s\n", (long long)row + 1,
                  tokenizer->decode(g.rows[row]).c_str());
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr,
               "ds-sample: %lld tokens x %lld in %.2f s (%.0f tokens/s, %s)\n",
               (long long)maxTokens, (long long)batch, seconds,
               seconds > 0 ? double(maxTokens * batch) / seconds : 0.0,
               useCache ? "KV cache" : "recomputing the window");
  std::fflush(stdout);
  return 0;
}
