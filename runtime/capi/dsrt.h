/*===- dsrt.h - C interface to libdsrt --------------------------*- C -*-===*
 *
 * A small, stable C ABI over the runtime for other languages (Python's
 * ctypes, Rust, ...): load an artifact, inspect its entries, run them on
 * caller-owned buffers. Nothing here throws or exits; failures come back as
 * return values and messages.
 *
 * Ownership
 *  - dsrt_artifact_load returns a handle the caller frees with
 *    dsrt_artifact_free, also when loading failed (the handle then carries
 *    the message; see dsrt_artifact_error). It returns NULL only when not even
 *    the handle could be allocated.
 *  - dsrt_executable_create returns a handle the caller frees with
 *    dsrt_executable_free. An executable keeps the loaded code alive by
 *    itself: the artifact handle may be freed before it.
 *  - Every string and shape array returned (names, dtypes, messages) is owned
 *    by the handle it came from. Names and tensor information stay valid
 *    until that artifact handle is freed; dsrt_last_error's message until the
 *    next dsrt_run on that executable or its free. Never free them.
 *  - Buffers passed to dsrt_run are the caller's, before and after the call;
 *    the runtime keeps no pointer to them.
 *
 * Threading
 *  - An artifact handle is read-only after loading: any number of threads may
 *    query it and create executables from it at once.
 *  - An executable holds one workspace per entry: use it from one thread at a
 *    time. Threads running concurrently each create their own executable.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DS_RUNTIME_CAPI_DSRT_H
#define DS_RUNTIME_CAPI_DSRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dsrt_artifact dsrt_artifact;
typedef struct dsrt_executable dsrt_executable;

/* dsrt_run's results besides the run-time codes of kernels/cpu/Status.h
 * (1: index out of range, 2: integer division by zero, ...). */
#define DSRT_OK 0
/* A bad call: wrong entry or buffer count, null or overlapping buffers, out
 * of memory. */
#define DSRT_ERROR_CALL (-1)

/* One argument or result of an entry. */
typedef struct dsrt_tensor_info {
  const char *name;
  const char *dtype; /* safetensors spelling: "F32", "BF16", "I64", ... */
  const char *role;  /* arguments: "input", "param" or "state"; results: NULL */
  const char *balances; /* results: the parameter whose load it reports, or
                           NULL; arguments: NULL */
  size_t rank;
  const int64_t *shape; /* rank dimensions (row-major); NULL when rank is 0 */
  uint64_t num_elements;
  uint64_t byte_size; /* what the buffer for it must hold */
} dsrt_tensor_info;

/* Loads the artifact in `directory` (manifest.json + its library). */
dsrt_artifact *dsrt_artifact_load(const char *directory);
/* Unloads; NULL is ignored. */
void dsrt_artifact_free(dsrt_artifact *artifact);
/* NULL when `artifact` loaded; otherwise why it did not. */
const char *dsrt_artifact_error(const dsrt_artifact *artifact);

/* Entries are numbered 0 .. count-1 in manifest order. A failed artifact has
 * no entries. Out-of-range indices give NULL, 0 or -1 as stated. */
size_t dsrt_entry_count(const dsrt_artifact *artifact);
const char *dsrt_entry_name(const dsrt_artifact *artifact, size_t entry);
/* The index of the entry called `name`, or -1. */
int64_t dsrt_entry_find(const dsrt_artifact *artifact, const char *name);
size_t dsrt_entry_argument_count(const dsrt_artifact *artifact, size_t entry);
size_t dsrt_entry_result_count(const dsrt_artifact *artifact, size_t entry);
uint64_t dsrt_entry_workspace_bytes(const dsrt_artifact *artifact,
                                    size_t entry);
/* Fill `info` and return 0, or return -1 for an index out of range. */
int dsrt_entry_argument(const dsrt_artifact *artifact, size_t entry,
                        size_t index, dsrt_tensor_info *info);
int dsrt_entry_result(const dsrt_artifact *artifact, size_t entry, size_t index,
                      dsrt_tensor_info *info);

/* NULL when `artifact` is NULL or failed to load, or out of memory. */
dsrt_executable *dsrt_executable_create(const dsrt_artifact *artifact);
void dsrt_executable_free(dsrt_executable *executable);

/* Runs entry `entry`. `arguments` holds one pointer per argument and
 * `results` one per result, in manifest order, each to a buffer of exactly
 * the tensor's byte_size holding row-major elements in the manifest's dtype
 * (little-endian). Alignment is not required (unaligned buffers are copied
 * through aligned ones), but results must not overlap arguments or each
 * other. A pointer may be NULL for a tensor of zero bytes. Returns DSRT_OK,
 * DSRT_ERROR_CALL, or the positive ds_status code the run reported; in the
 * last two cases dsrt_last_error says what happened and the results'
 * contents are unspecified. */
int dsrt_run(dsrt_executable *executable, size_t entry,
             const void *const *arguments, size_t num_arguments,
             void *const *results, size_t num_results);
/* NULL after a successful dsrt_run (or none yet); otherwise its message. */
const char *dsrt_last_error(const dsrt_executable *executable);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DS_RUNTIME_CAPI_DSRT_H */
