//===- ds-comm-probe.cpp - Communicator failure scenarios for lit ---------===//
//
// A test program (test/unit/comm/comm-failures.test runs it under mpirun):
//
//   ds-comm-probe info       each rank prints "rank R of N (backend)"
//   ds-comm-probe hang       rank 1 never joins; the others' all_reduce
//                            times out (DS_COMM_TIMEOUT) and ends the job
//   ds-comm-probe die        rank 1 exits before the collective
//   ds-comm-probe mismatch   ranks disagree on a value checked at start
//   ds-comm-probe BACKEND    creates that backend, then as `info` (nccl
//                            without a GPU: its error)
//
// A failure is reported as the tools report one: through abort(), which
// ends every rank with the message.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/Communicator.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <unistd.h>

using namespace ds::rt;

namespace {

int fail(Communicator &comm, const std::string &message) {
  comm.abort("ds-comm-probe: " + message, 1);
  return 1; // the local backend returns from abort
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: ds-comm-probe info|hang|die|mismatch|BACKEND\n");
    return 2;
  }
  const std::string mode = argv[1];
  const bool scenario = mode == "info" || mode == "hang" || mode == "die" ||
                        mode == "mismatch";
  CommunicatorOptions options;
  std::string error;
  if (!commTimeoutFromEnvironment(options.timeoutSeconds,
                                  options.timeoutSeconds, error)) {
    std::fprintf(stderr, "ds-comm-probe: %s\n", error.c_str());
    return 1;
  }
  std::unique_ptr<Communicator> comm =
      createCommunicator(scenario ? "auto" : mode, options, error);
  if (!comm) {
    std::fprintf(stderr, "ds-comm-probe: %s\n", error.c_str());
    return 1;
  }
  if (mode == "info" || !scenario) {
    std::printf("rank %d of %d (%s)\n", comm->rank(), comm->size(),
                std::string(comm->backend()).c_str());
    return comm->barrier(error) ? 0 : fail(*comm, error);
  }
  if (mode == "mismatch") {
    const std::string value = comm->rank() == 2 ? "corpus B" : "corpus A";
    if (!checkSameOnAllRanks(*comm, "the corpus", value, error))
      return fail(*comm, error);
    return 0;
  }
  if (comm->rank() == 1 && mode == "hang") {
    std::this_thread::sleep_for(std::chrono::seconds(120));
    return 0;
  }
  if (comm->rank() == 1 && mode == "die")
    _exit(3);
  float value = 1.0f + float(comm->rank());
  if (!comm->allReduce(&value, 1, DType::F32, ReduceOp::Sum, error))
    return fail(*comm, error);
  std::printf("rank %d: sum %g\n", comm->rank(), double(value));
  return 0;
}
