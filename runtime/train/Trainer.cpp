//===- Trainer.cpp - The training loop over a compiled train step ---------===//

#include "runtime/train/Trainer.h"

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/data/Batcher.h"
#include "runtime/data/TokenShard.h"
#include "runtime/io/ParamInit.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/LossPlot.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace ds::rt {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

/// A prepared corpus (ds-data): shards, vocabulary, baseline.
struct DataSet {
  std::unique_ptr<TokenShard> train, val;
  uint32_t vocabSize = 0;
  double unigramLoss = 0.0;
  /// What a checkpoint records to recognise the data it was trained on.
  std::string fingerprint;
};

bool loadDataSet(const std::string &directory, DataSet &data,
                 std::string &error) {
  const std::string summaryPath = directory + "/data.json";
  std::ifstream in(summaryPath);
  if (!in) {
    error = summaryPath + ": cannot read (prepare the corpus with `ds-data "
                          "prepare CORPUS -o " + directory + "`)";
    return false;
  }
  nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  if (summary.is_discarded() || !summary.is_object() ||
      summary.value("format", "") != "ds-data/1" ||
      !summary.contains("vocab_size")) {
    error = summaryPath + ": not a ds-data/1 summary";
    return false;
  }
  data.vocabSize = summary.value("vocab_size", 0u);
  data.unigramLoss = summary.value("unigram_val_loss", 0.0);
  data.train = TokenShard::open(directory + "/train.tokens", error);
  if (!data.train)
    return false;
  data.val = TokenShard::open(directory + "/val.tokens", error);
  if (!data.val)
    return false;
  for (const TokenShard *shard : {data.train.get(), data.val.get()})
    if (shard->vocabSize() != data.vocabSize) {
      error = shard->path() + ": vocabulary " +
              std::to_string(shard->vocabSize()) + " differs from data.json's " +
              std::to_string(data.vocabSize);
      return false;
    }
  data.fingerprint = "vocab " + std::to_string(data.vocabSize) + ", " +
                     std::to_string(data.train->size()) + " train tokens";
  return true;
}

/// The model's vocabulary: the rows of its token embedding.
int64_t modelVocabulary(const EntrySpec &entry) {
  for (const ArgumentSpec &argument : entry.arguments)
    if (argument.role == ArgumentRole::Param && !argument.shape.empty() &&
        (argument.name.ends_with("embed_tokens.weight") ||
         argument.name.ends_with("wte.weight")))
      return argument.shape[0];
  return -1;
}

/// (rows, T) of a tokens argument shaped [..., T].
bool batchShape(const EntrySpec &entry, int64_t &rows, int64_t &seqLen,
                std::string &error) {
  const ArgumentSpec *tokens = entry.findArgument("tokens");
  const ArgumentSpec *targets = entry.findArgument("targets");
  if (!tokens || !targets || tokens->dtype != DType::I32 ||
      tokens->shape.size() < 2 || tokens->shape != targets->shape) {
    error = "entry '" + entry.name +
            "' does not take i32 'tokens' and 'targets' of one shape [.., T]";
    return false;
  }
  seqLen = tokens->shape.back();
  rows = 1;
  for (size_t i = 0; i + 1 < tokens->shape.size(); ++i)
    rows *= tokens->shape[i];
  return true;
}

/// The training state a new run starts from: parameters from their
/// initializers, optimizer state zero, step 0.
bool initialState(const EntrySpec &entry, uint64_t seed, NamedTensors &state,
                  std::string &error) {
  for (const ArgumentSpec &argument : entry.arguments) {
    if (argument.name == "tokens" || argument.name == "targets")
      continue;
    std::optional<HostTensor> tensor;
    if (argument.role == ArgumentRole::Param) {
      if (!argument.init) {
        error = "parameter '" + argument.name +
                "' has no initializer in the manifest (recompile the artifact)";
        return false;
      }
      std::vector<double> values;
      if (!initialValues(argument.name, argument.shape, *argument.init, seed,
                         values, error))
        return false;
      tensor = HostTensor::fromDoubles(argument.dtype, argument.shape, values,
                                       error);
    } else {
      tensor = HostTensor::zeros(argument.dtype, argument.shape, error);
    }
    if (!tensor)
      return false;
    state.insert_or_assign(argument.name, std::move(*tensor));
  }
  return true;
}

