//===- DTypeTest.cpp - Element type encodings
//------------------------------===//
//
// The narrow float encoders are checked exhaustively: every code round-trips,
// and rounding agrees with a brute-force nearest search over all codes, an
// oracle too simple to share a bug with the bit-manipulating encoder.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/DType.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace ds::rt;

namespace {

constexpr DType kAllDTypes[] = {DType::F64,  DType::F32,     DType::F16,
                                DType::BF16, DType::F8_E4M3, DType::F8_E5M2,
                                DType::I64,  DType::I32,     DType::I16,
                                DType::I8,   DType::U8,      DType::BOOL};

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

uint32_t encodeBits(DType dtype, double value) {
  uint8_t bytes[8] = {};
  encodeScalar(dtype, value, bytes);
  uint32_t bits = 0;
  for (size_t i = 0; i < dtypeSize(dtype) && i < 4; ++i)
    bits |= uint32_t(bytes[i]) << (8 * i);
  return bits;
}

double decodeBits(DType dtype, uint32_t bits) {
  uint8_t bytes[4] = {uint8_t(bits), uint8_t(bits >> 8), uint8_t(bits >> 16),
                      uint8_t(bits >> 24)};
  return decodeScalar(dtype, bytes);
}

// Every code of a 1- or 2-byte float decodes and re-encodes to itself; NaN
// codes re-encode to some NaN (the payload is not kept).
void expectEveryCodeRoundTrips(DType dtype) {
  uint32_t codes = 1u << (8 * dtypeSize(dtype));
  for (uint32_t code = 0; code < codes; ++code) {
    double value = decodeBits(dtype, code);
    uint32_t again = encodeBits(dtype, value);
    if (std::isnan(value))
      EXPECT_TRUE(std::isnan(decodeBits(dtype, again))) << std::hex << code;
    else
      ASSERT_EQ(again, code) << dtypeName(dtype) << " code 0x" << std::hex
                             << code << " value " << value;
  }
}

// Round-to-nearest-even by brute force: the nearest non-negative finite code,
// ties to the even code (the code's low bit is the mantissa's). For formats
// with infinity, the first value past the maximum (the next power of two)
// stands for infinity so overflow rounds exactly as IEEE says.
struct NearestOracle {
  std::vector<std::pair<double, uint32_t>> valueAndCode; // ascending

  NearestOracle(DType dtype, bool hasInfinity, uint32_t infinityCode) {
    uint32_t signBit = 1u << (8 * dtypeSize(dtype) - 1);
    for (uint32_t code = 0; code < signBit; ++code) {
      double value = decodeBits(dtype, code);
      if (std::isfinite(value))
        valueAndCode.push_back({value, code});
    }
    std::sort(valueAndCode.begin(), valueAndCode.end());
    if (hasInfinity) {
      double maxFinite = valueAndCode.back().first;
      valueAndCode.push_back(
          {std::exp2(std::floor(std::log2(maxFinite)) + 1), infinityCode});
    }
  }

