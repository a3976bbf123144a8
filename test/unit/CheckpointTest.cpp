//===- CheckpointTest.cpp - Checkpoints: round trip, pruning, damage ------===//

#include "runtime/train/Checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace {

using namespace ds::rt;
namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    directory_ = (fs::temp_directory_path() /
                  ("ds-checkpoint-test-" + std::to_string(getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                     .string();
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  /// A state with random (never zero) values; `salt` makes steps differ.
  NamedTensors state(unsigned salt) {
    NamedTensors tensors;
    std::mt19937 rng(salt);
    std::normal_distribution<double> normal;
    std::string error;
    for (auto [name, shape] :
         std::vector<std::pair<std::string, std::vector<int64_t>>>{
             {"model.embed_tokens.weight", {7, 5}},
             {"exp_avg.model.embed_tokens.weight", {7, 5}},
             {"model.layers.[0:2].norm.weight", {2, 5}}}) {
      std::vector<double> values(size_t(shape[0] * shape[1]));
      for (double &v : values)
        v = normal(rng);
      tensors.emplace(name, *HostTensor::fromDoubles(DType::F32, shape, values, error));
    }
    tensors.emplace("step", *HostTensor::fromDoubles(DType::I64, {}, std::vector<double>{double(salt)}, error));
    return tensors;
  }

  CheckpointInfo info(int64_t step) {
    CheckpointInfo info;
    info.step = step;
    info.data = {.epoch = uint64_t(step / 10), .cursor = uint64_t(step % 10)};
    info.seed = 42;
    info.notes = {{"artifact", "abc123"}};
    return info;
  }

  std::string directory_;
};

void expectSameBytes(const NamedTensors &a, const NamedTensors &b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, tensor] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    ASSERT_TRUE(tensor.sameTypeAs(it->second)) << name;
    EXPECT_EQ(std::memcmp(tensor.data(), it->second.data(), tensor.byteSize()), 0)
        << name;
  }
}

TEST_F(CheckpointTest, RoundTripsBitwise) {
  std::string error;
  const NamedTensors tensors = state(3);
  ASSERT_TRUE(saveCheckpoint(directory_, info(23), tensors, 3, error)) << error;
  std::vector<std::string> skipped;
  auto loaded = loadLatestCheckpoint(directory_, skipped, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(loaded->info.step, 23);
  EXPECT_EQ(loaded->info.data, (BatchPosition{.epoch = 2, .cursor = 3}));
  EXPECT_EQ(loaded->info.seed, 42u);
  EXPECT_EQ(loaded->info.notes.at("artifact"), "abc123");
  expectSameBytes(tensors, loaded->tensors);
}

TEST_F(CheckpointTest, KeepsTheNewestAndRemovesPartials) {
  std::string error;
  fs::create_directories(directory_ + "/step-00000007.partial-999");
  for (int64_t step : {10, 20, 30, 40})
    ASSERT_TRUE(saveCheckpoint(directory_, info(step), state(unsigned(step)), 2, error));
  const auto paths = listCheckpoints(directory_);
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(fs::path(paths[0]).filename(), "step-00000030");
  EXPECT_EQ(fs::path(paths[1]).filename(), "step-00000040");
  EXPECT_FALSE(fs::exists(directory_ + "/step-00000007.partial-999"));
}

TEST_F(CheckpointTest, DamagedNewestFallsBackToTheOneBefore) {
  std::string error;
  ASSERT_TRUE(saveCheckpoint(directory_, info(10), state(10), 5, error));
  ASSERT_TRUE(saveCheckpoint(directory_, info(20), state(20), 5, error));
  // Flip one byte in the middle of the newest state file.
  const std::string file = directory_ + "/step-00000020/state.safetensors";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-20, std::ios::end);
    char c;
    f.read(&c, 1);
    f.seekp(-20, std::ios::end);
    c = char(c ^ 0x40);
    f.write(&c, 1);
  }
  std::vector<std::string> skipped;
  auto loaded = loadLatestCheckpoint(directory_, skipped, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->info.step, 10);
  expectSameBytes(state(10), loaded->tensors);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("damaged"), std::string::npos) << skipped[0];

  // Truncated, and a missing description: skipped the same way.
  fs::resize_file(directory_ + "/step-00000010/state.safetensors", 100);
  fs::create_directories(directory_ + "/step-00000030");
  skipped.clear();
  EXPECT_FALSE(loadLatestCheckpoint(directory_, skipped, error));
  EXPECT_EQ(skipped.size(), 3u);
  EXPECT_NE(error.find("no intact checkpoint (3 damaged)"), std::string::npos) << error;
}

TEST_F(CheckpointTest, NoCheckpointIsAnError) {
  std::vector<std::string> skipped;
  std::string error;
  EXPECT_FALSE(loadLatestCheckpoint(directory_, skipped, error));
  EXPECT_NE(error.find("none written yet"), std::string::npos) << error;
}

} // namespace

namespace {

/// A sharded checkpoint of one rank (the local communicator): the
/// embedding's rows [0, 4) of 7 in rank 0's shard file, the rest whole in
/// the state file; `rows` says how many rows the block claims to be.
bool saveOneBlock(const std::string &directory, const CheckpointInfo &info,
                  NamedTensors &tensors, HostTensor &block, int64_t wholeRows,
                  std::string &error) {
  auto comm = createLocalCommunicator();
  std::vector<std::vector<SliceInfo>> slices{
      {{"model.embed_tokens.weight", 0, 0, {wholeRows, 5}}}};
  NamedTensors whole;
  for (auto &[name, tensor] : tensors)
    if (name != "model.embed_tokens.weight")
      whole.emplace(name, tensor.clone(error).value());
  return saveShardedCheckpoint(*comm, directory, info, whole, slices,
                               {&block}, 2, error);
}

} // namespace

TEST_F(CheckpointTest, ShardFilesAssembleIntoWholeTensors) {
  std::string error;
  NamedTensors tensors = state(5);
  HostTensor &embedding = tensors.at("model.embed_tokens.weight");
  ASSERT_TRUE(saveOneBlock(directory_, info(12), tensors, embedding, 7, error))
      << error;
  EXPECT_TRUE(fs::exists(directory_ + "/step-00000012/shard-00000.safetensors"));
  auto loaded = loadCheckpoint(directory_ + "/step-00000012", error);
  ASSERT_TRUE(loaded) << error;
  expectSameBytes(tensors, loaded->tensors);
}

TEST_F(CheckpointTest, AShardFileThatDoesNotCoverItsTensorIsRefused) {
  // The block holds 7 rows of a tensor recorded as 9: rows 7 and 8 are
  // missing, as when a rank's file is lost; loading names the tensor.
  std::string error;
  NamedTensors tensors = state(6);
  ASSERT_TRUE(saveOneBlock(directory_, info(13), tensors,
                           tensors.at("model.embed_tokens.weight"), 9, error))
      << error;
  EXPECT_FALSE(loadCheckpoint(directory_ + "/step-00000013", error));
  EXPECT_NE(error.find("'model.embed_tokens.weight' misses blocks"),
            std::string::npos)
      << error;
  // A block larger than its recorded whole does not fit.
  ASSERT_TRUE(saveOneBlock(directory_, info(14), tensors,
                           tensors.at("model.embed_tokens.weight"), 6, error))
      << error;
  EXPECT_FALSE(loadCheckpoint(directory_ + "/step-00000014", error));
  EXPECT_NE(error.find("does not fit"), std::string::npos) << error;
}
