//===- NcclCommunicator.h - Collectives between GPUs over NCCL --*- C++ -*-===//
//
// The GPU backend of Communicator.h: NCCL (CUDA 13's, /usr/local/cuda),
// one GPU per rank, bootstrapped over another communicator (MPI): rank 0
// makes the NCCL unique id and broadcasts it.
//
// - The GPU of a rank is its rank on its node (OMPI_COMM_WORLD_LOCAL_RANK,
//   SLURM_LOCALID, else the rank) modulo the node's GPUs.
// - Buffers are device pointers (cudaMalloc'd, or any pointer CUDA can
//   address from the device). Calls are enqueued on the communicator's own
//   stream and return once complete, polled against the timeout; on a
//   timeout or an asynchronous NCCL error the NCCL communicator is aborted
//   and the call fails.
// - all_to_all is NCCL's grouped send/receive to every peer.
//
// Built when CMake finds CUDA (DS_HAVE_NCCL); on a machine without a GPU or
// driver, creation fails with an error saying so.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_COMM_NCCLCOMMUNICATOR_H
#define DS_RUNTIME_COMM_NCCLCOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

namespace ds::rt {

/// A communicator between one GPU per rank of `bootstrap`, which it owns
/// from then on (MPI stays initialized while NCCL runs; abort() goes
/// through it). Null (with `error`) when a rank has no GPU or driver, or
/// NCCL fails.
std::unique_ptr<Communicator>
createNcclCommunicator(std::unique_ptr<Communicator> bootstrap,
                       const CommunicatorOptions &options, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_COMM_NCCLCOMMUNICATOR_H
