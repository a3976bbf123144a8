//===- SoftFloat.cpp - float → bfloat16 conversions for generated code ----===//
//
// LLVM lowers `fptrunc` to bfloat16 into the compiler-rt calls __truncsfbf2
// and __truncdfbf2, which Debian 12's libgcc (GCC 12) does not have. Generated
// model code links this archive, so the two live here, with the dialect's
// rounding: to nearest, ties to even, rounded once (also from f64, where
// rounding through f32 would round twice), NaN stays NaN.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

uint16_t floatToBf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value))
    return static_cast<uint16_t>((bits >> 16) | 0x0040); // quiet NaN
  uint32_t bias = 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + bias) >> 16);
}

/// f64 → f32 rounding to odd: exact values stay, others are truncated toward
/// zero with the last bit set. Rounding that to bf16 (16 fewer bits) gives
/// the correctly rounded bf16 of the double.
float roundToOdd(double value) {
  float nearest = static_cast<float>(value);
  if (std::isnan(value) || std::isinf(nearest) ||
      static_cast<double>(nearest) == value)
    return nearest;
  if (std::fabs(static_cast<double>(nearest)) > std::fabs(value))
    nearest = std::nextafter(nearest, 0.0f);
  uint32_t bits;
  std::memcpy(&bits, &nearest, sizeof bits);
  bits |= 1;
  std::memcpy(&nearest, &bits, sizeof bits);
  return nearest;
}

__bf16 fromBits(uint16_t bits) {
  __bf16 result;
  std::memcpy(&result, &bits, sizeof result);
  return result;
}

} // namespace

extern "C" __bf16 __truncsfbf2(float value) {
  return fromBits(floatToBf16Bits(value));
}

extern "C" __bf16 __truncdfbf2(double value) {
  return fromBits(floatToBf16Bits(roundToOdd(value)));
}
