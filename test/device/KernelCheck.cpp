//===- KernelCheck.cpp - ds-cuda-kernel-check: every CUDA kernel vs its reference ===//
//
// Exit status: 0 when every case passed, 1 when one failed, 77 when there
// is no GPU to run on (ctest and tools/gpu-check.sh count that as skipped).
//
//===----------------------------------------------------------------------===//

#include "test/device/KernelCheck.h"

#include "kernels/cuda/Context.h"
#include "kernels/cuda/Gemm.h"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ds::devicecheck {

std::vector<double> Random::uniform(size_t count, double lo, double hi) {
  std::uniform_real_distribution<double> distribution(lo, hi);
  std::vector<double> values(count);
  for (double &v : values)
    v = distribution(engine_);
  return values;
}

std::vector<int64_t> Random::integers(size_t count, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> distribution(lo, hi);
  std::vector<int64_t> values(count);
  for (int64_t &v : values)
    v = distribution(engine_);
  return values;
}

namespace {
void check(cudaError_t result, const char *what) {
  if (result != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " +
                             cudaGetErrorString(result));
}
void waitForStream() {
  check(cudaStreamSynchronize(kernels::cuda::currentStream()),
        "cudaStreamSynchronize");
}
} // namespace

template <typename T> DeviceBuffer<T>::DeviceBuffer(size_t count) : count_(count) {
  // Never a null pointer, even for no elements: kernels may check for null.
  check(cudaMalloc(reinterpret_cast<void **>(&data_),
                   std::max<size_t>(count, 1) * sizeof(T)),
        "cudaMalloc");
}

template <typename T>
DeviceBuffer<T>::DeviceBuffer(const std::vector<T> &host)
    : DeviceBuffer(host.size()) {
  check(cudaMemcpy(data_, host.data(), host.size() * sizeof(T),
                   cudaMemcpyHostToDevice),
        "cudaMemcpy to the device");
}

template <typename T> DeviceBuffer<T>::~DeviceBuffer() { cudaFree(data_); }

template <typename T> std::vector<T> DeviceBuffer<T>::download() const {
  waitForStream();
  std::vector<T> host(count_);
  check(cudaMemcpy(host.data(), data_, count_ * sizeof(T),
                   cudaMemcpyDeviceToHost),
        "cudaMemcpy to the host");
  return host;
}

template <typename T> void DeviceBuffer<T>::poison(unsigned char byte) {
  check(cudaMemset(data_, byte, count_ * sizeof(T)), "cudaMemset");
}

template class DeviceBuffer<float>;
template class DeviceBuffer<double>;
template class DeviceBuffer<int32_t>;
template class DeviceBuffer<int64_t>;
template class DeviceBuffer<uint8_t>;

DeviceStatus::DeviceStatus() {
  check(cudaMalloc(reinterpret_cast<void **>(&status_), sizeof(ds_status)),
        "cudaMalloc");
  check(cudaMemset(status_, 0, sizeof(ds_status)), "cudaMemset");
}

DeviceStatus::~DeviceStatus() { cudaFree(status_); }

ds_status DeviceStatus::download() const {
  waitForStream();
  ds_status host{};
  check(cudaMemcpy(&host, status_, sizeof(host), cudaMemcpyDeviceToHost),
        "cudaMemcpy to the host");
  return host;
}

void Report::row(const std::string &kernel, const std::string &shape,
                 const std::string &result, bool ok) {
  std::printf("| %-30s | %-44s | %-28s | %-4s |\n", kernel.c_str(),
              shape.c_str(), result.c_str(), ok ? "ok" : "FAIL");
  std::fflush(stdout);
  ++rows_;
  failures_ += !ok;
}

