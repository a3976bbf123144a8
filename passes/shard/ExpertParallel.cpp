//===- ExpertParallel.cpp - Routed experts split over ranks ---------------===//

#include "passes/shard/ExpertParallel.h"

#include "dialects/ds/DsDialect.h"

namespace mlir::ds {
namespace {

/// A rank-0 constant of `element` type.
Value scalar(OpBuilder &b, Location loc, Type element, int64_t value) {
  auto type = RankedTensorType::get({}, element);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, IntegerAttr::get(element, value)));
}

} // namespace

Value localExpertIndices(OpBuilder &b, Location loc, Value indices,
                         shard::GridOp grid,
                         ArrayRef<shard::GridAxis> expertAxes,
                         int64_t localExperts, int64_t globalExperts) {
  Type element = cast<RankedTensorType>(indices.getType()).getElementType();
  // The number of this rank's first expert: its slice of 0, 1, ..., E-1.
  Value all = IotaOp::create(
      b, loc, RankedTensorType::get({globalExperts}, element), 0);
  auto mine = shard::AllSliceOp::create(
      b, loc, RankedTensorType::get({localExperts}, element), all,
      grid.getSymName(), expertAxes, 0);
  mine->setAttr(kReasonAttrName,
                b.getStringAttr("expert parallel: the numbers of the experts "
                                "this rank holds"));
  Value first = SliceOp::create(b, loc, mine, ArrayRef<int64_t>{0},
                                ArrayRef<int64_t>{1}, DenseI64ArrayAttr());
  Value shifted = SubOp::create(b, loc, indices, first);
  Value elsewhere = scalar(b, loc, element, -1);
  Value below = CompareOp::create(b, loc, CompareDirection::lt, shifted,
                                  scalar(b, loc, element, 0));
  Value above = CompareOp::create(b, loc, CompareDirection::ge, shifted,
                                  scalar(b, loc, element, localExperts));
  Value low = SelectOp::create(b, loc, below, elsewhere, shifted);
  return SelectOp::create(b, loc, above, elsewhere, low);
}

} // namespace mlir::ds
