//===- DataTest.cpp - Token shards and batching ---------------------------===//

#include "runtime/data/AtomicFile.h"
#include "runtime/data/Batcher.h"
#include "runtime/data/TokenShard.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <unistd.h>

namespace {

using namespace ds::rt;

class DataTest : public ::testing::Test {
protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("ds-data-test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string path(const std::string &name) const {
    return (directory_ / name).string();
  }
  std::filesystem::path directory_;
};

std::vector<uint32_t> randomTokens(size_t count, uint32_t vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> tokens(count);
  for (uint32_t &t : tokens)
    t = rng() % vocab;
  return tokens;
}

TEST_F(DataTest, ShardRoundTripsBothWidths) {
  for (uint32_t vocab : {1000u, 70000u}) {
    const auto tokens = randomTokens(12345, vocab, vocab);
    std::string error;
    ASSERT_TRUE(TokenShard::write(path("s.tokens"), tokens, vocab, error)) << error;
    auto shard = TokenShard::open(path("s.tokens"), error);
    ASSERT_TRUE(shard) << error;
    EXPECT_EQ(shard->vocabSize(), vocab);
    ASSERT_EQ(shard->size(), tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i)
      ASSERT_EQ((*shard)[i], tokens[i]) << i;
    EXPECT_EQ(std::filesystem::file_size(path("s.tokens")),
              TokenShard::kHeaderBytes + tokens.size() * (vocab <= 65536 ? 2 : 4));
  }
}

TEST_F(DataTest, ShardRejectsDamage) {
  const auto tokens = randomTokens(100, 50, 1);
  std::string error;
  ASSERT_TRUE(TokenShard::write(path("s.tokens"), tokens, 50, error));
  std::string bytes;
  {
    std::ifstream in(path("s.tokens"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto openBytes = [&](const std::string &content) {
    std::ofstream(path("bad.tokens"), std::ios::binary) << content;
    std::string message;
    EXPECT_FALSE(TokenShard::open(path("bad.tokens"), message));
    return message;
  };
  EXPECT_NE(openBytes(bytes.substr(0, bytes.size() - 3)).find("truncated"),
            std::string::npos);
  EXPECT_NE(openBytes(bytes.substr(0, 10)).find("shorter than the 32-byte header"),
            std::string::npos);
  EXPECT_NE(openBytes(bytes + "xy").find("size mismatch"), std::string::npos);
  std::string badMagic = bytes;
  badMagic[0] = 'X';
  EXPECT_NE(openBytes(badMagic).find("magic"), std::string::npos);
  std::string badToken = bytes;
  badToken[TokenShard::kHeaderBytes + 20] = char(0xff); // token 10 >= 50
  const std::string message = openBytes(badToken);
  EXPECT_NE(message.find("token 10"), std::string::npos) << message;
  EXPECT_NE(message.find(path("bad.tokens")), std::string::npos);
  EXPECT_FALSE(TokenShard::open(path("missing.tokens"), error));
  EXPECT_NE(error.find("cannot open"), std::string::npos);
}

TEST_F(DataTest, FailedWriteLeavesTheOldFile) {
  std::string error;
  ASSERT_TRUE(TokenShard::write(path("s.tokens"), randomTokens(10, 9, 2), 9, error));
  const auto before = std::filesystem::file_size(path("s.tokens"));
  std::vector<uint32_t> bad = {1, 2, 9};
  EXPECT_FALSE(TokenShard::write(path("s.tokens"), bad, 9, error));
  EXPECT_NE(error.find("token 2 is 9"), std::string::npos) << error;
  EXPECT_EQ(std::filesystem::file_size(path("s.tokens")), before);
  EXPECT_FALSE(writeFileAtomically(path("no/such/dir/file"), "x", error));
  EXPECT_NE(error.find("cannot create"), std::string::npos);
}

struct Stream {
  std::unique_ptr<TokenShard> shard;
  Stream(const std::string &file, size_t count) {
    // Token i is i % 60000: every window is recognizable by its first token.
    std::vector<uint32_t> tokens(count);
    for (size_t i = 0; i < count; ++i)
      tokens[i] = uint32_t(i % 60000);
    std::string error;
    EXPECT_TRUE(TokenShard::write(file, tokens, 60000, error));
    shard = TokenShard::open(file, error);
    EXPECT_TRUE(shard) << error;
  }
};

TEST_F(DataTest, BatchesCoverEachEpochOnceAndShiftTargets) {
  Stream stream(path("s.tokens"), 8 * 50 + 1); // 50 windows of 8+1
  BatcherOptions options{.batchSize = 5, .seqLen = 8, .seed = 3};
  std::string error;
  ASSERT_TRUE(Batcher::check(*stream.shard, options, error)) << error;
  Batcher batcher(*stream.shard, options);
  ASSERT_EQ(batcher.windowsPerEpoch(), 50u);
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::set<int32_t> starts;
    for (int b = 0; b < 10; ++b) {
      std::vector<int32_t> tokens(40), targets(40);
      batcher.next(tokens, targets);
      for (int row = 0; row < 5; ++row) {
        ASSERT_EQ(tokens[row * 8] % 8, 0);
        starts.insert(tokens[row * 8]);
        for (int t = 0; t < 8; ++t) {
          ASSERT_EQ(tokens[row * 8 + t], tokens[row * 8] + t);
          ASSERT_EQ(targets[row * 8 + t], tokens[row * 8 + t] + 1);
        }
      }
    }
    EXPECT_EQ(starts.size(), 50u) << "epoch " << epoch;
  }
  EXPECT_EQ(batcher.position(), (BatchPosition{.epoch = 2, .cursor = 0}));
}

TEST_F(DataTest, OrderDependsOnlyOnSeedAndSeekResumes) {
  Stream stream(path("s.tokens"), 4 * 97 + 1);
  BatcherOptions options{.batchSize = 3, .seqLen = 4, .seed = 11};
  Batcher a(*stream.shard, options), b(*stream.shard, options);
  options.seed = 12;
  Batcher other(*stream.shard, options);
  std::vector<int32_t> x(12), y(12), z(12), t(12);
  bool differs = false;
  for (int i = 0; i < 40; ++i) { // crosses an epoch boundary mid-batch
    a.next(x, t);
    b.next(y, t);
    other.next(z, t);
    ASSERT_EQ(x, y);
    differs |= x != z;
  }
  EXPECT_TRUE(differs);
  options.seed = 11;
  Batcher resumed(*stream.shard, options);
  std::string error;
  ASSERT_TRUE(resumed.seek(a.position(), error)) << error;
  for (int i = 0; i < 50; ++i) {
    a.next(x, t);
    resumed.next(y, t);
    ASSERT_EQ(x, y) << i;
  }
  EXPECT_FALSE(resumed.seek({.epoch = 0, .cursor = 1000}, error));
  EXPECT_NE(error.find("past the end"), std::string::npos);
}

TEST_F(DataTest, RanksTakeDisjointWindows) {
  Stream stream(path("s.tokens"), 16 * 10 + 1); // 10 windows, 3 ranks: 3 each
  std::set<int32_t> seen;
  for (int64_t rank = 0; rank < 3; ++rank) {
    BatcherOptions options{.batchSize = 3, .seqLen = 16, .seed = 5,
                           .rank = rank, .worldSize = 3};
    Batcher batcher(*stream.shard, options);
    EXPECT_EQ(batcher.windowsPerEpoch(), 3u);
    std::vector<int32_t> x(48), t(48);
    batcher.next(x, t);
    for (int row = 0; row < 3; ++row)
      EXPECT_TRUE(seen.insert(x[row * 16]).second) << "rank " << rank;
  }
  EXPECT_EQ(seen.size(), 9u);
}

TEST_F(DataTest, PositionCountsEveryRanksWindowsAndResumesOnOtherGrids) {
  // 20 windows. Two ranks with batches of 1 after 3 steps are where one
  // process with batches of 2 is after 3 steps: window 6 of the epoch.
  Stream stream(path("s.tokens"), 4 * 20 + 1);
  std::vector<int32_t> one(8), two(4), t(8);
  BatcherOptions single{.batchSize = 2, .seqLen = 4, .seed = 3};
  Batcher whole(*stream.shard, single);
  std::vector<Batcher> ranks;
  for (int64_t rank = 0; rank < 2; ++rank)
    ranks.emplace_back(*stream.shard,
                       BatcherOptions{.batchSize = 1, .seqLen = 4, .seed = 3,
                                      .rank = rank, .worldSize = 2});
  for (int step = 0; step < 3; ++step) {
    whole.next(one, t);
    for (int64_t rank = 0; rank < 2; ++rank) {
      ranks[size_t(rank)].next(std::span(two).first(4), std::span(t).first(4));
      EXPECT_TRUE(std::equal(two.begin(), two.begin() + 4,
                             one.begin() + rank * 4))
          << "step " << step << " rank " << rank;
    }
  }
  EXPECT_EQ(whole.position(), (BatchPosition{.epoch = 0, .cursor = 6}));
  EXPECT_EQ(ranks[0].position(), whole.position());
  // Resumed on the other grid, the streams go on together.
  std::string error;
  Batcher single2(*stream.shard, single);
  ASSERT_TRUE(single2.seek(ranks[1].position(), error)) << error;
  Batcher rank1(*stream.shard, BatcherOptions{.batchSize = 1, .seqLen = 4,
                                              .seed = 3, .rank = 1,
                                              .worldSize = 2});
  ASSERT_TRUE(rank1.seek(whole.position(), error)) << error;
  whole.next(one, t);
  single2.next(std::span(one).first(8), t);
  rank1.next(std::span(two).first(4), std::span(t).first(4));
  EXPECT_TRUE(std::equal(two.begin(), two.begin() + 4, one.begin() + 4));
  // A position that does not divide among the ranks is refused.
  EXPECT_FALSE(rank1.seek({.epoch = 0, .cursor = 7}, error));
  EXPECT_NE(error.find("does not divide among 2 ranks"), std::string::npos)
      << error;
}

TEST_F(DataTest, CheckNamesTheProblem) {
  Stream stream(path("s.tokens"), 10);
  std::string error;
  EXPECT_FALSE(Batcher::check(*stream.shard, {.batchSize = 1, .seqLen = 16}, error));
  EXPECT_NE(error.find("10 tokens make 0 windows of 16+1 tokens"), std::string::npos)
      << error;
  EXPECT_FALSE(Batcher::check(*stream.shard,
                              {.batchSize = 1, .seqLen = 2, .rank = 2, .worldSize = 2},
                              error));
  EXPECT_NE(error.find("rank 2 is not in [0, 2)"), std::string::npos) << error;
  EXPECT_FALSE(Batcher::check(*stream.shard, {.batchSize = 0, .seqLen = 2}, error));
}

} // namespace
