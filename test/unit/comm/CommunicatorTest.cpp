//===- CommunicatorTest.cpp - Collectives against a local reference -------===//
//
// Run by ctest alone (the local backend, or MPI with one rank) and under
// `mpirun -np 2` and `-np 3` (test/unit/CMakeLists.txt). Every rank makes
// the data of every rank from a seed and the rank number, so each can
// compute what a collective must return by itself and compare: exact for
// moves and integer reductions, within a stated relative tolerance for
// float sums (MPI may combine in any order).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/Communicator.h"
#include "runtime/comm/GridGroups.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace ds::rt {
namespace {

/// The communicator the launch asks for, shared by every test (MPI may be
/// initialized once per process).
Communicator &comm() {
  static std::unique_ptr<Communicator> instance = [] {
    std::string error;
    std::unique_ptr<Communicator> c = createCommunicator("auto", {}, error);
    if (!c) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::abort();
    }
    return c;
  }();
  return *instance;
}

/// Rank r's `count` values of `dtype` (as doubles the type holds exactly),
/// random and never zero, different per rank and per `salt`.
std::vector<double> valuesOf(int rank, size_t count, DType dtype, int salt) {
  std::mt19937_64 random(uint64_t(rank) * 7919 + uint64_t(salt) * 104729 + 1);
  std::uniform_real_distribution<double> uniform(0.25, 4.0);
  std::vector<double> values(count);
  for (double &v : values) {
    double x = uniform(random) * (random() % 2 ? 1 : -1);
    if (!isFloat(dtype))
      x = std::round(x * 1000);
    v = roundToDType(dtype, x);
  }
  return values;
}

std::vector<uint8_t> encode(const std::vector<double> &values, DType dtype) {
  std::vector<uint8_t> bytes(values.size() * dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i)
    encodeScalar(dtype, values[i], bytes.data() + i * dtypeSize(dtype));
  return bytes;
}

std::vector<double> decode(const std::vector<uint8_t> &bytes, DType dtype) {
  std::vector<double> values(bytes.size() / dtypeSize(dtype));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = decodeScalar(dtype, bytes.data() + i * dtypeSize(dtype));
  return values;
}

double combine(ReduceOp op, double a, double b) {
  return op == ReduceOp::Sum ? a + b : op == ReduceOp::Max ? std::max(a, b)
                                                           : std::min(a, b);
}

/// Relative tolerance of a reduction over `ranks` values of `dtype`: exact
/// for max/min and integers; a float sum may round at each of ranks-1
/// combinations.
double tolerance(DType dtype, ReduceOp op, int ranks) {
  if (op != ReduceOp::Sum || !isFloat(dtype))
    return 0;
  const double epsilon = dtype == DType::F64   ? 0x1p-52
                         : dtype == DType::F32 ? 0x1p-23
                         : dtype == DType::F16 ? 0x1p-10
                                               : 0x1p-7;
  return epsilon * ranks * 4;
}

void expectClose(const std::vector<double> &got,
                 const std::vector<double> &want, double relative,
                 const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    // Sums of values of either sign may cancel: scale by the largest term.
    const double scale = std::max(std::fabs(want[i]), 4.0 * comm().size());
    ASSERT_LE(std::fabs(got[i] - want[i]), relative * scale)
        << what << " element " << i << ": got " << got[i] << ", want "
        << want[i] << " (rank " << comm().rank() << ")";
  }
}

const DType kReducible[] = {DType::F64, DType::F32, DType::F16,
                            DType::BF16, DType::I64, DType::I32};

TEST(Communicator, AllReduceEveryTypeAndOperation) {
  Communicator &c = comm();
  const size_t count = 1000;
  for (DType dtype : kReducible)
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min}) {
      std::vector<double> want = valuesOf(0, count, dtype, int(op));
      for (int r = 1; r < c.size(); ++r) {
        std::vector<double> other = valuesOf(r, count, dtype, int(op));
        for (size_t i = 0; i < count; ++i)
          want[i] = combine(op, want[i], other[i]);
      }
      std::vector<uint8_t> buffer =
          encode(valuesOf(c.rank(), count, dtype, int(op)), dtype);
      std::string error;
      ASSERT_TRUE(c.allReduce(buffer.data(), count, dtype, op, error)) << error;
      expectClose(decode(buffer, dtype), want,
                  tolerance(dtype, op, c.size()),
                  std::string("all_reduce ") + reduceOpName(op) + " " +
                      dtypeName(dtype));
    }
}

