//===- Tensor.cpp - the reference interpreter's values --------------------===//

#include "dialects/ds/reference/Tensor.h"

#include "runtime/io/DType.h"

#include <cmath>
#include <limits>

using namespace mlir::ds::reference;

bool mlir::ds::reference::isFloatKind(ElementKind kind) {
  switch (kind) {
  case ElementKind::F64:
  case ElementKind::F32:
  case ElementKind::F16:
  case ElementKind::BF16:
  case ElementKind::F8E4M3FN:
  case ElementKind::F8E5M2:
    return true;
  default:
    return false;
  }
}

namespace {
struct KindInfo {
  ElementKind kind;
  const char *name;
};
constexpr KindInfo kKinds[] = {
    {ElementKind::F64, "f64"},           {ElementKind::F32, "f32"},
    {ElementKind::F16, "f16"},           {ElementKind::BF16, "bf16"},
    {ElementKind::F8E4M3FN, "f8E4M3FN"}, {ElementKind::F8E5M2, "f8E5M2"},
    {ElementKind::I1, "i1"},             {ElementKind::I8, "i8"},
    {ElementKind::I16, "i16"},           {ElementKind::I32, "i32"},
    {ElementKind::I64, "i64"},
};
} // namespace

const char *mlir::ds::reference::kindName(ElementKind kind) {
  for (const KindInfo &info : kKinds)
    if (info.kind == kind)
      return info.name;
  return "?";
}

std::optional<ElementKind>
mlir::ds::reference::parseKindName(std::string_view name) {
  for (const KindInfo &info : kKinds)
    if (name == info.name)
      return info.kind;
  return std::nullopt;
}

/// Wraps an integral value to `bits` bits, two's complement.
static double wrapInteger(double value, int bits) {
  if (!std::isfinite(value))
    return 0.0;
  // Values reach here integral and within 2^63; int64 arithmetic wraps them.
  auto asInt = static_cast<int64_t>(value);
  if (bits == 64)
    return static_cast<double>(asInt);
  uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t low = static_cast<uint64_t>(asInt) & mask;
  uint64_t signBit = uint64_t{1} << (bits - 1);
  int64_t wrapped = (low & signBit) ? static_cast<int64_t>(low | ~mask)
                                    : static_cast<int64_t>(low);
  return static_cast<double>(wrapped);
}

double mlir::ds::reference::roundToKind(ElementKind kind, double value) {
  using ::ds::rt::DType;
  switch (kind) {
  case ElementKind::F64:
    return value;
  case ElementKind::F32:
    return static_cast<double>(static_cast<float>(value));
  case ElementKind::F16:
    return ::ds::rt::roundToDType(DType::F16, value);
  case ElementKind::BF16:
    return ::ds::rt::roundToDType(DType::BF16, value);
  case ElementKind::F8E4M3FN:
    return ::ds::rt::roundToDType(DType::F8_E4M3, value);
  case ElementKind::F8E5M2:
    return ::ds::rt::roundToDType(DType::F8_E5M2, value);
  case ElementKind::I1:
    return value != 0.0 ? 1.0 : 0.0;
  case ElementKind::I8:
    return wrapInteger(value, 8);
  case ElementKind::I16:
    return wrapInteger(value, 16);
  case ElementKind::I32:
    return wrapInteger(value, 32);
  case ElementKind::I64:
    return wrapInteger(value, 64);
  }
  return value;
}

Tensor::Tensor(ElementKind kind, std::vector<int64_t> shape)
    : kind(kind), shape(std::move(shape)) {
  values.assign(numElements(), 0.0);
}

Tensor::Tensor(ElementKind kind, std::vector<int64_t> shape,
               std::vector<double> values)
    : kind(kind), shape(std::move(shape)), values(std::move(values)) {}

int64_t Tensor::numElements() const { return productOf(shape); }

void Tensor::roundValues() {
  if (kind == ElementKind::F64)
    return;
  for (double &value : values)
    value = roundToKind(kind, value);
}

std::vector<int64_t>
mlir::ds::reference::stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t dim = shape.size(); dim-- > 1;)
    strides[dim - 1] = strides[dim] * shape[dim];
  return strides;
}

int64_t mlir::ds::reference::productOf(const std::vector<int64_t> &dims) {
  int64_t product = 1;
  for (int64_t dim : dims)
    product *= dim;
  return product;
}

std::string
mlir::ds::reference::formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t dim = 0; dim < shape.size(); ++dim) {
    if (dim)
      text += ", ";
    text += std::to_string(shape[dim]);
  }
  return text + "]";
}

double mlir::ds::reference::relativeError(const Tensor &a, const Tensor &b) {
  if (a.shape != b.shape || a.values.size() != b.values.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    double d = a.values[i] - b.values[i];
    diff += d * d;
    norm += b.values[i] * b.values[i];
  }
  if (std::isnan(diff) || std::isnan(norm))
    return std::numeric_limits<double>::infinity();
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}
