//===- MpiCommunicator.h - Collectives over MPI -----------------*- C++ -*-===//
//
// The CPU backend of Communicator.h: OpenMPI (Debian's libopenmpi-dev),
// between the processes of one `mpirun -np N` (or `srun`) launch.
//
// - MPI is initialized on creation unless the process already did, and
//   finalized by the destructor of the communicator that initialized it.
//   The communicator works on its own duplicate of MPI_COMM_WORLD.
// - Every collective is started non-blocking and polled until it completes
//   or the timeout passes: a rank that died or hangs gives an error here,
//   not an endless wait. (mpirun itself ends the job when a rank exits
//   without finalizing.) After a timeout the communicator is unusable; call
//   abort().
// - F64, F32, I64 and I32 reduce with MPI's own operations; F16 and BF16,
//   which MPI 3 has no type for, with DS's own MPI operations (each
//   combination of two values computed in double and rounded once). Moves
//   of any type go as bytes. A count is limited to 2^31-1 elements per call
//   (MPI's int).
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_COMM_MPICOMMUNICATOR_H
#define DS_RUNTIME_COMM_MPICOMMUNICATOR_H

#include "runtime/comm/Communicator.h"

namespace ds::rt {

/// A communicator over all the processes of the launch. Null (with `error`)
/// when MPI cannot be initialized.
std::unique_ptr<Communicator>
createMpiCommunicator(const CommunicatorOptions &options, std::string &error);

} // namespace ds::rt

#endif // DS_RUNTIME_COMM_MPICOMMUNICATOR_H