TEST(Communicator, AllGatherIsRankMajor) {
  Communicator &c = comm();
  const size_t count = 37;
  for (DType dtype : {DType::F32, DType::BF16, DType::I64, DType::U8}) {
    std::vector<uint8_t> input = encode(valuesOf(c.rank(), count, dtype, 1), dtype);
    std::vector<uint8_t> output(input.size() * size_t(c.size()));
    std::string error;
    ASSERT_TRUE(c.allGather(input.data(), output.data(), count, dtype, error))
        << error;
    std::vector<double> want;
    for (int r = 0; r < c.size(); ++r) {
      std::vector<double> part = valuesOf(r, count, dtype, 1);
      want.insert(want.end(), part.begin(), part.end());
    }
    expectClose(decode(output, dtype), want, 0, "all_gather");
  }
}

TEST(Communicator, ReduceScatterGivesEachRankItsBlock) {
  Communicator &c = comm();
  const size_t count = 50;
  const size_t total = count * size_t(c.size());
  for (DType dtype : {DType::F32, DType::BF16, DType::I32}) {
    std::vector<double> want = valuesOf(0, total, dtype, 2);
    for (int r = 1; r < c.size(); ++r) {
      std::vector<double> other = valuesOf(r, total, dtype, 2);
      for (size_t i = 0; i < total; ++i)
        want[i] += other[i];
    }
    std::vector<uint8_t> input = encode(valuesOf(c.rank(), total, dtype, 2), dtype);
    std::vector<uint8_t> output(count * dtypeSize(dtype));
    std::string error;
    ASSERT_TRUE(c.reduceScatter(input.data(), output.data(), count, dtype,
                                ReduceOp::Sum, error))
        << error;
    std::vector<double> mine(want.begin() + long(count * size_t(c.rank())),
                             want.begin() + long(count * size_t(c.rank() + 1)));
    expectClose(decode(output, dtype), mine,
                tolerance(dtype, ReduceOp::Sum, c.size()), "reduce_scatter");
  }
}

TEST(Communicator, AllToAllTransposesBlocks) {
  Communicator &c = comm();
  const size_t count = 11;
  const size_t total = count * size_t(c.size());
  std::vector<uint8_t> input =
      encode(valuesOf(c.rank(), total, DType::F32, 3), DType::F32);
  std::vector<uint8_t> output(input.size());
  std::string error;
  ASSERT_TRUE(c.allToAll(input.data(), output.data(), count, DType::F32, error))
      << error;
  std::vector<double> want;
  for (int r = 0; r < c.size(); ++r) {
    std::vector<double> theirs = valuesOf(r, total, DType::F32, 3);
    want.insert(want.end(), theirs.begin() + long(count * size_t(c.rank())),
                theirs.begin() + long(count * size_t(c.rank() + 1)));
  }
  expectClose(decode(output, DType::F32), want, 0, "all_to_all");
}

/// The run rank `from` sends to rank `to` in AllToAllVMovesRunsOfAnyLength:
/// 0 to 4 bytes, each naming both ranks and its place.
std::vector<uint8_t> runOf(int from, int to) {
  std::vector<uint8_t> run(size_t((from + 2 * to) % 5));
  for (size_t i = 0; i < run.size(); ++i)
    run[i] = uint8_t(from * 31 + to * 7 + int(i));
  return run;
}

TEST(Communicator, AllToAllVMovesRunsOfAnyLength) {
  Communicator &c = comm();
  const size_t n = size_t(c.size());
  // Packed for the ranks in reverse order; received with 3-byte gaps that
  // must stay untouched.
  std::vector<uint8_t> input;
  std::vector<size_t> sendBytes(n), sendOffsets(n), recvBytes(n),
      recvOffsets(n);
  for (size_t r = n; r-- > 0;) {
    std::vector<uint8_t> run = runOf(c.rank(), int(r));
    sendOffsets[r] = input.size();
    sendBytes[r] = run.size();
    input.insert(input.end(), run.begin(), run.end());
  }
  size_t received = 0;
  for (size_t r = 0; r < n; ++r) {
    recvOffsets[r] = received + 3;
    recvBytes[r] = runOf(int(r), c.rank()).size();
    received = recvOffsets[r] + recvBytes[r];
  }
  std::vector<uint8_t> output(received + 3, 0xee);
  std::string error;
  ASSERT_TRUE(c.allToAllV(input.data(), sendBytes.data(), sendOffsets.data(),
                          output.data(), recvBytes.data(), recvOffsets.data(),
                          error))
      << error;
  std::vector<uint8_t> want(output.size(), 0xee);
  for (size_t r = 0; r < n; ++r) {
    std::vector<uint8_t> run = runOf(int(r), c.rank());
    std::copy(run.begin(), run.end(), want.begin() + long(recvOffsets[r]));
  }
  EXPECT_EQ(output, want);
}

