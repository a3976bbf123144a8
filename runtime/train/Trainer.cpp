//===- Trainer.cpp - The training loop over a compiled train step ---------===//

#include "runtime/train/Trainer.h"
#include "runtime/comm/Grid.h"
#include "runtime/comm/Communicator.h"
#include "runtime/train/ShardedState.h"
#include "runtime/train/TrainState.h"

#include "runtime/Artifact.h"
#include "runtime/Executable.h"
#include "runtime/data/Batcher.h"
#include "runtime/io/JsonReader.h"
#include "runtime/io/Memory.h"
#include "runtime/io/ParamInit.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/LossPlot.h"
#include "runtime/train/MetricsLog.h"
#include "runtime/train/Validation.h"
#include "runtime/train/WeightSource.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace ds::rt {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

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

/// One run of the loop (see Trainer.h), from set-up to the last checkpoint.
class TrainingRun {
public:
  explicit TrainingRun(const TrainOptions &options) : options(options) {}
  bool run(std::string &error);

private:
  /// Rank 0 speaks for a distributed run.
  template <typename... Args> void say(const char *format, Args... args) {
    if (!options.quiet && leader()) {
      std::fprintf(stdout, format, args...);
      std::fflush(stdout);
    }
  }
  bool leader() const { return rank == 0; }
  bool joinRanks(std::string &error);
  bool agree(bool &stoppedEarly, std::string &error);
  bool loadModelAndData(std::string &error);
  bool loadOrStartState(std::string &error);
  bool openLogs(std::string &error);
  bool bindArguments(std::string &error);
  bool step(std::string &error);
  void log(double elapsed);
  bool copyWeightsForEvaluation(std::string &error);
  bool evaluateNow(int64_t batches, std::string &error);
  bool timeValidationBatch(double &seconds, std::string &error);
  bool saveState(std::string &error);
  bool keepOwnBlocks(std::string &error);
  /// The block of `tensor` each rank of the step's grid holds.
  std::vector<int64_t> blocksOfRanks(const TensorSpec &tensor) const {
    std::vector<int64_t> blocks;
    for (int64_t r = 0; r < ranks; ++r)
      blocks.push_back(stepSpec->blockIndex(tensor, r));
    return blocks;
  }
  bool sizeScheduleToTimeLimit(double perStep, double elapsed,
                               std::string &error);
  void followTimeLimit(double elapsed);

  const TrainOptions &options;
  /// This process's rank among `ranks` (a data-parallel run), and how they
  /// talk (null for one process).
  Communicator *communicator = nullptr;
  int64_t rank = 0, ranks = 1;
  std::shared_ptr<const Artifact> artifact;
  const EntrySpec *stepSpec = nullptr, *lossSpec = nullptr;
  int64_t rows = 0, seqLen = 0;
  /// The ranks that read different rows of a batch (data parallel): the
  /// global batch is rows * stripes.
  int64_t stripes = 1;
  DataSet data;
  std::unique_ptr<Batcher> batcher;
  std::string checkpoints;
  bool resumed = false;
  NamedTensors state, evalState;
  int64_t stepsDone = 0;
  /// The step the run ends at: --steps, or what the time limit allows.
  int64_t target = 0;
  /// train_step's `total_steps` argument (the schedule's length), if any.
  HostTensor *totalSteps = nullptr;
  /// Whether the schedule's length follows --time-limit, and the seconds the
  /// end of the run takes (the final evaluation and checkpoint).
  bool scheduleFollowsTime = false;
  double endSeconds = 0.0;
  std::unique_ptr<Executable> executable;
  std::vector<const HostTensor *> arguments;
  std::vector<HostTensor *> replaces;
  std::vector<HostTensor> results;
  MetricsLog metrics;
  LossCurve curve;
  double lossSum = 0.0;
  int64_t lossCount = 0, firstStep = 0;
  Clock::time_point start;
};

