//===- KernelsCollectivesTest.cpp - kernels/cpu/Collectives.h -------------===//
//
// The collective kernels against a simulated grid: a ds_comm whose
// all_reduce adds what the other (simulated) ranks would hold and whose
// all_gather returns every rank's piece, so the kernels' layouts along an
// axis and their failure records are checked without processes.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Collectives.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

namespace {

/// Rank `rank` of `size`; the other ranks hold this rank's data plus
/// 1000 * their rank (so every element of a reduction or a gathered block
/// says which rank it came from).
struct SimulatedGrid {
  SimulatedGrid(int32_t rank, int32_t size) : rank(rank), size(size) {}
  int32_t rank, size;
  bool fail = false;

  static int32_t allReduce(void *self, void *buffer, int64_t count,
                           int32_t dtype, int32_t reduction) {
    auto *grid = static_cast<SimulatedGrid *>(self);
    if (grid->fail || dtype != DS_COMM_F32 || reduction != DS_COMM_SUM)
      return 1;
    auto *values = static_cast<float *>(buffer);
    for (int64_t i = 0; i < count; ++i) {
      const float mine = values[i] - 1000.0f * float(grid->rank);
      float sum = 0;
      for (int32_t r = 0; r < grid->size; ++r)
        sum += mine + 1000.0f * float(r);
      values[i] = sum;
    }
    return 0;
  }

  static int32_t allGather(void *self, const void *input, void *output,
                           int64_t bytes) {
    auto *grid = static_cast<SimulatedGrid *>(self);
    if (grid->fail)
      return 1;
    const auto *in = static_cast<const float *>(input);
    auto *out = static_cast<float *>(output);
    const int64_t count = bytes / int64_t(sizeof(float));
    for (int32_t r = 0; r < grid->size; ++r)
      for (int64_t i = 0; i < count; ++i)
        out[r * count + i] = in[i] + 1000.0f * float(r - grid->rank);
    return 0;
  }

  /// Rank r's blocks are ours plus 1000 * (r - rank): block `rank` summed
  /// over the ranks is size * ours + 1000 * sum(r - rank).
  static int32_t reduceScatter(void *self, const void *input, void *output,
                               int64_t count, int32_t dtype,
                               int32_t reduction) {
    auto *grid = static_cast<SimulatedGrid *>(self);
    if (grid->fail || dtype != DS_COMM_F32 || reduction != DS_COMM_SUM)
      return 1;
    const auto *in = static_cast<const float *>(input) + grid->rank * count;
    auto *out = static_cast<float *>(output);
    for (int64_t i = 0; i < count; ++i) {
      float sum = 0;
      for (int32_t r = 0; r < grid->size; ++r)
        sum += in[i] + 1000.0f * float(r - grid->rank);
      out[i] = sum;
    }
    return 0;
  }

  /// The grid's axes (bitmask): over all of them a collective runs on the
  /// whole grid; over part of them on one of `groups`.
  int64_t axes = 1;
  std::vector<std::pair<int64_t, ds_comm *>> groups;
  ds_comm whole{};
  static const ds_comm *group(void *self, int64_t axes) {
    auto *grid = static_cast<SimulatedGrid *>(self);
    if (axes == grid->axes)
      return &grid->whole;
    for (auto &[mask, table] : grid->groups)
      if (mask == axes)
        return table;
    return nullptr;
  }

  ds_comm table() {
    whole = ds_comm{this,      rank,          size, allReduce,
                    allGather, reduceScatter, group};
    return whole;
  }
};

TEST(KernelsCollectives, ACollectiveOverPartOfTheGridUsesItsGroup) {
  // A 2x3 grid: rank 4 is (1, 1); over axis 1 its group has 3 ranks and it
  // is the group's rank 1; over axis 0, 2 ranks and rank 1.
  SimulatedGrid world{4, 6}, row{1, 3}, column{1, 2};
  ds_comm rowTable = row.table(), columnTable = column.table();
  world.axes = 3;
  world.groups = {{2, &rowTable}, {1, &columnTable}};
  ds_comm comm = world.table();
  ds_status status{};
  status.comm = &comm;
  std::vector<float> input(6);
  std::iota(input.begin(), input.end(), 0.0f);
  std::vector<float> output(2);
  ds_collective_all_slice(&status, 0, input.data(), output.data(), 1, 2, 1,
                          sizeof(float), 3, /*axes=*/2);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  EXPECT_EQ(output, (std::vector<float>{2, 3}));
  std::vector<float> half(3);
  ds_collective_all_slice(&status, 0, input.data(), half.data(), 1, 3, 1,
                          sizeof(float), 2, /*axes=*/1);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  EXPECT_EQ(half, (std::vector<float>{3, 4, 5}));
  // Sums over the row: 3 ranks.
  std::vector<float> sum(2);
  ds_collective_all_reduce(&status, 0, input.data(), sum.data(), 2,
                           DS_COMM_F32, DS_COMM_SUM, 3, /*axes=*/2);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  EXPECT_FLOAT_EQ(sum[1], 3 * input[1]);
  // A group the runtime cannot make, or of another size, fails the run.
  ds_collective_all_reduce(&status, 6, input.data(), sum.data(), 2,
                           DS_COMM_F32, DS_COMM_SUM, 3, /*axes=*/1);
  EXPECT_EQ(status.code, DS_STATUS_NO_COMMUNICATOR);
  EXPECT_EQ(status.bound, 3);
  EXPECT_EQ(status.value, 2);
}

TEST(KernelsCollectives, AllReduceSumsOverEveryRank) {
  SimulatedGrid grid{1, 3};
  ds_comm comm = grid.table();
  ds_status status{};
  status.comm = &comm;
  std::vector<float> input{1, 2, 3, 1000.5f}, output(4);
  ds_collective_all_reduce(&status, 7, input.data(), output.data(), 4,
                           DS_COMM_F32, DS_COMM_SUM, 3, 1);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  // Rank r holds x + 1000 (r - 1): the sum is 3x + 0.
  for (size_t i = 0; i < input.size(); ++i)
    EXPECT_FLOAT_EQ(output[i], 3 * input[i]);
}

TEST(KernelsCollectives, AllGatherLaysBlocksAlongTheAxis) {
  // [outer 2, local 3, inner 2] on 2 ranks -> [2, 6, 2].
  SimulatedGrid grid{0, 2};
  ds_comm comm = grid.table();
  ds_status status{};
  status.comm = &comm;
  std::vector<float> input(12);
  std::iota(input.begin(), input.end(), 0.0f);
  std::vector<float> output(24, -1);
  ds_collective_all_gather(&status, 0, input.data(), output.data(), 2, 3, 2,
                           sizeof(float), 2, 1);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t l = 0; l < 3; ++l)
        for (int64_t i = 0; i < 2; ++i)
          EXPECT_EQ(output[size_t(((o * 2 + r) * 3 + l) * 2 + i)],
                    input[size_t((o * 3 + l) * 2 + i)] + 1000.0f * float(r))
              << o << " " << r << " " << l << " " << i;
}