/// Checks that a checkpoint holds every state tensor the entry takes, with
/// the right dtype and shape.
bool matchesEntry(const Checkpoint &checkpoint, const EntrySpec &entry,
                  std::string &error) {
  for (const ArgumentSpec &argument : entry.arguments) {
    if (argument.name == "tokens" || argument.name == "targets")
      continue;
    auto it = checkpoint.tensors.find(argument.name);
    if (it == checkpoint.tensors.end()) {
      error = checkpoint.path + ": no tensor '" + argument.name +
              "', which the artifact's train_step takes";
      return false;
    }
    if (it->second.dtype() != argument.dtype ||
        it->second.shape() != argument.shape) {
      error = checkpoint.path + ": tensor '" + argument.name +
              "' does not have the dtype and shape the artifact expects";
      return false;
    }
  }
  return true;
}

bool allFinite(const HostTensor &tensor) {
  if (tensor.dtype() == DType::F32) {
    const float *values = tensor.dataAs<float>();
    const int64_t count = tensor.numElements();
    bool finite = true;
    for (int64_t i = 0; i < count; ++i)
      finite &= std::isfinite(values[i]);
    return finite;
  }
  if (!isFloat(tensor.dtype()))
    return true;
  for (double value : tensor.toDoubles())
    if (!std::isfinite(value))
      return false;
  return true;
}

double scalar(const std::vector<HostTensor> &results, const EntrySpec &entry,
              std::string_view name) {
  for (size_t i = 0; i < entry.results.size(); ++i)
    if (entry.results[i].name == name && results[i].numElements() == 1)
      return results[i].at(0);
  return std::nan("");
}

std::string formatDuration(double seconds) {
  const long total = long(seconds + 0.5);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof(text), "%ldh%02ldm", total / 3600,
                  total / 60 % 60);
  else
    std::snprintf(text, sizeof(text), "%ldm%02lds", total / 60, total % 60);
  return text;
}

/// metrics.jsonl: appended line by line; a resumed run first drops the
/// records after its checkpoint (and a torn last line).
class MetricsLog {
public:
  bool open(const std::string &path, int64_t keepThrough,
            std::vector<json> &kept, std::string &error) {
    path_ = path;
    std::ifstream in(path);
    std::string line;
    while (keepThrough >= 0 && std::getline(in, line)) {
      json record = json::parse(line, nullptr, false);
      if (!record.is_discarded() && record.is_object() &&
          record.value("step", int64_t(-1)) <= keepThrough)
        kept.push_back(std::move(record));
    }
    out_.open(path, std::ios::trunc);
    if (!out_) {
      error = path + ": cannot write";
      return false;
    }
    for (const json &record : kept)
      out_ << record.dump() << "\n";
    out_.flush();
    return true;
  }
  void write(const json &record) {
    out_ << record.dump() << "\n";
    out_.flush();
  }

private:
  std::string path_;
  std::ofstream out_;
};

/// Mean validation loss over `batches` fixed batches.
bool evaluate(Executable &executable, const EntrySpec &lossEntry,
              const TokenShard &val, int64_t batches, NamedTensors &state,
              double &loss, std::string &error) {
  int64_t rows = 0, seqLen = 0;
  if (!batchShape(lossEntry, rows, seqLen, error))
    return false;
  BatcherOptions options{.batchSize = rows, .seqLen = seqLen, .shuffle = false};
  if (!Batcher::check(val, options, error))
    return false;
  Batcher batcher(val, options);
  const uint64_t available = batcher.windowsPerEpoch() / uint64_t(rows);
  batches = std::max<int64_t>(1, std::min<int64_t>(batches, int64_t(available)));
  std::vector<HostTensor> results;
  double sum = 0.0;
  for (int64_t b = 0; b < batches; ++b) {
    HostTensor &tokens = state.at("tokens"), &targets = state.at("targets");
    batcher.next({tokens.dataAs<int32_t>(), size_t(rows * seqLen)},
                 {targets.dataAs<int32_t>(), size_t(rows * seqLen)});
    if (!executable.runNamed("loss", state, results, error))
      return false;
    sum += scalar(results, lossEntry, "loss");
  }
  loss = sum / double(batches);
  return true;
}

} // namespace

