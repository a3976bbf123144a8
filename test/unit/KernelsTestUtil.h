//===- KernelsTestUtil.h - helpers for the CPU kernel tests -----*- C++ -*-===//
//
// Random inputs (never zeros), conversions to the references' doubles, the
// relative L2 error ‖got − want‖ / ‖want‖ every comparison uses, and
// overloads that pick a kernel's _f32 or _f64 symbol from the element type
// so that tests are written once for both.
//
//===----------------------------------------------------------------------===//

#ifndef DS_TEST_UNIT_KERNELSTESTUTIL_H
#define DS_TEST_UNIT_KERNELSTESTUTIL_H

#include "kernels/cpu/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace ds::kernels::test {

using ElementTypes = ::testing::Types<float, double>;

/// The tolerance of a kernel in T against the double reference.
template <typename T> constexpr double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

/// Uniform in [lo, hi) with |x| >= 1e-3: no exact zeros to hide a missing
/// term behind.
template <typename T>
std::vector<T> randomVector(int64_t n, uint64_t seed, double lo = -1.0,
                            double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (T &x : v) {
    double value = dist(rng);
    while (std::abs(value) < 1e-3)
      value = dist(rng);
    x = T(value);
  }
  return v;
}

/// Indices uniform in [0, bound).
inline std::vector<int64_t> randomIndices(int64_t n, int64_t bound,
                                          uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(0, bound - 1);
  std::vector<int64_t> v(n);
  for (int64_t &x : v)
    x = dist(rng);
  return v;
}

template <typename T> std::vector<double> toDouble(const std::vector<T> &v) {
  return std::vector<double>(v.begin(), v.end());
}

/// A buffer of n NaNs: an output element the kernel forgets to write makes
/// the comparison fail.
template <typename T> std::vector<T> garbage(int64_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

/// ‖got − want‖ / ‖want‖ (the absolute norm when want is zero). NaN in got
/// gives NaN, which fails every `<` check.
template <typename T>
double relativeError(const std::vector<T> &got,
                     const std::vector<double> &want) {
  EXPECT_EQ(got.size(), want.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    const double d = double(got[i]) - want[i];
    diff += d * d;
    norm += want[i] * want[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

/// The kernels, overloaded on the element type.
namespace api {
inline void matmul(const float *A, const float *B, float *C, int64_t batch,
                   int64_t M, int64_t N, int64_t K, int32_t tA, int32_t tB,
                   int64_t sA, int64_t sB) {
  ds_matmul_f32(A, B, C, batch, M, N, K, tA, tB, sA, sB);
}
inline void matmul(const double *A, const double *B, double *C, int64_t batch,
                   int64_t M, int64_t N, int64_t K, int32_t tA, int32_t tB,
                   int64_t sA, int64_t sB) {
  ds_matmul_f64(A, B, C, batch, M, N, K, tA, tB, sA, sB);
}
template <typename T, typename... Args> void attention(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_attention_f32(args...);
  else
    ds_attention_f64(args...);
}
template <typename T, typename... Args> void attentionGrad(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_attention_grad_f32(args...);
  else
    ds_attention_grad_f64(args...);
}
template <typename T, typename... Args> void moeRoute(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_moe_route_f32(args...);
  else
    ds_moe_route_f64(args...);
}
template <typename T, typename... Args> void moeRouteGrad(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_moe_route_grad_f32(args...);
  else
    ds_moe_route_grad_f64(args...);
}
template <typename T, typename... Args> void moeFfn(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_moe_ffn_f32(args...);
  else
    ds_moe_ffn_f64(args...);
}
template <typename T, typename... Args> void moeFfnGrad(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_moe_ffn_grad_f32(args...);
  else
    ds_moe_ffn_grad_f64(args...);
}
template <typename T, typename... Args> void crossEntropy(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_cross_entropy_f32(args...);
  else
    ds_cross_entropy_f64(args...);
}
template <typename T, typename... Args> void crossEntropyGrad(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_cross_entropy_grad_f32(args...);
  else
    ds_cross_entropy_grad_f64(args...);
}
template <typename T, typename... Args> void rope(Args... args) {
  if constexpr (std::is_same_v<T, float>)
    ds_rope_f32(args...);
  else
    ds_rope_f64(args...);
}
} // namespace api

} // namespace ds::kernels::test

#endif // DS_TEST_UNIT_KERNELSTESTUTIL_H
