//===- NcclCommunicator.cpp - Collectives between GPUs over NCCL ----------===//

#include "runtime/comm/NcclCommunicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace ds::rt {
namespace {

bool ncclType(DType dtype, ncclDataType_t &type) {
  switch (dtype) {
  case DType::F64:
    type = ncclFloat64;
    return true;
  case DType::F32:
    type = ncclFloat32;
    return true;
  case DType::F16:
    type = ncclFloat16;
    return true;
  case DType::BF16:
    type = ncclBfloat16;
    return true;
  case DType::I64:
    type = ncclInt64;
    return true;
  case DType::I32:
    type = ncclInt32;
    return true;
  default:
    return false;
  }
}

ncclRedOp_t ncclOp(ReduceOp op) {
  return op == ReduceOp::Sum ? ncclSum : op == ReduceOp::Max ? ncclMax : ncclMin;
}

/// The rank of this process on its node, from the launcher.
int localRank(int rank) {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"})
    if (const char *text = std::getenv(name)) {
      char *end = nullptr;
      long value = std::strtol(text, &end, 10);
      if (*text && !*end && value >= 0 && value < (1 << 20))
        return int(value);
    }
  return rank;
}

class NcclCommunicator final : public Communicator {
public:
  NcclCommunicator(std::unique_ptr<Communicator> bootstrap, ncclComm_t comm,
                   cudaStream_t stream, int device, double timeoutSeconds)
      : bootstrap_(std::move(bootstrap)), comm_(comm), stream_(stream),
        device_(device), rank_(bootstrap_->rank()), size_(bootstrap_->size()),
        timeoutSeconds_(timeoutSeconds) {}

