//===- MetricsLog.cpp - metrics.jsonl of a training run -------------------===//

#include "runtime/train/MetricsLog.h"

#include "runtime/io/JsonReader.h"

#include <cmath>

namespace ds::rt {

bool MetricsLog::open(const std::string &path, int64_t keepThrough,
                      std::vector<Record> &kept, std::string &error) {
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> lines;
  while (keepThrough >= 0 && std::getline(in, line)) {
    std::string ignored;
    std::optional<nlohmann::json> parsed = parseJson(line, path, ignored);
    if (!parsed || !parsed->is_object())
      continue;
    std::vector<std::string> problems;
    JsonReader r(*parsed, path, "", problems);
    std::optional<int64_t> step = r.requireCount("step");
    std::optional<double> loss = r.number("loss"), valLoss =
                                                       r.number("val_loss");
    if (!r.ok() || *step > keepThrough)
      continue;
    kept.push_back({*step, loss.value_or(std::nan("")),
                    valLoss.value_or(std::nan(""))});
    lines.push_back(line);
  }
  out_.open(path, std::ios::trunc);
  if (!out_) {
    error = path + ": cannot write";
    return false;
  }
  for (const std::string &record : lines)
    out_ << record << "\n";
  out_.flush();
  return true;
}

void MetricsLog::write(const json &record) {
  if (!out_.is_open())
    return;
  out_ << record.dump() << "\n";
  out_.flush();
}

} // namespace ds::rt
