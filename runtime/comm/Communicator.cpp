//===- Communicator.cpp - The local backend and shared helpers ------------===//

#include "runtime/comm/Communicator.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ds::rt {

Communicator::~Communicator() = default;

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "sum";
  case ReduceOp::Max:
    return "max";
  case ReduceOp::Min:
    return "min";
  }
  return "?";
}

bool isReducible(DType dtype) {
  switch (dtype) {
  case DType::F64:
  case DType::F32:
  case DType::F16:
  case DType::BF16:
  case DType::I64:
  case DType::I32:
    return true;
  default:
    return false;
  }
}

namespace {

/// World size 1: the reduction of one value is the value, every block is
/// this rank's own.
class LocalCommunicator final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string_view backend() const override { return "local"; }

  bool allReduce(void *, size_t, DType dtype, ReduceOp,
                 std::string &error) override {
    return checkReducible(dtype, "all_reduce", error);
  }
  bool allGather(const void *input, void *output, size_t count, DType dtype,
                 std::string &) override {
    copy(input, output, count, dtype);
    return true;
  }
  bool reduceScatter(const void *input, void *output, size_t count,
                     DType dtype, ReduceOp, std::string &error) override {
    if (!checkReducible(dtype, "reduce_scatter", error))
      return false;
    copy(input, output, count, dtype);
    return true;
  }
  bool allToAll(const void *input, void *output, size_t count, DType dtype,
                std::string &) override {
    copy(input, output, count, dtype);
    return true;
  }
  bool allToAllV(const void *input, const size_t *sendBytes,
                 const size_t *sendOffsets, void *output,
                 const size_t *recvBytes, const size_t *recvOffsets,
                 std::string &error) override {
    if (sendBytes[0] != recvBytes[0]) {
      error = "all_to_all_v: sends " + std::to_string(sendBytes[0]) +
              " bytes to itself but expects " + std::to_string(recvBytes[0]);
      return false;
    }
    copy(static_cast<const char *>(input) + sendOffsets[0],
         static_cast<char *>(output) + recvOffsets[0], sendBytes[0], DType::U8);
    return true;
  }
  bool broadcast(void *, size_t, DType, int root,
                 std::string &error) override {
    if (root != 0) {
      error = "broadcast: root " + std::to_string(root) +
              " is not a rank of a world of 1";
      return false;
    }
    return true;
  }
  bool barrier(std::string &) override { return true; }
  std::unique_ptr<Communicator> split(int, int, std::string &) override {
    return std::make_unique<LocalCommunicator>();
  }
  void abort(const std::string &message, int) override {
    std::fprintf(stderr, "%s\n", message.c_str());
  }

private:
  static void copy(const void *input, void *output, size_t count,
                   DType dtype) {
    if (input != output && count != 0)
      std::memmove(output, input, count * dtypeSize(dtype));
  }
  static bool checkReducible(DType dtype, const char *collective,
                             std::string &error) {
    if (isReducible(dtype))
      return true;
    error = std::string(collective) + ": " + dtypeName(dtype) +
            " elements cannot be reduced";
    return false;
  }
};

/// An environment variable's non-negative integer value, or -1.
int intFromEnvironment(const char *name) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return -1;
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text, &end, 10);
  if (errno || *end || value < 0 || value > (1 << 24))
    return -1;
  return int(value);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text)
    hash = (hash ^ c) * 0x100000001b3ull;
  return hash ^ text.size();
}

} // namespace

std::unique_ptr<Communicator> createLocalCommunicator() {
  return std::make_unique<LocalCommunicator>();
}

std::optional<LaunchedWorld> launchedWorld() {
  struct Launcher {
    const char *rank, *size, *name;
  };
  for (const Launcher &l :
       {Launcher{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "mpirun"},
        Launcher{"PMI_RANK", "PMI_SIZE", "pmi"},
        Launcher{"SLURM_PROCID", "SLURM_NTASKS", "slurm"}}) {
    int rank = intFromEnvironment(l.rank), size = intFromEnvironment(l.size);
    if (rank >= 0 && size >= 1 && rank < size)
      return LaunchedWorld{rank, size, l.name};
  }
  return std::nullopt;
}

bool commTimeoutFromEnvironment(double fallback, double &seconds,
                                std::string &error) {
  seconds = fallback;
  const char *text = std::getenv("DS_COMM_TIMEOUT");
  if (!text || !*text)
    return true;
  char *end = nullptr;
  double value = std::strtod(text, &end);
  if (*end || !std::isfinite(value) || value <= 0) {
    error = std::string("DS_COMM_TIMEOUT: expected a positive number of "
                        "seconds, got '") +
            text + "'";
    return false;
  }
  seconds = value;
  return true;
}

bool checkSameOnAllRanks(Communicator &comm, const std::string &what,
                         std::string_view value, std::string &error) {
  const int size = comm.size();
  if (size == 1)
    return true;
  const int64_t mine = int64_t(fnv1a(value));
  std::vector<int64_t> all(size_t(size), 0);
  if (!comm.allGather(&mine, all.data(), 1, DType::I64, error)) {
    error = "comparing " + what + " between ranks: " + error;
    return false;
  }
  std::string differing;
  for (int r = 1; r < size; ++r)
    if (all[size_t(r)] != all[0])
      differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  if (differing.empty())
    return true;
  const bool one = differing.find(',') == std::string::npos;
  error = what + " is not the same on every rank: rank" + (one ? " " : "s ") +
          differing + (one ? " differs" : " differ") + " from rank 0";
  return false;
}

} // namespace ds::rt
