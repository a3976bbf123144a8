//===- Batcher.cpp - Deterministic shuffled batches of a token stream -----===//

#include "runtime/data/Batcher.h"

#include "runtime/io/ParamInit.h"

#include <numeric>

namespace ds::rt {

bool Batcher::check(const TokenShard &shard, const BatcherOptions &options,
                    std::string &error) {
  auto fail = [&](const std::string &message) {
    error = shard.path() + ": " + message;
    return false;
  };
  if (options.batchSize < 1 || options.seqLen < 1)
    return fail("batch size and sequence length must be positive");
  if (options.worldSize < 1 || options.rank < 0 ||
      options.rank >= options.worldSize)
    return fail("rank " + std::to_string(options.rank) + " is not in [0, " +
                std::to_string(options.worldSize) + ")");
  const uint64_t windows =
      shard.size() > 0 ? (shard.size() - 1) / uint64_t(options.seqLen) : 0;
  if (windows < uint64_t(options.worldSize))
    return fail(std::to_string(shard.size()) + " tokens make " +
                std::to_string(windows) + " windows of " +
                std::to_string(options.seqLen) + "+1 tokens, fewer than the " +
                std::to_string(options.worldSize) +
                " rank(s) need (at least one each)");
  return true;
}

Batcher::Batcher(const TokenShard &shard, const BatcherOptions &options)
    : shard_(shard), options_(options) {
  windows_ = (shard.size() - 1) / uint64_t(options.seqLen);
  perRank_ = windows_ / uint64_t(options.worldSize);
  startEpoch(0);
}

void Batcher::startEpoch(uint64_t epoch) {
  if (orderEpoch_ == epoch)
    return;
  order_.resize(windows_);
  std::iota(order_.begin(), order_.end(), uint64_t(0));
  if (options_.shuffle) {
    RandomStream rng(options_.seed ^ (epoch * 0xd1b54a32d192ed03ull));
    for (uint64_t i = windows_; i > 1; --i)
      std::swap(order_[i - 1], order_[rng.next() % i]);
  }
  orderEpoch_ = epoch;
}

void Batcher::next(std::span<int32_t> tokens, std::span<int32_t> targets) {
  const uint64_t T = uint64_t(options_.seqLen);
  std::vector<int32_t> window(T + 1);
  for (int64_t row = 0; row < options_.batchSize; ++row) {
    startEpoch(position_.epoch);
    const uint64_t slot = position_.cursor * uint64_t(options_.worldSize) +
                          uint64_t(options_.rank);
    shard_.copy(order_[slot] * T, window);
    std::copy(window.begin(), window.end() - 1, tokens.begin() + row * T);
    std::copy(window.begin() + 1, window.end(), targets.begin() + row * T);
    // The position always names the next window: a finished epoch is the
    // start of the next one.
    if (++position_.cursor == perRank_) {
      position_.epoch += 1;
      position_.cursor = 0;
    }
  }
}

BatchPosition Batcher::position() const {
  return {position_.epoch,
          position_.cursor * uint64_t(options_.worldSize)};
}

bool Batcher::seek(const BatchPosition &position, std::string &error) {
  const uint64_t ranks = uint64_t(options_.worldSize);
  if (position.cursor >= windows_) {
    error = shard_.path() + ": data position " +
            std::to_string(position.cursor) + " is past the end of an epoch (" +
            std::to_string(windows_) + " windows)";
    return false;
  }
  if (position.cursor % ranks != 0) {
    error = shard_.path() + ": data position " +
            std::to_string(position.cursor) + " (windows taken in epoch " +
            std::to_string(position.epoch) + ") does not divide among " +
            std::to_string(ranks) + " ranks";
    return false;
  }
  position_ = {position.epoch, position.cursor / ranks};
  // The few windows a grid of this size cannot share evenly are skipped.
  if (position_.cursor >= perRank_)
    position_ = {position.epoch + 1, 0};
  startEpoch(position_.epoch);
  return true;
}

} // namespace ds::rt