bool TrainingRun::loadModelAndData(std::string &error) {
  artifact = Artifact::load(options.artifact, error,
                            LoadOptions{static_cast<int>(options.device)});
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
  stepSpec = stepEntry->spec;
  lossSpec = lossEntry->spec;
  if (stepSpec->ranks != ranks) {
    error = options.artifact + ": train_step is compiled for " +
            std::to_string(stepSpec->ranks) + " rank" +
            (stepSpec->ranks == 1 ? "" : "s") + " and this run has " +
            std::to_string(ranks) +
            (stepSpec->ranks == 1
                 ? " (compile it with ds-compile --train --passes='ds-shard{dp=" +
                       std::to_string(ranks) + "}' for a data-parallel run)"
                 : " (start it with mpirun -np " +
                       std::to_string(stepSpec->ranks) + ")");
    return false;
  }
  if (!batchShape(*stepSpec, rows, seqLen, error) ||
      !stepSpec->findResult("loss") || !lossSpec->findResult("loss")) {
    error = options.artifact + ": " +
            (error.empty() ? "train_step or loss has no 'loss' result" : error);
    return false;
  }
  // The data, which must speak the model's vocabulary.
  if (!loadDataSet(options.data, data, error))
    return false;
  const int64_t vocab = modelVocabulary(*stepSpec);
  if (vocab >= 0 && vocab != int64_t(data.vocabSize)) {
    error = "vocabulary mismatch: the model embeds " + std::to_string(vocab) +
            " tokens but the tokenizer in " + options.data + " has " +
            std::to_string(data.vocabSize) +
            " (prepare the data with --vocab-size=" + std::to_string(vocab) +
            ")";
    return false;
  }
  // When the step splits the batch (data parallel: the tokens' split_dim),
  // each rank takes its stripe of the windows: together the stripes' rows
  // are one batch of rows * stripes windows. Ranks along grid axes that do
  // not split the batch (tensor parallel) read the same stripe.
  const ArgumentSpec *tokens = stepSpec->findArgument("tokens");
  stripes = tokens ? stepSpec->blocks(*tokens) : 1;
  BatcherOptions batchOptions{
      .batchSize = rows, .seqLen = seqLen, .seed = options.seed,
      .rank = tokens ? int(stepSpec->blockIndex(*tokens, rank)) : 0,
      .worldSize = int(stripes)};
  if (!Batcher::check(*data.train, batchOptions, error))
    return false;
  batcher = std::make_unique<Batcher>(*data.train, batchOptions);
  return true;
}

