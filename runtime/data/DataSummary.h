//===- DataSummary.h - data.json, the summary of a prepared corpus -*- C++ -*-===//
//
// `ds-data prepare` writes DIR/data.json beside the tokenizer and the token
// shards: the format ("ds-data/1"), the vocabulary, the end-of-sentence id,
// each split's file and token count, the split's parameters, the corpus
// files, and the unigram baseline (the validation loss of predicting every
// token by its training frequency). One definition of the file, for the
// writer and every reader; reading checks every field's type and range.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_DATA_DATASUMMARY_H
#define DS_RUNTIME_DATA_DATASUMMARY_H

#include <cstdint>
#include <string>
#include <vector>

namespace ds::rt {

struct DataSummary {
  static constexpr const char *kFormat = "ds-data/1";
  static constexpr const char *kFileName = "data.json";

  uint32_t vocabSize = 0;
  int64_t eosId = 0;
  int64_t trainTokens = 0, valTokens = 0;
  int64_t lines = 0;
  double valFraction = 0.0;
  uint64_t seed = 0;
  double unigramValLoss = 0.0;
  std::vector<std::string> corpus;

  /// Writes `directory`/data.json atomically.
  bool write(const std::string &directory, std::string &error) const;
  /// Reads `directory`/data.json. Errors name the file and the field
  /// ("data/data.json: vocab_size: expected a non-negative integer, got
  /// \"512\""); a missing file says how to make one.
  static bool read(const std::string &directory, DataSummary &summary,
                   std::string &error);
};

} // namespace ds::rt

#endif // DS_RUNTIME_DATA_DATASUMMARY_H
