//===- DsShapeOps.cpp - reductions, softmax and shape ops -----------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::ds;

#define GET_OP_CLASSES
#include "dialects/ds/DsShapeOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

LogicalResult mlir::ds::inferReduction(std::optional<Location> loc,
                                      StringRef opName, Value input,
                                      ArrayRef<int64_t> axes, bool keepDims,
                                      SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, opName);
  FailureOr<RankedTensorType> type = getRankedOperand(report, input, 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  if (axes.empty())
    return report.fail("axes must name at least one dimension");
  llvm::SmallBitVector reduced(rank);
  for (int64_t axis : axes) {
    if (failed(checkAxis(report, "axis", axis, rank)))
      return failure();
    if (reduced.test(axis))
      return report.fail("axis ", axis, " is listed twice in axes");
    reduced.set(axis);
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced.test(d))
      shape.push_back(type->getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, type->getElementType()));
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return checkAxis(RuleReporter(getLoc(), getOperationName()), "axis",
                   getAxis(), getType().getRank());
}
LogicalResult LogSoftmaxOp::verify() {
  return checkAxis(RuleReporter(getLoc(), getOperationName()), "axis",
                   getAxis(), getType().getRank());
}

//===----------------------------------------------------------------------===//
// Reshape
//===----------------------------------------------------------------------===//

/// The product of the static dimensions, or nullopt if it overflows.
static std::optional<int64_t> staticProduct(ArrayRef<int64_t> shape) {
  int64_t product = 1;
  for (int64_t dim : shape)
    if (!ShapedType::isDynamic(dim) && llvm::MulOverflow(product, dim, product))
      return std::nullopt;
  return product;
}

LogicalResult ReshapeOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("result element type ")
           << result.getElementType() << " differs from the input's "
           << input.getElementType();
  if (result.getNumDynamicDims() > 1)
    return emitOpError("result shape ")
           << formatShape(result.getShape())
           << " has more than one dynamic dimension";
  // Products of the static dimensions on each side. Both sides hold the same
  // elements, so when one side is fully static its count is a multiple of the
  // other side's static product (equal when both are static).
  std::optional<int64_t> inputKnown = staticProduct(input.getShape());
  std::optional<int64_t> resultKnown = staticProduct(result.getShape());
  if (!inputKnown || !resultKnown)
    return emitOpError("element count of ")
           << formatShape(input.getShape()) << " or "
           << formatShape(result.getShape()) << " overflows 64 bits";
  auto divides = [](int64_t part, int64_t whole) {
    return part == 0 ? whole == 0 : whole % part == 0;
  };
  bool ok = true;
  if (input.hasStaticShape() && result.hasStaticShape())
    ok = *inputKnown == *resultKnown;
  else if (input.hasStaticShape())
    ok = divides(*resultKnown, *inputKnown);
  else if (result.hasStaticShape())
    ok = divides(*inputKnown, *resultKnown);
  if (!ok) {
    InFlightDiagnostic diag = emitOpError("cannot reshape ")
                              << formatShape(input.getShape());
    if (input.hasStaticShape())
      diag << " (" << *inputKnown << " elements)";
    diag << " to " << formatShape(result.getShape());
    if (result.hasStaticShape())
      diag << " (" << *resultKnown << " elements)";
    return diag;
  }
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) is reshape(x): only the final shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type =
      getRankedOperand(report, adaptor.getInput(), 0);
  if (failed(type))
    return failure();
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  int64_t rank = type->getRank();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return report.fail("permutation has ", permutation.size(),
                       " entries but the input has rank ", rank);
  llvm::SmallBitVector seen(rank);
  SmallVector<int64_t> shape;
  for (int64_t source : permutation) {
    if (source < 0 || source >= rank || seen.test(source))
      return report.fail("permutation ", formatShape(permutation),
                         " is not a permutation of [0, ", rank, ")");
    seen.set(source);
    shape.push_back(type->getDimSize(source));
  }
  results.push_back(RankedTensorType::get(shape, type->getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [index, source] : llvm::enumerate(getPermutation()))
    if (static_cast<int64_t>(index) != source)
      return {};
  return getInput();
}

namespace {
/// transpose(transpose(x, inner), outer) = transpose(x, inner ∘ outer).
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp outer,
                                PatternRewriter &rewriter) const override {
    auto inner = outer.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> composed;
    for (int64_t source : outer.getPermutation())
      composed.push_back(inner.getPermutation()[source]);
    rewriter.replaceOpWithNewOp<TransposeOp>(outer, inner.getInput(), composed);
    return success();
  }
};
} // namespace

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ComposeTransposes>(context);
}

