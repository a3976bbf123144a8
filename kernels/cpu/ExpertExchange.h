/*===- ExpertExchange.h - expert parallelism's all-to-all dispatch --------===*
 *
 * Under expert parallelism (--ds-shard="ep=N") every rank of a group holds
 * `experts_per_rank` consecutive routed experts: group rank r holds the
 * experts numbered [r * experts_per_rank, (r + 1) * experts_per_rank). A
 * token goes only to the ranks that hold at least one of the experts it
 * chose, once per rank however many of that rank's experts it chose, and
 * comes back summed (docs/distributed.md, "Expert parallelism"):
 *
 *   ds_expert_plan      every rank counts the tokens it sends to each rank
 *                       and the counts are all-gathered: counts[s * G + r]
 *                       = tokens rank s sends to rank r (G = group_size);
 *   ds_expert_dispatch  one all-to-all-v of rows: rank s's tokens land, in
 *                       their order, at rows [s * tokens, s * tokens +
 *                       counts[s * G + rank]) of the output; the other rows
 *                       are zero (no capacity, nothing dropped: the output
 *                       holds every token of the group in the worst case,
 *                       only the rows sent are moved);
 *   ds_expert_dispatch_indices
 *                       the same for the indices, renumbered as the
 *                       receiving rank numbers its experts (-1 for the
 *                       experts of other ranks and for unused rows, which
 *                       ds_moe_ffn skips);
 *   ds_expert_combine   the reverse all-to-all-v: each rank sends back its
 *                       rows of each source rank, and each token's output
 *                       is the sum of what the ranks it went to returned,
 *                       added in rank order.
 *
 * `indices` is [tokens, top_k] int64 of global expert numbers (-1: no
 * expert); an index outside [-1, group_size * experts_per_rank) records
 * DS_STATUS_INDEX_OUT_OF_RANGE and the slot is skipped. `counts` is the
 * plan's [group_size, group_size] int64. The group and failures are as for
 * Collectives.h; on failure outputs are defined (zero, or the local part).
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_KERNELS_CPU_EXPERTEXCHANGE_H
#define DS_KERNELS_CPU_EXPERTEXCHANGE_H

#include "kernels/cpu/Status.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void ds_expert_plan(ds_status *status, int32_t site, const int64_t *indices,
                    int64_t *counts, int64_t tokens, int64_t top_k,
                    int64_t experts_per_rank, int64_t group_size,
                    int64_t axes);

/* `input` [tokens, row_bytes bytes] → `output` [group_size * tokens, row]. */
void ds_expert_dispatch(ds_status *status, int32_t site, const int64_t *counts,
                        const int64_t *indices, const void *input,
                        void *output, int64_t tokens, int64_t top_k,
                        int64_t experts_per_rank, int64_t row_bytes,
                        int64_t group_size, int64_t axes);

/* `output` [group_size * tokens, top_k] int64, renumbered for this rank. */
void ds_expert_dispatch_indices(ds_status *status, int32_t site,
                                const int64_t *counts, const int64_t *indices,
                                int64_t *output, int64_t tokens, int64_t top_k,
                                int64_t experts_per_rank, int64_t group_size,
                                int64_t axes);

/* `input` [group_size * tokens, row] → `output` [tokens, row]; `row`
 * elements of `dtype` (DS_COMM_F64 or DS_COMM_F32). */
void ds_expert_combine(ds_status *status, int32_t site, const int64_t *counts,
                       const int64_t *indices, const void *input, void *output,
                       int64_t tokens, int64_t top_k, int64_t experts_per_rank,
                       int64_t row, int32_t dtype, int64_t group_size,
                       int64_t axes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_KERNELS_CPU_EXPERTEXCHANGE_H */
