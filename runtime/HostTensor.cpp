//===- HostTensor.cpp - A tensor in host memory ---------------------------===//

#include "runtime/HostTensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace ds::rt {

void AlignedFree::operator()(uint8_t *pointer) const { std::free(pointer); }

AlignedBytes allocateAligned(size_t size, bool zeroFill) {
  // aligned_alloc wants a multiple of the alignment; rounding up also gives a
  // zero-byte tensor a real address, which the entry ABI requires.
  size_t rounded = size == 0 ? kBufferAlignment : size;
  if (rounded % kBufferAlignment != 0) {
    size_t padding = kBufferAlignment - rounded % kBufferAlignment;
    if (rounded > std::numeric_limits<size_t>::max() - padding)
      return nullptr;
    rounded += padding;
  }
  auto *bytes =
      static_cast<uint8_t *>(std::aligned_alloc(kBufferAlignment, rounded));
  if (bytes && zeroFill)
    std::memset(bytes, 0, rounded);
  return AlignedBytes(bytes);
}

std::optional<HostTensor>
HostTensor::zeros(DType dtype, std::vector<int64_t> shape, std::string &error) {
  try {
    HostTensor tensor;
    if (!tensorByteSize(dtype, shape, tensor.byteSize_, error))
      return std::nullopt;
    tensor.data_ = allocateAligned(tensor.byteSize_);
    if (!tensor.data_) {
      error = "cannot allocate " + std::to_string(tensor.byteSize_) +
              " bytes for a " + formatType(dtype, shape) + " tensor";
      return std::nullopt;
    }
    tensor.dtype_ = dtype;
    tensor.shape_ = std::move(shape);
    return tensor;
  } catch (const std::bad_alloc &) {
    error = "out of memory";
    return std::nullopt;
  }
}

std::optional<HostTensor> HostTensor::fromBytes(DType dtype,
                                                std::vector<int64_t> shape,
                                                const void *bytes, size_t size,
                                                std::string &error) {
  std::optional<HostTensor> tensor = zeros(dtype, std::move(shape), error);
  if (!tensor)
    return std::nullopt;
  if (size != tensor->byteSize_) {
    error = formatType(dtype, tensor->shape_) + " needs " +
            std::to_string(tensor->byteSize_) + " bytes, got " +
            std::to_string(size);
    return std::nullopt;
  }
  if (size != 0)
    std::memcpy(tensor->data(), bytes, size);
  return tensor;
}

std::optional<HostTensor>
HostTensor::fromDoubles(DType dtype, std::vector<int64_t> shape,
                        std::span<const double> values, std::string &error) {
  std::optional<HostTensor> tensor = zeros(dtype, std::move(shape), error);
  if (!tensor)
    return std::nullopt;
  if (int64_t(values.size()) != tensor->numElements()) {
    error = formatType(dtype, tensor->shape_) + " has " +
            std::to_string(tensor->numElements()) + " elements, got " +
            std::to_string(values.size()) + " values";
    return std::nullopt;
  }
  size_t elementSize = dtypeSize(dtype);
  for (size_t i = 0; i < values.size(); ++i)
    encodeScalar(dtype, values[i], tensor->data() + i * elementSize);
  return tensor;
}

std::optional<HostTensor>
HostTensor::fromSafetensors(const SafetensorsReader &reader,
                            const TensorEntry &entry, std::string &error) {
  const uint8_t *bytes = reader.bytes(entry);
  if (!bytes && entry.byteSize != 0) {
    error = reader.path() + ": tensor '" + entry.name +
            "' does not belong to this file";
    return std::nullopt;
  }
  std::string problem;
  std::optional<HostTensor> tensor = fromBytes(entry.dtype, entry.shape, bytes,
                                               size_t(entry.byteSize), problem);
  if (!tensor)
    error = reader.path() + ": tensor '" + entry.name + "': " + problem;
  return tensor;
}

std::optional<HostTensor> HostTensor::clone(std::string &error) const {
  return fromBytes(dtype_, shape_, data(), byteSize_, error);
}

int64_t HostTensor::numElements() const {
  return int64_t(byteSize_ / dtypeSize(dtype_));
}

double HostTensor::at(int64_t index) const {
  return decodeScalar(dtype_, data() + size_t(index) * dtypeSize(dtype_));
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> values(static_cast<size_t>(numElements()));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = at(int64_t(i));
  return values;
}

RawTensorToWrite HostTensor::toWrite(std::string name) const {
  return {std::move(name), dtype_, shape_, data()};
}

} // namespace ds::rt