//===----------------------------------------------------------------------===//
// Broadcast
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getType();
  if (input.getElementType() != result.getElementType())
    return emitOpError("result element type ")
           << result.getElementType() << " differs from the input's "
           << input.getElementType();
  if (input.getRank() > result.getRank())
    return emitOpError("cannot broadcast rank-")
           << input.getRank() << " input to a rank-" << result.getRank()
           << " result (the result rank must not be smaller)";
  int64_t lead = result.getRank() - input.getRank();
  for (int64_t d = 0; d < input.getRank(); ++d) {
    int64_t from = input.getDimSize(d), to = result.getDimSize(lead + d);
    if (from != 1 && !dimsCompatible(from, to))
      return emitOpError("cannot broadcast ")
             << formatShape(input.getShape()) << " to "
             << formatShape(result.getShape()) << ": input dimension " << d
             << " is " << from << " but result dimension " << lead + d
             << " is " << to << " (must be equal, or the input's 1)";
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return splat.resizeSplat(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type =
      getRankedOperand(report, adaptor.getInput(), 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  ArrayRef<int64_t> starts = adaptor.getStarts();
  ArrayRef<int64_t> limits = adaptor.getLimits();
  SmallVector<int64_t> strides(rank, 1);
  if (std::optional<ArrayRef<int64_t>> given = adaptor.getStrides())
    strides.assign(given->begin(), given->end());
  for (auto [what, list] : {std::pair<StringRef, size_t>{"starts", starts.size()},
                            {"limits", limits.size()},
                            {"strides", strides.size()}})
    if (static_cast<int64_t>(list) != rank)
      return report.fail(what, " has ", list, " entries but the input has rank ",
                         rank);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = type->getDimSize(d);
    if (starts[d] < 0 || starts[d] > limits[d] ||
        (!ShapedType::isDynamic(size) && limits[d] > size))
      return report.fail("dimension ", d, ": needs 0 <= start <= limit <= ",
                         ShapedType::isDynamic(size) ? std::string("size")
                                                     : std::to_string(size),
                         ", got start ", starts[d], " and limit ", limits[d]);
    if (strides[d] < 1)
      return report.fail("dimension ", d, ": stride must be >= 1, got ",
                         strides[d]);
    // ceil((limit - start) / stride), without overflowing for huge strides.
    int64_t extent = limits[d] - starts[d];
    shape.push_back(extent == 0 ? 0 : 1 + (extent - 1) / strides[d]);
  }
  results.push_back(RankedTensorType::get(shape, type->getElementType()));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  RankedTensorType input = getInput().getType();
  if (input != getType())
    return {};
  // Same type: a full slice has zero starts and unit strides.
  bool unitStrides =
      !getStrides() || llvm::all_of(*getStrides(), [](int64_t s) { return s == 1; });
  if (unitStrides && llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }))
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Concat and split
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return report.fail("needs at least one input");
  FailureOr<RankedTensorType> first = getRankedOperand(report, inputs[0], 0);
  if (failed(first))
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(report, "axis", axis, first->getRank())))
    return failure();
  SmallVector<int64_t> shape(first->getShape());
  for (unsigned i = 1; i < inputs.size(); ++i) {
    FailureOr<RankedTensorType> type = getRankedOperand(report, inputs[i], i);
    if (failed(type))
      return failure();
    if (type->getElementType() != first->getElementType())
      return report.fail("operand #", i, " has element type ",
                         type->getElementType(), " but operand #0 has ",
                         first->getElementType());
    if (type->getRank() != first->getRank())
      return report.fail("operand #", i, " has rank ", type->getRank(),
                         " but operand #0 has rank ", first->getRank());
    for (int64_t d = 0; d < first->getRank(); ++d) {
      int64_t size = type->getDimSize(d);
      if (d == axis) {
        if (ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(size))
          shape[d] = ShapedType::kDynamic;
        else if (llvm::AddOverflow(shape[d], size, shape[d]))
          return report.fail("the concatenated size along axis ", axis,
                             " overflows 64 bits");
      } else if (!dimsCompatible(shape[d], size)) {
        return report.fail("operand #", i, " of shape ",
                           formatShape(type->getShape()),
                           " differs from operand #0 of shape ",
                           formatShape(first->getShape()), " in dimension ", d,
                           " (only the concatenation axis ", axis,
                           " may differ)");
      } else if (ShapedType::isDynamic(shape[d])) {
        shape[d] = size;
      }
    }
  }
  results.push_back(RankedTensorType::get(shape, first->getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type =
      getRankedOperand(report, adaptor.getInput(), 0);
  if (failed(type))
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(report, "axis", axis, type->getRank())))
    return failure();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  if (sizes.empty())
    return report.fail("sizes must list at least one piece");
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return report.fail("sizes ", formatShape(sizes),
                         " has a negative entry");
    if (llvm::AddOverflow(total, size, total))
      return report.fail("sizes ", formatShape(sizes), " overflow 64 bits");
  }
  int64_t extent = type->getDimSize(axis);
  if (!ShapedType::isDynamic(extent) && total != extent)
    return report.fail("sizes ", formatShape(sizes), " add up to ", total,
                       " but dimension ", axis, " of the input is ", extent);
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(type->getShape());
    shape[axis] = size;
    results.push_back(RankedTensorType::get(shape, type->getElementType()));
  }
  return success();
}

