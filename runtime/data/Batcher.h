//===- Batcher.h - Deterministic shuffled batches of a token stream -*- C++ -*-===//
//
// Cuts a token stream into windows of T+1 tokens that start every T tokens
// (window w is tokens [wT, wT+T]: T inputs and, shifted by one, T targets),
// and hands them out in a shuffled order that depends only on the seed and
// the epoch: a fresh permutation per epoch, drawn with a portable generator
// (SplitMix64 and Fisher-Yates, not std::shuffle, whose order differs
// between standard libraries), so a run resumed from a checkpoint on another
// machine sees exactly the same batches.
//
// Data parallelism: rank r of W takes every W-th window of each epoch's
// permutation (r, r+W, r+2W, ...), and every rank gets the same number of
// windows per epoch (the last few windows of a permutation may go unused),
// so ranks stay in lock step without talking to each other.
//
// The position (epoch and windows taken in it by all ranks together) is all
// the state; saving it in a checkpoint and seeking to it resumes the stream
// exactly, on any number of ranks that divides it (a run of 2 ranks that
// took 20 windows each is at window 40, where 1 rank or 4 go on).
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_DATA_BATCHER_H
#define DS_RUNTIME_DATA_BATCHER_H

#include "runtime/data/TokenShard.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ds::rt {

struct BatchPosition {
  uint64_t epoch = 0;
  uint64_t cursor = 0; // windows all ranks together have taken in the epoch
  bool operator==(const BatchPosition &) const = default;
};

struct BatcherOptions {
  int64_t batchSize = 1;
  int64_t seqLen = 1;
  uint64_t seed = 0;
  bool shuffle = true; // false: windows in stream order (evaluation)
  int64_t rank = 0;
  int64_t worldSize = 1;
};

class Batcher {
public:
  /// Checks that `shard` has at least one window per rank of `options` and
  /// that the options are in range; on failure returns false and sets
  /// `error` (naming the shard).
  static bool check(const TokenShard &shard, const BatcherOptions &options,
                    std::string &error);

  /// `shard` must outlive the batcher and pass check().
  Batcher(const TokenShard &shard, const BatcherOptions &options);

  /// Windows this rank takes per epoch.
  uint64_t windowsPerEpoch() const { return perRank_; }

  /// Fills `tokens` and `targets` (each batchSize × seqLen, row-major) with
  /// the next batch and advances; an epoch boundary inside a batch moves on
  /// to the next epoch's permutation.
  void next(std::span<int32_t> tokens, std::span<int32_t> targets);

  /// Where the stream stands for every rank together.
  BatchPosition position() const;
  /// Continues from `position` (as position() returned it, on this number
  /// of ranks or another). A cursor past the windows this number of ranks
  /// can share evenly starts the next epoch. Returns false and sets `error`
  /// when the cursor is past the epoch or does not divide among the ranks.
  bool seek(const BatchPosition &position, std::string &error);

private:
  void startEpoch(uint64_t epoch);

  const TokenShard &shard_;
  BatcherOptions options_;
  uint64_t windows_ = 0; // all windows in the stream
  uint64_t perRank_ = 0;
  BatchPosition position_; // this rank's: its cursor counts its windows
  std::vector<uint64_t> order_; // this epoch's permutation of windows
  uint64_t orderEpoch_ = ~uint64_t(0);
};

} // namespace ds::rt

#endif // DS_RUNTIME_DATA_BATCHER_H
