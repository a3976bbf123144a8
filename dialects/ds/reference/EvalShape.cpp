//===- EvalShape.cpp - reductions, softmax and shape ops ------------------===//

#include "dialects/ds/reference/Evaluators.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::reference;
using namespace mlir::ds::reference::eval;

namespace {

enum class Reduction { Sum, Mean, Max };

LogicalResult reduce(Operation *op, const Tensor &input, ArrayRef<int64_t> axes,
                     bool keepDims, Reduction kind, Results &results) {
  std::vector<bool> reduced(input.shape.size(), false);
  for (int64_t axis : axes)
    reduced[axis] = true;
  std::vector<int64_t> keptShape; // input shape with reduced dims set to 1
  std::vector<int64_t> outShape;
  int64_t count = 1;
  for (size_t dim = 0; dim < input.shape.size(); ++dim) {
    keptShape.push_back(reduced[dim] ? 1 : input.shape[dim]);
    if (reduced[dim])
      count *= input.shape[dim];
    if (!reduced[dim] || keepDims)
      outShape.push_back(reduced[dim] ? 1 : input.shape[dim]);
  }
  Tensor result = makeResult(op->getResult(0), outShape);
  double initial = kind == Reduction::Max
                       ? -std::numeric_limits<double>::infinity()
                       : 0.0;
  std::fill(result.values.begin(), result.values.end(), initial);
  std::vector<int64_t> keptStrides = stridesOf(keptShape);
  std::vector<int64_t> index;
  for (int64_t flat = 0; flat < input.numElements(); ++flat) {
    unflatten(flat, input.shape, index);
    int64_t target = 0;
    for (size_t dim = 0; dim < index.size(); ++dim)
      if (!reduced[dim])
        target += index[dim] * keptStrides[dim];
    double value = input.values[flat];
    double &acc = result.values[target];
    if (kind == Reduction::Max)
      acc = (std::isnan(acc) || std::isnan(value)) ? NAN : std::max(acc, value);
    else
      acc += value;
  }
  if (kind == Reduction::Mean)
    for (double &value : result.values)
      value /= static_cast<double>(count);
  if (kind == Reduction::Max && !isFloatKind(input.kind) && count == 0)
    return op->emitError("reduce_max of integers over an empty axis");
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

/// Visits every 1-D line of `shape` along `axis`: fn(offset, stride, length).
template <typename Fn>
void forEachLine(const std::vector<int64_t> &shape, int64_t axis, Fn fn) {
  std::vector<int64_t> strides = stridesOf(shape);
  int64_t length = shape[axis], stride = strides[axis];
  int64_t total = productOf(shape);
  if (length == 0)
    return;
  for (int64_t flat = 0; flat < total; ++flat) {
    // A line starts where the axis index is 0.
    if ((flat / stride) % length != 0)
      continue;
    fn(flat, stride, length);
  }
}

LogicalResult softmax(Operation *op, const Tensor &input, int64_t axis,
                      bool logarithm, Results &results) {
  Tensor result = makeResult(op->getResult(0), input.shape);
  forEachLine(input.shape, axis, [&](int64_t offset, int64_t stride,
                                     int64_t length) {
    double maximum = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < length; ++i)
      maximum = std::max(maximum, input.values[offset + i * stride]);
    double sum = 0.0;
    for (int64_t i = 0; i < length; ++i)
      sum += std::exp(input.values[offset + i * stride] - maximum);
    for (int64_t i = 0; i < length; ++i) {
      double x = input.values[offset + i * stride] - maximum;
      result.values[offset + i * stride] =
          logarithm ? x - std::log(sum) : std::exp(x) / sum;
    }
  });
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

std::vector<int64_t> resultShapeOrInput(Value result, int64_t count) {
  auto type = cast<RankedTensorType>(result.getType());
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  int64_t known = 1, dynamicDim = -1;
  for (size_t dim = 0; dim < shape.size(); ++dim) {
    if (ShapedType::isDynamic(shape[dim]))
      dynamicDim = static_cast<int64_t>(dim);
    else
      known *= shape[dim];
  }
  if (dynamicDim >= 0)
    shape[dynamicDim] = known ? count / known : 0;
  return shape;
}

LogicalResult evaluateTranspose(TransposeOp op, const Tensor &input,
                                Results &results) {
  ArrayRef<int64_t> permutation = op.getPermutation();
  std::vector<int64_t> shape;
  for (int64_t source : permutation)
    shape.push_back(input.shape[source]);
  Tensor result = makeResult(op.getResult(), shape);
  std::vector<int64_t> inStrides = stridesOf(input.shape), index;
  for (int64_t flat = 0; flat < result.numElements(); ++flat) {
    unflatten(flat, shape, index);
    int64_t source = 0;
    for (size_t dim = 0; dim < permutation.size(); ++dim)
      source += index[dim] * inStrides[permutation[dim]];
    result.values[flat] = input.values[source];
  }
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateSlice(SliceOp op, const Tensor &input, Results &results) {
  ArrayRef<int64_t> starts = op.getStarts(), limits = op.getLimits();
  std::vector<int64_t> strides(starts.size(), 1);
  if (auto given = op.getStrides())
    strides.assign(given->begin(), given->end());
  std::vector<int64_t> shape;
  for (size_t dim = 0; dim < starts.size(); ++dim) {
    if (limits[dim] > input.shape[dim])
      return op.emitError("slice limit ")
             << limits[dim] << " exceeds dimension " << dim << " of size "
             << input.shape[dim];
    shape.push_back((limits[dim] - starts[dim] + strides[dim] - 1) /
                    strides[dim]);
  }
  Tensor result = makeResult(op.getResult(), shape);
  std::vector<int64_t> inStrides = stridesOf(input.shape), index;
  for (int64_t flat = 0; flat < result.numElements(); ++flat) {
    unflatten(flat, shape, index);
    int64_t source = 0;
    for (size_t dim = 0; dim < shape.size(); ++dim)
      source += (starts[dim] + index[dim] * strides[dim]) * inStrides[dim];
    result.values[flat] = input.values[source];
  }
  results.push_back(std::move(result));
  return success();
}

/// Splits `shape` at `axis` into (outer, axis size, inner) element counts.
void splitAround(const std::vector<int64_t> &shape, int64_t axis,
                 int64_t &outer, int64_t &inner) {
  outer = 1;
  inner = 1;
  for (int64_t dim = 0; dim < axis; ++dim)
    outer *= shape[dim];
  for (size_t dim = axis + 1; dim < shape.size(); ++dim)
    inner *= shape[dim];
}

LogicalResult evaluateDynamicUpdateSlice(DynamicUpdateSliceOp op,
                                         const Tensor &target,
                                         const Tensor &update,
                                         const Tensor &start,
                                         Results &results) {
  auto axis = static_cast<int64_t>(op.getAxis());
  int64_t outer, inner;
  splitAround(target.shape, axis, outer, inner);
  const int64_t size = target.shape[axis], count = update.shape[axis];
  // Clamped like StableHLO's dynamic_update_slice: the block always fits.
  const int64_t offset = std::clamp<int64_t>(
      static_cast<int64_t>(start.values.at(0)), 0, size - count);
  Tensor result = makeResult(op.getResult(), target.shape);
  result.values = target.values;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i)
      std::copy_n(&update.values[(o * count + i) * inner], inner,
                  &result.values[(o * size + offset + i) * inner]);
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateConcat(ConcatOp op, Operands operands, Results &results) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  std::vector<int64_t> shape = operands[0]->shape;
  shape[axis] = 0;
  for (const Tensor *input : operands) {
    for (size_t dim = 0; dim < shape.size(); ++dim)
      if (static_cast<int64_t>(dim) != axis && input->shape[dim] != shape[dim])
        return op.emitError("concatenated shapes ")
               << formatShape(operands[0]->shape) << " and "
               << formatShape(input->shape) << " differ outside axis " << axis;
    shape[axis] += input->shape[axis];
  }
  Tensor result = makeResult(op.getResult(), shape);
  int64_t outer, inner;
  splitAround(shape, axis, outer, inner);
  int64_t position = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *input : operands) {
      int64_t chunk = input->shape[axis] * inner;
      std::copy_n(input->values.begin() + o * chunk, chunk,
                  result.values.begin() + position);
      position += chunk;
    }
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateSplit(SplitOp op, const Tensor &input, Results &results) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  ArrayRef<int64_t> sizes = op.getSizes();
  int64_t total = 0;
  for (int64_t size : sizes)
    total += size;
  if (total != input.shape[axis])
    return op.emitError("split sizes sum to ")
           << total << " but axis " << axis << " has size "
           << input.shape[axis];
  int64_t outer, inner;
  splitAround(input.shape, axis, outer, inner);
  int64_t begin = 0;
  for (auto [number, size] : llvm::enumerate(sizes)) {
    std::vector<int64_t> shape = input.shape;
    shape[axis] = size;
    Tensor piece = makeResult(op.getResult(number), shape);
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(input.values.begin() + (o * input.shape[axis] + begin) * inner,
                  size * inner, piece.values.begin() + o * size * inner);
    begin += size;
    results.push_back(std::move(piece));
  }
  return success();
}

LogicalResult evaluateGather(GatherOp op, const Tensor &input,
                             const Tensor &indices, Results &results) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  std::vector<int64_t> shape(input.shape.begin(), input.shape.begin() + axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), input.shape.begin() + axis + 1, input.shape.end());
  Tensor result = makeResult(op.getResult(), shape);
  int64_t outer, inner;
  splitAround(input.shape, axis, outer, inner);
  int64_t axisSize = input.shape[axis], count = indices.numElements();
  for (int64_t i = 0; i < count; ++i) {
    double index = indices.values[i];
    if (index < 0 || index >= static_cast<double>(axisSize))
      return op.emitError("index ")
             << static_cast<int64_t>(index) << " at position " << i
             << " of the indices is outside [0, " << axisSize << ")";
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      auto index = static_cast<int64_t>(indices.values[i]);
      std::copy_n(input.values.begin() + (o * axisSize + index) * inner, inner,
                  result.values.begin() + (o * count + i) * inner);
    }
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluatePad(PadOp op, const Tensor &input, Results &results) {
  ArrayRef<int64_t> low = op.getLow(), high = op.getHigh();
  std::vector<int64_t> interior(input.shape.size(), 0);
  if (auto given = op.getInterior())
    interior.assign(given->begin(), given->end());
  std::vector<int64_t> shape;
  for (size_t dim = 0; dim < input.shape.size(); ++dim)
    shape.push_back(low[dim] + input.shape[dim] +
                    std::max<int64_t>(input.shape[dim] - 1, 0) * interior[dim] +
                    high[dim]);
  Tensor result = makeResult(op.getResult(), shape); // zeros
  std::vector<int64_t> outStrides = stridesOf(shape), index;
  for (int64_t flat = 0; flat < input.numElements(); ++flat) {
    unflatten(flat, input.shape, index);
    int64_t target = 0;
    for (size_t dim = 0; dim < shape.size(); ++dim)
      target += (low[dim] + index[dim] * (interior[dim] + 1)) * outStrides[dim];
    result.values[target] = input.values[flat];
  }
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateScatterAdd(ScatterAddOp op, const Tensor &updates,
                                 const Tensor &indices, Results &results) {
  int64_t axis = static_cast<int64_t>(op.getAxis());
  auto type = cast<RankedTensorType>(op.getType());
  // The result's dynamic sizes other than the axis come from the updates.
  std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
  int64_t indexRank = indices.rank();
  if (updates.rank() != static_cast<int64_t>(shape.size()) - 1 + indexRank)
    return op.emitError("the updates have shape ")
           << formatShape(updates.shape) << ", which does not fit indices of "
           << "shape " << formatShape(indices.shape) << " and a result of "
           << "rank " << shape.size();
  for (int64_t dim = 0; dim < static_cast<int64_t>(shape.size()); ++dim) {
    if (dim == axis || !ShapedType::isDynamic(shape[dim]))
      continue;
    shape[dim] = updates.shape[dim < axis ? dim : dim - 1 + indexRank];
  }
  if (ShapedType::isDynamic(shape[axis]))
    return op.emitError("scatter_add needs a static result size along axis ")
           << axis;
  std::vector<int64_t> expected(shape.begin(), shape.begin() + axis);
  expected.insert(expected.end(), indices.shape.begin(), indices.shape.end());
  expected.insert(expected.end(), shape.begin() + axis + 1, shape.end());
  if (updates.shape != expected)
    return op.emitError("the updates have shape ")
           << formatShape(updates.shape) << " but must have "
           << formatShape(expected);
  int64_t outer, inner;
  splitAround(shape, axis, outer, inner);
  int64_t axisSize = shape[axis], count = indices.numElements();
  for (int64_t i = 0; i < count; ++i) {
    double index = indices.values[i];
    if (index < 0 || index >= static_cast<double>(axisSize))
      return op.emitError("index ")
             << static_cast<int64_t>(index) << " at position " << i
             << " of the indices is outside [0, " << axisSize << ")";
  }
  Tensor result = makeResult(op.getResult(), shape); // zeros
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      auto index = static_cast<int64_t>(indices.values[i]);
      for (int64_t n = 0; n < inner; ++n)
        result.values[(o * axisSize + index) * inner + n] +=
            updates.values[(o * count + i) * inner + n];
    }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

} // namespace

