//===- DType.h - Element types of safetensors files -------------*- C++ -*-===//
//
// The element types DS reads and writes in safetensors files, with exact
// conversions between their little-endian byte encodings and double. Double is
// the interchange type because it holds every value of every float type here
// exactly, so decode -> double -> encode is lossless for all of them.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_DTYPE_H
#define DS_RUNTIME_IO_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ds::rt {

enum class DType : uint8_t {
  F64,
  F32,
  F16,
  BF16,
  F8_E4M3, // the E4M3FN variant: no infinities, max finite 448, NaN =
           // S.1111.111
  F8_E5M2, // IEEE-like: infinities, max finite 57344
  I64,
  I32,
  I16,
  I8,
  U8,
  BOOL,
};

/// Parses the safetensors spelling ("F32", "BF16", "F8_E4M3", ...).
std::optional<DType> parseDType(std::string_view safetensorsName);

/// The safetensors spelling of `dtype`.
const char *dtypeName(DType dtype);

/// Bytes per element.
size_t dtypeSize(DType dtype);

/// True for the floating-point types (F64 ... F8_E5M2).
bool isFloat(DType dtype);

/// Reads one little-endian element. Exact for every type except I64 values
/// beyond 2^53 in magnitude, which double cannot hold.
double decodeScalar(DType dtype, const uint8_t *bytes);

/// Writes one little-endian element (dtypeSize(dtype) bytes).
/// Floats round to nearest, ties to even, with subnormals. Overflow:
/// F8_E4M3 saturates finite and infinite values to +-448 (it has no infinity);
/// F8_E5M2, F16, F32 and BF16 overflow to +-inf. NaN stays NaN.
/// Every float format, BF16 included, is rounded once, from the double.
/// Integers: `value` is expected to be integral (a fraction is truncated
/// toward zero) and wraps two's complement to the width; NaN and infinities
/// encode as 0. BOOL stores value != 0.
void encodeScalar(DType dtype, double value, uint8_t *bytes);

/// The value `dtype` stores for `value`: decodeScalar(encodeScalar(value)).
double roundToDType(DType dtype, double value);

/// Bytes a tensor of `shape` and `dtype` occupies: the product of the
/// dimensions, checked. False (and `error` set) for a negative dimension or a
/// size that does not fit in size_t.
bool tensorByteSize(DType dtype, const std::vector<int64_t> &shape,
                    size_t &byteSize, std::string &error);

/// "[2, 3]"; "[]" for a scalar.
std::string formatShape(const std::vector<int64_t> &shape);
/// "F32 [2, 3]": how errors and listings name a tensor type.
std::string formatType(DType dtype, const std::vector<int64_t> &shape);

} // namespace ds::rt

#endif // DS_RUNTIME_IO_DTYPE_H