LogicalResult SplitOp::fold(FoldAdaptor,
                            SmallVectorImpl<OpFoldResult> &results) {
  if (getNumResults() != 1 || getInput().getType() != getResult(0).getType())
    return failure();
  results.push_back(getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> input =
      getRankedOperand(report, adaptor.getInput(), 0);
  if (failed(input))
    return failure();
  FailureOr<RankedTensorType> indices =
      getRankedOperand(report, adaptor.getIndices(), 1);
  if (failed(indices))
    return failure();
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(report, "axis", axis, input->getRank())))
    return failure();
  SmallVector<int64_t> shape(input->getShape().take_front(axis));
  llvm::append_range(shape, indices->getShape());
  llvm::append_range(shape, input->getShape().drop_front(axis + 1));
  results.push_back(RankedTensorType::get(shape, input->getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// PadOp, ScatterAddOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type =
      getRankedOperand(report, adaptor.getInput(), 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  SmallVector<int64_t> interior(rank, 0);
  if (std::optional<ArrayRef<int64_t>> given = adaptor.getInterior())
    interior.assign(given->begin(), given->end());
  for (auto [what, list] : {std::pair<StringRef, size_t>{"low", low.size()},
                            {"high", high.size()},
                            {"interior", interior.size()}})
    if (static_cast<int64_t>(list) != rank)
      return report.fail(what, " has ", list, " entries but the input has rank ",
                         rank);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (low[d] < 0 || high[d] < 0 || interior[d] < 0)
      return report.fail("dimension ", d, ": paddings must be >= 0, got low ",
                         low[d], ", high ", high[d], " and interior ",
                         interior[d]);
    int64_t size = type->getDimSize(d);
    if (ShapedType::isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    shape.push_back(low[d] + size + std::max<int64_t>(size - 1, 0) * interior[d] +
                    high[d]);
  }
  results.push_back(RankedTensorType::get(shape, type->getElementType()));
  return success();
}

LogicalResult ScatterAddOp::verify() {
  RuleReporter report(getLoc(), getOperationName());
  auto updates = cast<RankedTensorType>(getUpdates().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis();
  if (failed(checkAxis(report, "axis", axis, result.getRank())))
    return failure();
  if (updates.getElementType() != result.getElementType())
    return report.fail("the updates' element type ", updates.getElementType(),
                       " differs from the result's ", result.getElementType());
  SmallVector<int64_t> expected(result.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, result.getShape().drop_front(axis + 1));
  if (!shapesCompatible(updates.getShape(), expected))
    return report.fail("the updates have shape ",
                       formatShape(updates.getShape()), " but must have ",
                       formatShape(expected),
                       " (result.shape[:axis] + indices.shape + "
                       "result.shape[axis+1:])");
  return success();
}

//===----------------------------------------------------------------------===//
// Dynamic update slice
//===----------------------------------------------------------------------===//

LogicalResult DynamicUpdateSliceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType, 3> t;
  Value operands[] = {adaptor.getTarget(), adaptor.getUpdate(),
                      adaptor.getStart()};
  for (auto [number, value] : llvm::enumerate(operands)) {
    FailureOr<RankedTensorType> type = getRankedOperand(report, value, number);
    if (failed(type))
      return failure();
    t.push_back(*type);
  }
  RankedTensorType target = t[0], update = t[1], start = t[2];
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(report, "axis", axis, target.getRank())))
    return failure();
  if (update.getElementType() != target.getElementType())
    return report.fail("the update's element type ", update.getElementType(),
                       " differs from the target's ", target.getElementType());
  if (update.getRank() != target.getRank())
    return report.fail("the update has rank ", update.getRank(),
                       " but the target has rank ", target.getRank());
  for (int64_t d = 0; d < target.getRank(); ++d) {
    int64_t want = target.getDimSize(d), have = update.getDimSize(d);
    if (ShapedType::isDynamic(want) || ShapedType::isDynamic(have))
      continue;
    if (d == axis ? have > want : have != want)
      return report.fail("the update has shape ", formatShape(update.getShape()),
                         " but the target has shape ",
                         formatShape(target.getShape()),
                         " (only dimension ", axis, ", the axis, may be "
                         "smaller)");
  }
  if (start.getRank() != 0)
    return report.fail("operand #2 (start) must be a rank-0 integer tensor, "
                       "got ", Type(start));
  results.push_back(target);
  return success();
}
