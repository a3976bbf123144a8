//===- ds-train.cpp - Train a compiled model on a prepared corpus ---------===//
//
//   ds-train ARTIFACT_DIR --data=DATA_DIR --run=RUN_DIR [options]
//
// The artifact comes from `ds-compile MODEL --train --entry=train_step,loss`,
// the data from `ds-data prepare`. See runtime/train/Trainer.h for what the
// run directory holds and runtime/README.md for the whole flow.
//
//   mpirun -np N ds-train ARTIFACT_DIR ...
//
// trains data-parallel on N ranks an artifact whose train_step was sharded
// for them (ds-compile --train --passes='ds-shard{dp=N}'); docs/distributed.md.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/Communicator.h"
#include "runtime/train/Trainer.h"
#include "tools/ToolArgs.h"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace {

constexpr const char *kUsage =
    "usage: ds-train ARTIFACT_DIR --data=DIR --run=DIR [options]\n"
    "  --data=DIR             a corpus prepared by `ds-data prepare`\n"
    "  --run=DIR              checkpoints, metrics.jsonl and loss.png go here\n"
    "  --steps=N              total training steps (default 1000)\n"
    "  --eval-every=N         validation loss every N steps (default 100; 0: "
    "only at the end)\n"
    "  --eval-batches=N       validation batches per evaluation during the\n"
    "                         run (default 16; 0: the whole validation shard);\n"
    "                         the final evaluation covers the whole shard\n"
    "  --checkpoint-every=N   checkpoint every N steps (default 250; 0: only "
    "at the end)\n"
    "  --keep=K               checkpoints to keep (default 3)\n"
    "  --log-every=N          progress line every N steps (default 10)\n"
    "  --seed=S               initial weights and batch order (default 1)\n"
    "  --init=PATH            start from these weights instead of the\n"
    "                         initializers: a Hugging Face checkpoint\n"
    "                         directory, a safetensors file, or a ds-train\n"
    "                         run or checkpoint (fine-tuning)\n"
    "  --time-limit=SECONDS   stop with a checkpoint after this long; with a\n"
    "                         train_step compiled with ds-optimizer{schedule-\n"
    "                         argument=true} the schedule is sized to the time\n"
    "  --resume               continue from the run's newest checkpoint\n"
    "  --quiet                print nothing but errors\n"
    "  --device=N             the GPU a CUDA artifact trains on (default 0)\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-train: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  using ds::tools::flagValue;
  using ds::tools::parseInteger;
  ds::rt::TrainOptions options;
  // The integer flags, by name.
  const std::pair<const char *, int64_t *> integers[] = {
      {"--steps", &options.steps},
      {"--eval-every", &options.evalEvery},
      {"--eval-batches", &options.evalBatches},
      {"--checkpoint-every", &options.checkpointEvery},
      {"--log-every", &options.logEvery},
      {"--device", &options.device}};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string value;
    auto integer = [&]() -> int64_t * {
      for (auto [name, target] : integers)
        if (flagValue(arg, name, value))
          return target;
      return nullptr;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--resume") {
      options.resume = true;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (flagValue(arg, "--data", value)) {
      options.data = value;
    } else if (flagValue(arg, "--run", value)) {
      options.run = value;
    } else if (flagValue(arg, "--init", value)) {
      options.init = value;
    } else if (int64_t *target = integer()) {
      if (!parseInteger(value, *target))
        return fail(std::string(arg.substr(0, arg.find('='))) +
                    " needs a non-negative integer, got '" + value + "'");
    } else if (flagValue(arg, "--keep", value)) {
      if (!parseInteger(value, options.keep))
        return fail("--keep needs a non-negative integer, got '" + value + "'");
    } else if (flagValue(arg, "--seed", value)) {
      if (!parseInteger(value, options.seed))
        return fail("--seed needs a non-negative integer, got '" + value + "'");
    } else if (flagValue(arg, "--time-limit", value)) {
      if (!ds::tools::parseReal(value, options.timeLimitSeconds) ||
          options.timeLimitSeconds < 0)
        return fail("--time-limit needs a number of seconds, got '" + value +
                    "'");
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + std::string(arg) + "'\n" + kUsage);
    } else if (options.artifact.empty()) {
      options.artifact = arg;
    } else {
      return fail("more than one artifact given\n" + std::string(kUsage));
    }
  }
  if (options.artifact.empty() || options.data.empty() || options.run.empty())
    return fail(std::string("an artifact, --data and --run are required\n") +
                kUsage);
  // Under a launcher (mpirun, srun) the ranks train together; a rank that
  // fails ends them all, with its message.
  std::string error;
  ds::rt::CommunicatorOptions commOptions;
  if (!ds::rt::commTimeoutFromEnvironment(commOptions.timeoutSeconds,
                                          commOptions.timeoutSeconds, error))
    return fail(error);
  std::unique_ptr<ds::rt::Communicator> communicator =
      ds::rt::createCommunicator("auto", commOptions, error);
  if (!communicator)
    return fail(error);
  if (communicator->size() > 1)
    options.communicator = communicator.get();
  if (!ds::rt::train(options, error)) {
    if (communicator->size() > 1)
      communicator->abort("ds-train: " + error, 1);
    return fail(error);
  }
  return 0;
}