  uint32_t nearest(double magnitude) const {
    auto above = std::lower_bound(valueAndCode.begin(), valueAndCode.end(),
                                  std::make_pair(magnitude, uint32_t(0)));
    if (above == valueAndCode.end()) // saturating format, beyond the max
      return valueAndCode.back().second;
    if (above == valueAndCode.begin() || above->first == magnitude)
      return above->second;
    auto below = above - 1;
    double downDistance = magnitude - below->first;
    double upDistance = above->first - magnitude;
    if (downDistance != upDistance)
      return downDistance < upDistance ? below->second : above->second;
    return (below->second & 1) == 0 ? below->second : above->second;
  }
};

// Compares the encoder with the oracle on every code, every midpoint between
// neighbouring codes, points just either side of each midpoint, and random
// magnitudes across the whole range, positive and negative. BF16 rounds from
// f32, so its inputs are f32 values (a double could round twice).
void expectRoundingMatchesOracle(DType dtype, bool hasInfinity,
                                 uint32_t infinityCode) {
  bool floatInputs = dtype == DType::BF16;
  auto neighbour = [&](double value, double toward) {
    return floatInputs ? double(std::nextafter(float(value), float(toward)))
                       : std::nextafter(value, toward);
  };
  NearestOracle oracle(dtype, hasInfinity, infinityCode);
  std::vector<double> inputs;
  const auto &table = oracle.valueAndCode;
  for (size_t i = 0; i + 1 < table.size(); ++i) {
    double low = table[i].first, high = table[i + 1].first;
    double middle = low + (high - low) / 2;
    inputs.insert(inputs.end(), {low, middle, neighbour(middle, 0.0),
                                 neighbour(middle, kInf)});
  }
  std::mt19937_64 random(42);
  double largest = table.back().first * 2;
  std::uniform_real_distribution<double> logMagnitude(
      std::log2(table[1].first) - 3, std::log2(largest));
  for (int i = 0; i < 20000; ++i) {
    double magnitude = std::exp2(logMagnitude(random));
    inputs.push_back(floatInputs ? double(float(magnitude)) : magnitude);
  }
  inputs.push_back(floatInputs ? kInf : 1e300);

  uint32_t signBit = 1u << (8 * dtypeSize(dtype) - 1);
  for (double magnitude : inputs) {
    uint32_t expected = oracle.nearest(magnitude);
    ASSERT_EQ(encodeBits(dtype, magnitude), expected)
        << dtypeName(dtype) << " " << magnitude;
    ASSERT_EQ(encodeBits(dtype, -magnitude), expected | signBit)
        << dtypeName(dtype) << " " << -magnitude;
  }
}

} // namespace

TEST(DType, NamesSizesAndKinds) {
  for (DType dtype : kAllDTypes) {
    std::optional<DType> parsed = parseDType(dtypeName(dtype));
    ASSERT_TRUE(parsed.has_value()) << dtypeName(dtype);
    EXPECT_EQ(*parsed, dtype);
  }
  EXPECT_FALSE(parseDType("f32").has_value());
  EXPECT_FALSE(parseDType("F8_E4M3FN").has_value());
  EXPECT_FALSE(parseDType("").has_value());
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::F8_E5M2), 1u);
  EXPECT_EQ(dtypeSize(DType::I32), 4u);
  EXPECT_EQ(dtypeSize(DType::BOOL), 1u);
  EXPECT_TRUE(isFloat(DType::F8_E4M3));
  EXPECT_FALSE(isFloat(DType::U8));
  EXPECT_FALSE(isFloat(DType::BOOL));
}

TEST(DType, EveryNarrowFloatCodeRoundTrips) {
  expectEveryCodeRoundTrips(DType::F8_E4M3);
  expectEveryCodeRoundTrips(DType::F8_E5M2);
  expectEveryCodeRoundTrips(DType::F16);
  expectEveryCodeRoundTrips(DType::BF16);
}

TEST(DType, NarrowFloatRoundingMatchesNearestSearch) {
  expectRoundingMatchesOracle(DType::F8_E4M3, false, 0);
  expectRoundingMatchesOracle(DType::F8_E5M2, true, 0x7C);
  expectRoundingMatchesOracle(DType::F16, true, 0x7C00);
  expectRoundingMatchesOracle(DType::BF16, true, 0x7F80);
}

