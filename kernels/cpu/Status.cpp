//===- Status.cpp - first-failure-wins run-time error recording ----------===//
//
// Several threads may fail at once (two bad indices in one gather). The
// first to move `code` from 0 owns the record and writes the rest; the
// others leave it alone, so site, value and bound always describe one
// failure. The runtime reads the record only after the run has joined its
// threads, so no reader can see a half-written record.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Status.h"

#include <atomic>

extern "C" void ds_status_fail(ds_status *status, int32_t code, int32_t site,
                               int64_t value, int64_t bound) {
  if (!status || code == DS_STATUS_OK)
    return;
  std::atomic_ref<int32_t> recorded(status->code);
  int32_t expected = DS_STATUS_OK;
  if (!recorded.compare_exchange_strong(expected, code,
                                        std::memory_order_acq_rel))
    return;
  status->site = site;
  status->value = value;
  status->bound = bound;
}
