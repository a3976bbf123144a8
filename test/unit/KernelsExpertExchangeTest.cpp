//===- KernelsExpertExchangeTest.cpp - kernels/cpu/ExpertExchange.h -------===//
//
// Expert parallelism's all-to-all-v dispatch and combine on a group of
// threads (one per rank) whose ds_comm moves the bytes between them: every
// rank dispatches its tokens, runs a stand-in for its experts on the rows it
// received, and combines; each token's result must be what one process
// computes with every expert, on random routings (with -1 slots and
// several experts of one rank per token).
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Collectives.h"
#include "kernels/cpu/ExpertExchange.h"

#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <thread>
#include <vector>

namespace {

/// The shared state of a group of ranks that are threads of this process.
class ThreadGroup {
public:
  explicit ThreadGroup(int32_t size)
      : size_(size), sync_(size), posted_(size_t(size)) {}

  /// Runs `body(rank, comm)` on every rank at once.
  void run(const std::function<void(int32_t, ds_comm &)> &body) {
    std::vector<std::thread> threads;
    std::vector<Rank> ranks(static_cast<size_t>(size_));
    for (int32_t r = 0; r < size_; ++r) {
      ranks[size_t(r)].group = this;
      ranks[size_t(r)].rank = r;
      threads.emplace_back([&, r] {
        ds_comm comm{};
        comm.self = &ranks[size_t(r)];
        comm.rank = r;
        comm.size = size_;
        comm.all_gather = allGather;
        comm.all_to_all_v = allToAllV;
        body(r, comm);
      });
    }
    for (std::thread &thread : threads)
      thread.join();
  }

private:
  struct Rank {
    ThreadGroup *group;
    int32_t rank;
  };
  struct Posted {
    const char *input;
    const int64_t *sendBytes, *sendOffsets;
  };

  static int32_t allGather(void *self, const void *input, void *output,
                           int64_t bytes) {
    auto *me = static_cast<Rank *>(self);
    ThreadGroup &g = *me->group;
    g.posted_[size_t(me->rank)] = {static_cast<const char *>(input), nullptr,
                                   nullptr};
    g.sync_.arrive_and_wait();
    for (int32_t r = 0; r < g.size_; ++r)
      std::memcpy(static_cast<char *>(output) + r * bytes,
                  g.posted_[size_t(r)].input, size_t(bytes));
    g.sync_.arrive_and_wait();
    return 0;
  }

  static int32_t allToAllV(void *self, const void *input,
                           const int64_t *sendBytes, const int64_t *sendOffsets,
                           void *output, const int64_t *recvBytes,
                           const int64_t *recvOffsets) {
    auto *me = static_cast<Rank *>(self);
    ThreadGroup &g = *me->group;
    g.posted_[size_t(me->rank)] = {static_cast<const char *>(input), sendBytes,
                                   sendOffsets};
    g.sync_.arrive_and_wait();
    int32_t failed = 0;
    for (int32_t r = 0; r < g.size_; ++r) {
      const Posted &from = g.posted_[size_t(r)];
      if (from.sendBytes[me->rank] != recvBytes[r]) {
        failed = 1;
        continue;
      }
      std::memcpy(static_cast<char *>(output) + recvOffsets[r],
                  from.input + from.sendOffsets[me->rank],
                  size_t(recvBytes[r]));
    }
    g.sync_.arrive_and_wait();
    return failed;
  }

  int32_t size_;
  std::barrier<> sync_;
  std::vector<Posted> posted_;
};

/// The stand-in for expert e on a row: (e + 1) x + e / 8.
float expertOf(int64_t e, float x) { return float(e + 1) * x + float(e) / 8; }

struct Routing {
  std::vector<int64_t> indices; // [T, K], distinct per token or -1
  std::vector<float> weights;   // [T, K]
  std::vector<float> inputs;    // [T, H]
};

Routing randomRouting(std::mt19937 &rng, int64_t tokens, int64_t topK,
                      int64_t experts, int64_t hidden) {
  Routing routing;
  std::uniform_real_distribution<float> value(-1, 1);
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<int64_t> all(static_cast<size_t>(experts));
    for (int64_t e = 0; e < experts; ++e)
      all[size_t(e)] = e;
    std::shuffle(all.begin(), all.end(), rng);
    for (int64_t k = 0; k < topK; ++k) {
      // About one slot in six is empty.
      routing.indices.push_back(rng() % 6 == 0 ? -1 : all[size_t(k)]);
      routing.weights.push_back(value(rng));
    }
    for (int64_t h = 0; h < hidden; ++h)
      routing.inputs.push_back(value(rng));
  }
  return routing;
}