void Report::compareValues(const std::string &kernel, const std::string &shape,
                           const std::vector<double> &expected,
                           const std::vector<double> &got, double tolerance) {
  if (expected.size() != got.size()) {
    row(kernel, shape, "size " + std::to_string(got.size()) + " != " +
                           std::to_string(expected.size()), false);
    return;
  }
  double difference = 0, reference = 0, gotNorm = 0;
  bool finite = true;
  for (size_t i = 0; i < got.size(); ++i) {
    finite = finite && std::isfinite(got[i]);
    difference += (got[i] - expected[i]) * (got[i] - expected[i]);
    reference += expected[i] * expected[i];
    gotNorm += got[i] * got[i];
  }
  double error = std::sqrt(difference) /
                 std::sqrt(reference > 0 ? reference : std::max(gotNorm, 1e-300));
  if (reference == 0 && gotNorm == 0)
    error = 0;
  char text[64];
  std::snprintf(text, sizeof text, "rel %.2e (tol %.0e)", error, tolerance);
  row(kernel, shape, finite ? text : "non-finite values",
      finite && error <= tolerance);
}

void Report::compareExact(const std::string &kernel, const std::string &shape,
                          const std::vector<int64_t> &expected,
                          const std::vector<int64_t> &got) {
  size_t mismatches = expected.size() == got.size() ? 0 : expected.size() + 1;
  for (size_t i = 0; mismatches == 0 && i < got.size(); ++i)
    mismatches += got[i] != expected[i];
  row(kernel, shape,
      mismatches ? "integers differ" : "exact", mismatches == 0);
}

void Report::expect(const std::string &kernel, const std::string &shape,
                    bool ok, const std::string &what) {
  row(kernel, shape, what, ok);
}

bool Report::launched(const std::string &kernel, const std::string &shape) {
  kernels::cuda::Context *context = kernels::cuda::currentContext();
  if (!context || context->error.empty())
    return true;
  row(kernel, shape, context->error.substr(0, 60), false);
  context->error.clear();
  return false;
}

void Report::printSummary() const {
  std::printf("\n%d cases, %d failed\n", rows_, failures_);
}

} // namespace ds::devicecheck

int main() {
  using namespace ds::devicecheck;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("ds-cuda-kernel-check: no CUDA device or driver (the CUDA "
                "runtime says: %s): skipped\n",
                cudaGetErrorString(cudaGetLastError()));
    return 77;
  }
  cudaDeviceProp properties{};
  cudaGetDeviceProperties(&properties, 0);
  std::printf("CUDA kernels against their double references on %s "
              "(sm_%d%d)\n\n",
              properties.name, properties.major, properties.minor);
  std::printf("| %-30s | %-44s | %-28s | %-4s |\n", "kernel", "shape",
              "error", "");
  std::printf("|%s|%s|%s|%s|\n", std::string(32, '-').c_str(),
              std::string(46, '-').c_str(), std::string(30, '-').c_str(),
              std::string(6, '-').c_str());
  ds::kernels::cuda::Context context;
  try {
    check(cudaStreamCreate(&context.stream), "cudaStreamCreate");
  } catch (const std::exception &e) {
    std::printf("ds-cuda-kernel-check: %s\n", e.what());
    return 1;
  }
  std::string error;
  std::unique_ptr<ds::kernels::cuda::Gemm> gemm = ds::kernels::cuda::Gemm::open(
      ds::kernels::cuda::Gemm::defaultLibrary(), error);
  if (!gemm)
    std::printf("(no GEMM library: %s)\n", error.c_str());
  context.gemm = gemm.get();
  ds::kernels::cuda::ScopedContext scope(&context);
  Report report;
  try {
    checkGemm(report);
    checkAttention(report);
    checkMoe(report);
    checkLossIndexingRope(report);
  } catch (const std::exception &e) {
    std::printf("ds-cuda-kernel-check: %s\n", e.what());
    return 1;
  }
  report.printSummary();
  gemm.reset();
  cudaStreamDestroy(context.stream);
  return report.failures() == 0 ? 0 : 1;
}
