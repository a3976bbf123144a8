//===- Tensor.h - the reference interpreter's values ------------*- C++ -*-===//
//
// A tensor of the reference interpreter: a shape, an element kind, and the
// elements in row-major order, each held as a double. A double holds every
// value of every ds element type exactly (floats up to f64, integers up to
// 2^53), so one plain representation serves all of them; after each op the
// results are rounded to what their element type can hold.
//
// Plain C++ with no MLIR dependency, so weight loaders and tests can build
// tensors without the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_REFERENCE_TENSOR_H
#define DS_DIALECTS_DS_REFERENCE_TENSOR_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlir::ds::reference {

enum class ElementKind {
  F64, F32, F16, BF16, F8E4M3FN, F8E5M2, I1, I8, I16, I32, I64
};

bool isFloatKind(ElementKind kind);
/// The MLIR spelling: "f32", "bf16", "f8E4M3FN", "i32", ...
const char *kindName(ElementKind kind);
std::optional<ElementKind> parseKindName(std::string_view name);

/// The value an element of `kind` holds for `value`: floats round to nearest,
/// ties to even (f8E4M3FN saturates at ±448, f8E5M2 overflows to ±inf);
/// integers (given integral values) wrap to their width in two's complement;
/// i1 is 0 or 1.
double roundToKind(ElementKind kind, double value);

struct Tensor {
  ElementKind kind = ElementKind::F32;
  std::vector<int64_t> shape;
  std::vector<double> values; // row-major, numElements() of them

  Tensor() = default;
  Tensor(ElementKind kind, std::vector<int64_t> shape);
  Tensor(ElementKind kind, std::vector<int64_t> shape,
         std::vector<double> values);

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numElements() const;
  /// Rounds every element to `kind` (see roundToKind).
  void roundValues();
};

/// Row-major strides of `shape`, in elements.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape);
int64_t productOf(const std::vector<int64_t> &dims);
/// "[2, 16, 64]".
std::string formatShape(const std::vector<int64_t> &shape);

/// ‖a − b‖₂ / ‖b‖₂ over all elements (‖a − b‖₂ when b is all zeros);
/// infinity when the shapes differ or any value is NaN.
double relativeError(const Tensor &a, const Tensor &b);

} // namespace mlir::ds::reference

#endif // DS_DIALECTS_DS_REFERENCE_TENSOR_H