TEST(KernelsExpertExchange, DispatchExpertsCombineEqualsOneProcess) {
  for (int32_t group : {1, 2, 3, 4}) {
    const int64_t tokens = 9, topK = 3, perRank = 2, hidden = 5;
    const int64_t experts = group * perRank;
    std::mt19937 rng(1234 + unsigned(group));
    std::vector<Routing> routings;
    for (int32_t r = 0; r < group; ++r)
      routings.push_back(
          randomRouting(rng, tokens, std::min(topK, experts), experts, hidden));
    const int64_t K = std::min(topK, experts);
    std::vector<std::vector<float>> outputs(static_cast<size_t>(group));
    std::vector<ds_status> statuses(static_cast<size_t>(group));
    ThreadGroup threads(group);
    threads.run([&](int32_t rank, ds_comm &comm) {
      const Routing &mine = routings[size_t(rank)];
      ds_status &status = statuses[size_t(rank)];
      status.comm = &comm;
      std::vector<int64_t> counts(static_cast<size_t>(group * group));
      ds_expert_plan(&status, 0, mine.indices.data(), counts.data(), tokens, K,
                     perRank, group, 1);
      const int64_t rows = group * tokens;
      std::vector<float> x(size_t(rows * hidden)), w(size_t(rows * K));
      std::vector<int64_t> local(static_cast<size_t>(rows * K));
      ds_expert_dispatch(&status, 1, counts.data(), mine.indices.data(),
                         mine.inputs.data(), x.data(), tokens, K, perRank,
                         hidden * int64_t(sizeof(float)), group, 1);
      ds_expert_dispatch(&status, 2, counts.data(), mine.indices.data(),
                         mine.weights.data(), w.data(), tokens, K, perRank,
                         K * int64_t(sizeof(float)), group, 1);
      ds_expert_dispatch_indices(&status, 3, counts.data(),
                                 mine.indices.data(), local.data(), tokens, K,
                                 perRank, group, 1);
      // This rank's experts on the rows it received (-1: not ours).
      std::vector<float> partial(size_t(rows * hidden), 0);
      for (int64_t row = 0; row < rows; ++row)
        for (int64_t k = 0; k < K; ++k) {
          const int64_t l = local[size_t(row * K + k)];
          if (l < 0)
            continue;
          ASSERT_LT(l, perRank);
          for (int64_t h = 0; h < hidden; ++h)
            partial[size_t(row * hidden + h)] +=
                w[size_t(row * K + k)] *
                expertOf(rank * perRank + l, x[size_t(row * hidden + h)]);
        }
      outputs[size_t(rank)].resize(size_t(tokens * hidden));
      ds_expert_combine(&status, 4, counts.data(), mine.indices.data(),
                        partial.data(), outputs[size_t(rank)].data(), tokens, K,
                        perRank, hidden, DS_COMM_F32, group, 1);
    });
    for (int32_t rank = 0; rank < group; ++rank) {
      ASSERT_EQ(statuses[size_t(rank)].code, DS_STATUS_OK) << "rank " << rank;
      const Routing &mine = routings[size_t(rank)];
      for (int64_t t = 0; t < tokens; ++t)
        for (int64_t h = 0; h < hidden; ++h) {
          double want = 0;
          for (int64_t k = 0; k < K; ++k)
            if (const int64_t e = mine.indices[size_t(t * K + k)]; e >= 0)
              want += double(mine.weights[size_t(t * K + k)]) *
                      expertOf(e, mine.inputs[size_t(t * hidden + h)]);
          EXPECT_NEAR(outputs[size_t(rank)][size_t(t * hidden + h)], want,
                      1e-5 * (1 + std::fabs(want)))
              << "group " << group << " rank " << rank << " token " << t;
        }
    }
  }
}

