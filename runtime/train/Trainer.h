//===- Trainer.h - The training loop over a compiled train step -*- C++ -*-===//
//
// Trains a model compiled by `ds-compile --train --entry=train_step,loss` on
// a corpus prepared by `ds-data prepare`, writing into a run directory:
//
//   checkpoints/step-N/   the newest `keep` checkpoints (Checkpoint.h)
//   metrics.jsonl         one JSON object per logged step (the mean loss
//                         since the previous line, the last step's loss, lr,
//                         gradient norm, tokens/s) and per evaluation
//   loss.png              training and validation loss against the step,
//                         with the unigram baseline, redrawn at the end
//
// The loop, top to bottom: take the next batch, run @train_step, feed every
// result back into the argument of the same name, check that the loss is
// finite, log, evaluate @loss on fixed validation batches every
// `evalEvery` steps (and on the whole validation shard at the end),
// checkpoint every `checkpointEvery` steps and at the end.
// A resumed run continues bit for bit as if it had never stopped: the
// checkpoint holds the whole state and the data position, and batches depend
// only on the seed and that position.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_TRAINER_H
#define DS_RUNTIME_TRAIN_TRAINER_H

#include <cstdint>
#include <string>

namespace ds::rt {

class Communicator;

struct TrainOptions {
  std::string artifact; // a compiled artifact with train_step and loss
  std::string data;     // a ds-data directory
  std::string run;      // the run directory
  int64_t steps = 1000; // total steps (a resumed run counts those done)
  int64_t device = 0;   // the GPU a CUDA artifact trains on
  int64_t evalEvery = 100;
  /// Validation batches of the evaluations during the run (0: the whole
  /// validation shard); the final evaluation always covers the whole shard.
  int64_t evalBatches = 16;
  int64_t checkpointEvery = 250;
  int keep = 3;
  int64_t logEvery = 10;
  uint64_t seed = 1;
  bool resume = false;
  /// A fresh run's parameters come from these weights instead of their
  /// initializers: a Hugging Face checkpoint directory, a safetensors file,
  /// or a ds-train run or checkpoint (WeightSource.h). Optimizer state and
  /// the step start at zero.
  std::string init;
  /// Stop (with a checkpoint) once this many seconds have passed; 0: never.
  /// When train_step takes its schedule's length (`total_steps`, see
  /// ds-optimizer's schedule-argument), a fresh run measures its speed over
  /// the first steps and sets the length to the steps the time allows,
  /// re-estimated from the average speed at every progress line, so the
  /// learning rate decays to its floor by the end.
  double timeLimitSeconds = 0;
  bool quiet = false;
  /// The ranks of a data-parallel run (not owned; null for one process).
  /// train_step must be compiled for exactly its size (ds-compile with
  /// --ds-shard="dp=N"); each rank takes its stripe of every batch, rank 0
  /// evaluates, logs, plots and writes the checkpoints, and the others
  /// follow its decisions (when to stop, the schedule's length).
  Communicator *communicator = nullptr;
};

/// Runs the training loop. Returns false and sets `error` (what and where)
/// on bad input or a failed step; the run directory then holds the last
/// good checkpoint, never a damaged one.
bool train(const TrainOptions &options, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_TRAINER_H