TEST(KernelsCollectives, ReduceScatterSumsThisRanksBlockAlongTheAxis) {
  // [outer 2, 3 ranks x local 2, inner 2] on rank 1 of 3 -> [2, 2, 2]: the
  // sum of every rank's block 1 of each row.
  SimulatedGrid grid{1, 3};
  ds_comm comm = grid.table();
  ds_status status{};
  status.comm = &comm;
  std::vector<float> input(24);
  std::iota(input.begin(), input.end(), 0.5f);
  std::vector<float> output(8, -1);
  ds_collective_reduce_scatter(&status, 0, input.data(), output.data(), 2, 2,
                               2, DS_COMM_F32, DS_COMM_SUM, 3, 1);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  // Rank r holds x + 1000 (r - 1): the sum is 3x + 0.
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t l = 0; l < 2; ++l)
      for (int64_t i = 0; i < 2; ++i)
        EXPECT_FLOAT_EQ(output[size_t((o * 2 + l) * 2 + i)],
                        3 * input[size_t(((o * 3 + 1) * 2 + l) * 2 + i)])
            << o << " " << l << " " << i;

  // A failed reduction is recorded and leaves this rank's own block.
  grid.fail = true;
  status = ds_status{};
  status.comm = &comm;
  ds_collective_reduce_scatter(&status, 4, input.data(), output.data(), 2, 2,
                               2, DS_COMM_F32, DS_COMM_SUM, 3, 1);
  EXPECT_EQ(status.code, DS_STATUS_COLLECTIVE_FAILED);
  EXPECT_EQ(status.site, 4);
  EXPECT_EQ(output[0], input[4]);
}

TEST(KernelsCollectives, AllSliceTakesThisRanksBlock) {
  SimulatedGrid grid{2, 3};
  ds_comm comm = grid.table();
  ds_status status{};
  status.comm = &comm;
  // [outer 2, 3 ranks x local 2, inner 1]: rank 2 takes elements 4 and 5 of
  // every row.
  std::vector<float> input(12);
  std::iota(input.begin(), input.end(), 0.0f);
  std::vector<float> output(4);
  ds_collective_all_slice(&status, 0, input.data(), output.data(), 2, 2, 1,
                          sizeof(float), 3, 1);
  ASSERT_EQ(status.code, DS_STATUS_OK);
  EXPECT_EQ(output, (std::vector<float>{4, 5, 10, 11}));
}

TEST(KernelsCollectives, WithoutACommunicatorOfTheGridsSizeTheRunFails) {
  std::vector<float> input{1, 2}, output(2);
  ds_status status{};
  ds_collective_all_reduce(&status, 5, input.data(), output.data(), 2,
                           DS_COMM_F32, DS_COMM_SUM, 4, 1);
  EXPECT_EQ(status.code, DS_STATUS_NO_COMMUNICATOR);
  EXPECT_EQ(status.site, 5);
  EXPECT_EQ(status.value, 1); // the ranks there are
  EXPECT_EQ(status.bound, 4); // the ranks the code was compiled for
  EXPECT_EQ(output, input);   // defined: the local value

  SimulatedGrid grid{0, 2};
  ds_comm comm = grid.table();
  status = ds_status{};
  status.comm = &comm;
  ds_collective_all_reduce(&status, 5, input.data(), output.data(), 2,
                           DS_COMM_F32, DS_COMM_SUM, 4, 1);
  EXPECT_EQ(status.code, DS_STATUS_NO_COMMUNICATOR);
  EXPECT_EQ(status.value, 2);
}

TEST(KernelsCollectives, AFailedCollectiveIsRecorded) {
  SimulatedGrid grid{0, 2};
  grid.fail = true;
  ds_comm comm = grid.table();
  ds_status status{};
  status.comm = &comm;
  std::vector<float> input(6, 1.0f), output(12, -1.0f);
  ds_collective_all_gather(&status, 3, input.data(), output.data(), 1, 6, 1,
                           sizeof(float), 2, 1);
  EXPECT_EQ(status.code, DS_STATUS_COLLECTIVE_FAILED);
  EXPECT_EQ(status.site, 3);
  for (float v : output) // defined, never left uninitialized
    EXPECT_EQ(v, 0.0f);
}

} // namespace