  ~NcclCommunicator() override {
    if (scratch_)
      cudaFree(scratch_);
    if (usable_)
      ncclCommDestroy(comm_);
    else
      ncclCommAbort(comm_);
    cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string_view backend() const override { return "nccl"; }

  bool allReduce(void *buffer, size_t count, DType dtype, ReduceOp op,
                 std::string &error) override {
    ncclDataType_t type;
    if (!reducible("all_reduce", dtype, type, error))
      return false;
    return finish("all_reduce", count, dtype,
                  ncclAllReduce(buffer, buffer, count, type, ncclOp(op), comm_,
                                stream_),
                  error);
  }

  bool allGather(const void *input, void *output, size_t count, DType dtype,
                 std::string &error) override {
    return finish("all_gather", count, dtype,
                  ncclAllGather(input, output, count * dtypeSize(dtype),
                                ncclUint8, comm_, stream_),
                  error);
  }

  bool reduceScatter(const void *input, void *output, size_t count,
                     DType dtype, ReduceOp op, std::string &error) override {
    ncclDataType_t type;
    if (!reducible("reduce_scatter", dtype, type, error))
      return false;
    return finish("reduce_scatter", count, dtype,
                  ncclReduceScatter(input, output, count, type, ncclOp(op),
                                    comm_, stream_),
                  error);
  }

  bool allToAll(const void *input, void *output, size_t count, DType dtype,
                std::string &error) override {
    const size_t bytes = count * dtypeSize(dtype);
    const auto *in = static_cast<const char *>(input);
    auto *out = static_cast<char *>(output);
    ncclResult_t result = ncclGroupStart();
    for (int peer = 0; peer < size_ && result == ncclSuccess; ++peer) {
      result = ncclSend(in + size_t(peer) * bytes, bytes, ncclUint8, peer,
                        comm_, stream_);
      if (result == ncclSuccess)
        result = ncclRecv(out + size_t(peer) * bytes, bytes, ncclUint8, peer,
                          comm_, stream_);
    }
    const ncclResult_t ended = ncclGroupEnd();
    return finish("all_to_all", count, dtype,
                  result == ncclSuccess ? ended : result, error);
  }

  /// Grouped send/receive of each peer's run (device buffers).
  bool allToAllV(const void *input, const size_t *sendBytes,
                 const size_t *sendOffsets, void *output,
                 const size_t *recvBytes, const size_t *recvOffsets,
                 std::string &error) override {
    const auto *in = static_cast<const char *>(input);
    auto *out = static_cast<char *>(output);
    size_t total = 0;
    ncclResult_t result = ncclGroupStart();
    for (int peer = 0; peer < size_ && result == ncclSuccess; ++peer) {
      total += sendBytes[peer];
      if (sendBytes[peer] > 0)
        result = ncclSend(in + sendOffsets[peer], sendBytes[peer], ncclUint8,
                          peer, comm_, stream_);
      if (result == ncclSuccess && recvBytes[peer] > 0)
        result = ncclRecv(out + recvOffsets[peer], recvBytes[peer], ncclUint8,
                          peer, comm_, stream_);
    }
    const ncclResult_t ended = ncclGroupEnd();
    return finish("all_to_all_v", total, DType::U8,
                  result == ncclSuccess ? ended : result, error);
  }

  bool broadcast(void *buffer, size_t count, DType dtype, int root,
                 std::string &error) override {
    if (root < 0 || root >= size_) {
      error = "broadcast: root " + std::to_string(root) +
              " is not a rank of a world of " + std::to_string(size_);
      return false;
    }
    return finish("broadcast", count, dtype,
                  ncclBroadcast(buffer, buffer, count * dtypeSize(dtype),
                                ncclUint8, root, comm_, stream_),
                  error);
  }

  bool barrier(std::string &error) override {
    if (!scratch_ && cudaMalloc(&scratch_, sizeof(int)) != cudaSuccess) {
      error = "barrier: cannot allocate 4 bytes on the GPU";
      return false;
    }
    return allReduce(scratch_, 1, DType::I32, ReduceOp::Sum, error);
  }

  /// The bootstrap is split alike (it aborts the group's ranks) and the
  /// NCCL communicator with ncclCommSplit, on a stream of its own.
  std::unique_ptr<Communicator> split(int color, int key,
                                      std::string &error) override {
    std::unique_ptr<Communicator> bootstrap =
        bootstrap_->split(color, key, error);
    if (!bootstrap)
      return nullptr;
    cudaStream_t stream;
    if (cudaError_t e =
            cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
        e != cudaSuccess) {
      error = std::string("nccl: cudaStreamCreate: ") + cudaGetErrorString(e);
      return nullptr;
    }
    ncclComm_t part;
    if (ncclResult_t r = ncclCommSplit(comm_, color, key, &part, nullptr);
        r != ncclSuccess) {
      cudaStreamDestroy(stream);
      error = std::string("nccl: ncclCommSplit: ") + ncclGetErrorString(r);
      return nullptr;
    }
    return std::make_unique<NcclCommunicator>(std::move(bootstrap), part,
                                              stream, device_,
                                              timeoutSeconds_);
  }

  void abort(const std::string &message, int code) override {
    std::fprintf(stderr, "rank %d: %s\n", rank_, message.c_str());
    std::fflush(stderr);
    ncclCommAbort(comm_);
    // The bootstrap (MPI) ends every rank of the job, as after any failure.
    bootstrap_->abort("the NCCL communicator was aborted", code);
    std::_Exit(code == 0 ? 1 : code);
  }

private:
  bool reducible(const char *collective, DType dtype, ncclDataType_t &type,
                 std::string &error) const {
    if (ncclType(dtype, type))
      return true;
    error = std::string(collective) + ": " + dtypeName(dtype) +
            " elements cannot be reduced";
    return false;
  }

  /// Waits for the enqueued collective: polls the stream and NCCL's
  /// asynchronous error until done, failed or past the timeout.
  bool finish(const char *collective, size_t count, DType dtype,
              ncclResult_t started, std::string &error) {
    auto fail = [&](const std::string &why) {
      error = std::string(collective) + " of " +
              std::to_string(count * dtypeSize(dtype)) + " bytes on rank " +
              std::to_string(rank_) + " (GPU " + std::to_string(device_) +
              "): " + why;
      return false;
    };
    if (!usable_)
      return fail("the communicator failed earlier");
    if (started != ncclSuccess)
      return fail(ncclGetErrorString(started));
    using Clock = std::chrono::steady_clock;
    const auto deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(timeoutSeconds_));
    for (;;) {
      const cudaError_t state = cudaStreamQuery(stream_);
      if (state == cudaSuccess)
        return true;
      if (state != cudaErrorNotReady) {
        usable_ = false;
        return fail(cudaGetErrorString(state));
      }
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      if (async != ncclSuccess && async != ncclInProgress) {
        usable_ = false;
        return fail(ncclGetErrorString(async));
      }
      if (Clock::now() > deadline) {
        usable_ = false;
        return fail("not complete within the timeout (DS_COMM_TIMEOUT): "
                    "another rank died, hangs or makes a different call");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  std::unique_ptr<Communicator> bootstrap_; // keeps MPI up while NCCL runs
  ncclComm_t comm_;
  cudaStream_t stream_;
  int device_, rank_, size_;
  double timeoutSeconds_;
  bool usable_ = true;
  void *scratch_ = nullptr;
};

} // namespace

std::unique_ptr<Communicator>
createNcclCommunicator(std::unique_ptr<Communicator> bootstrapOwner,
                       const CommunicatorOptions &options, std::string &error) {
  Communicator &bootstrap = *bootstrapOwner;
  const int rank = bootstrap.rank(), size = bootstrap.size();
  int devices = 0;
  const cudaError_t counted = cudaGetDeviceCount(&devices);
  // Every rank learns whether every other has a GPU before any waits on
  // NCCL: one rank without a device must not leave the others hanging.
  int32_t ok = counted == cudaSuccess && devices > 0 ? 1 : 0;
  std::string agreeError;
  if (!bootstrap.allReduce(&ok, 1, DType::I32, ReduceOp::Min, agreeError)) {
    error = "nccl: " + agreeError;
    return nullptr;
  }
  if (counted != cudaSuccess || devices == 0) {
    error = std::string("nccl: no CUDA device on rank ") +
            std::to_string(rank) + " (" +
            (counted != cudaSuccess ? cudaGetErrorString(counted)
                                    : "cudaGetDeviceCount found 0") +
            ")";
    return nullptr;
  }
  if (!ok) {
    error = "nccl: another rank has no CUDA device";
    return nullptr;
  }
  const int device = localRank(rank) % devices;
  if (cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
    error = "nccl: cudaSetDevice(" + std::to_string(device) +
            "): " + cudaGetErrorString(e);
    return nullptr;
  }
  ncclUniqueId id{};
  if (rank == 0)
    if (ncclResult_t r = ncclGetUniqueId(&id); r != ncclSuccess) {
      error = std::string("nccl: ncclGetUniqueId: ") + ncclGetErrorString(r);
      return nullptr; // the others fail in the broadcast below, bounded
    }
  if (!bootstrap.broadcast(&id, sizeof id, DType::U8, 0, error)) {
    error = "nccl: sharing the unique id: " + error;
    return nullptr;
  }
  cudaStream_t stream;
  if (cudaError_t e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
      e != cudaSuccess) {
    error = std::string("nccl: cudaStreamCreate: ") + cudaGetErrorString(e);
    return nullptr;
  }
  ncclComm_t comm;
  if (ncclResult_t r = ncclCommInitRank(&comm, size, id, rank);
      r != ncclSuccess) {
    cudaStreamDestroy(stream);
    error = std::string("nccl: ncclCommInitRank: ") + ncclGetErrorString(r);
    return nullptr;
  }
  return std::make_unique<NcclCommunicator>(std::move(bootstrapOwner), comm,
                                            stream, device,
                                            options.timeoutSeconds);
}

} // namespace ds::rt
