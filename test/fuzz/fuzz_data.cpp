//===- fuzz_data.cpp - a prepared corpus: data.json and token shards -------===//
//
// Input: a directory (FuzzFiles.h) as `ds-data prepare` writes it: data.json,
// train.tokens, val.tokens. Whatever loadDataSet accepts is then batched as
// training and evaluation do: shuffled and in order, one and two ranks,
// several window lengths, a few batches each, and a seek to a saved
// position, reading every token of each batch.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Batcher.h"
#include "runtime/train/Validation.h"
#include "test/fuzz/FuzzFiles.h"

using namespace ds;

namespace {

void drawBatches(const rt::TokenShard &shard, rt::BatcherOptions options,
                 const rt::BatchPosition &resumeAt) {
  std::string error;
  if (!rt::Batcher::check(shard, options, error))
    return;
  rt::Batcher batcher(shard, options);
  const size_t window = size_t(options.batchSize * options.seqLen);
  std::vector<int32_t> tokens(window), targets(window);
  for (int i = 0; i < 3; ++i)
    batcher.next(tokens, targets);
  if (batcher.seek(resumeAt, error))
    batcher.next(tokens, targets);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::ScratchDirectory scratch;
  auto files = scratch.unpack(data, size);
  if (!files)
    return -1; // not an input this target reads: kept out of the corpus
  rt::DataSet dataSet;
  std::string error;
  if (!rt::loadDataSet(scratch.path(), dataSet, error))
    return 0;
  const rt::BatchPosition resumeAt{1, dataSet.train->size() % 5};
  for (int64_t seqLen : {1, 3, 8})
    for (int64_t batchSize : {1, 2}) {
      for (int64_t worldSize : {1, 2})
        drawBatches(*dataSet.train,
                    {.batchSize = batchSize, .seqLen = seqLen, .seed = 7,
                     .shuffle = true, .rank = worldSize - 1,
                     .worldSize = worldSize},
                    resumeAt);
      drawBatches(*dataSet.val,
                  {.batchSize = batchSize, .seqLen = seqLen, .shuffle = false},
                  resumeAt);
    }
  return 0;
}