std::optional<LogicalResult> eval::evaluateShapeOp(Operation *op,
                                                     Operands operands,
                                                     Results &results) {
  const Tensor &input = *operands.front();
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case<ReduceSumOp>([&](ReduceSumOp r) {
        return reduce(op, input, r.getAxes(), r.getKeepDims(), Reduction::Sum,
                      results);
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp r) {
        return reduce(op, input, r.getAxes(), r.getKeepDims(), Reduction::Mean,
                      results);
      })
      .Case<ReduceMaxOp>([&](ReduceMaxOp r) {
        return reduce(op, input, r.getAxes(), r.getKeepDims(), Reduction::Max,
                      results);
      })
      .Case<SoftmaxOp>([&](SoftmaxOp s) {
        return softmax(op, input, static_cast<int64_t>(s.getAxis()), false,
                       results);
      })
      .Case<LogSoftmaxOp>([&](LogSoftmaxOp s) {
        return softmax(op, input, static_cast<int64_t>(s.getAxis()), true,
                       results);
      })
      .Case<ReshapeOp>([&](ReshapeOp r) -> LogicalResult {
        std::vector<int64_t> shape =
            resultShapeOrInput(r.getResult(), input.numElements());
        if (productOf(shape) != input.numElements())
          return op->emitError("cannot reshape ")
                 << formatShape(input.shape) << " (" << input.numElements()
                 << " elements) to " << r.getType();
        results.emplace_back(input.kind, shape, input.values);
        return success();
      })
      .Case<TransposeOp>(
          [&](TransposeOp t) { return evaluateTranspose(t, input, results); })
      .Case<BroadcastOp>([&](BroadcastOp b) -> LogicalResult {
        auto type = cast<RankedTensorType>(b.getType());
        std::vector<int64_t> shape(type.getShape().begin(),
                                   type.getShape().end());
        size_t offset = shape.size() - input.shape.size();
        for (size_t dim = 0; dim < shape.size(); ++dim) {
          if (!ShapedType::isDynamic(shape[dim]))
            continue;
          // A dynamic result dim takes the input's size where it has one.
          shape[dim] = dim >= offset ? input.shape[dim - offset] : 1;
        }
        std::vector<int64_t> check;
        if (!broadcastShapes(input.shape, shape, check) || check != shape)
          return op->emitError("cannot broadcast ")
                 << formatShape(input.shape) << " to " << type;
        Tensor result = makeResult(b.getResult(), shape);
        std::vector<int64_t> map = broadcastIndexMap(input.shape, shape);
        for (size_t i = 0; i < map.size(); ++i)
          result.values[i] = input.values[map[i]];
        results.push_back(std::move(result));
        return success();
      })
      .Case<SliceOp>([&](SliceOp s) { return evaluateSlice(s, input, results); })
      .Case<ConcatOp>(
          [&](ConcatOp c) { return evaluateConcat(c, operands, results); })
      .Case<SplitOp>([&](SplitOp s) { return evaluateSplit(s, input, results); })
      .Case<GatherOp>([&](GatherOp g) {
        return evaluateGather(g, input, *operands[1], results);
      })
      .Case<PadOp>([&](PadOp p) { return evaluatePad(p, input, results); })
      .Case<DynamicUpdateSliceOp>([&](DynamicUpdateSliceOp d) {
        return evaluateDynamicUpdateSlice(d, input, *operands[1], *operands[2],
                                          results);
      })
      .Case<ScatterAddOp>([&](ScatterAddOp s) {
        return evaluateScatterAdd(s, input, *operands[1], results);
      })
      .Default([](Operation *) { return std::nullopt; });
}
