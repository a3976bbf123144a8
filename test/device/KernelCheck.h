//===- KernelCheck.h - the device suite's kernel checks ----------*- C++ -*-===//
//
// ds-cuda-kernel-check runs every CUDA kernel (kernels/cuda/CudaKernels.h)
// on random inputs and compares it with the double-precision reference of
// the same kernel (kernels/cpu/reference/Reference.h), printing one table
// row per case. Each kernel area adds its cases in its own Check*.cpp
// through this small harness. No GoogleTest: the suite also runs on GPU
// nodes that have only the CUDA toolkit (tools/gpu-check.sh).
//
// Errors are relative, in the 2-norm over the whole result:
//   ‖got − expected‖₂ / ‖expected‖₂  (‖got‖₂ when expected is all zeros),
// against a tolerance each case states (1e-5 for float kernels unless a
// case says why it needs more, 1e-12 for double).
//
//===----------------------------------------------------------------------===//

#ifndef DS_TEST_DEVICE_KERNELCHECK_H
#define DS_TEST_DEVICE_KERNELCHECK_H

#include "kernels/cpu/Status.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace ds::devicecheck {

/// Deterministic random data (a fixed seed per case).
class Random {
public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  /// `count` values uniform in [lo, hi).
  std::vector<double> uniform(size_t count, double lo = -1.0, double hi = 1.0);
  /// `count` integers uniform in [lo, hi].
  std::vector<int64_t> integers(size_t count, int64_t lo, int64_t hi);

private:
  std::mt19937_64 engine_;
};

/// Converts element by element (double references <-> float kernels).
template <typename To, typename From>
std::vector<To> convert(const std::vector<From> &values) {
  return std::vector<To>(values.begin(), values.end());
}

/// Device memory holding `count` elements of T, freed on destruction.
/// Copies are synchronous (cudaMemcpy after the stream's work).
template <typename T> class DeviceBuffer {
public:
  explicit DeviceBuffer(size_t count);
  explicit DeviceBuffer(const std::vector<T> &host);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;

  T *get() const { return data_; }
  size_t size() const { return count_; }
  /// Waits for the current stream, then copies back.
  std::vector<T> download() const;
  /// Fills every byte with `byte` (to catch outputs a kernel fails to
  /// overwrite: 0xFF is a NaN in float and double).
  void poison(unsigned char byte = 0xFF);

private:
  T *data_ = nullptr;
  size_t count_ = 0;
};

/// A ds_status in device memory, zeroed.
class DeviceStatus {
public:
  DeviceStatus();
  ~DeviceStatus();
  DeviceStatus(const DeviceStatus &) = delete;
  DeviceStatus &operator=(const DeviceStatus &) = delete;
  ds_status *get() const { return status_; }
  ds_status download() const;

private:
  ds_status *status_ = nullptr;
};

/// The table of results. Every check adds one row.
class Report {
public:
  /// Compares `got` with `expected` (same length) within `tolerance`.
  template <typename T>
  void compare(const std::string &kernel, const std::string &shape,
               const std::vector<double> &expected, const std::vector<T> &got,
               double tolerance) {
    std::vector<double> wide(got.begin(), got.end());
    compareValues(kernel, shape, expected, wide, tolerance);
  }
  /// Integer results must be equal.
  void compareExact(const std::string &kernel, const std::string &shape,
                    const std::vector<int64_t> &expected,
                    const std::vector<int64_t> &got);
  /// A condition that must hold (a status recorded, say).
  void expect(const std::string &kernel, const std::string &shape, bool ok,
              const std::string &what);
  /// Fails the kernel's row if the current context recorded an error (a
  /// failed launch), and clears it. Call after each kernel call.
  bool launched(const std::string &kernel, const std::string &shape);

  int failures() const { return failures_; }
  void printSummary() const;

private:
  void compareValues(const std::string &kernel, const std::string &shape,
                     const std::vector<double> &expected,
                     const std::vector<double> &got, double tolerance);
  void row(const std::string &kernel, const std::string &shape,
           const std::string &result, bool ok);
  int failures_ = 0;
  int rows_ = 0;
};

/// The kernel areas (Check*.cpp). Each runs its cases in float and double.
void checkGemm(Report &report);
void checkAttention(Report &report);
void checkMoe(Report &report);
void checkLossIndexingRope(Report &report);

} // namespace ds::devicecheck

#endif // DS_TEST_DEVICE_KERNELCHECK_H
