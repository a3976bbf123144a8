//===- DataSummary.cpp - data.json, the summary of a prepared corpus ------===//

#include "runtime/data/DataSummary.h"

#include "runtime/data/AtomicFile.h"
#include "runtime/io/JsonReader.h"

#include <filesystem>
#include <limits>

namespace ds::rt {

bool DataSummary::write(const std::string &directory,
                        std::string &error) const {
  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["tokenizer"] = "tokenizer.model";
  json["vocab_size"] = vocabSize;
  json["eos_id"] = eosId;
  json["train"] = {{"file", "train.tokens"}, {"tokens", trainTokens}};
  json["val"] = {{"file", "val.tokens"}, {"tokens", valTokens}};
  json["lines"] = lines;
  json["val_fraction"] = valFraction;
  json["seed"] = seed;
  json["unigram_val_loss"] = unigramValLoss;
  json["corpus"] = corpus;
  return writeFileAtomically(directory + "/" + kFileName, json.dump(2) + "\n",
                             error);
}

bool DataSummary::read(const std::string &directory, DataSummary &summary,
                       std::string &error) {
  const std::string path = directory + "/" + kFileName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    error = path + ": cannot read (prepare the corpus with `ds-data prepare "
                   "CORPUS -o " + directory + "`)";
    return false;
  }
  std::optional<nlohmann::json> json = readJsonFile(path, error);
  if (!json)
    return false;
  std::vector<std::string> problems;
  JsonReader r(*json, path, "", problems);
  summary = DataSummary();
  if (auto format = r.requireString("format"); format && *format != kFormat)
    r.fail("format", "expected \"" + std::string(kFormat) + "\", got \"" +
                         *format + "\"");
  if (auto vocab = r.requireCount("vocab_size")) {
    if (*vocab < 1 || *vocab > int64_t(std::numeric_limits<uint32_t>::max()))
      r.fail("vocab_size", "must be in [1, 2^32), got " + std::to_string(*vocab));
    else
      summary.vocabSize = uint32_t(*vocab);
  }
  summary.eosId = r.count("eos_id").value_or(0);
  for (const char *split : {"train", "val"})
    if (const nlohmann::json *object = r.object(split)) {
      JsonReader s = r.child(*object, split);
      (split[0] == 't' ? summary.trainTokens : summary.valTokens) =
          s.count("tokens").value_or(0);
      s.string("file");
    }
  summary.lines = r.count("lines").value_or(0);
  summary.valFraction = r.number("val_fraction").value_or(0.0);
  summary.seed = r.unsignedInteger("seed").value_or(0);
  if (auto loss = r.requireNumber("unigram_val_loss"))
    summary.unigramValLoss = *loss;
  if (const nlohmann::json *corpus = r.array("corpus"))
    for (size_t i = 0; i < corpus->size(); ++i) {
      std::string problem;
      if (auto file = JsonReader::asString(
              (*corpus)[i], r.field("corpus") + "[" + std::to_string(i) + "]",
              problem))
        summary.corpus.push_back(*file);
      else
        r.report(problem);
    }
  if (!r.ok()) {
    error = joinProblems(problems);
    return false;
  }
  return true;
}

} // namespace ds::rt
