//===- DType.cpp - Element types of safetensors files ---------------------===//
//
// Encoding rounds in one step from double to the target format, with explicit integer arithmetic for the rounding so the
// result does not depend on the floating-point environment's rounding mode.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/DType.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ds::rt {
namespace {

struct DTypeInfo {
  DType dtype;
  const char *name;
  size_t size;
  bool isFloat;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8, true},         {DType::F32, "F32", 4, true},
    {DType::F16, "F16", 2, true},         {DType::BF16, "BF16", 2, true},
    {DType::F8_E4M3, "F8_E4M3", 1, true}, {DType::F8_E5M2, "F8_E5M2", 1, true},
    {DType::I64, "I64", 8, false},        {DType::I32, "I32", 4, false},
    {DType::I16, "I16", 2, false},        {DType::I8, "I8", 1, false},
    {DType::U8, "U8", 1, false},          {DType::BOOL, "BOOL", 1, false},
};

const DTypeInfo &info(DType dtype) {
  // kDTypes is listed in enum order, so the enum value is the index.
  return kDTypes[static_cast<size_t>(dtype)];
}

uint64_t loadLittleEndian(const uint8_t *bytes, size_t size) {
  uint64_t bits = 0;
  for (size_t i = 0; i < size; ++i)
    bits |= uint64_t(bytes[i]) << (8 * i);
  return bits;
}

void storeLittleEndian(uint64_t bits, uint8_t *bytes, size_t size) {
  for (size_t i = 0; i < size; ++i)
    bytes[i] = uint8_t(bits >> (8 * i));
}

// A binary float format narrower than f32: sign, exponentBits, mantissaBits.
struct SmallFloatFormat {
  int exponentBits;
  int mantissaBits;
  // IEEE formats reserve the all-ones exponent for inf/NaN; E4M3FN uses it
  // for finite values and keeps only mantissa all-ones as NaN.
  bool hasInfinity;
  double maxFinite;
  uint32_t quietNaN; // without sign

  int bias() const { return (1 << (exponentBits - 1)) - 1; }
  int signShift() const { return exponentBits + mantissaBits; }
  uint32_t exponentMask() const { return (1u << exponentBits) - 1; }
  uint32_t mantissaMask() const { return (1u << mantissaBits) - 1; }
  uint32_t infinity() const { return exponentMask() << mantissaBits; }
  uint32_t maxFiniteCode() const {
    return hasInfinity ? infinity() - 1 : (infinity() | mantissaMask()) - 1;
  }
};

constexpr SmallFloatFormat kF16{5, 10, true, 65504.0, 0x7E00};
constexpr SmallFloatFormat kF8E5M2{5, 2, true, 57344.0, 0x7E};
constexpr SmallFloatFormat kF8E4M3FN{4, 3, false, 448.0, 0x7F};
// bf16 is rounded from the double directly: rounding through f32 first would
// round twice and can land on the wrong neighbour.
constexpr SmallFloatFormat kBF16{8, 7, true, 0x1.FEp127, 0x7FC0};

double decodeSmallFloat(const SmallFloatFormat &format, uint32_t bits) {
  bool negative = (bits >> format.signShift()) & 1;
  uint32_t exponent = (bits >> format.mantissaBits) & format.exponentMask();
  uint32_t mantissa = bits & format.mantissaMask();
  double magnitude;
  if (format.hasInfinity && exponent == format.exponentMask()) {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  } else if (!format.hasInfinity && exponent == format.exponentMask() &&
             mantissa == format.mantissaMask()) {
    magnitude = std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    // Subnormal: 0.mantissa * 2^(1 - bias).
    magnitude =
        std::ldexp(double(mantissa), 1 - format.bias() - format.mantissaBits);
  } else {
    magnitude = std::ldexp(double(mantissa | (1u << format.mantissaBits)),
                           int(exponent) - format.bias() - format.mantissaBits);
  }
  return negative ? -magnitude : magnitude;
}

uint32_t encodeSmallFloat(const SmallFloatFormat &format, double value) {
  uint32_t sign = std::signbit(value) ? 1u << format.signShift() : 0;
  if (std::isnan(value))
    return sign | format.quietNaN;
  uint32_t overflow =
      format.hasInfinity ? format.infinity() : format.maxFiniteCode();
  double magnitude = std::fabs(value);
  if (std::isinf(magnitude))
    return sign | overflow;
  if (magnitude == 0)
    return sign;

  // Find the spacing of representable values around `magnitude`: the unit in
  // the last place at its exponent, clamped to the subnormal spacing.
  int frexpExponent;
  std::frexp(magnitude, &frexpExponent); // magnitude = f * 2^e, f in [0.5, 1)
  int exponent = std::max(frexpExponent - 1, 1 - format.bias());
  int ulpExponent = exponent - format.mantissaBits;

  // `scaled` is below 2^(mantissaBits + 1), so its fraction is exact.
  double scaled = std::ldexp(magnitude, -ulpExponent);
  double whole = std::floor(scaled);
  double fraction = scaled - whole;
  uint64_t units = uint64_t(whole);
  if (fraction > 0.5 || (fraction == 0.5 && (units & 1)))
    ++units;

  if (std::ldexp(double(units), ulpExponent) > format.maxFinite)
    return sign | overflow;

  uint32_t implicitOne = 1u << format.mantissaBits;
  if (units < implicitOne) // subnormal (or rounded to zero)
    return sign | uint32_t(units);
  // Rounding up may carry into the next binade (units == 2 * implicitOne);
  // the biased exponent then grows by one and the mantissa is zero, which
  // adding the carry bit into the exponent field does by itself.
  uint32_t biasedExponent = uint32_t(exponent + format.bias());
  return sign + (biasedExponent << format.mantissaBits) +
         (uint32_t(units) - implicitOne);
}

float floatFromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

uint32_t bitsFromFloat(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// Wraps an integral double modulo 2^64 without the undefined behaviour of an
// out-of-range float-to-integer conversion.
uint64_t wrapToUint64(double value) {
  if (!std::isfinite(value))
    return 0;
  double remainder = std::fmod(std::trunc(value), 18446744073709551616.0);
  // |remainder| < 2^64 and integral, so the conversion is exact.
  if (remainder < 0)
    return uint64_t(0) - uint64_t(-remainder);
  return uint64_t(remainder);
}

} // namespace

std::optional<DType> parseDType(std::string_view safetensorsName) {
  for (const DTypeInfo &entry : kDTypes)
    if (safetensorsName == entry.name)
      return entry.dtype;
  return std::nullopt;
}

const char *dtypeName(DType dtype) { return info(dtype).name; }

size_t dtypeSize(DType dtype) { return info(dtype).size; }

bool isFloat(DType dtype) { return info(dtype).isFloat; }

double decodeScalar(DType dtype, const uint8_t *bytes) {
  uint64_t bits = loadLittleEndian(bytes, dtypeSize(dtype));
  switch (dtype) {
  case DType::F64: {
    double value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }
  case DType::F32:
    return floatFromBits(uint32_t(bits));
  case DType::F16:
    return decodeSmallFloat(kF16, uint32_t(bits));
  case DType::BF16:
    return floatFromBits(uint32_t(bits) << 16);
  case DType::F8_E4M3:
    return decodeSmallFloat(kF8E4M3FN, uint32_t(bits));
  case DType::F8_E5M2:
    return decodeSmallFloat(kF8E5M2, uint32_t(bits));
  case DType::I64:
    return double(int64_t(bits));
  case DType::I32:
    return double(int32_t(uint32_t(bits)));
  case DType::I16:
    return double(int16_t(uint16_t(bits)));
  case DType::I8:
    return double(int8_t(uint8_t(bits)));
  case DType::U8:
    return double(bits);
  case DType::BOOL:
    return bits != 0 ? 1.0 : 0.0;
  }
  return 0;
}

void encodeScalar(DType dtype, double value, uint8_t *bytes) {
  uint64_t bits = 0;
  switch (dtype) {
  case DType::F64:
    std::memcpy(&bits, &value, sizeof bits);
    break;
  case DType::F32:
    bits = bitsFromFloat(static_cast<float>(value));
    break;
  case DType::F16:
    bits = encodeSmallFloat(kF16, value);
    break;
  case DType::BF16:
    bits = encodeSmallFloat(kBF16, value);
    break;
  case DType::F8_E4M3:
    bits = encodeSmallFloat(kF8E4M3FN, value);
    break;
  case DType::F8_E5M2:
    bits = encodeSmallFloat(kF8E5M2, value);
    break;
  case DType::I64:
  case DType::I32:
  case DType::I16:
  case DType::I8:
  case DType::U8:
    // Storing the low bytes of the 64-bit wrap is the two's complement wrap.
    bits = wrapToUint64(value);
    break;
  case DType::BOOL:
    bits = value != 0 ? 1 : 0;
    break;
  }
  storeLittleEndian(bits, bytes, dtypeSize(dtype));
}

double roundToDType(DType dtype, double value) {
  uint8_t bytes[8];
  encodeScalar(dtype, value, bytes);
  return decodeScalar(dtype, bytes);
}

bool tensorByteSize(DType dtype, const std::vector<int64_t> &shape,
                    size_t &byteSize, std::string &error) {
  size_t count = 1;
  bool overflow = false;
  for (int64_t dim : shape) {
    if (dim < 0) {
      error = "shape " + formatShape(shape) + " has a negative dimension";
      return false;
    }
    if (dim != 0 && count > std::numeric_limits<size_t>::max() / size_t(dim))
      overflow = true;
    else
      count *= size_t(dim);
  }
  // A zero dimension empties the tensor whatever the others are, so only an
  // overflow with no zero dimension is an error.
  if (count != 0 && overflow) {
    error = "shape " + formatShape(shape) + " has too many elements";
    return false;
  }
  if (overflow)
    count = 0;
  size_t elementSize = dtypeSize(dtype);
  if (count > std::numeric_limits<size_t>::max() / elementSize) {
    error = "shape " + formatShape(shape) + " has too many bytes";
    return false;
  }
  byteSize = count * elementSize;
  return true;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string formatType(DType dtype, const std::vector<int64_t> &shape) {
  return std::string(dtypeName(dtype)) + " " + formatShape(shape);
}

} // namespace ds::rt