TEST(DType, F8E4M3KnownValues) {
  EXPECT_EQ(decodeBits(DType::F8_E4M3, 0x7E), 448.0);
  EXPECT_EQ(decodeBits(DType::F8_E4M3, 0x08),
            std::ldexp(1.0, -6)); // min normal
  EXPECT_EQ(decodeBits(DType::F8_E4M3, 0x01), std::ldexp(1.0, -9)); // subnormal
  EXPECT_EQ(decodeBits(DType::F8_E4M3, 0x38), 1.0);
  EXPECT_TRUE(std::isnan(decodeBits(DType::F8_E4M3, 0x7F)));
  EXPECT_TRUE(std::isnan(decodeBits(DType::F8_E4M3, 0xFF)));
  EXPECT_EQ(encodeBits(DType::F8_E4M3, -0.0), 0x80u);
  // Overflow saturates, finite or infinite: the format has no infinity.
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 464), 0x7Eu); // tie, 448 is even
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 500), 0x7Eu);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 1e30), 0x7Eu);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, kInf), 0x7Eu);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, -kInf), 0xFEu);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, kNaN) & 0x7F, 0x7Fu);
  // Ties to even: 1 + 1/16 lies between 1 (0x38) and 1.125 (0x39).
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 1.0625), 0x38u);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 1.1875), 0x3Au);
  // Subnormal ties: half the smallest subnormal rounds to zero, 1.5 of it up.
  EXPECT_EQ(encodeBits(DType::F8_E4M3, std::ldexp(1.0, -10)), 0x00u);
  EXPECT_EQ(encodeBits(DType::F8_E4M3, 3 * std::ldexp(1.0, -10)), 0x02u);
  // Rounding up out of the subnormals reaches the smallest normal.
  EXPECT_EQ(encodeBits(DType::F8_E4M3, std::ldexp(15.0, -10)), 0x08u);
}

TEST(DType, F8E5M2KnownValues) {
  EXPECT_EQ(decodeBits(DType::F8_E5M2, 0x7B), 57344.0);
  EXPECT_EQ(decodeBits(DType::F8_E5M2, 0x7C), kInf);
  EXPECT_EQ(decodeBits(DType::F8_E5M2, 0xFC), -kInf);
  EXPECT_TRUE(std::isnan(decodeBits(DType::F8_E5M2, 0x7D)));
  EXPECT_EQ(decodeBits(DType::F8_E5M2, 0x01), std::ldexp(1.0, -16));
  EXPECT_EQ(encodeBits(DType::F8_E5M2, 61439), 0x7Bu);
  EXPECT_EQ(encodeBits(DType::F8_E5M2, 61440), 0x7Cu); // tie rounds to inf
  EXPECT_EQ(encodeBits(DType::F8_E5M2, 1e10), 0x7Cu);
  EXPECT_EQ(encodeBits(DType::F8_E5M2, -kInf), 0xFCu);
  EXPECT_TRUE(std::isnan(roundToDType(DType::F8_E5M2, kNaN)));
}

TEST(DType, F16KnownValues) {
  EXPECT_EQ(encodeBits(DType::F16, 1.0), 0x3C00u);
  EXPECT_EQ(encodeBits(DType::F16, -2.0), 0xC000u);
  EXPECT_EQ(encodeBits(DType::F16, 65504), 0x7BFFu);
  EXPECT_EQ(encodeBits(DType::F16, 65519.99), 0x7BFFu);
  EXPECT_EQ(encodeBits(DType::F16, 65520), 0x7C00u); // tie rounds to inf
  EXPECT_EQ(encodeBits(DType::F16, 1 + std::ldexp(1.0, -11)), 0x3C00u);
  EXPECT_EQ(encodeBits(DType::F16, 1 + 3 * std::ldexp(1.0, -11)), 0x3C02u);
  EXPECT_EQ(encodeBits(DType::F16, std::ldexp(1.0, -24)), 0x0001u);
  EXPECT_EQ(encodeBits(DType::F16, std::ldexp(1.0, -25)), 0x0000u);
  EXPECT_EQ(encodeBits(DType::F16, std::ldexp(3.0, -25)), 0x0002u);
  EXPECT_EQ(encodeBits(DType::F16, std::ldexp(1.0, -14)), 0x0400u);
  EXPECT_EQ(encodeBits(DType::F16, 1e-300), 0x0000u);
  EXPECT_EQ(encodeBits(DType::F16, -1e-300), 0x8000u);
  EXPECT_EQ(encodeBits(DType::F16, kNaN) & 0x7C00, 0x7C00u);
  EXPECT_NE(encodeBits(DType::F16, kNaN) & 0x03FF, 0u);
}

