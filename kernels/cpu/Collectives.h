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
 * (the program is the same on every rank). A failed collective (a rank that
 * died or hangs, see DS_COMM_TIMEOUT) or a run without a communicator is
 * recorded in the status (DS_STATUS_COLLECTIVE_FAILED, or
 * DS_STATUS_NO_COMMUNICATOR with `bound` the grid size the code was compiled
 * for); the output is then left as the local input, and the runtime reports
 * the failure after the run.
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

/* The runtime's side: collectives over every rank of the job, in place or
 * from `input` to `output` (element counts; rank-major gathers). Each
 * returns 0 on success. `self` is the runtime's object. */
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
} ds_comm;

/* output = the reduction over every rank of `input` (count elements).
 * `grid_size`: the ranks the code was compiled for. */
void ds_collective_all_reduce(ds_status *status, int32_t site,
                              const void *input, void *output, int64_t count,
                              int32_t dtype, int32_t reduction,
                              int64_t grid_size);

/* Gathers along one axis: `input` is [outer, local, inner] elements of
 * `element_bytes` each; `output` is [outer, grid_size * local, inner], rank
 * r's block at [*, r * local, *]. */
void ds_collective_all_gather(ds_status *status, int32_t site,
                              const void *input, void *output, int64_t outer,
                              int64_t local, int64_t inner,
                              int64_t element_bytes, int64_t grid_size);

/* The reduction over every rank, scattered along one axis: `input` is
 * [outer, grid_size * local, inner]; `output` is [outer, local, inner], the
 * reduced block of this rank. */
void ds_collective_reduce_scatter(ds_status *status, int32_t site,
                                  const void *input, void *output,
                                  int64_t outer, int64_t local, int64_t inner,
                                  int32_t dtype, int32_t reduction,
                                  int64_t grid_size);

/* This rank's slice along one axis: `input` is [outer, grid_size * local,
 * inner]; `output` is [outer, local, inner], the block of this rank. No
 * communication. */
void ds_collective_all_slice(ds_status *status, int32_t site,
                             const void *input, void *output, int64_t outer,
                             int64_t local, int64_t inner,
                             int64_t element_bytes, int64_t grid_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CPU_COLLECTIVES_H */