TEST(Communicator, BroadcastFromEveryRoot) {
  Communicator &c = comm();
  for (int root = 0; root < c.size(); ++root) {
    std::vector<uint8_t> buffer =
        encode(valuesOf(c.rank(), 20, DType::F64, 4), DType::F64);
    std::string error;
    ASSERT_TRUE(c.broadcast(buffer.data(), 20, DType::F64, root, error)) << error;
    expectClose(decode(buffer, DType::F64), valuesOf(root, 20, DType::F64, 4), 0,
                "broadcast");
  }
  std::string error;
  std::vector<uint8_t> buffer(8);
  EXPECT_FALSE(c.broadcast(buffer.data(), 1, DType::F64, c.size(), error));
  EXPECT_NE(error.find("is not a rank"), std::string::npos) << error;
}

TEST(Communicator, RefusesToReduceWhatHasNoArithmetic) {
  Communicator &c = comm();
  std::vector<uint8_t> buffer(4);
  std::string error;
  EXPECT_FALSE(c.allReduce(buffer.data(), 4, DType::F8_E4M3, ReduceOp::Sum, error));
  EXPECT_NE(error.find("F8_E4M3 elements cannot be reduced"), std::string::npos)
      << error;
  // Every rank refused before communicating: the communicator still works.
  ASSERT_TRUE(c.barrier(error)) << error;
}

TEST(Communicator, SameOnAllRanks) {
  Communicator &c = comm();
  std::string error;
  EXPECT_TRUE(checkSameOnAllRanks(c, "the artifact", "abi text", error)) << error;
  const bool same = checkSameOnAllRanks(
      c, "the corpus", c.rank() == 0 ? "data" : "other data", error);
  if (c.size() == 1) {
    EXPECT_TRUE(same);
  } else {
    EXPECT_FALSE(same);
    EXPECT_NE(error.find("the corpus is not the same on every rank: rank"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("from rank 0"), std::string::npos) << error;
  }
}

TEST(Communicator, LaunchedWorldMatches) {
  Communicator &c = comm();
  std::optional<LaunchedWorld> world = launchedWorld();
  if (!world) {
    EXPECT_EQ(c.size(), 1);
    EXPECT_EQ(c.backend(), "local");
    return;
  }
  EXPECT_EQ(world->rank, c.rank());
  EXPECT_EQ(world->size, c.size());
}

TEST(Communicator, GridGroupsRunAlongTheirAxes) {
  // The ranks as a [2, size/2] grid when size is even (4 ranks: [2, 2]),
  // else [size]; the group along each set of axes sums only its ranks.
  Communicator &world = comm();
  const int64_t size = world.size(), rank = world.rank();
  const std::vector<int64_t> shape =
      size % 2 == 0 && size > 2 ? std::vector<int64_t>{2, size / 2}
                                : std::vector<int64_t>{size};
  GridGroups groups(world, shape);
  const int64_t all = (int64_t(1) << shape.size()) - 1;
  for (int64_t axes = 1; axes <= all; ++axes) {
    std::vector<int64_t> along;
    for (size_t a = 0; a < shape.size(); ++a)
      if (axes >> a & 1)
        along.push_back(int64_t(a));
    std::string error;
    Communicator *group = groups.group(axes, error);
    ASSERT_NE(group, nullptr) << error;
    EXPECT_EQ(group->size(), gridSizeAlong(shape, along));
    EXPECT_EQ(group->rank(), gridIndexAlong(rank, shape, along));
    // Every member's world rank, gathered in the group's order, is the
    // group of ranks that differ from this one only along `axes`.
    int64_t mine = rank;
    std::vector<int64_t> members(size_t(group->size()));
    ASSERT_TRUE(group->allGather(&mine, members.data(), 1, DType::I64, error))
        << error;
    for (size_t i = 0; i < members.size(); ++i) {
      EXPECT_EQ(gridIndexAlong(members[i], shape, along), int64_t(i));
      std::vector<int64_t> across;
      for (size_t a = 0; a < shape.size(); ++a)
        if (!(axes >> a & 1))
          across.push_back(int64_t(a));
      EXPECT_EQ(gridIndexAlong(members[i], shape, across),
                gridIndexAlong(rank, shape, across));
    }
    // Asked again, the same communicator (no second split).
    EXPECT_EQ(groups.group(axes, error), group);
  }
  std::string error;
  EXPECT_EQ(groups.group(all + 1, error), nullptr);
  EXPECT_NE(error.find("grid axes"), std::string::npos) << error;
}

TEST(Communicator, UnknownBackendIsAnError) {
  std::string error;
  EXPECT_EQ(createCommunicator("carrier-pigeon", {}, error), nullptr);
  EXPECT_NE(error.find("communicator 'carrier-pigeon' is not one this DS was "
                       "built with (local"),
            std::string::npos)
      << error;
}

} // namespace
} // namespace ds::rt