TEST(DType, BF16RoundsTheFloatBitsToNearestEven) {
  EXPECT_EQ(encodeBits(DType::BF16, 1.0), 0x3F80u);
  EXPECT_EQ(encodeBits(DType::BF16, -1.5), 0xBFC0u);
  EXPECT_EQ(encodeBits(DType::BF16, 1 + std::ldexp(1.0, -8)), 0x3F80u);
  EXPECT_EQ(encodeBits(DType::BF16, 1 + 3 * std::ldexp(1.0, -8)), 0x3F82u);
  EXPECT_EQ(
      encodeBits(DType::BF16, 1 + std::ldexp(1.0, -8) + std::ldexp(1.0, -20)),
      0x3F81u);
  // FLT_MAX lies above the largest bf16's midpoint with 2^128.
  EXPECT_EQ(encodeBits(DType::BF16, std::numeric_limits<float>::max()),
            0x7F80u);
  EXPECT_EQ(encodeBits(DType::BF16, -kInf), 0xFF80u);
  // A NaN whose payload sits only in the dropped bits must not become inf.
  uint32_t lowPayloadNaN = 0x7F800001;
  float nanFloat;
  std::memcpy(&nanFloat, &lowPayloadNaN, sizeof nanFloat);
  EXPECT_TRUE(std::isnan(roundToDType(DType::BF16, nanFloat)));
  // bf16 keeps f32's subnormals: the smallest one is 2^-133.
  EXPECT_EQ(encodeBits(DType::BF16, std::ldexp(1.0, -133)), 0x0001u);
}

TEST(DType, F32AndF64) {
  EXPECT_EQ(roundToDType(DType::F32, 0.1), double(0.1f));
  EXPECT_EQ(roundToDType(DType::F64, 0.1), 0.1);
  EXPECT_EQ(roundToDType(DType::F32, 1e39), kInf);
  EXPECT_TRUE(std::signbit(roundToDType(DType::F64, -0.0)));
}

TEST(DType, IntegersWrapTwosComplement) {
  EXPECT_EQ(roundToDType(DType::I8, 127), 127);
  EXPECT_EQ(roundToDType(DType::I8, 128), -128);
  EXPECT_EQ(roundToDType(DType::I8, -129), 127);
  EXPECT_EQ(roundToDType(DType::I8, 255), -1);
  EXPECT_EQ(roundToDType(DType::U8, 256), 0);
  EXPECT_EQ(roundToDType(DType::U8, -1), 255);
  EXPECT_EQ(roundToDType(DType::I16, 65535), -1);
  EXPECT_EQ(roundToDType(DType::I16, -32768), -32768);
  EXPECT_EQ(roundToDType(DType::I32, 2147483648.0), -2147483648.0);
  EXPECT_EQ(roundToDType(DType::I32, -7), -7);
  EXPECT_EQ(roundToDType(DType::I64, 9223372036854775808.0),
            -9223372036854775808.0);
  EXPECT_EQ(roundToDType(DType::I64, -9223372036854775808.0),
            -9223372036854775808.0);
  EXPECT_EQ(roundToDType(DType::I64, 18446744073709551616.0), 0);
  EXPECT_EQ(roundToDType(DType::I64, -(double(1LL << 53))),
            -(double(1LL << 53)));
  EXPECT_EQ(roundToDType(DType::I32, kNaN), 0);
  EXPECT_EQ(roundToDType(DType::I32, -kInf), 0);
  EXPECT_EQ(roundToDType(DType::I32, -2.75), -2); // fractions truncate
  EXPECT_EQ(roundToDType(DType::BOOL, 0), 0);
  EXPECT_EQ(roundToDType(DType::BOOL, -0.0), 0);
  EXPECT_EQ(roundToDType(DType::BOOL, 2.5), 1);
  EXPECT_EQ(roundToDType(DType::BOOL, -1), 1);

  uint8_t bytes[8];
  encodeScalar(DType::I32, 0x01020304, bytes); // little-endian
  EXPECT_EQ(bytes[0], 0x04);
  EXPECT_EQ(bytes[3], 0x01);
  uint8_t nonCanonicalTrue = 7; // other writers may store any non-zero byte
  EXPECT_EQ(decodeScalar(DType::BOOL, &nonCanonicalTrue), 1.0);
}
