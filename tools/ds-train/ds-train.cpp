//===- ds-train.cpp - Train a compiled model on a prepared corpus ---------===//
//
//   ds-train ARTIFACT_DIR --data=DATA_DIR --run=RUN_DIR [options]
//
// The artifact comes from `ds-compile MODEL --train --entry=train_step,loss`,
// the data from `ds-data prepare`. See runtime/train/Trainer.h for what the
// run directory holds and runtime/README.md for the whole flow.
//
//===----------------------------------------------------------------------===//

#include "runtime/train/Trainer.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr const char *kUsage =
    "usage: ds-train ARTIFACT_DIR --data=DIR --run=DIR [options]\n"
    "  --data=DIR             a corpus prepared by `ds-data prepare`\n"
    "  --run=DIR              checkpoints, metrics.jsonl and loss.png go here\n"
    "  --steps=N              total training steps (default 1000)\n"
    "  --eval-every=N         validation loss every N steps (default 100; 0: "
    "only at the end)\n"
    "  --eval-batches=N       validation batches per evaluation (default 16)\n"
    "  --checkpoint-every=N   checkpoint every N steps (default 250; 0: only "
    "at the end)\n"
    "  --keep=K               checkpoints to keep (default 3)\n"
    "  --log-every=N          progress line every N steps (default 10)\n"
    "  --seed=S               initial weights and batch order (default 1)\n"
    "  --time-limit=SECONDS   stop with a checkpoint after this long\n"
    "  --resume               continue from the run's newest checkpoint\n"
    "  --quiet                print nothing but errors\n";

int fail(const std::string &message) {
  std::fprintf(stderr, "ds-train: %s\n", message.c_str());
  return 1;
}

template <typename T> bool parseNumber(std::string_view text, T &value) {
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && !text.empty();
}

} // namespace

int main(int argc, char **argv) {
  ds::rt::TrainOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto flag = [&](std::string_view name, std::string_view &value) {
      if (arg.size() <= name.size() + 1 || arg.substr(0, name.size()) != name ||
          arg[name.size()] != '=')
        return false;
      value = arg.substr(name.size() + 1);
      return true;
    };
    std::string_view value;
    auto number = [&](std::string_view name, auto &out) {
      if (!parseNumber(value, out)) {
        std::fprintf(stderr, "ds-train: %.*s needs a non-negative integer, "
                             "got '%.*s'\n",
                     int(name.size()), name.data(), int(value.size()),
                     value.data());
        std::exit(1);
      }
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--resume") {
      options.resume = true;
    } else if (arg == "--quiet") {
      options.quiet = true;
    } else if (flag("--data", value)) {
      options.data = value;
    } else if (flag("--run", value)) {
      options.run = value;
    } else if (flag("--steps", value)) {
      number("--steps", options.steps);
    } else if (flag("--eval-every", value)) {
      number("--eval-every", options.evalEvery);
    } else if (flag("--eval-batches", value)) {
      number("--eval-batches", options.evalBatches);
    } else if (flag("--checkpoint-every", value)) {
      number("--checkpoint-every", options.checkpointEvery);
    } else if (flag("--keep", value)) {
      number("--keep", options.keep);
    } else if (flag("--log-every", value)) {
      number("--log-every", options.logEvery);
    } else if (flag("--seed", value)) {
      number("--seed", options.seed);
    } else if (flag("--time-limit", value)) {
      char *end = nullptr;
      const std::string text(value);
      options.timeLimitSeconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || options.timeLimitSeconds < 0)
        return fail("--time-limit needs a number of seconds, got '" + text + "'");
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
  std::string error;
  if (!ds::rt::train(options, error))
    return fail(error);
  return 0;
}