TEST(KernelsExpertExchange, DispatchLaysRowsOutBySourceAndZeroesTheRest) {
  // Rank 0's tokens choose experts {0, 3}, {1}, {2, 3}; rank 1's {3}, {0}, {}.
  // Two experts per rank: rank 1 holds experts 2 and 3.
  const int64_t tokens = 3, topK = 2;
  const std::vector<std::vector<int64_t>> indices{{0, 3, 1, -1, 2, 3},
                                                  {3, -1, 0, -1, -1, -1}};
  std::vector<std::vector<int64_t>> counts(2, std::vector<int64_t>(4));
  std::vector<std::vector<float>> received(2, std::vector<float>(6, -7));
  std::vector<std::vector<int64_t>> local(2, std::vector<int64_t>(12, -7));
  std::vector<ds_status> statuses(2);
  ThreadGroup(2).run([&](int32_t rank, ds_comm &comm) {
    ds_status &status = statuses[size_t(rank)];
    status.comm = &comm;
    const std::vector<float> rows{10.0f * float(rank) + 1,
                                  10.0f * float(rank) + 2,
                                  10.0f * float(rank) + 3};
    ds_expert_plan(&status, 0, indices[size_t(rank)].data(),
                   counts[size_t(rank)].data(), tokens, topK, 2, 2, 1);
    ds_expert_dispatch(&status, 0, counts[size_t(rank)].data(),
                       indices[size_t(rank)].data(), rows.data(),
                       received[size_t(rank)].data(), tokens, topK, 2,
                       sizeof(float), 2, 1);
    ds_expert_dispatch_indices(&status, 0, counts[size_t(rank)].data(),
                               indices[size_t(rank)].data(),
                               local[size_t(rank)].data(), tokens, topK, 2, 2,
                               1);
  });
  for (const ds_status &status : statuses)
    ASSERT_EQ(status.code, DS_STATUS_OK);
  // counts[s][r]: rank 0 sends 2 tokens to itself, 2 to rank 1; rank 1
  // sends 1 to each.
  EXPECT_EQ(counts[0], (std::vector<int64_t>{2, 2, 1, 1}));
  EXPECT_EQ(counts[1], counts[0]);
  // Rank 0 receives its tokens 0 and 1, then rank 1's token 1.
  EXPECT_EQ(received[0], (std::vector<float>{1, 2, 0, 12, 0, 0}));
  EXPECT_EQ(local[0], (std::vector<int64_t>{0, -1, 1, -1, -1, -1, 0, -1, -1,
                                            -1, -1, -1}));
  // Rank 1 receives rank 0's tokens 0 and 2, then its own token 0.
  EXPECT_EQ(received[1], (std::vector<float>{1, 3, 0, 11, 0, 0}));
  EXPECT_EQ(local[1], (std::vector<int64_t>{-1, 1, 0, 1, -1, -1, 1, -1, -1,
                                            -1, -1, -1}));
}

TEST(KernelsExpertExchange, BadIndicesAndMissingCommunicatorsAreRecorded) {
  const std::vector<int64_t> indices{0, 5};
  std::vector<int64_t> counts(4, 9);
  ds_status status{};
  ThreadGroup(1).run([&](int32_t, ds_comm &comm) {
    ds_status one{};
    one.comm = &comm;
    std::vector<int64_t> plan(1);
    ds_expert_plan(&one, 3, indices.data(), plan.data(), 1, 2, 2, 1, 1);
    EXPECT_EQ(one.code, DS_STATUS_INDEX_OUT_OF_RANGE);
    EXPECT_EQ(one.site, 3);
    EXPECT_EQ(one.value, 5);
    EXPECT_EQ(one.bound, 2);
    // A plan that does not match the indices moves nothing.
    ds_status mismatch{};
    mismatch.comm = &comm;
    const std::vector<int64_t> wrong{2};
    const std::vector<float> row{1};
    std::vector<float> out{5};
    ds_expert_dispatch(&mismatch, 4, wrong.data(), indices.data(), row.data(),
                       out.data(), 1, 1, 2, sizeof(float), 1, 1);
    EXPECT_EQ(mismatch.code, DS_STATUS_COLLECTIVE_FAILED);
    EXPECT_EQ(out[0], 0);
  });
  // Compiled for 2 ranks, run without a communicator: recorded, outputs
  // defined.
  std::vector<float> out(4, 5);
  const std::vector<float> rows{1, 2, 3, 4};
  ds_expert_plan(&status, 1, indices.data(), counts.data(), 1, 1, 1, 2, 1);
  EXPECT_EQ(status.code, DS_STATUS_NO_COMMUNICATOR);
  EXPECT_EQ(counts, (std::vector<int64_t>{0, 0, 0, 0}));
  ds_expert_combine(&status, 1, counts.data(), indices.data(), rows.data(),
                    out.data(), 1, 1, 1, 2, DS_COMM_F32, 2, 1);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 0);
}

} // namespace
