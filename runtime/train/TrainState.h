//===- TrainState.h - What a training run starts from and resumes -*- C++ -*-===//
//
// The training state is train_step's arguments other than the batch:
// parameters, optimizer state, step counters. A new run makes it from the
// parameters' initializers (or a weights file); a resumed run takes it from
// a checkpoint, which must hold every such tensor whole.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_TRAINSTATE_H
#define DS_RUNTIME_TRAIN_TRAINSTATE_H

#include "runtime/Manifest.h"
#include "runtime/train/Checkpoint.h"

#include <cstdint>
#include <string>

namespace ds::rt {

/// The model's vocabulary: the rows of its token embedding (-1 when it has
/// none by the usual names).
int64_t modelVocabulary(const EntrySpec &entry);

/// The arguments that carry the batch, not state.
bool isBatchArgument(const std::string &name);

/// The training state a new run starts from: parameters from their
/// initializers with `seed` (or from the weights at `init`, when not
/// empty), everything else zero. A parameter rank `rank` holds a block of
/// (ZeRO-3, tensor parallel) is made whole, so every grid starts from the
/// same weights, and cut.
bool initialState(const EntrySpec &entry, const std::string &init,
                  uint64_t seed, int64_t rank, NamedTensors &state,
                  std::string &error);

/// Checks that a checkpoint holds every state tensor the entry takes, with
/// the right dtype and whole shape.
bool matchesEntry(const Checkpoint &checkpoint, const EntrySpec &entry,
                  std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_TRAINSTATE_H
