/*===- fake_model.c - A hand-written stand-in for a compiled model.so -----===*
 *
 * The runtime's tests need an artifact without the compiler: this library
 * implements a few entries with the ABI of docs/artifact.md, and
 * fake-manifest.json describes them. It cannot link the kernels, so failures
 * are recorded by writing the ds_status fields directly (first failure wins,
 * as ds_status_fail does).
 *
 * Every entry checks the ABI's alignment promise for its buffers and
 * workspace and reports code 99 at site 2 when it is broken, so the tests
 * notice if the runtime ever hands compiled code a misaligned pointer.
 *
 *===----------------------------------------------------------------------===*/

#include "kernels/cpu/Status.h"
/* Not used here: including it proves the C API header is valid C. */
#include "runtime/capi/dsrt.h"

#include <stdint.h>

enum { kMisaligned = 99, kAlignmentSite = 2 };

/* What ds-compile embeds in every model.so (runtime/Manifest.h, abiText):
 * the entry points as fake-manifest.json must describe them, or the runtime
 * refuses to load it. Update both together. */
const char ds_abi[] =
    "entry add ds_entry_add 16\n"
    "arg a F32[4]\n"
    "arg b F32[4]\n"
    "result c F32[4]\n"
    "entry gather ds_entry_gather 0\n"
    "arg table F32[5]\n"
    "arg indices I64[3]\n"
    "result out F32[3]\n"
    "result hits I32[5]\n"
    "entry divide ds_entry_divide 0\n"
    "arg n I32[2]\n"
    "arg d I32[2]\n"
    "result q I32[2]\n"
    "entry train_step ds_entry_train_step 64\n"
    "arg step I64[]\n"
    "arg w F32[2]\n"
    "arg exp_avg.w F32[2]\n"
    "arg x F32[2]\n"
    "result loss F32[]\n"
    "result w F32[2]\n"
    "result exp_avg.w F32[2]\n"
    "result step I64[]\n"
    "entry shift ds_entry_shift 0\n"
    "arg x F64[0x3]\n"
    "arg s F64[]\n"
    "result y F64[0x3]\n"
    "result t F64[]\n";

static void fail(ds_status *status, int32_t code, int32_t site, int64_t value,
                 int64_t bound) {
  if (status->code != 0)
    return;
  status->code = code;
  status->site = site;
  status->value = value;
  status->bound = bound;
}

static int checkAligned(ds_status *status, void **buffers, int count,
                        void *workspace) {
  for (int i = 0; i < count; ++i)
    if ((uintptr_t)buffers[i] % 64 != 0) {
      fail(status, kMisaligned, kAlignmentSite, i, count);
      return 0;
    }
  if ((uintptr_t)workspace % 64 != 0) {
    fail(status, kMisaligned, kAlignmentSite, -1, count);
    return 0;
  }
  return 1;
}

/* c = a + b, staged through the workspace (16 bytes). */
void ds_entry_add(ds_status *status, void **buffers, void *workspace) {
  if (!checkAligned(status, buffers, 3, workspace))
    return;
  const float *a = buffers[0], *b = buffers[1];
  float *c = buffers[2], *scratch = workspace;
  for (int i = 0; i < 4; ++i)
    scratch[i] = a[i];
  for (int i = 0; i < 4; ++i)
    c[i] = scratch[i] + b[i];
}

/* out[i] = table[indices[i]]; hits[r] counts how often row r was read. An
 * index outside [0, 5) is reported at site 0 and reads row 0 instead. */
void ds_entry_gather(ds_status *status, void **buffers, void *workspace) {
  if (!checkAligned(status, buffers, 4, workspace))
    return;
  const float *table = buffers[0];
  const int64_t *indices = buffers[1];
  float *out = buffers[2];
  int32_t *hits = buffers[3];
  for (int r = 0; r < 5; ++r)
    hits[r] = 0;
  for (int i = 0; i < 3; ++i) {
    int64_t index = indices[i];
    if (index < 0 || index >= 5) {
      fail(status, DS_STATUS_INDEX_OUT_OF_RANGE, 0, index, 5);
      index = 0;
    }
    out[i] = table[index];
    hits[index] += 1;
  }
}

/* q = n / d elementwise (I32); a zero divisor is reported at site 1. */
void ds_entry_divide(ds_status *status, void **buffers, void *workspace) {
  if (!checkAligned(status, buffers, 3, workspace))
    return;
  const int32_t *n = buffers[0], *d = buffers[1];
  int32_t *q = buffers[2];
  for (int i = 0; i < 2; ++i) {
    if (d[i] == 0) {
      fail(status, DS_STATUS_DIVISION_BY_ZERO, 1, n[i], 0);
      q[i] = 0;
      continue;
    }
    q[i] = n[i] / d[i];
  }
}

/* One step of gradient descent on loss = sum((w - x)^2) with learning rate
 * 0.1; exp_avg.w tracks 0.5 * exp_avg + grad and step counts. Results carry
 * the names of the arguments they update, as a compiled train_step's do. */
void ds_entry_train_step(ds_status *status, void **buffers, void *workspace) {
  if (!checkAligned(status, buffers, 8, workspace))
    return;
  const int64_t *step = buffers[0];
  const float *w = buffers[1], *expAvg = buffers[2], *x = buffers[3];
  float *loss = buffers[4], *newW = buffers[5], *newExpAvg = buffers[6];
  int64_t *newStep = buffers[7];
  float sum = 0.0f;
  for (int i = 0; i < 2; ++i) {
    float diff = w[i] - x[i];
    float grad = 2.0f * diff;
    sum += diff * diff;
    newW[i] = w[i] - 0.1f * grad;
    newExpAvg[i] = 0.5f * expAvg[i] + grad;
  }
  *loss = sum;
  *newStep = *step + 1;
}

/* Empty tensors and scalars: y = x (shape [0, 3], nothing to copy) and
 * t = s + 1 (F64 scalars). */
void ds_entry_shift(ds_status *status, void **buffers, void *workspace) {
  if (!checkAligned(status, buffers, 4, workspace))
    return;
  const double *s = buffers[1];
  double *t = buffers[3];
  *t = *s + 1.0;
}
