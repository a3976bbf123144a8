//===- Validation.h - A prepared corpus and the validation loss -*- C++ -*-===//
//
// Part of the training loop (Trainer.h): the corpus ds-data prepared, and
// the validation loss of a model on it, measured on a fixed sample during
// training or on the whole validation shard, which is what the recorded
// unigram baseline covers.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_TRAIN_VALIDATION_H
#define DS_RUNTIME_TRAIN_VALIDATION_H

#include "runtime/Executable.h"
#include "runtime/Manifest.h"
#include "runtime/data/TokenShard.h"

#include <cstdint>
#include <memory>
#include <string>

namespace ds::rt {

/// A prepared corpus (ds-data): shards, vocabulary, baseline.
struct DataSet {
  std::unique_ptr<TokenShard> train, val;
  uint32_t vocabSize = 0;
  /// The loss of predicting every validation token by its training
  /// frequency, over the whole validation shard.
  double unigramLoss = 0.0;
  /// What a checkpoint records to recognise the data it was trained on.
  std::string fingerprint;
};

/// Opens `directory`'s data.json and shards, checking they agree.
bool loadDataSet(const std::string &directory, DataSet &data,
                 std::string &error);

/// (rows, T) of an entry's tokens argument shaped [..., T], which must equal
/// its targets'.
bool batchShape(const EntrySpec &entry, int64_t &rows, int64_t &seqLen,
                std::string &error);

struct ValidationLoss {
  double loss = 0.0;   // mean over the evaluated tokens
  int64_t tokens = 0;  // the targets evaluated
  int64_t batches = 0;
};

/// The mean loss of `lossEntry` on the validation shard's windows in stream
/// order: the first `batches` batches, or every whole batch when `batches`
/// is 0. `state` holds the entry's arguments; its tokens and targets are
/// overwritten.
bool evaluate(Executable &executable, const EntrySpec &lossEntry,
              const TokenShard &val, int64_t batches, NamedTensors &state,
              ValidationLoss &result, std::string &error);

/// The number of whole batches of `lossEntry` the validation shard holds.
int64_t validationBatches(const EntrySpec &lossEntry, const TokenShard &val);

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_VALIDATION_H
