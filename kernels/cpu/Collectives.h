/*===- Collectives.h - collectives that compiled code calls ---------------===*
 *
 * A sharded artifact (ds-compile with --ds-shard) is one program that every
 * rank runs; where ranks must exchange data, the compiled code calls these
 * kernels. They do not talk to MPI or NCCL themselves: the runtime hands the
 * run a `ds_comm` (through `ds_status.comm`), a table of functions over its
 * Communicator (runtime/comm), so one artifact runs on any transport and the
 * generated library links no MPI.
 *
 * Every collective is called by every rank of the grid in the same order
 * (the program is the same on every rank). A collective runs over a group
 * of ranks: those that differ from this one only along the grid axes in
 * `axes` (bit a set: grid axis a; the ranks of a grid are numbered
 * row-major over its shape, as upstream MLIR's shard dialect numbers them),
 * `group_size` ranks, ordered by their coordinates along those axes. Over
 * every axis of the grid the group is the whole job.
 *
 * A failed collective (a rank that died or hangs, see DS_COMM_TIMEOUT) or a
 * run without a communicator is recorded in the status
 * (DS_STATUS_COLLECTIVE_FAILED, or DS_STATUS_NO_COMMUNICATOR with `bound`
 * the group size the code was compiled for); the output is then left as
 * the local input, and the runtime reports the failure after the run.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_KERNELS_CPU_COLLECTIVES_H
#define DS_KERNELS_CPU_COLLECTIVES_H

#include "kernels/cpu/Status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of collective buffers (the safetensors order of
 * runtime/io/DType.h, so the runtime converts by value). */
enum ds_comm_dtype {
  DS_COMM_F64 = 0,
  DS_COMM_F32 = 1,
  DS_COMM_F16 = 2,
  DS_COMM_BF16 = 3,
  DS_COMM_I64 = 6,
  DS_COMM_I32 = 7,
};

enum ds_comm_reduction {
  DS_COMM_SUM = 0,
  DS_COMM_MAX = 1,
  DS_COMM_MIN = 2,
};

/* The runtime's side: collectives over the ranks of one group (the whole
 * job, or what `group` returns), in place or from `input` to `output`
 * (element counts; rank-major gathers). Each returns 0 on success. `self`
 * is the runtime's object; `rank` and `size` are this rank's place in the
 * group and the group's size. */
typedef struct ds_comm {
  void *self;
  int32_t rank;
  int32_t size;
  int32_t (*all_reduce)(void *self, void *buffer, int64_t count, int32_t dtype,
                        int32_t reduction);
  /* `bytes` from every rank, rank-major into `output`. */
  int32_t (*all_gather)(void *self, const void *input, void *output,
                        int64_t bytes);
  /* `input` is `size` rank-major blocks of `count` elements; `output` (count
   * elements) = the reduction over every rank of block `rank`. */
  int32_t (*reduce_scatter)(void *self, const void *input, void *output,
                            int64_t count, int32_t dtype, int32_t reduction);
  /* The group of the ranks that differ from this one only along the grid
   * axes in the bitmask `axes` (see above); null when the runtime cannot
   * make it. Called by every rank in the same order: the first call for a
   * set of axes may itself be collective. */
  const struct ds_comm *(*group)(void *self, int64_t axes);
  /* Runs of bytes of any length: `send_bytes[r]` bytes at input +
   * send_offsets[r] to rank r, `recv_bytes[r]` bytes from rank r at output +
   * recv_offsets[r] (arrays of `size`; the counts agree between ranks). */
  int32_t (*all_to_all_v)(void *self, const void *input,
                          const int64_t *send_bytes,
                          const int64_t *send_offsets, void *output,
                          const int64_t *recv_bytes,
                          const int64_t *recv_offsets);
} ds_comm;

/* For kernels that run collectives (ExpertExchange.h): the run's group over
 * `axes` when it has the `group_size` ranks the code was compiled for;
 * otherwise records DS_STATUS_NO_COMMUNICATOR and returns null. */
const ds_comm *ds_collective_group(ds_status *status, int32_t site,
                                   int64_t group_size, int64_t axes);

/* output = the reduction over the group of `input` (count elements).
 * `group_size`: the ranks of the group the code was compiled for; `axes`:
 * the grid axes it spans (a bitmask). */
void ds_collective_all_reduce(ds_status *status, int32_t site,
                              const void *input, void *output, int64_t count,
                              int32_t dtype, int32_t reduction,
                              int64_t group_size, int64_t axes);

/* Gathers along one axis: `input` is [outer, local, inner] elements of
 * `element_bytes` each; `output` is [outer, group_size * local, inner], the
 * block of the group's rank r at [*, r * local, *]. */
void ds_collective_all_gather(ds_status *status, int32_t site,
                              const void *input, void *output, int64_t outer,
                              int64_t local, int64_t inner,
                              int64_t element_bytes, int64_t group_size,
                              int64_t axes);

/* The reduction over the group, scattered along one axis: `input` is
 * [outer, group_size * local, inner]; `output` is [outer, local, inner],
 * the reduced block of this rank's place in the group. */
void ds_collective_reduce_scatter(ds_status *status, int32_t site,
                                  const void *input, void *output,
                                  int64_t outer, int64_t local, int64_t inner,
                                  int32_t dtype, int32_t reduction,
                                  int64_t group_size, int64_t axes);

/* This rank's slice along one axis: `input` is [outer, group_size * local,
 * inner]; `output` is [outer, local, inner], the block of this rank's place
 * in the group. No communication. */
void ds_collective_all_slice(ds_status *status, int32_t site,
                             const void *input, void *output, int64_t outer,
                             int64_t local, int64_t inner,
                             int64_t element_bytes, int64_t group_size,
                             int64_t axes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CPU_COLLECTIVES_H */