bool train(const TrainOptions &options, std::string &error) {
  auto say = [&](const char *format, auto... args) {
    if (!options.quiet) {
      std::fprintf(stdout, format, args...);
      std::fflush(stdout);
    }
  };
  if (options.steps < 1 || options.evalEvery < 0 || options.evalBatches < 1 ||
      options.checkpointEvery < 0 || options.keep < 1 || options.logEvery < 1 ||
      options.timeLimitSeconds < 0) {
    error = "out-of-range options: --steps, --eval-batches, --keep and "
            "--log-every must be at least 1, the others at least 0";
    return false;
  }
  // The model.
  std::shared_ptr<const Artifact> artifact =
      Artifact::load(options.artifact, error);
  if (!artifact)
    return false;
  const Artifact::Entry *stepEntry = artifact->findEntry("train_step");
  const Artifact::Entry *lossEntry = artifact->findEntry("loss");
  if (!stepEntry || !lossEntry) {
    error = options.artifact + ": the artifact needs entries 'train_step' and "
                               "'loss' (ds-compile MODEL --train "
                               "--entry=train_step,loss)";
    return false;
  }
  const EntrySpec &stepSpec = *stepEntry->spec;
  int64_t rows = 0, seqLen = 0;
  if (!batchShape(stepSpec, rows, seqLen, error) ||
      !stepSpec.findResult("loss")) {
    error = options.artifact + ": " +
            (error.empty() ? "train_step has no 'loss' result" : error);
    return false;
  }
  // The data, which must speak the model's vocabulary.
  DataSet data;
  if (!loadDataSet(options.data, data, error))
    return false;
  const int64_t vocab = modelVocabulary(stepSpec);
  if (vocab >= 0 && vocab != int64_t(data.vocabSize)) {
    error = "vocabulary mismatch: the model embeds " + std::to_string(vocab) +
            " tokens but the tokenizer in " + options.data + " has " +
            std::to_string(data.vocabSize) +
            " (prepare the data with --vocab-size=" + std::to_string(vocab) +
            ")";
    return false;
  }
  BatcherOptions batchOptions{.batchSize = rows, .seqLen = seqLen,
                              .seed = options.seed};
  if (!Batcher::check(*data.train, batchOptions, error))
    return false;
  Batcher batcher(*data.train, batchOptions);

  // The state: a checkpoint, or fresh from the seed.
  const std::string checkpoints = options.run + "/checkpoints";
  NamedTensors state;
  int64_t step = 0;
  const bool haveCheckpoints = !listCheckpoints(checkpoints).empty();
  if (haveCheckpoints && !options.resume) {
    error = options.run + " already holds checkpoints: pass --resume to "
                          "continue it, or choose another --run directory";
    return false;
  }
  if (haveCheckpoints) {
    std::vector<std::string> skipped;
    std::optional<Checkpoint> checkpoint =
        loadLatestCheckpoint(checkpoints, skipped, error);
    for (const std::string &problem : skipped)
      std::fprintf(stderr, "ds-train: warning: skipping %s\n", problem.c_str());
    if (!checkpoint)
      return false;
    const auto &notes = checkpoint->info.notes;
    auto note = [&](const char *key) {
      auto it = notes.find(key);
      return it == notes.end() ? std::string() : it->second;
    };
    if (note("artifact") != artifact->manifest().cacheKey) {
      error = checkpoint->path + ": written by another compilation of the "
                                 "model (artifact " + note("artifact") +
              ", this one is " + artifact->manifest().cacheKey + ")";
      return false;
    }
    if (note("data") != data.fingerprint) {
      error = checkpoint->path + ": trained on other data (" + note("data") +
              "; " + options.data + " has " + data.fingerprint + ")";
      return false;
    }
    if (checkpoint->info.seed != options.seed) {
      error = checkpoint->path + ": trained with --seed=" +
              std::to_string(checkpoint->info.seed) + ", not " +
              std::to_string(options.seed);
      return false;
    }
    if (!matchesEntry(*checkpoint, stepSpec, error) ||
        !batcher.seek(checkpoint->info.data, error))
      return false;
    step = checkpoint->info.step;
    state = std::move(checkpoint->tensors);
    say("resumed from %s (step %lld)\n", checkpoint->path.c_str(),
        static_cast<long long>(step));
  } else if (!initialState(stepSpec, options.seed, state, error)) {
    return false;
  }
  for (const char *name : {"tokens", "targets"}) {
    auto tensor = HostTensor::zeros(DType::I32,
                                    stepSpec.findArgument(name)->shape, error);
    if (!tensor)
      return false;
    state.insert_or_assign(name, std::move(*tensor));
  }
  // The loss entry takes one micro-batch: its own tokens and targets.
  NamedTensors evalState;
  for (const ArgumentSpec &argument : lossEntry->spec->arguments) {
    if (argument.name == "tokens" || argument.name == "targets") {
      auto tensor = HostTensor::zeros(argument.dtype, argument.shape, error);
      if (!tensor)
        return false;
      evalState.insert_or_assign(argument.name, std::move(*tensor));
    }
  }

  std::error_code ec;
  fs::create_directories(options.run, ec);
  if (ec) {
    error = options.run + ": cannot create: " + ec.message();
    return false;
  }
  MetricsLog metrics;
  std::vector<json> history;
  if (!metrics.open(options.run + "/metrics.jsonl", haveCheckpoints ? step : -1,
                    history, error))
    return false;
  LossCurve curve;
  curve.baseline = data.unigramLoss;
  for (const json &record : history) {
    if (record.contains("loss"))
      curve.train.emplace_back(record["step"].get<double>(),
                               record["loss"].get<double>());
    if (record.contains("val_loss"))
      curve.val.emplace_back(record["step"].get<double>(),
                             record["val_loss"].get<double>());
  }

  Executable executable(artifact);
  const std::vector<std::string> stateNames = [&] {
    std::vector<std::string> names;
    for (const ArgumentSpec &argument : stepSpec.arguments)
      if (argument.name != "tokens" && argument.name != "targets")
        names.push_back(argument.name);
    return names;
  }();
  auto saveState = [&](int64_t atStep) {
    NamedTensors saved;
    CheckpointInfo info;
    info.step = atStep;
    info.data = batcher.position();
    info.seed = options.seed;
    info.notes = {{"artifact", artifact->manifest().cacheKey},
                  {"data", data.fingerprint}};
    // The checkpoint borrows nothing: tensors are written from `state`.
    for (const std::string &name : stateNames) {
      auto copy = state.at(name).clone(error);
      if (!copy)
        return false;
      saved.emplace(name, std::move(*copy));
    }
    return saveCheckpoint(checkpoints, info, saved, options.keep, error);
  };
  auto runEvaluation = [&](int64_t atStep) {
    for (const ArgumentSpec &argument : lossEntry->spec->arguments) {
      if (argument.name == "tokens" || argument.name == "targets")
        continue;
      auto it = state.find(argument.name);
      if (it == state.end()) {
        error = "the loss entry takes '" + argument.name +
                "', which train_step does not";
        return false;
      }
      auto copy = it->second.clone(error);
      if (!copy)
        return false;
      evalState.insert_or_assign(argument.name, std::move(*copy));
    }
    double valLoss = 0.0;
    if (!evaluate(executable, *lossEntry->spec, *data.val, options.evalBatches,
                  evalState, valLoss, error))
      return false;
    say("step %lld | val loss %.4f | val ppl %.2f | unigram baseline %.4f\n",
        static_cast<long long>(atStep), valLoss, std::exp(valLoss),
        data.unigramLoss);
    metrics.write({{"step", atStep},
                   {"val_loss", valLoss},
                   {"val_ppl", std::exp(valLoss)}});
    curve.val.emplace_back(double(atStep), valLoss);
    return true;
  };

  // Time to the end: the remaining steps, or the time limit if sooner.
  auto remaining = [&](double forSteps, double elapsed) {
    return options.timeLimitSeconds > 0
               ? std::min(forSteps, std::max(0.0, options.timeLimitSeconds - elapsed))
               : forSteps;
  };
  const int64_t tokensPerStep = rows * seqLen;
  const auto start = Clock::now();
  const int64_t firstStep = step;
  std::vector<HostTensor> results;
  say("training %s on %s: %lld steps of %lld tokens, run in %s\n",
      options.artifact.c_str(), options.data.c_str(),
      static_cast<long long>(options.steps),
      static_cast<long long>(tokensPerStep), options.run.c_str());
  bool stoppedEarly = false;
  double lossSum = 0.0;
  int64_t lossCount = 0;
  // The step's arguments and the state its results replace, bound once:
  // state is a std::map, whose elements stay put while their buffers are
  // swapped below.
  std::vector<const HostTensor *> arguments;
  for (const ArgumentSpec &argument : stepSpec.arguments) {
    auto it = state.find(argument.name);
    if (it == state.end()) {
      error = "train_step: no value for its argument '" + argument.name + "'";
      return false;
    }
    arguments.push_back(&it->second);
  }
  std::vector<HostTensor *> replaces;
  for (const ResultSpec &result : stepSpec.results) {
    auto it = state.find(result.name);
    replaces.push_back(it == state.end() ? nullptr : &it->second);
  }
  HostTensor &tokens = state.at("tokens"), &targets = state.at("targets");
  while (step < options.steps) {
    batcher.next({tokens.dataAs<int32_t>(), size_t(tokensPerStep)},
                 {targets.dataAs<int32_t>(), size_t(tokensPerStep)});
    if (!executable.run("train_step", arguments, results, error)) {
      error = "step " + std::to_string(step + 1) + ": " + error;
      return false;
    }
    // A non-finite loss, or a non-finite value anywhere in the new state,
    // stops the run before anything is saved: the last checkpoint stays the
    // last good state.
    const double loss = scalar(results, stepSpec, "loss");
    for (size_t i = 0; i < results.size(); ++i)
      if (!allFinite(results[i])) {
        char lossText[32];
        std::snprintf(lossText, sizeof(lossText), "%g", loss);
        error = "step " + std::to_string(step + 1) +
                ": non-finite values in '" + stepSpec.results[i].name +
                "' (the first such result; the loss is " + lossText +
                "); stopped without saving (the last checkpoint is the last "
                "good state)";
        return false;
      }
    // Swapped, not moved: the old buffers come back as the next step's
    // outputs, so steady-state steps allocate nothing.
    for (size_t i = 0; i < results.size(); ++i)
      if (replaces[i])
        std::swap(*replaces[i], results[i]);
    ++step;
    lossSum += loss;
    ++lossCount;
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - start).count();
    const bool last = step == options.steps;
    stoppedEarly = !last && options.timeLimitSeconds > 0 &&
                   elapsed >= options.timeLimitSeconds;
    if (step % options.logEvery == 0 || last || stoppedEarly) {
      // The mean over the steps since the last line: one step's loss is
      // too noisy to read a trend from.
      const double meanLoss = lossSum / double(lossCount);
      lossSum = 0.0;
      lossCount = 0;
      const double perStep = elapsed / double(step - firstStep);
      const double lr = scalar(results, stepSpec, "lr");
      say("step %lld/%lld | loss %.4f | lr %.2e | %.0f tok/s | ETA %s\n",
          static_cast<long long>(step), static_cast<long long>(options.steps),
          meanLoss, lr, double(tokensPerStep) / perStep,
          formatDuration(remaining(perStep * double(options.steps - step),
                                   elapsed))
              .c_str());
      json record = {{"step", step},
                     {"loss", meanLoss},
                     {"last_loss", loss},
                     {"tokens_per_s", double(tokensPerStep) / perStep},
                     {"elapsed_s", elapsed}};
      if (std::isfinite(lr))
        record["lr"] = lr;
      const double gradNorm = scalar(results, stepSpec, "grad_norm");
      if (std::isfinite(gradNorm))
        record["grad_norm"] = gradNorm;
      metrics.write(record);
      curve.train.emplace_back(double(step), meanLoss);
    }
    if ((options.evalEvery > 0 && step % options.evalEvery == 0) || last ||
        stoppedEarly)
      if (!runEvaluation(step))
        return false;
    if ((options.checkpointEvery > 0 && step % options.checkpointEvery == 0) ||
        last || stoppedEarly) {
      if (!saveState(step))
        return false;
    }
    if (stoppedEarly) {
      say("stopped at step %lld: the time limit of %.0f s is reached "
          "(--resume continues)\n",
          static_cast<long long>(step), options.timeLimitSeconds);
      break;
    }
  }
  if (!writeLossPlot(options.run + "/loss.png", curve, error))
    return false;
  if (!curve.val.empty())
    say("final val loss %.4f (unigram baseline %.4f); plot %s/loss.png\n",
        curve.val.back().second, data.unigramLoss, options.run.c_str());
  return true;
}

} // namespace ds::rt
