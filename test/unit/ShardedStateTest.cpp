//===- ShardedStateTest.cpp - runtime/train/ShardedState.h ----------------===//
//
// Blocks of a tensor split over ranks (ZeRO's optimizer state): cut from
// the whole along any dimension, and put back together from what an
// all-gather of the blocks gives (rank-major), on random data.
//
//===----------------------------------------------------------------------===//

#include "runtime/train/ShardedState.h"
#include "runtime/comm/Grid.h"

#include <gtest/gtest.h>

#include <numeric>

#include <random>
#include <vector>

namespace ds::rt {
namespace {

HostTensor randomTensor(const std::vector<int64_t> &shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::vector<double> values(static_cast<size_t>(count));
  for (double &v : values)
    v = normal(rng);
  std::string error;
  std::optional<HostTensor> tensor =
      HostTensor::fromDoubles(DType::F32, shape, values, error);
  EXPECT_TRUE(tensor) << error;
  return std::move(*tensor);
}

TEST(ShardedState, BlocksCutAndReassembleAlongEveryDimension) {
  const std::vector<int64_t> shape{4, 6, 3};
  HostTensor whole = randomTensor(shape, 7);
  const std::vector<double> values = whole.toDoubles();
  for (int64_t dim = 0; dim < 3; ++dim) {
    for (int64_t ranks : {1, 2, 3}) {
      if (shape[size_t(dim)] % ranks != 0)
        continue;
      std::string error;
      std::vector<uint8_t> gathered;
      for (int64_t rank = 0; rank < ranks; ++rank) {
        std::optional<HostTensor> block =
            blockOf(whole, dim, rank, ranks, error);
        ASSERT_TRUE(block) << error;
        // Block r holds indices [r*k, (r+1)*k) of the split dimension.
        const int64_t k = shape[size_t(dim)] / ranks;
        std::vector<double> got = block->toDoubles();
        for (int64_t i = 0; i < shape[0]; ++i)
          for (int64_t j = 0; j < shape[1]; ++j)
            for (int64_t l = 0; l < shape[2]; ++l) {
              int64_t index[3] = {i, j, l};
              if (index[dim] / k != rank)
                continue;
              index[dim] -= rank * k;
              std::vector<int64_t> bs = block->shape();
              const double expected = values[size_t((i * 6 + j) * 3 + l)];
              EXPECT_EQ(got[size_t((index[0] * bs[1] + index[1]) * bs[2] +
                                   index[2])],
                        expected);
            }
        gathered.insert(gathered.end(), block->data(),
                        block->data() + block->byteSize());
      }
      std::vector<int64_t> blockShape = shape;
      blockShape[size_t(dim)] /= ranks;
      std::vector<int64_t> identity(static_cast<size_t>(ranks));
      std::iota(identity.begin(), identity.end(), 0);
      std::optional<HostTensor> back = assembleBlocks(
          gathered.data(), DType::F32, blockShape, dim, identity, error);
      ASSERT_TRUE(back) << error;
      EXPECT_EQ(back->shape(), shape);
      EXPECT_EQ(back->toDoubles(), values) << "dim " << dim << " ranks "
                                           << ranks;
    }
  }
}

TEST(ShardedState, OnA2DGridRanksAlongTheOtherAxisHoldTheSameBlocks) {
  // A [dp 2, ep 3] grid and a tensor split over ep: rank r holds block
  // r % 3 (runtime/comm/Grid.h); ranks 3..5 repeat ranks 0..2's blocks.
  std::string error;
  std::vector<double> values(6 * 4);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = 0.25 * double(i) - 1.5;
  std::optional<HostTensor> whole =
      HostTensor::fromDoubles(DType::F32, {6, 4}, values, error);
  ASSERT_TRUE(whole) << error;
  const std::vector<int64_t> shape{2, 3}, axes{1};
  std::vector<int64_t> blockOfRank;
  std::vector<uint8_t> gathered;
  for (int64_t rank = 0; rank < 6; ++rank) {
    blockOfRank.push_back(gridIndexAlong(rank, shape, axes));
    std::optional<HostTensor> block =
        blockOf(*whole, 0, blockOfRank.back(), 3, error);
    ASSERT_TRUE(block) << error;
    gathered.insert(gathered.end(), block->data(),
                    block->data() + block->byteSize());
  }
  EXPECT_EQ(blockOfRank, (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  std::optional<HostTensor> back =
      assembleBlocks(gathered.data(), DType::F32, {2, 4}, 0, blockOfRank, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->toDoubles(), values);
  // Blocks that no rank holds are an error, not zeros.
  EXPECT_FALSE(assembleBlocks(gathered.data(), DType::F32, {2, 4}, 0,
                              {0, 2, 2, 0, 2, 2}, error));
  EXPECT_EQ(gridIndexAlong(4, shape, {0}), 1);
  EXPECT_EQ(gridIndexAlong(4, shape, {0, 1}), 4);
  EXPECT_EQ(gridSizeAlong(shape, {1}), 3);
}

TEST(ShardedState, UnevenOrOutOfRangeSplitsAreErrors) {
  HostTensor whole = randomTensor({4, 6}, 3);
  std::string error;
  EXPECT_FALSE(blockOf(whole, 0, 0, 3, error)); // 4 rows over 3 ranks
  EXPECT_NE(error.find("block 0 of 3 along dimension 0"), std::string::npos)
      << error;
  EXPECT_FALSE(blockOf(whole, 2, 0, 2, error));
  EXPECT_FALSE(blockOf(whole, 1, 2, 2, error));
}

} // namespace
} // namespace ds::rt
