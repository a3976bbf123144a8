//===- CheckGemm.cpp - ds_cuda_matmul_* against the reference ------------===//

#include "test/device/KernelCheck.h"

#include "kernels/cpu/reference/Reference.h"
#include "kernels/cuda/CudaKernels.h"

#include <string>

namespace ds::devicecheck {
namespace {

struct GemmCase {
  int64_t batch, M, N, K;
  bool transA, transB;
  bool broadcastA, broadcastB; // stride 0: one matrix for every batch
};

std::string describe(const GemmCase &c) {
  return "b" + std::to_string(c.batch) + " " + std::to_string(c.M) + "x" +
         std::to_string(c.N) + "x" + std::to_string(c.K) +
         (c.transA ? " tA" : "") + (c.transB ? " tB" : "") +
         (c.broadcastA ? " A0" : "") + (c.broadcastB ? " B0" : "");
}

template <typename T>
void checkCase(Report &report, const GemmCase &c, uint64_t seed) {
  const char *name = sizeof(T) == 4 ? "ds_cuda_matmul_f32" : "ds_cuda_matmul_f64";
  const int64_t strideA = c.broadcastA ? 0 : c.M * c.K;
  const int64_t strideB = c.broadcastB ? 0 : c.K * c.N;
  Random random(seed);
  std::vector<double> A = random.uniform(
      size_t((c.broadcastA ? 1 : c.batch) * c.M * c.K));
  std::vector<double> B = random.uniform(
      size_t((c.broadcastB ? 1 : c.batch) * c.K * c.N));
  std::vector<double> expected(size_t(c.batch * c.M * c.N));
  // Round the inputs to T first, so that the comparison measures the
  // kernel's arithmetic, not the inputs' rounding.
  std::vector<T> a = convert<T>(A), b = convert<T>(B);
  kernels::reference::matmul(convert<double>(a).data(),
                             convert<double>(b).data(), expected.data(),
                             c.batch, c.M, c.N, c.K, c.transA, c.transB,
                             strideA, strideB);
  DeviceBuffer<T> dA(a), dB(b), dC(expected.size());
  dC.poison();
  if constexpr (sizeof(T) == 4)
    ds_cuda_matmul_f32(dA.get(), dB.get(), dC.get(), c.batch, c.M, c.N, c.K,
                       c.transA, c.transB, strideA, strideB);
  else
    ds_cuda_matmul_f64(dA.get(), dB.get(), dC.get(), c.batch, c.M, c.N, c.K,
                       c.transA, c.transB, strideA, strideB);
  if (!report.launched(name, describe(c)))
    return;
  report.compare(name, describe(c), expected, dC.download(),
                 sizeof(T) == 4 ? 1e-5 : 1e-12);
}

} // namespace

void checkGemm(Report &report) {
  const GemmCase cases[] = {
      {1, 64, 48, 32, false, false, false, false},
      {1, 37, 53, 29, false, true, false, false},
      {1, 37, 53, 29, true, false, false, false},
      {1, 37, 53, 29, true, true, false, false},
      {3, 17, 33, 65, false, false, false, false},
      {4, 16, 24, 40, false, true, false, true}, // a weight shared by a batch
      {2, 31, 5, 7, true, false, true, false},
      {1, 1, 1000, 256, false, true, false, false}, // a decode row
      {2, 9, 11, 0, false, false, false, false},    // K = 0: zeros
      {1, 512, 768, 768, false, true, false, false},
  };
  uint64_t seed = 1;
  for (const GemmCase &c : cases) {
    checkCase<float>(report, c, seed);
    checkCase<double>(report, c, seed);
    ++seed;
  }
}

} // namespace ds::devicecheck
