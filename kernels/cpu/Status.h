/*===- Status.h - run-time error reporting shared by kernels and code -----===*
 *
 * Compiled entry points, the kernels they call and the runtime share one
 * plain C struct: the status of a run. The runtime zeroes it before a run
 * (setting only `comm`, for a sharded artifact) and reads it afterwards; generated code and kernels record the first failure
 * (an index outside its range) and carry on with a safe value, so a bad input
 * never makes a run read or write outside its buffers. Recording is atomic:
 * kernels run on several threads.
 *
 * A C header so that generated code, C++ kernels and the runtime's C ABI all
 * agree on the layout.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_KERNELS_CPU_STATUS_H
#define DS_KERNELS_CPU_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What went wrong. */
enum ds_status_code {
  DS_STATUS_OK = 0,
  /* An index (gather/scatter index, class target, expert index) outside
   * [0, bound). */
  DS_STATUS_INDEX_OUT_OF_RANGE = 1,
  /* Integer division by zero. */
  DS_STATUS_DIVISION_BY_ZERO = 2,
  /* A collective between ranks failed (Collectives.h). */
  DS_STATUS_COLLECTIVE_FAILED = 3,
  /* The code is sharded over `bound` ranks but the run has no communicator
   * of that size. */
  DS_STATUS_NO_COMMUNICATOR = 4,
};

struct ds_comm; /* Collectives.h */

typedef struct ds_status {
  int32_t code;  /* enum ds_status_code; 0 while nothing failed */
  int32_t site;  /* the failing op: an index into the manifest's "sites" */
  int64_t value; /* the offending value (the index) */
  int64_t bound; /* the valid range was [0, bound) */
  /* Set by the caller before a run of a sharded artifact (null otherwise):
   * how the run's collectives reach the other ranks. */
  const struct ds_comm *comm;
} ds_status;

/* Records a failure unless one is already recorded (the first one wins).
 * Safe to call from several threads at once. */
void ds_status_fail(ds_status *status, int32_t code, int32_t site,
                    int64_t value, int64_t bound);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CPU_STATUS_H */