/// The state: the run's newest checkpoint, or fresh (from the seed, or from
/// --init's weights).
bool TrainingRun::loadOrStartState(std::string &error) {
  checkpoints = options.run + "/checkpoints";
  resumed = !listCheckpoints(checkpoints).empty();
  target = options.steps;
  if (resumed && !options.resume) {
    error = options.run + " already holds checkpoints: pass --resume to "
                          "continue it, or choose another --run directory";
    return false;
  }
  if (resumed) {
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
    const Manifest &manifest = artifact->manifest();
    const bool sameTraining = !note("training").empty() &&
                              note("training") == manifest.trainingKey;
    if (note("artifact") != manifest.cacheKey && !sameTraining) {
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
    if (!matchesEntry(*checkpoint, *stepSpec, error) ||
        !batcher->seek(checkpoint->info.data, error))
      return false;
    // A run whose length the time limit chose keeps it.
    if (std::string sized = note("target_steps"); !sized.empty())
      target = std::min<int64_t>(target, std::stoll(sized));
    stepsDone = checkpoint->info.step;
    state = std::move(checkpoint->tensors);
    if (!keepOwnBlocks(error))
      return false;
    say("resumed from %s (step %lld)\n", checkpoint->path.c_str(),
        static_cast<long long>(stepsDone));
    if (std::string written = note("ranks");
        !written.empty() && written != std::to_string(ranks))
      say("the checkpoint was written on %s rank(s); this run has %lld\n",
          written.c_str(), static_cast<long long>(ranks));
  } else if (!checkMemory(stepSpec->memoryBytes(),
                          "train_step's state, batch, results and workspace",
                          error) ||
             !initialState(*stepSpec, options.init, options.seed, rank, state, error)) {
    return false;
  } else if (!options.init.empty()) {
    say("starting from the weights in %s\n", options.init.c_str());
  }
  for (const char *name : {"tokens", "targets"}) {
    auto tensor = HostTensor::zeros(DType::I32,
                                    stepSpec->findArgument(name)->shape, error);
    if (!tensor)
      return false;
    state.insert_or_assign(name, std::move(*tensor));
  }
  // The schedule's length, when train_step takes it: the run's.
  if (auto it = state.find("total_steps"); it != state.end()) {
    totalSteps = &it->second;
    if (!resumed)
      totalSteps->dataAs<int64_t>()[0] = target;
  }
  // The loss entry takes one micro-batch: its own tokens and targets.
  for (const ArgumentSpec &argument : lossSpec->arguments)
    if (isBatchArgument(argument.name)) {
      auto tensor = HostTensor::zeros(argument.dtype, argument.shape, error);
      if (!tensor)
        return false;
      evalState.insert_or_assign(argument.name, std::move(*tensor));
    }
  return true;
}

bool TrainingRun::openLogs(std::string &error) {
  if (!leader())
    return true;
  std::error_code ec;
  fs::create_directories(options.run, ec);
  if (ec) {
    error = options.run + ": cannot create: " + ec.message();
    return false;
  }
  std::vector<MetricsLog::Record> history;
  if (!metrics.open(options.run + "/metrics.jsonl", resumed ? stepsDone : -1,
                    history, error))
    return false;
  curve.baseline = data.unigramLoss;
  for (const MetricsLog::Record &record : history) {
    if (std::isfinite(record.loss))
      curve.train.emplace_back(double(record.step), record.loss);
    if (std::isfinite(record.valLoss))
      curve.val.emplace_back(double(record.step), record.valLoss);
  }
  return true;
}

/// train_step's arguments and the state its results replace, bound once:
/// state is a std::map, whose elements stay put while their buffers are
/// swapped after each step.
bool TrainingRun::bindArguments(std::string &error) {
  for (const ArgumentSpec &argument : stepSpec->arguments) {
    auto it = state.find(argument.name);
    if (it == state.end()) {
      error = "train_step: no value for its argument '" + argument.name + "'";
      return false;
    }
    arguments.push_back(&it->second);
  }
  for (const ResultSpec &result : stepSpec->results) {
    auto it = state.find(result.name);
    replaces.push_back(it == state.end() ? nullptr : &it->second);
  }
  return true;
}

/// One step: the next batch, @train_step, the finiteness check, the state
/// update.
bool TrainingRun::step(std::string &error) {
  HostTensor &tokens = state.at("tokens"), &targets = state.at("targets");
  const size_t count = size_t(rows * seqLen);
  batcher->next({tokens.dataAs<int32_t>(), count},
                {targets.dataAs<int32_t>(), count});
  if (!executable->run("train_step", arguments, results, error)) {
    error = "step " + std::to_string(stepsDone + 1) + ": " + error;
    return false;
  }
  // A non-finite loss, or a non-finite value anywhere in the new state,
  // stops the run before anything is saved: the last checkpoint stays the
  // last good state.
  const double loss = scalar(results, *stepSpec, "loss");
  for (size_t i = 0; i < results.size(); ++i)
    if (!allFinite(results[i])) {
      char lossText[32];
      std::snprintf(lossText, sizeof(lossText), "%g", loss);
      error = "step " + std::to_string(stepsDone + 1) +
              ": non-finite values in '" + stepSpec->results[i].name +
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
  ++stepsDone;
  lossSum += loss;
  ++lossCount;
  return true;
}

void TrainingRun::log(double elapsed) {
  // The mean over the steps since the last line: one step's loss is too
  // noisy to read a trend from.
  const double meanLoss = lossSum / double(lossCount);
  lossSum = 0.0;
  lossCount = 0;
  const double perStep = elapsed / double(stepsDone - firstStep);
  double eta = perStep * double(target - stepsDone);
  if (options.timeLimitSeconds > 0)
    eta = std::min(eta, std::max(0.0, options.timeLimitSeconds - elapsed));
  const int64_t tokensPerStep = rows * seqLen * stripes;
  const double lr = scalar(results, *stepSpec, "lr");
  say("step %lld/%lld | loss %.4f | lr %.2e | %.0f tok/s | ETA %s\n",
      static_cast<long long>(stepsDone), static_cast<long long>(target),
      meanLoss, lr, double(tokensPerStep) / perStep,
      formatDuration(eta).c_str());
  json record = {{"step", stepsDone},
                 {"loss", meanLoss},
                 {"last_loss", scalar(results, *stepSpec, "loss")},
                 {"tokens_per_s", double(tokensPerStep) / perStep},
                 {"elapsed_s", elapsed}};
  if (std::isfinite(lr))
    record["lr"] = lr;
  const double gradNorm = scalar(results, *stepSpec, "grad_norm");
  if (std::isfinite(gradNorm))
    record["grad_norm"] = gradNorm;
  metrics.write(record);
  curve.train.emplace_back(double(stepsDone), meanLoss);
}

/// The validation loss on `batches` fixed batches (0: the whole shard).
bool TrainingRun::evaluateNow(int64_t batches, std::string &error) {
  // Every rank gathers the weights it holds blocks of (ZeRO-3); rank 0
  // evaluates (the weights are the same on every rank).
  if (!copyWeightsForEvaluation(error))
    return false;
  if (!leader())
    return true;
  ValidationLoss val;
  if (!evaluate(*executable, *lossSpec, *data.val, batches, evalState, val,
                error))
    return false;
  const bool whole = batches == 0;
  say("step %lld | val loss %.4f | val ppl %.2f | %s %lld tokens | unigram "
      "baseline %.4f (whole shard)\n",
      static_cast<long long>(stepsDone), val.loss, std::exp(val.loss),
      whole ? "whole shard:" : "sample of", static_cast<long long>(val.tokens),
      data.unigramLoss);
  metrics.write({{"step", stepsDone},
                 {"val_loss", val.loss},
                 {"val_ppl", std::exp(val.loss)},
                 {"val_tokens", val.tokens},
                 {"val_whole_shard", whole}});
  curve.val.emplace_back(double(stepsDone), val.loss);
  return true;
}

/// Checkpoints hold whole tensors: of the state each rank holds a block of
/// (ZeRO), it keeps its own.
bool TrainingRun::keepOwnBlocks(std::string &error) {
  for (const ArgumentSpec &argument : stepSpec->arguments) {
    if (!argument.splitDim || isBatchArgument(argument.name))
      continue;
    std::optional<HostTensor> block =
        blockOf(state.at(argument.name), *argument.splitDim,
                stepSpec->blockIndex(argument, rank),
                stepSpec->blocks(argument), error);
    if (!block) {
      error = "'" + argument.name + "': " + error;
      return false;
    }
    state.insert_or_assign(argument.name, std::move(*block));
  }
  return true;
}

bool TrainingRun::saveState(std::string &error) {
  CheckpointInfo info;
  info.step = stepsDone;
  info.data = batcher->position();
  info.seed = options.seed;
  info.notes = {{"artifact", artifact->manifest().cacheKey},
                {"training", artifact->manifest().trainingKey},
                {"ranks", std::to_string(ranks)},
                {"data", data.fingerprint}};
  if (target != options.steps)
    info.notes["target_steps"] = std::to_string(target);
  // Whole tensors (the same on every rank) are rank 0's to write; each
  // block of a split one is written by the first rank that holds it, every
  // rank its own file at once (collective).
  const bool sharded =
      ranks > 1 && std::any_of(stepSpec->arguments.begin(),
                               stepSpec->arguments.end(),
                               [](const ArgumentSpec &argument) {
                                 return argument.splitDim &&
                                        !isBatchArgument(argument.name);
                               });
  NamedTensors whole;
  std::vector<std::vector<SliceInfo>> slices(static_cast<size_t>(ranks));
  std::vector<const HostTensor *> blocks;
  for (const ArgumentSpec &argument : stepSpec->arguments) {
    if (isBatchArgument(argument.name))
      continue;
    if (!sharded || !argument.splitDim) {
      if (!leader())
        continue;
      // The checkpoint borrows nothing: tensors are written from copies.
      auto copy = state.at(argument.name).clone(error);
      if (!copy)
        return false;
      whole.emplace(argument.name, std::move(*copy));
      continue;
    }
    std::vector<int64_t> across;
    for (int64_t axis = 0; axis < int64_t(stepSpec->grid.size()); ++axis)
      if (std::find(argument.splitAxes.begin(), argument.splitAxes.end(),
                    axis) == argument.splitAxes.end())
        across.push_back(axis);
    const std::vector<int64_t> wholeShape =
        argument.wholeShape(stepSpec->blocks(argument));
    const int64_t rows = argument.shape[size_t(*argument.splitDim)];
    for (int64_t r = 0; r < ranks; ++r) {
      if (gridIndexAlong(r, stepSpec->grid, across) != 0)
        continue; // a rank along the other axes holds the same block
      slices[size_t(r)].push_back(
          {argument.name, *argument.splitDim,
           stepSpec->blockIndex(argument, r) * rows, wholeShape});
      if (r == rank)
        blocks.push_back(&state.at(argument.name));
    }
  }
  if (!sharded)
    return !leader() ||
           saveCheckpoint(checkpoints, info, whole, options.keep, error);
  return saveShardedCheckpoint(*communicator, checkpoints, info, whole, slices,
                               blocks, options.keep, error);
}

/// Seconds @loss takes per validation batch on the current weights (after
/// a first, untimed batch that allocates its workspace).
bool TrainingRun::timeValidationBatch(double &seconds, std::string &error) {
  if (!copyWeightsForEvaluation(error))
    return false;
  ValidationLoss val;
  if (!evaluate(*executable, *lossSpec, *data.val, 1, evalState, val, error))
    return false;
  const auto before = Clock::now();
  if (!evaluate(*executable, *lossSpec, *data.val, 2, evalState, val, error))
    return false;
  seconds = std::chrono::duration<double>(Clock::now() - before).count() /
            double(val.batches);
  return true;
}

/// With --time-limit and a schedule length train_step takes at run time:
/// from the speed measured so far, the number of steps that fit, counting
/// the periodic evaluations, the checkpoints, the final evaluation on the
/// whole validation shard, and a margin. The learning rate then reaches its
/// floor when the time is up, instead of being cut off partway down.
bool TrainingRun::sizeScheduleToTimeLimit(double perStep, double elapsed,
                                          std::string &error) {
  double batchSeconds = 0.0;
  if (!timeValidationBatch(batchSeconds, error))
    return false;
  const int64_t shard = std::max<int64_t>(1, validationBatches(*lossSpec, *data.val));
  const double sampleEval =
      batchSeconds * double(options.evalBatches == 0
                                ? shard
                                : std::min(options.evalBatches, shard));
  int64_t stateBytes = 0;
  for (const HostTensor *argument : arguments)
    stateBytes += int64_t(argument->byteSize());
  // Writing, syncing and checksumming the state: a conservative 100 MB/s.
  const double checkpointSeconds = 0.05 + double(stateBytes) / 100e6;
  double perStepAll = perStep;
  if (options.evalEvery > 0)
    perStepAll += sampleEval / double(options.evalEvery);
  if (options.checkpointEvery > 0)
    perStepAll += checkpointSeconds / double(options.checkpointEvery);
  // What the end costs: the evaluation on the whole shard, a checkpoint.
  endSeconds = batchSeconds * double(shard) + checkpointSeconds;
  const double remaining =
      options.timeLimitSeconds - (elapsed + 3 * batchSeconds) - endSeconds;
  const int64_t fit =
      stepsDone + int64_t(std::max(0.0, 0.97 * remaining / perStepAll));
  target = std::clamp<int64_t>(fit, stepsDone + 1, options.steps);
  totalSteps->dataAs<int64_t>()[0] = target;
  scheduleFollowsTime = true;
  say("schedule: %lld steps fit in %.0f s at %.1f ms per step (with "
      "evaluations and checkpoints; re-estimated as the run goes); the "
      "learning rate decays to its floor at the last\n",
      static_cast<long long>(target), options.timeLimitSeconds,
      perStep * 1e3);
  metrics.write({{"step", stepsDone},
                 {"schedule_steps", target},
                 {"ms_per_step", perStep * 1e3}});
  return true;
}

/// Keeps the schedule's length on the time limit as the run goes: the
/// speed of a shared machine drifts (on the 2-core development machine, by
/// 40 % over a 5-minute run), so the length is re-estimated from the
/// average time per step so far, evaluations and checkpoints included.
/// Small corrections are skipped; the ones made are recorded.
void TrainingRun::followTimeLimit(double elapsed) {
  const double perStep = elapsed / double(stepsDone - firstStep);
  const double remaining = options.timeLimitSeconds - elapsed - endSeconds;
  const int64_t fit =
      stepsDone + int64_t(std::max(0.0, 0.98 * remaining / perStep));
  const int64_t next = std::clamp<int64_t>(fit, stepsDone + 1, options.steps);
  if (std::abs(next - target) <= std::max<int64_t>(2, target / 200))
    return;
  target = next;
  totalSteps->dataAs<int64_t>()[0] = target;
  metrics.write({{"step", stepsDone},
                 {"schedule_steps", target},
                 {"ms_per_step", perStep * 1e3}});
}

/// The weights @loss takes, copied from the training state.
/// Collective when train_step holds weights split (every rank calls it):
/// the loss entry takes them whole.
bool TrainingRun::copyWeightsForEvaluation(std::string &error) {
  for (const ArgumentSpec &argument : lossSpec->arguments) {
    if (isBatchArgument(argument.name))
      continue;
    auto it = state.find(argument.name);
    const ArgumentSpec *held = stepSpec->findArgument(argument.name);
    if (it == state.end() || !held) {
      error = "the loss entry takes '" + argument.name +
              "', which train_step does not";
      return false;
    }
    if (!held->splitDim && !leader())
      continue; // only rank 0 evaluates
    std::optional<HostTensor> copy =
        held->splitDim ? gatherWhole(*communicator, it->second,
                                     *held->splitDim, blocksOfRanks(*held),
                                     error)
                       : it->second.clone(error);
    if (!copy)
      return false;
    evalState.insert_or_assign(argument.name, std::move(*copy));
  }
  return true;
}

/// The ranks of a distributed run check, before any work, that they run
/// the same thing: one artifact, one corpus, the same options.
bool TrainingRun::joinRanks(std::string &error) {
  if (ranks == 1)
    return true;
  const Manifest &manifest = artifact->manifest();
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", options.timeLimitSeconds);
  const std::string settings =
      "steps=" + std::to_string(options.steps) +
      " seed=" + std::to_string(options.seed) +
      " eval-every=" + std::to_string(options.evalEvery) +
      " checkpoint-every=" + std::to_string(options.checkpointEvery) +
      " resume=" + std::to_string(options.resume) + " time-limit=" + limit +
      " init=" + options.init + " run=" + options.run;
  return checkSameOnAllRanks(*communicator, "the artifact",
                             manifest.cacheKey + "\n" + manifest.abiText(),
                             error) &&
         checkSameOnAllRanks(*communicator, "the prepared data",
                             data.fingerprint, error) &&
         checkSameOnAllRanks(*communicator, "the options (" + settings + ")",
                             settings, error);
}

/// Every rank takes rank 0's decisions after a step: the run's length (the
/// schedule follows the time limit there) and whether to stop now. A few
/// bytes, once per step.
bool TrainingRun::agree(bool &stoppedEarly, std::string &error) {
  if (ranks == 1)
    return true;
  int64_t decisions[2] = {target, stoppedEarly ? 1 : 0};
  if (!communicator->broadcast(decisions, 2, DType::I64, 0, error)) {
    error = "step " + std::to_string(stepsDone) + ": " + error;
    return false;
  }
  target = decisions[0];
  stoppedEarly = decisions[1] != 0;
  if (totalSteps)
    totalSteps->dataAs<int64_t>()[0] = target;
  return true;
}

bool TrainingRun::run(std::string &error) {
  if (options.steps < 1 || options.evalEvery < 0 || options.evalBatches < 0 ||
      options.checkpointEvery < 0 || options.keep < 1 || options.logEvery < 1 ||
      options.timeLimitSeconds < 0) {
    error = "out-of-range options: --steps, --keep and --log-every must be at "
            "least 1, the others at least 0";
    return false;
  }
  communicator = options.communicator;
  if (communicator) {
    rank = communicator->rank();
    ranks = communicator->size();
  }
  if (!loadModelAndData(error) || !joinRanks(error) ||
      !loadOrStartState(error) || !openLogs(error))
    return false;
  executable = std::make_unique<Executable>(artifact);
  executable->setCommunicator(communicator);
  if (!bindArguments(error))
    return false;

  // Rank 0 sizes and follows the schedule; agree() hands its decisions on.
  // Sizing times a validation batch on rank 0 alone, which weights held in
  // blocks (ZeRO-3) do not allow: the time limit then only stops the run.
  const bool splitWeights =
      std::any_of(stepSpec->arguments.begin(), stepSpec->arguments.end(),
                  [](const ArgumentSpec &argument) {
                    return argument.role == ArgumentRole::Param &&
                           argument.splitDim;
                  });
  bool sizing = leader() && !resumed && options.timeLimitSeconds > 0 &&
                totalSteps && !splitWeights;
  if (leader() && !resumed && options.timeLimitSeconds > 0 && totalSteps &&
      splitWeights)
    say("%s", "note: the schedule keeps its length (--steps): with the "
              "weights split over the ranks, --time-limit only stops the "
              "run\n");
  if (!resumed && options.timeLimitSeconds > 0 && !totalSteps)
    std::fprintf(stderr,
                 "ds-train: note: the schedule's length is compiled into "
                 "train_step, so --time-limit may end the run before the "
                 "learning rate reaches its floor (compile with "
                 "ds-optimizer{schedule-argument=true} to size it to the "
                 "time)\n");
  say("training %s on %s: %lld steps of %lld tokens, run in %s%s\n",
      options.artifact.c_str(), options.data.c_str(),
      static_cast<long long>(target),
      static_cast<long long>(rows * seqLen * stripes), options.run.c_str(),
      ranks > 1 ? (", on " + std::to_string(ranks) + " ranks (" +
                   std::to_string(rows) + " rows each)")
                      .c_str()
                : "");
  start = Clock::now();
  firstStep = stepsDone;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  // The speed is measured from the end of the first step, which also
  // allocates the workspace.
  Clock::time_point afterFirst;
  bool stoppedEarly = false;
  while (stepsDone < target) {
    if (!step(error))
      return false;
    if (stepsDone == firstStep + 1)
      afterFirst = Clock::now();
    const double elapsed = since(start);
    const int64_t measured = stepsDone - firstStep - 1;
    // A few percent of the time gives a steady speed (the first steps run
    // slower while caches and pages warm up).
    if (sizing && measured >= 5 &&
        (measured >= 500 || elapsed >= 0.05 * options.timeLimitSeconds)) {
      sizing = false;
      if (!sizeScheduleToTimeLimit(since(afterFirst) / double(measured),
                                   elapsed, error))
        return false;
    }
    if (scheduleFollowsTime && stepsDone % options.logEvery == 0)
      followTimeLimit(since(start));
    stoppedEarly = stepsDone != target && options.timeLimitSeconds > 0 &&
                   since(start) >= options.timeLimitSeconds;
    if (!agree(stoppedEarly, error))
      return false;
    const bool last = stepsDone == target;
    const bool end = last || stoppedEarly;
    if (stepsDone % options.logEvery == 0 || end)
      log(since(start));
    // During the run a sample of the validation shard; at the end all of it,
    // which is what the unigram baseline covers.
    if (end) {
      if (!evaluateNow(0, error))
        return false;
    } else if (options.evalEvery > 0 && stepsDone % options.evalEvery == 0) {
      if (!evaluateNow(options.evalBatches, error))
        return false;
    }
    if ((options.checkpointEvery > 0 &&
         stepsDone % options.checkpointEvery == 0) ||
        end)
      if (!saveState(error))
        return false;
    if (stoppedEarly) {
      say("stopped at step %lld: the time limit of %.0f s is reached "
          "(--resume continues)\n",
          static_cast<long long>(stepsDone), options.timeLimitSeconds);
      break;
    }
  }
  if (leader() && !writeLossPlot(options.run + "/loss.png", curve, error))
    return false;
  if (!curve.val.empty())
    say("final val loss %.4f on the whole validation shard (unigram baseline "
        "%.4f); plot %s/loss.png\n",
        curve.val.back().second, data.unigramLoss, options.run.c_str());
  return true;
}

} // namespace

bool train(const TrainOptions &options, std::string &error) {
  return TrainingRun(options).run(error);
}

} // namespace ds::rt
