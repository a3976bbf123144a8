//===- EvalElementwise.cpp - elementwise ops, constants, casts, iota -----===//

#include "dialects/ds/reference/Evaluators.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::reference;
using namespace mlir::ds::reference::eval;

namespace {

/// Applies `fn` elementwise with NumPy broadcasting.
template <typename Fn>
LogicalResult binary(Operation *op, Operands operands, Results &results,
                     Fn fn) {
  const Tensor &lhs = *operands[0], &rhs = *operands[1];
  std::vector<int64_t> shape;
  if (!broadcastShapes(lhs.shape, rhs.shape, shape))
    return op->emitError("operand shapes ")
           << formatShape(lhs.shape) << " and " << formatShape(rhs.shape)
           << " do not broadcast";
  Tensor result = makeResult(op->getResult(0), shape);
  std::vector<int64_t> lhsIndex = broadcastIndexMap(lhs.shape, shape);
  std::vector<int64_t> rhsIndex = broadcastIndexMap(rhs.shape, shape);
  bool isFloat = isFloatKind(lhs.kind);
  for (size_t i = 0; i < result.values.size(); ++i) {
    FailureOr<double> value =
        fn(lhs.values[lhsIndex[i]], rhs.values[rhsIndex[i]], isFloat);
    if (failed(value))
      return op->emitError("integer division by zero");
    result.values[i] = *value;
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

template <typename Fn>
LogicalResult unary(Operation *op, Operands operands, Results &results,
                    Fn fn) {
  Tensor result = makeResult(op->getResult(0), operands[0]->shape);
  for (size_t i = 0; i < result.values.size(); ++i)
    result.values[i] = fn(operands[0]->values[i]);
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

double propagateNaN(double a, double b, double chosen) {
  return std::isnan(a) || std::isnan(b) ? std::numeric_limits<double>::quiet_NaN()
                                        : chosen;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// grad · gelu'(x), with the derivative of the same form as ds.gelu.
LogicalResult evaluateGeluGrad(GeluGradOp op, const Tensor &input,
                               const Tensor &grad, Results &results) {
  if (input.shape != grad.shape)
    return op.emitError("input shape ")
           << formatShape(input.shape) << " and grad shape "
           << formatShape(grad.shape) << " differ";
  bool tanhForm = op.getApproximate() == GeluApproximation::tanh;
  Tensor result = makeResult(op.getResult(), input.shape);
  for (size_t i = 0; i < result.values.size(); ++i) {
    double x = input.values[i], derivative;
    if (tanhForm) {
      const double k = std::sqrt(2.0 / M_PI);
      double t = std::tanh(k * (x + 0.044715 * x * x * x));
      derivative = 0.5 * (1.0 + t) +
                   0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x);
    } else {
      double cdf = 0.5 * (1.0 + std::erf(x / std::sqrt(2.0)));
      double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
      derivative = cdf + x * pdf;
    }
    result.values[i] = grad.values[i] * derivative;
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

bool compare(CompareDirection direction, double a, double b) {
  switch (direction) {
  case CompareDirection::eq:
    return a == b;
  case CompareDirection::ne:
    return a != b;
  case CompareDirection::lt:
    return a < b;
  case CompareDirection::le:
    return a <= b;
  case CompareDirection::gt:
    return a > b;
  case CompareDirection::ge:
    return a >= b;
  }
  return false;
}

/// The range of an integer kind.
std::pair<double, double> integerBounds(ElementKind kind) {
  switch (kind) {
  case ElementKind::I1:
    return {0, 1};
  case ElementKind::I8:
    return {-128, 127};
  case ElementKind::I16:
    return {-32768, 32767};
  case ElementKind::I32:
    return {-2147483648.0, 2147483647.0};
  default:
    return {-9223372036854775808.0, 9223372036854775807.0};
  }
}

LogicalResult evaluateCast(CastOp op, const Tensor &input, Results &results) {
  Tensor result = makeResult(op.getResult(), input.shape);
  bool fromFloat = isFloatKind(input.kind);
  bool toFloat = isFloatKind(result.kind);
  for (size_t i = 0; i < input.values.size(); ++i) {
    double x = input.values[i];
    if (toFloat || result.kind == ElementKind::I1 || !fromFloat) {
      result.values[i] = x; // rounded or wrapped by roundValues below
      continue;
    }
    // float -> integer: truncate toward zero, saturate, NaN -> 0.
    auto [low, high] = integerBounds(result.kind);
    double truncated = std::isnan(x) ? 0.0 : std::trunc(x);
    result.values[i] = std::min(std::max(truncated, low), high);
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateConstant(ConstantOp op, Results &results) {
  auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!dense)
    return op.emitError("the reference interpreter supports dense constants "
                        "only");
  auto type = cast<RankedTensorType>(op.getType());
  Tensor result = makeResult(op.getResult(), std::vector<int64_t>(
                                                 type.getShape().begin(),
                                                 type.getShape().end()));
  size_t i = 0;
  if (isa<FloatType>(type.getElementType())) {
    for (const APFloat &value : dense.getValues<APFloat>())
      result.values[i++] = value.convertToDouble();
  } else {
    bool isBool = type.getElementType().isInteger(1);
    for (const APInt &value : dense.getValues<APInt>())
      result.values[i++] = isBool ? static_cast<double>(value.getBoolValue())
                                  : static_cast<double>(value.getSExtValue());
  }
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateIota(IotaOp op, Results &results) {
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.hasStaticShape())
    return op.emitError("iota needs a static result shape at run time");
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  Tensor result = makeResult(op.getResult(), shape);
  auto dim = static_cast<int64_t>(op.getDim());
  std::vector<int64_t> index;
  for (size_t i = 0; i < result.values.size(); ++i) {
    unflatten(static_cast<int64_t>(i), shape, index);
    result.values[i] = static_cast<double>(index[dim]);
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

} // namespace

std::optional<LogicalResult>
eval::evaluateElementwiseOp(Operation *op, Operands operands,
                              Results &results) {
  using R = FailureOr<double>;
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case<AddOp>([&](auto) {
        return binary(op, operands, results,
                      [](double a, double b, bool) -> R { return a + b; });
      })
      .Case<SubOp>([&](auto) {
        return binary(op, operands, results,
                      [](double a, double b, bool) -> R { return a - b; });
      })
      .Case<MulOp>([&](auto) {
        return binary(op, operands, results,
                      [](double a, double b, bool) -> R { return a * b; });
      })
      .Case<DivOp>([&](auto) {
        return binary(op, operands, results,
                      [](double a, double b, bool isFloat) -> R {
                        if (isFloat)
                          return a / b;
                        if (b == 0.0)
                          return failure();
                        return std::trunc(a / b);
                      });
      })
      .Case<MaxOp>([&](auto) {
        return binary(op, operands, results, [](double a, double b, bool) -> R {
          return propagateNaN(a, b, std::max(a, b));
        });
      })
      .Case<MinOp>([&](auto) {
        return binary(op, operands, results, [](double a, double b, bool) -> R {
          return propagateNaN(a, b, std::min(a, b));
        });
      })
      .Case<PowOp>([&](auto) {
        return binary(op, operands, results,
                      [](double a, double b, bool) -> R { return std::pow(a, b); });
      })
      .Case<CompareOp>([&](CompareOp compareOp) {
        CompareDirection direction = compareOp.getDirection();
        return binary(op, operands, results,
                      [direction](double a, double b, bool) -> R {
                        return compare(direction, a, b) ? 1.0 : 0.0;
                      });
      })
      .Case<SelectOp>([&](auto) -> LogicalResult {
        const Tensor &condition = *operands[0], &onTrue = *operands[1],
                     &onFalse = *operands[2];
        std::vector<int64_t> partial, shape;
        if (!broadcastShapes(condition.shape, onTrue.shape, partial) ||
            !broadcastShapes(partial, onFalse.shape, shape))
          return op->emitError("operand shapes do not broadcast");
        Tensor result = makeResult(op->getResult(0), shape);
        std::vector<int64_t> c = broadcastIndexMap(condition.shape, shape);
        std::vector<int64_t> t = broadcastIndexMap(onTrue.shape, shape);
        std::vector<int64_t> f = broadcastIndexMap(onFalse.shape, shape);
        for (size_t i = 0; i < result.values.size(); ++i)
          result.values[i] = condition.values[c[i]] != 0.0
                                 ? onTrue.values[t[i]]
                                 : onFalse.values[f[i]];
        results.push_back(std::move(result));
        return success();
      })
      .Case<NegOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return -x; });
      })
      .Case<AbsOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::fabs(x); });
      })
      .Case<SquareOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return x * x; });
      })
      .Case<ReluOp>([&](auto) {
        return unary(op, operands, results, [](double x) {
          return std::isnan(x) ? x : std::max(x, 0.0);
        });
      })
      .Case<ExpOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::exp(x); });
      })
      .Case<LogOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::log(x); });
      })
      .Case<SqrtOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::sqrt(x); });
      })
      .Case<RsqrtOp>([&](auto) {
        return unary(op, operands, results,
                     [](double x) { return 1.0 / std::sqrt(x); });
      })
      .Case<TanhOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::tanh(x); });
      })
      .Case<SinOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::sin(x); });
      })
      .Case<CosOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return std::cos(x); });
      })
      .Case<SigmoidOp>([&](auto) {
        return unary(op, operands, results, [](double x) { return sigmoid(x); });
      })
      .Case<SiluOp>([&](auto) {
        return unary(op, operands, results,
                     [](double x) { return x * sigmoid(x); });
      })
      .Case<GeluOp>([&](GeluOp gelu) {
        if (gelu.getApproximate() == GeluApproximation::tanh)
          return unary(op, operands, results, [](double x) {
            const double k = std::sqrt(2.0 / M_PI);
            return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
          });
        return unary(op, operands, results, [](double x) {
          return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        });
      })
      .Case<GeluGradOp>([&](GeluGradOp g) {
        return evaluateGeluGrad(g, *operands[0], *operands[1], results);
      })
      .Case<ConstantOp>(
          [&](ConstantOp constant) { return evaluateConstant(constant, results); })
      .Case<CastOp>([&](CastOp cast) {
        return evaluateCast(cast, *operands[0], results);
      })
      .Case<IotaOp>([&](IotaOp iota) { return evaluateIota(iota, results); })
      .Default([](Operation *) { return std::nullopt; });
}
