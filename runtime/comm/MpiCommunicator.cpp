//===- MpiCommunicator.cpp - Collectives over MPI -------------------------===//

#include "runtime/comm/MpiCommunicator.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace ds::rt {
namespace {

/// The elementwise reduction of `count` 16-bit floats, through double (each
/// result rounded once): MPI 3 has no F16 or BF16 type.
template <DType dtype, ReduceOp op>
void reduceHalves(void *in, void *inout, int *count, MPI_Datatype *) {
  const auto *a = static_cast<const uint8_t *>(in);
  auto *b = static_cast<uint8_t *>(inout);
  for (int i = 0; i < *count; ++i, a += 2, b += 2) {
    const double x = decodeScalar(dtype, a), y = decodeScalar(dtype, b);
    double r = x + y;
    if (op == ReduceOp::Max)
      r = x > y || x != x ? x : y;
    else if (op == ReduceOp::Min)
      r = x < y || x != x ? x : y;
    encodeScalar(dtype, r, b);
  }
}

std::string mpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    return "MPI error " + std::to_string(code);
  return std::string(text, size_t(length));
}

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator(MPI_Comm comm, bool finalize, double timeoutSeconds)
      : comm_(comm), finalize_(finalize), timeoutSeconds_(timeoutSeconds) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }

  ~MpiCommunicator() override {
    for (MPI_Op &op : halfOps_)
      if (op != MPI_OP_NULL)
        MPI_Op_free(&op);
    for (MPI_Datatype &type : byteTypes_)
      if (type != MPI_DATATYPE_NULL)
        MPI_Type_free(&type);
    if (usable_)
      MPI_Comm_free(&comm_);
    if (finalize_ && usable_)
      MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string_view backend() const override { return "mpi"; }

  bool allReduce(void *buffer, size_t count, DType dtype, ReduceOp op,
                 std::string &error) override {
    Reduction r;
    if (!start("all_reduce", count, dtype, error) ||
        !reduction(dtype, op, r, error))
      return false;
    MPI_Request request;
    return wait("all_reduce", count, dtype,
                MPI_Iallreduce(MPI_IN_PLACE, buffer, int(count), r.type, r.op,
                               comm_, &request),
                request, error);
  }

  bool allGather(const void *input, void *output, size_t count, DType dtype,
                 std::string &error) override {
    MPI_Datatype type;
    if (!start("all_gather", count, dtype, error) || !bytes(dtype, type))
      return false;
    MPI_Request request;
    return wait("all_gather", count, dtype,
                MPI_Iallgather(input, int(count), type, output, int(count),
                               type, comm_, &request),
                request, error);
  }

  bool reduceScatter(const void *input, void *output, size_t count,
                     DType dtype, ReduceOp op, std::string &error) override {
    Reduction r;
    if (!start("reduce_scatter", count, dtype, error) ||
        !reduction(dtype, op, r, error))
      return false;
    MPI_Request request;
    return wait("reduce_scatter", count, dtype,
                MPI_Ireduce_scatter_block(input, output, int(count), r.type,
                                          r.op, comm_, &request),
                request, error);
  }

  bool allToAll(const void *input, void *output, size_t count, DType dtype,
                std::string &error) override {
    MPI_Datatype type;
    if (!start("all_to_all", count, dtype, error) || !bytes(dtype, type))
      return false;
    MPI_Request request;
    return wait("all_to_all", count, dtype,
                MPI_Ialltoall(input, int(count), type, output, int(count), type,
                              comm_, &request),
                request, error);
  }

  /// MPI_Ialltoallv in bytes: its counts and displacements are ints, so
  /// each run and each offset must stay below 2 GiB.
  bool allToAllV(const void *input, const size_t *sendBytes,
                 const size_t *sendOffsets, void *output,
                 const size_t *recvBytes, const size_t *recvOffsets,
                 std::string &error) override {
    size_t total = 0;
    for (int r = 0; r < size_; ++r)
      total += sendBytes[r];
    if (!start("all_to_all_v", 0, DType::U8, error))
      return false;
    std::vector<int> counts(4 * size_t(size_));
    int *sendCounts = counts.data(), *sendDispls = sendCounts + size_,
        *recvCounts = sendDispls + size_, *recvDispls = recvCounts + size_;
    for (int r = 0; r < size_; ++r) {
      for (size_t value : {sendBytes[r], sendOffsets[r], recvBytes[r],
                           recvOffsets[r]})
        if (value > size_t(INT_MAX)) {
          error = "all_to_all_v: a run or offset of " + std::to_string(value) +
                  " bytes; MPI takes at most 2^31-1 (split it)";
          return false;
        }
      sendCounts[r] = int(sendBytes[r]);
      sendDispls[r] = int(sendOffsets[r]);
      recvCounts[r] = int(recvBytes[r]);
      recvDispls[r] = int(recvOffsets[r]);
    }
    MPI_Request request;
    return wait("all_to_all_v", total, DType::U8,
                MPI_Ialltoallv(input, sendCounts, sendDispls, MPI_BYTE, output,
                               recvCounts, recvDispls, MPI_BYTE, comm_,
                               &request),
                request, error);
  }

  bool broadcast(void *buffer, size_t count, DType dtype, int root,
                 std::string &error) override {
    MPI_Datatype type;
    if (!start("broadcast", count, dtype, error) || !bytes(dtype, type))
      return false;
    if (root < 0 || root >= size_) {
      error = "broadcast: root " + std::to_string(root) +
              " is not a rank of a world of " + std::to_string(size_);
      return false;
    }
    MPI_Request request;
    return wait("broadcast", count, dtype,
                MPI_Ibcast(buffer, int(count), type, root, comm_, &request),
                request, error);
  }

  bool barrier(std::string &error) override {
    if (!start("barrier", 0, DType::U8, error))
      return false;
    MPI_Request request;
    return wait("barrier", 0, DType::U8, MPI_Ibarrier(comm_, &request),
                request, error);
  }

  std::unique_ptr<Communicator> split(int color, int key,
                                      std::string &error) override {
    MPI_Comm part;
    const int code = MPI_Comm_split(comm_, color, key, &part);
    if (code != MPI_SUCCESS) {
      error = "MPI_Comm_split: " + mpiError(code);
      return nullptr;
    }
    MPI_Comm_set_errhandler(part, MPI_ERRORS_RETURN);
    return std::make_unique<MpiCommunicator>(part, /*finalize=*/false,
                                             timeoutSeconds_);
  }

  void abort(const std::string &message, int code) override {
    std::fprintf(stderr, "rank %d: %s\n", rank_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(comm_, code == 0 ? 1 : code);
  }

private:
  struct Reduction {
    MPI_Datatype type;
    MPI_Op op;
  };

  /// Checks that the communicator can still be used and the count fits.
  bool start(const char *collective, size_t count, DType dtype,
             std::string &error) const {
    if (!usable_) {
      error = std::string(collective) +
              ": the communicator failed earlier (a rank died or hangs)";
      return false;
    }
    if (count > size_t(INT_MAX)) {
      error = std::string(collective) + ": " + std::to_string(count) + " " +
              dtypeName(dtype) +
              " elements in one call; MPI takes at most 2^31-1 (split it)";
      return false;
    }
    return true;
  }

  /// Moves carry elements as runs of bytes.
  bool bytes(DType dtype, MPI_Datatype &type) {
    MPI_Datatype &cached = byteTypes_[size_t(dtype)];
    if (cached == MPI_DATATYPE_NULL) {
      MPI_Type_contiguous(int(dtypeSize(dtype)), MPI_BYTE, &cached);
      MPI_Type_commit(&cached);
    }
    type = cached;
    return true;
  }

  bool reduction(DType dtype, ReduceOp op, Reduction &r, std::string &error) {
    const MPI_Op builtin = op == ReduceOp::Sum   ? MPI_SUM
                           : op == ReduceOp::Max ? MPI_MAX
                                                 : MPI_MIN;
    switch (dtype) {
    case DType::F64:
      r = {MPI_DOUBLE, builtin};
      return true;
    case DType::F32:
      r = {MPI_FLOAT, builtin};
      return true;
    case DType::I64:
      r = {MPI_INT64_T, builtin};
      return true;
    case DType::I32:
      r = {MPI_INT32_T, builtin};
      return true;
    case DType::F16:
    case DType::BF16:
      r = {MPI_UINT16_T, halfOp(dtype, op)};
      return true;
    default:
      error = std::string(dtypeName(dtype)) + " elements cannot be reduced";
      return false;
    }
  }

  MPI_Op halfOp(DType dtype, ReduceOp op) {
    const size_t index = (dtype == DType::BF16 ? 3 : 0) + size_t(op);
    MPI_Op &cached = halfOps_[index];
    if (cached != MPI_OP_NULL)
      return cached;
    using Function = void (*)(void *, void *, int *, MPI_Datatype *);
    static constexpr Function functions[6] = {
        reduceHalves<DType::F16, ReduceOp::Sum>,
        reduceHalves<DType::F16, ReduceOp::Max>,
        reduceHalves<DType::F16, ReduceOp::Min>,
        reduceHalves<DType::BF16, ReduceOp::Sum>,
        reduceHalves<DType::BF16, ReduceOp::Max>,
        reduceHalves<DType::BF16, ReduceOp::Min>};
    MPI_Op_create(functions[index], /*commute=*/1, &cached);
    return cached;
  }

  /// Polls `request` until it completes, the timeout passes or MPI fails.
  /// Spins briefly, then sleeps between polls so that oversubscribed ranks
  /// (more ranks than cores) leave the cores to the ranks doing work.
  bool wait(const char *collective, size_t count, DType dtype, int started,
            MPI_Request &request, std::string &error) {
    auto fail = [&](const std::string &why) {
      error = std::string(collective) + " of " +
              std::to_string(count * dtypeSize(dtype)) + " bytes on rank " +
              std::to_string(rank_) + ": " + why;
      return false;
    };
    if (started != MPI_SUCCESS)
      return fail(mpiError(started));
    using Clock = std::chrono::steady_clock;
    const auto begin = Clock::now();
    const auto deadline =
        begin + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(timeoutSeconds_));
    for (int polls = 0;; ++polls) {
      int done = 0;
      const int code = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (code != MPI_SUCCESS) {
        usable_ = false;
        return fail(mpiError(code));
      }
      if (done)
        return true;
      if (polls > 1000) {
        if (Clock::now() > deadline) {
          usable_ = false;
          char seconds[32];
          std::snprintf(seconds, sizeof seconds, "%g", timeoutSeconds_);
          return fail(std::string("not complete after ") + seconds +
                      " s (DS_COMM_TIMEOUT): another rank died, hangs or "
                      "makes a different call");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(
            polls < 20000 ? 20 : 500));
      }
    }
  }

  MPI_Comm comm_;
  bool finalize_;
  double timeoutSeconds_;
  bool usable_ = true;
  int rank_ = 0, size_ = 1;
  MPI_Op halfOps_[6] = {MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL,
                        MPI_OP_NULL, MPI_OP_NULL, MPI_OP_NULL};
  MPI_Datatype byteTypes_[16] = {
      MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
      MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
      MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
      MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
      MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, MPI_DATATYPE_NULL,
      MPI_DATATYPE_NULL};
};

} // namespace

std::unique_ptr<Communicator>
createMpiCommunicator(const CommunicatorOptions &options, std::string &error) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  bool finalize = false;
  if (!initialized) {
    int provided = 0;
    const int code =
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    if (code != MPI_SUCCESS) {
      error = "MPI_Init_thread: " + mpiError(code);
      return nullptr;
    }
    finalize = true;
  }
  MPI_Comm comm;
  const int code = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  if (code != MPI_SUCCESS) {
    error = "MPI_Comm_dup: " + mpiError(code);
    return nullptr;
  }
  // Errors come back as codes (MPI_ERRORS_RETURN), so they become messages.
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  return std::make_unique<MpiCommunicator>(comm, finalize,
                                           options.timeoutSeconds);
}

} // namespace ds::rt
