//===- Communicator.h - Collectives between the ranks of a job --*- C++ -*-===//
//
// The one interface through which DS's runtime (and the code the compiler
// generates, through the C API in capi/dsrt.h) moves data between the ranks
// of a distributed job. Backends:
//
//   local   one process (world size 1): every collective is a copy
//   mpi     OpenMPI between processes started by mpirun or srun (CPU
//           buffers); MpiCommunicator.h
//   nccl    NCCL between GPUs, bootstrapped over MPI (device buffers);
//           NcclCommunicator.h, built when CUDA is found
//
// Semantics are MPI's and NCCL's, with counts in elements:
//
//   allReduce(buf, n)            buf[i] = op over ranks of buf[i]
//   allGather(in, out, n)        out[r*n + i] = in_r[i]          (rank-major)
//   reduceScatter(in, out, n)    out[i] = op over ranks of in[rank*n + i]
//   allToAll(in, out, n)         out[r*n + i] = in_r[rank*n + i]
//   allToAllV(in, out, counts)   runs of bytes of any length to each rank
//                                (counts exchanged beforehand)
//   broadcast(buf, n, root)      buf = buf_root
//   split(color, key)            the ranks of one color, ordered by key
//
// Every call is collective: all ranks make the same calls in the same order
// with the same counts and types. A call that cannot complete within the
// communicator's timeout (a rank died or hangs) returns false with an error
// saying which collective, how many bytes and how long it waited; the
// caller then ends the job with abort(), which stops every rank (a library
// never exits the process itself).
//
// Ownership: buffers belong to the caller and must stay valid until the call
// returns; calls are blocking. A communicator is used by one thread at a
// time. The object returned by a factory owns the backend's state (it
// finalizes MPI if it initialized it).
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_COMM_COMMUNICATOR_H
#define DS_RUNTIME_COMM_COMMUNICATOR_H

#include "runtime/io/DType.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ds::rt {

enum class ReduceOp : uint8_t { Sum, Max, Min };

const char *reduceOpName(ReduceOp op);

/// Whether `dtype` can be reduced with `op` by every backend: floats F64,
/// F32, F16, BF16 and integers I64, I32 (F8 and BOOL are moved, never
/// reduced).
bool isReducible(DType dtype);

class Communicator {
public:
  virtual ~Communicator();

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "local", "mpi" or "nccl".
  virtual std::string_view backend() const = 0;

  virtual bool allReduce(void *buffer, size_t count, DType dtype, ReduceOp op,
                         std::string &error) = 0;
  virtual bool allGather(const void *input, void *output, size_t count,
                         DType dtype, std::string &error) = 0;
  virtual bool reduceScatter(const void *input, void *output, size_t count,
                             DType dtype, ReduceOp op, std::string &error) = 0;
  virtual bool allToAll(const void *input, void *output, size_t count,
                        DType dtype, std::string &error) = 0;
  /// Sends `sendBytes[r]` bytes at `input + sendOffsets[r]` to rank r and
  /// receives `recvBytes[r]` bytes from rank r at `output + recvOffsets[r]`
  /// (arrays of size() entries; rank r's sendBytes[rank()] must equal this
  /// rank's recvBytes[r]: the counts are exchanged beforehand, for example
  /// with allGather). Expert parallelism's token dispatch and combine.
  virtual bool allToAllV(const void *input, const size_t *sendBytes,
                         const size_t *sendOffsets, void *output,
                         const size_t *recvBytes, const size_t *recvOffsets,
                         std::string &error) = 0;
  virtual bool broadcast(void *buffer, size_t count, DType dtype, int root,
                         std::string &error) = 0;
  virtual bool barrier(std::string &error) = 0;

  /// The ranks that pass the same `color` form a new communicator, ranked
  /// by `key` (MPI_Comm_split's semantics; a 2-D grid's rows and columns).
  /// Collective over this communicator. The result is independent of this
  /// object's lifetime only as the backend allows: destroy it first.
  virtual std::unique_ptr<Communicator> split(int color, int key,
                                              std::string &error) = 0;

  /// Ends every rank of the job after `message` is printed (on stderr, with
  /// this rank's number). For the tools' main after a failed collective; the
  /// local backend returns and the caller exits.
  virtual void abort(const std::string &message, int code) = 0;
};

/// Where a launcher (mpirun, srun) says this process sits. Read from the
/// environment: OMPI_COMM_WORLD_{RANK,SIZE}, then PMI_{RANK,SIZE}, then
/// SLURM_{PROCID,NTASKS}. nullopt when no launcher started this process.
struct LaunchedWorld {
  int rank = 0;
  int size = 1;
  std::string launcher; // "mpirun", "pmi", "slurm"
};
std::optional<LaunchedWorld> launchedWorld();

/// A world of one process.
std::unique_ptr<Communicator> createLocalCommunicator();

/// Options of the communicators between processes.
struct CommunicatorOptions {
  /// How long one collective may wait for the other ranks before it fails
  /// (a dead or hung rank); DS_COMM_TIMEOUT (seconds) overrides the default.
  double timeoutSeconds = 300;
};

/// The communicator a tool uses. `backend`: "auto" (MPI when a launcher
/// started more than one process, else local), "local", "mpi" or "nccl"
/// (GPUs, bootstrapped over MPI). Null (with `error`) when the backend is
/// unknown, not built into this DS, or fails to start.
std::unique_ptr<Communicator> createCommunicator(std::string_view backend,
                                                 const CommunicatorOptions &options,
                                                 std::string &error);

/// The backends this build has, for messages: "local, mpi, nccl".
std::string availableCommunicators();

/// The timeout DS_COMM_TIMEOUT asks for, or `fallback`. False (with `error`)
/// when the variable is set to something other than a positive number.
bool commTimeoutFromEnvironment(double fallback, double &seconds,
                                std::string &error);

/// Checks that every rank holds the same `value` (an artifact's ABI text, a
/// corpus's summary, a checkpoint's step). On disagreement returns false
/// with an error naming `what` and the ranks whose value differs from rank
/// 0's. Collective.
bool checkSameOnAllRanks(Communicator &comm, const std::string &what,
                         std::string_view value, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_COMM_COMMUNICATOR_H
