//===- SafetensorsFormat.h - Shared by the reader and writer ---*- C++ -*-===//
//
// Internal to runtime/io: constants of the safetensors layout and the
// overflow-checked size arithmetic both sides must agree on.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_IO_SAFETENSORSFORMAT_H
#define DS_RUNTIME_IO_SAFETENSORSFORMAT_H

#include "runtime/io/DType.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ds::rt::safetensors_detail {

// The reference implementation's limit; a larger header is far more likely
// garbage than a real checkpoint, and parsing it would be costly.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr size_t kLengthPrefixBytes = 8;
constexpr const char *kMetadataKey = "__metadata__";

inline std::string errnoMessage() {
  return std::error_code(errno, std::generic_category()).message();
}

inline std::string inQuotes(std::string_view name) {
  return "'" + std::string(name) + "'";
}

inline std::string shapeToString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

inline bool multiplyChecked(uint64_t a, uint64_t b, uint64_t &product) {
  if (b != 0 && a > std::numeric_limits<uint64_t>::max() / b)
    return false;
  product = a * b;
  return true;
}

// Bytes a tensor of `shape` and `dtype` needs; false when it does not fit in
// 64 bits. Any zero dimension makes the count zero, whatever the others are.
inline bool checkedByteSize(const std::vector<int64_t> &shape, DType dtype,
                            uint64_t &byteSize) {
  if (std::count(shape.begin(), shape.end(), 0) != 0) {
    byteSize = 0;
    return true;
  }
  uint64_t count = 1;
  for (int64_t dim : shape)
    if (dim < 0 || !multiplyChecked(count, uint64_t(dim), count))
      return false;
  return multiplyChecked(count, dtypeSize(dtype), byteSize);
}

} // namespace ds::rt::safetensors_detail

#endif // DS_RUNTIME_IO_SAFETENSORSFORMAT_H
