//===- Math.h - scalar math the kernels' inner loops share ------*- C++ -*-===//
//
// Internal to kernels/cpu. Everything here is inline and branch-light so that
// the loops calling it vectorize: libm's expf is a call the vectorizer cannot
// widen, and softmax, SiLU and the loss spend most of their time in exp.
//
//===----------------------------------------------------------------------===//

#ifndef DS_KERNELS_CPU_MATH_H
#define DS_KERNELS_CPU_MATH_H

#include <bit>
#include <cmath>
#include <cstdint>

namespace ds::kernels {

/// exp(x) for float in plain arithmetic, within 2 ulp of the exact result
/// for x in [-87, 88]: x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two so
/// that n·ln2hi is exact), exp(r) by its degree-6 Taylor polynomial (error
/// below 1.3e-7 relative), and 2^n built from its exponent bits. Below -87
/// it returns about 1e-38 instead of a denormal or zero: callers subtract a
/// row maximum first, so such terms vanish next to the 1 of the maximum.
inline float fastExp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float n = std::nearbyint(x * 1.44269504088896341f);
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

/// exp in the kernels' element type: fastExp for float; libm for double,
/// whose kernels serve as high-precision checks rather than for speed.
inline float expOf(float x) { return fastExp(x); }
inline double expOf(double x) { return std::exp(x); }

/// silu(z) = z·sigmoid(z) and its derivative
/// silu'(z) = sigmoid(z)·(1 + z·(1 − sigmoid(z))).
template <typename T> inline T sigmoidOf(T z) {
  return T(1) / (T(1) + expOf(-z));
}
template <typename T> inline T siluOf(T z) { return z * sigmoidOf(z); }
template <typename T> inline T siluGradOf(T z) {
  const T s = sigmoidOf(z);
  return s * (T(1) + z * (T(1) - s));
}

} // namespace ds::kernels

#endif // DS_KERNELS_CPU_MATH_H
