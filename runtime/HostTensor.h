//===- HostTensor.h - A tensor in host memory -------------------*- C++ -*-===//
//
// The runtime's unit of data: dense, row-major elements of one DType in
// memory the tensor owns. The memory is aligned to 64 bytes because the entry
// ABI (docs/artifact.md) promises compiled code that alignment for every
// buffer, so a HostTensor can be handed to an entry without a copy.
//
// Elements are kept as their little-endian encoding, exactly as safetensors
// stores them: loading and saving copy bytes and never round through double.
//
// Nothing here throws; creation reports a bad shape or a failed allocation
// through `error`.
//
//===----------------------------------------------------------------------===//

#ifndef DS_RUNTIME_HOSTTENSOR_H
#define DS_RUNTIME_HOSTTENSOR_H

#include "runtime/io/DType.h"
#include "runtime/io/Safetensors.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ds::rt {

/// The alignment of every HostTensor and workspace: the entry ABI's minimum.
constexpr size_t kBufferAlignment = 64;

/// Frees memory from allocateAligned.
struct AlignedFree {
  void operator()(uint8_t *pointer) const;
};
using AlignedBytes = std::unique_ptr<uint8_t[], AlignedFree>;

/// `size` bytes (at least one cache line, so a zero-byte buffer still has a
/// distinct, aligned address), aligned to kBufferAlignment and zero-filled
/// unless `zeroFill` is false; null when the allocation fails.
AlignedBytes allocateAligned(size_t size, bool zeroFill = true);

/// Move-only: a copy of a large tensor should be visible in the code
/// (clone()), and a copy constructor could not report a failed allocation.
class HostTensor {
public:
  /// An empty F32 scalar with no storage (valid() is false); the state of a
  /// moved-from tensor.
  HostTensor() = default;
  HostTensor(HostTensor &&other) noexcept { *this = std::move(other); }
  HostTensor &operator=(HostTensor &&other) noexcept {
    dtype_ = std::exchange(other.dtype_, DType::F32);
    shape_ = std::exchange(other.shape_, {});
    byteSize_ = std::exchange(other.byteSize_, 0);
    data_ = std::move(other.data_);
    return *this;
  }

  /// A zero-filled tensor.
  static std::optional<HostTensor>
  zeros(DType dtype, std::vector<int64_t> shape, std::string &error);
  /// A copy of `size` encoded bytes, which must be exactly what `dtype` and
  /// `shape` need.
  static std::optional<HostTensor> fromBytes(DType dtype,
                                             std::vector<int64_t> shape,
                                             const void *bytes, size_t size,
                                             std::string &error);
  /// Each value encoded with encodeScalar (so rounded to `dtype`); there
  /// must be one per element. Meant for tests and small hand-made inputs.
  static std::optional<HostTensor> fromDoubles(DType dtype,
                                               std::vector<int64_t> shape,
                                               std::span<const double> values,
                                               std::string &error);
  /// A byte copy of a safetensors entry.
  static std::optional<HostTensor>
  fromSafetensors(const SafetensorsReader &reader, const TensorEntry &entry,
                  std::string &error);

  std::optional<HostTensor> clone(std::string &error) const;

  /// False only for a default-constructed or moved-from tensor.
  bool valid() const { return data_ != nullptr; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t numElements() const;
  size_t byteSize() const { return byteSize_; }
  uint8_t *data() { return data_.get(); }
  const uint8_t *data() const { return data_.get(); }
  /// The elements as T; the caller picks the T that matches dtype().
  template <typename T> T *dataAs() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return reinterpret_cast<const T *>(data());
  }

  /// Element `index` (row-major) decoded to double; see decodeScalar.
  double at(int64_t index) const;
  std::vector<double> toDoubles() const;

  /// This tensor's bytes under `name`, for writeSafetensorsRaw. The result
  /// points into this tensor and is valid while it lives unchanged.
  RawTensorToWrite toWrite(std::string name) const;

  /// True when this and `other` have the same dtype and shape.
  bool sameTypeAs(const HostTensor &other) const {
    return dtype_ == other.dtype_ && shape_ == other.shape_;
  }

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  size_t byteSize_ = 0;
  AlignedBytes data_;
};

} // namespace ds::rt

#endif // DS_RUNTIME_HOSTTENSOR_H
