//===- Validation.cpp - A prepared corpus and the validation loss ---------===//

#include "runtime/train/Validation.h"

#include "runtime/data/Batcher.h"
#include "runtime/data/DataSummary.h"

#include <algorithm>

namespace ds::rt {

bool loadDataSet(const std::string &directory, DataSet &data,
                 std::string &error) {
  DataSummary summary;
  if (!DataSummary::read(directory, summary, error))
    return false;
  data.vocabSize = summary.vocabSize;
  data.unigramLoss = summary.unigramValLoss;
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

int64_t validationBatches(const EntrySpec &lossEntry, const TokenShard &val) {
  int64_t rows = 0, seqLen = 0;
  std::string error;
  BatcherOptions options{.batchSize = 1, .shuffle = false};
  if (!batchShape(lossEntry, rows, seqLen, error))
    return 0;
  options.batchSize = rows;
  options.seqLen = seqLen;
  if (!Batcher::check(val, options, error))
    return 0;
  return int64_t(Batcher(val, options).windowsPerEpoch() / uint64_t(rows));
}

bool evaluate(Executable &executable, const EntrySpec &lossEntry,
              const TokenShard &val, int64_t batches, NamedTensors &state,
              ValidationLoss &result, std::string &error) {
  int64_t rows = 0, seqLen = 0;
  if (!batchShape(lossEntry, rows, seqLen, error))
    return false;
  BatcherOptions options{.batchSize = rows, .seqLen = seqLen, .shuffle = false};
  if (!Batcher::check(val, options, error))
    return false;
  Batcher batcher(val, options);
  const int64_t available =
      std::max<int64_t>(1, int64_t(batcher.windowsPerEpoch() / uint64_t(rows)));
  batches = batches == 0 ? available : std::min(batches, available);
  std::vector<HostTensor> results;
  const ResultSpec *lossResult = lossEntry.findResult("loss");
  if (!lossResult) {
    error = "entry '" + lossEntry.name + "' has no result 'loss'";
    return false;
  }
  const size_t lossIndex = size_t(lossResult - lossEntry.results.data());
  double sum = 0.0;
  for (int64_t b = 0; b < batches; ++b) {
    HostTensor &tokens = state.at("tokens"), &targets = state.at("targets");
    batcher.next({tokens.dataAs<int32_t>(), size_t(rows * seqLen)},
                 {targets.dataAs<int32_t>(), size_t(rows * seqLen)});
    if (!executable.runNamed(lossEntry.name, state, results, error))
      return false;
    // Every window is whole, so each batch's mean weighs the same.
    sum += results[lossIndex].at(0);
  }
  result.loss = sum / double(batches);
  result.batches = batches;
  result.tokens = batches * rows * seqLen;
  return true;
}

} // namespace ds::rt
