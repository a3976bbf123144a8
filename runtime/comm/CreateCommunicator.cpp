//===- CreateCommunicator.cpp - Choosing a backend ------------------------===//
//
// The one place that knows which backends this build has (DS_HAVE_MPI,
// DS_HAVE_NCCL from CMake).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/Communicator.h"

#ifdef DS_HAVE_MPI
#include "runtime/comm/MpiCommunicator.h"
#endif
#ifdef DS_HAVE_NCCL
#include "runtime/comm/NcclCommunicator.h"
#endif

namespace ds::rt {

std::string availableCommunicators() {
  std::string names = "local";
#ifdef DS_HAVE_MPI
  names += ", mpi";
#endif
#ifdef DS_HAVE_NCCL
  names += ", nccl";
#endif
  return names;
}

std::unique_ptr<Communicator> createCommunicator(std::string_view backend,
                                                 const CommunicatorOptions &options,
                                                 std::string &error) {
  if (backend == "auto") {
    std::optional<LaunchedWorld> world = launchedWorld();
    backend = world && world->size > 1 ? "mpi" : "local";
  }
  if (backend == "local")
    return createLocalCommunicator();
#ifdef DS_HAVE_MPI
  if (backend == "mpi")
    return createMpiCommunicator(options, error);
#ifdef DS_HAVE_NCCL
  if (backend == "nccl") {
    std::unique_ptr<Communicator> bootstrap =
        createMpiCommunicator(options, error);
    if (!bootstrap)
      return nullptr;
    return createNcclCommunicator(std::move(bootstrap), options, error);
  }
#endif
#endif
  error = "communicator '" + std::string(backend) +
          "' is not one this DS was built with (" + availableCommunicators() +
          ")";
  return nullptr;
}

} // namespace ds::rt
