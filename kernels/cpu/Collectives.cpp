//===- Collectives.cpp - collectives that compiled code calls -------------===//
//
// Thin: the communication is the runtime's (status->comm); these kernels
// check that the run has a communicator of the compiled grid size and lay
// gathered blocks out along their axis.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Collectives.h"

#include <cstring>
#include <vector>

namespace {

size_t bytesOf(int32_t dtype) {
  switch (dtype) {
  case DS_COMM_F64:
  case DS_COMM_I64:
    return 8;
  case DS_COMM_F32:
  case DS_COMM_I32:
    return 4;
  default:
    return 2;
  }
}

/// output[o] = input[o][rank]: this rank's block of each of `outer` rows of
/// `groupSize` blocks of `block` bytes.
void copyOwnBlocks(const void *input, void *output, int64_t outer,
                   size_t block, int64_t groupSize, int64_t rank) {
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(static_cast<char *>(output) + size_t(o) * block,
                static_cast<const char *>(input) +
                    size_t(o * groupSize + rank) * block,
                block);
}

} // namespace

extern "C" const ds_comm *ds_collective_group(ds_status *status, int32_t site,
                                              int64_t groupSize, int64_t axes) {
  const ds_comm *comm = status ? status->comm : nullptr;
  if (comm && comm->group)
    comm = comm->group(comm->self, axes);
  if (comm && comm->size == groupSize)
    return comm;
  ds_status_fail(status, DS_STATUS_NO_COMMUNICATOR, site,
                 comm ? comm->size : 1, groupSize);
  return nullptr;
}

extern "C" void ds_collective_all_reduce(ds_status *status, int32_t site,
                                         const void *input, void *output,
                                         int64_t count, int32_t dtype,
                                         int32_t reduction, int64_t groupSize,
                                         int64_t axes) {
  if (count > 0 && input != output)
    std::memcpy(output, input, size_t(count) * bytesOf(dtype));
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  if (comm && count > 0 &&
      comm->all_reduce(comm->self, output, count, dtype, reduction) != 0)
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site, count, 0);
}

extern "C" void ds_collective_all_gather(ds_status *status, int32_t site,
                                         const void *input, void *output,
                                         int64_t outer, int64_t local,
                                         int64_t inner, int64_t elementBytes,
                                         int64_t groupSize, int64_t axes) {
  const size_t block = size_t(local * inner * elementBytes);
  const size_t piece = size_t(outer) * block;
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  if (!comm) { // keep the output defined: every rank's block is ours
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t r = 0; r < groupSize; ++r)
        std::memcpy(static_cast<char *>(output) + (o * groupSize + r) * block,
                    static_cast<const char *>(input) + o * block, block);
    return;
  }
  // The communicator gathers whole pieces rank-major: [rank][outer][block];
  // the axis wants [outer][rank][block].
  std::vector<char> gathered(piece * size_t(groupSize));
  if (piece > 0 &&
      comm->all_gather(comm->self, input, gathered.data(), int64_t(piece)) !=
          0) {
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site, int64_t(piece),
                   0);
    std::memset(output, 0, piece * size_t(groupSize));
    return;
  }
  for (int64_t r = 0; r < groupSize; ++r)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(static_cast<char *>(output) + (o * groupSize + r) * block,
                  gathered.data() + size_t(r) * piece + size_t(o) * block,
                  block);
}

extern "C" void ds_collective_reduce_scatter(
    ds_status *status, int32_t site, const void *input, void *output,
    int64_t outer, int64_t local, int64_t inner, int32_t dtype,
    int32_t reduction, int64_t groupSize, int64_t axes) {
  const size_t block = size_t(local * inner) * bytesOf(dtype);
  const size_t piece = size_t(outer) * block;
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  const int64_t rank = comm ? comm->rank : 0;
  if (!comm) // the output stays defined on failure
    return copyOwnBlocks(input, output, outer, block, groupSize, rank);
  // The communicator scatters whole pieces rank-major: [rank][outer][block];
  // the axis holds [outer][rank][block].
  std::vector<char> packed(piece * size_t(groupSize));
  for (int64_t r = 0; r < groupSize; ++r)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(packed.data() + size_t(r) * piece + size_t(o) * block,
                  static_cast<const char *>(input) +
                      size_t(o * groupSize + r) * block,
                  block);
  const int64_t count = outer * local * inner;
  if (count > 0 && comm->reduce_scatter(comm->self, packed.data(), output,
                                        count, dtype, reduction) != 0) {
    ds_status_fail(status, DS_STATUS_COLLECTIVE_FAILED, site, count, 0);
    copyOwnBlocks(input, output, outer, block, groupSize, rank);
  }
}

extern "C" void ds_collective_all_slice(ds_status *status, int32_t site,
                                        const void *input, void *output,
                                        int64_t outer, int64_t local,
                                        int64_t inner, int64_t elementBytes,
                                        int64_t groupSize, int64_t axes) {
  const ds_comm *comm = ds_collective_group(status, site, groupSize, axes);
  copyOwnBlocks(input, output, outer, size_t(local * inner * elementBytes),
                groupSize, comm ? comm->rank : 0);
}
