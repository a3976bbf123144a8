//===- MetricsLog.h - metrics.jsonl of a training run -----------*- C++ -*-===//

#ifndef DS_RUNTIME_TRAIN_METRICSLOG_H
#define DS_RUNTIME_TRAIN_METRICSLOG_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace ds::rt {

/// metrics.jsonl: appended line by line; a resumed run first drops the
/// records after its checkpoint, a torn last line, and lines of another
/// shape than the loop writes (a step that is a count; losses that are
/// numbers), which are kept for the loss curve.
class MetricsLog {
public:
  using json = nlohmann::ordered_json;
  /// A record read back: its step and losses (NaN when absent).
  struct Record {
    int64_t step;
    double loss, valLoss;
  };
  /// Opens `path` for appending, first keeping the records through step
  /// `keepThrough` (-1: none, a fresh run) that have the loop's shape, and
  /// returning them in `kept`. False (with `error`) when it cannot write.
  bool open(const std::string &path, int64_t keepThrough,
            std::vector<Record> &kept, std::string &error);
  /// Appends a record; a log that was never opened (ranks other than 0 of
  /// a distributed run) writes nothing.
  void write(const json &record);

private:
  std::ofstream out_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_TRAIN_METRICSLOG_H
