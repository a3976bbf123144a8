//===- GradientBuckets.cpp - Few large gradient all_reduces ---------------===//

#include "passes/shard/GradientBuckets.h"
#include "passes/shard/Communication.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::ds {
namespace {

using shard::AllReduceOp;

/// `to` is for what `from` was for.
void keepReason(Operation *from, Operation *to) {
  if (Attribute reason = from->getAttr(kReasonAttrName))
    to->setAttr(kReasonAttrName, reason);
}

/// The grid axes `reduce` sums over, by name ("dp").
std::string axesOf(AllReduceOp reduce) {
  return gridAxesName(reduce, reduce.getGrid(), reduce.getGridAxes());
}

bool sameCollective(AllReduceOp a, AllReduceOp b) {
  return a.getGrid() == b.getGrid() && a.getGridAxes() == b.getGridAxes() &&
         a.getReduction() == b.getReduction();
}

/// Whether `value` is a constant of zeros.
bool isZero(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  return dense && dense.isSplat() &&
         ((isa<FloatType>(dense.getElementType()) &&
           dense.getSplatValue<APFloat>().isZero()) ||
          (dense.getElementType().isInteger() &&
           dense.getSplatValue<APInt>().isZero()));
}

/// 1: add(all_reduce(a), all_reduce(b)) → all_reduce(add(a, b)), for sums
/// whose results have no other use, and add(0, all_reduce(a)) →
/// all_reduce(a) (a sum that starts from zero: the gradient norm's).
/// Returns whether anything changed.
bool combineAdds(ModuleOp module) {
  bool changed = false;
  SmallVector<AddOp> adds;
  module.walk([&](AddOp add) { adds.push_back(add); });
  for (AddOp add : adds) {
    Value folded;
    for (auto [zero, other] : {std::pair(add.getLhs(), add.getRhs()),
                               std::pair(add.getRhs(), add.getLhs())})
      if (other.getDefiningOp<AllReduceOp>() && isZero(zero) &&
          other.getType() == add.getType())
        folded = other;
    if (folded) {
      add.replaceAllUsesWith(folded);
      add.erase();
      changed = true;
      continue;
    }
    auto lhs = add.getLhs().getDefiningOp<AllReduceOp>();
    auto rhs = add.getRhs().getDefiningOp<AllReduceOp>();
    if (!lhs || !rhs || lhs == rhs || !sameCollective(lhs, rhs) ||
        lhs.getReduction() != shard::ReductionKind::Sum ||
        !lhs->hasOneUse() || !rhs->hasOneUse() ||
        lhs.getType() != add.getType() || rhs.getType() != add.getType() ||
        lhs.getInput().getType() != lhs.getType() ||
        rhs.getInput().getType() != rhs.getType())
      continue;
    OpBuilder b(add);
    Value sum = AddOp::create(b, add.getLoc(), lhs.getInput(), rhs.getInput());
    auto reduced = AllReduceOp::create(
        b, lhs.getLoc(), add.getType(), lhs.getGrid(), lhs.getGridAxes(), sum,
        lhs.getReduction());
    keepReason(lhs, reduced);
    add.replaceAllUsesWith(reduced.getResult());
    add.erase();
    lhs.erase();
    rhs.erase();
    changed = true;
  }
  return changed;
}

/// 1b: a sum commutes with moving elements around: reshape(all_reduce(x))
/// → all_reduce(reshape(x)), likewise transpose, so the sum can travel on
/// to a function's result.
bool sinkThroughLayout(ModuleOp module) {
  bool changed = false;
  SmallVector<Operation *> layouts;
  module.walk([&](Operation *op) {
    if (isa<ReshapeOp, TransposeOp>(op))
      layouts.push_back(op);
  });
  for (Operation *layout : layouts) {
    auto reduce = layout->getOperand(0).getDefiningOp<AllReduceOp>();
    if (!reduce || !reduce->hasOneUse() ||
        reduce.getReduction() != shard::ReductionKind::Sum ||
        reduce.getInput().getType() != reduce.getType())
      continue;
    OpBuilder b(layout);
    Operation *moved = b.clone(*layout);
    moved->setOperand(0, reduce.getInput());
    auto summed = AllReduceOp::create(
        b, reduce.getLoc(), moved->getResult(0).getType(), reduce.getGrid(),
        reduce.getGridAxes(), moved->getResult(0), reduce.getReduction());
    keepReason(reduce, summed);
    layout->getResult(0).replaceAllUsesWith(summed.getResult());
    layout->erase();
    reduce.erase();
    changed = true;
  }
  return changed;
}

/// 2: an all_reduce that a function only returns moves to its callers.
bool sinkIntoCallers(ModuleOp module, func::FuncOp entry) {
  bool changed = false;
  for (auto function : module.getOps<func::FuncOp>()) {
    if (function == entry || function.isExternal())
      continue;
    auto ret = cast<func::ReturnOp>(function.front().getTerminator());
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(function.getSymNameAttr(), module);
    if (!uses)
      continue;
    // Last result first: each sum goes right after its call, so the sums
    // end up in result order.
    for (unsigned index = ret.getNumOperands(); index-- > 0;) {
      auto reduce = ret.getOperand(index).getDefiningOp<AllReduceOp>();
      if (!reduce || !reduce->hasOneUse() ||
          reduce.getInput().getType() != reduce.getType())
        continue;
      // Every caller must be able to sum the result itself: a call, or a
      // scan for which the result is stacked per layer (not a carry, which
      // the next layer reads).
      bool movable = !uses->empty();
      for (const SymbolTable::SymbolUse &use : *uses) {
        Operation *user = use.getUser();
        if (auto scan = dyn_cast<ScanOp>(user))
          movable &= index >= scan.getCarries().size();
        else
          movable &= isa<func::CallOp>(user);
      }
      if (!movable)
        continue;
      for (const SymbolTable::SymbolUse &use : *uses) {
        Operation *user = use.getUser();
        Value result = user->getResult(index);
        OpBuilder b = OpBuilder::atBlockBegin(user->getBlock());
        b.setInsertionPointAfter(user);
        auto summed = AllReduceOp::create(
            b, reduce.getLoc(), result.getType(), reduce.getGrid(),
            reduce.getGridAxes(), result, reduce.getReduction());
        keepReason(reduce, summed);
        result.replaceAllUsesExcept(summed.getResult(), summed);
      }
      ret->setOperand(index, reduce.getInput());
      reduce.erase();
      changed = true;
    }
  }
  return changed;
}

/// What the entry's sum of a call's result is, from the callee's result
/// attributes: a gradient ("grad.<parameter>"), or the expert load that
/// moves a selection bias. Empty when the result is not named.
struct Subject {
  std::string what, name, detail;
};
std::optional<Subject> subjectOf(AllReduceOp reduce) {
  auto result = dyn_cast<OpResult>(reduce.getInput());
  auto call = result ? dyn_cast<func::CallOp>(result.getOwner()) : nullptr;
  auto callee = call ? SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
                           call, call.getCalleeAttr())
                     : func::FuncOp();
  if (!callee)
    return std::nullopt;
  const unsigned index = result.getResultNumber();
  if (auto bias =
          callee.getResultAttrOfType<StringAttr>(index, kBalancesAttrName))
    return Subject{"expert load", "expert load of " + bias.getValue().str(),
                   "every rank moves the bias by the load of the whole "
                   "batch"};
  auto name = callee.getResultAttrOfType<StringAttr>(index, kNameAttrName);
  if (!name || !name.getValue().starts_with("grad."))
    return std::nullopt;
  return Subject{"gradient", name.getValue().drop_front(5).str(),
                 "each rank's part of the batch gives a partial sum"};
}

/// The entry's sums of named results say which tensor they sum.
void nameSums(func::FuncOp entry) {
  entry.walk([&](AllReduceOp reduce) {
    if (std::optional<Subject> subject = subjectOf(reduce))
      reduce->setAttr(kReasonAttrName,
                      StringAttr::get(reduce.getContext(),
                                      subject->what + ": " + subject->name +
                                          ", summed over " + axesOf(reduce) +
                                          " (" + subject->detail + ")"));
  });
}

/// ZeRO: all_slice(all_reduce(x)) → reduce_scatter(x) when the slice is the
/// sum's only use: each rank receives only its shard of the sum. When the
/// sum runs over more axes than the slice (ZeRO over dp of a gradient
/// summed over dp+ep), the rest of the sum is an all_reduce of the shard.
void scatterSlicedSums(func::FuncOp entry) {
  SmallVector<shard::AllSliceOp> slices;
  entry.walk([&](shard::AllSliceOp slice) { slices.push_back(slice); });
  for (shard::AllSliceOp slice : slices) {
    auto reduce = slice.getInput().getDefiningOp<AllReduceOp>();
    if (!reduce || !reduce->hasOneUse() ||
        reduce.getGrid() != slice.getGrid() ||
        reduce.getInput().getType() != reduce.getType())
      continue;
    ArrayRef<int16_t> summed = reduce.getGridAxes();
    ArrayRef<int16_t> sliced = slice.getGridAxes();
    if (!llvm::all_of(sliced, [&](int16_t axis) {
          return llvm::is_contained(summed, axis);
        }))
      continue;
    SmallVector<int16_t> rest;
    for (int16_t axis : summed)
      if (!llvm::is_contained(sliced, axis))
        rest.push_back(axis);
    OpBuilder b(slice);
    auto scattered = shard::ReduceScatterOp::create(
        b, slice.getLoc(), slice.getType(), reduce.getGrid(), sliced,
        reduce.getInput(), reduce.getReduction(), slice.getSliceAxis());
    const std::string over = gridAxesName(reduce, reduce.getGrid(), sliced);
    std::string reason = "partial sum: reduce-scattered over " + over;
    if (std::optional<Subject> subject = subjectOf(reduce))
      reason = subject->what + " shard: " + subject->name +
               ", reduce-scattered over " + over +
               " (each rank updates its shard: ZeRO)";
    scattered->setAttr(kReasonAttrName, b.getStringAttr(reason));
    Value shard = scattered.getResult();
    if (!rest.empty()) {
      auto completed = AllReduceOp::create(b, slice.getLoc(), shard.getType(),
                                           reduce.getGrid(), rest, shard,
                                           reduce.getReduction());
      completed->setAttr(kReasonAttrName,
                         b.getStringAttr(reason + ", then summed over " +
                                         gridAxesName(reduce, reduce.getGrid(),
                                                      rest)));
      shard = completed;
    }
    slice.replaceAllUsesWith(shard);
    slice.erase();
    reduce.erase();
  }
}

/// The reason of a bucket: its size and what each member sums.
std::string bucketReason(ArrayRef<AllReduceOp> members, int64_t bytes) {
  std::string text = "gradient bucket: " + std::to_string(members.size()) +
                     " tensors, " + std::to_string(bytes) +
                     " bytes, summed over " + axesOf(members.front()) + ": ";
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      members, os,
      [&](AllReduceOp member) {
        if (std::optional<Subject> subject = subjectOf(member))
          os << subject->name;
        else if (auto reason =
                     member->getAttrOfType<StringAttr>(kReasonAttrName))
          os << reason.getValue();
        else
          os << "(unnamed)";
      },
      "; ");
  return text;
}

/// `value` as a 1-D tensor (itself when it already is one).
Value flatten(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 1)
    return value;
  return ReshapeOp::create(
      b, loc, RankedTensorType::get({type.getNumElements()}, type.getElementType()),
      value);
}

/// 3: consecutive all_reduces of one kind in the entry, in buckets.
void bucket(func::FuncOp entry, int64_t bucketBytes) {
  SmallVector<AllReduceOp> candidates;
  entry.walk([&](AllReduceOp reduce) {
    auto type = dyn_cast<RankedTensorType>(reduce.getType());
    if (type && type.hasStaticShape() &&
        reduce.getInput().getType() == type &&
        reduce.getReduction() == shard::ReductionKind::Sum)
      candidates.push_back(reduce);
  });
  auto bytesOf = [](AllReduceOp reduce) {
    auto type = cast<RankedTensorType>(reduce.getType());
    return type.getNumElements() *
           std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  };
  auto emit = [&](ArrayRef<AllReduceOp> members, int64_t bytes) {
    if (members.size() < 2)
      return;
    AllReduceOp last = members.back();
    OpBuilder b(last);
    Location loc = last.getLoc();
    SmallVector<Value> flat;
    SmallVector<int64_t> sizes;
    for (AllReduceOp reduce : members) {
      auto type = cast<RankedTensorType>(reduce.getType());
      sizes.push_back(type.getNumElements());
      flat.push_back(flatten(b, loc, reduce.getInput()));
    }
    Value joined = ConcatOp::create(b, loc, flat, uint64_t(0));
    auto summed = AllReduceOp::create(b, loc, joined.getType(), last.getGrid(),
                                      last.getGridAxes(), joined,
                                      last.getReduction());
    summed->setAttr(kReasonAttrName,
                    b.getStringAttr(bucketReason(members, bytes)));
    auto pieces = SplitOp::create(b, loc, summed.getResult(), uint64_t(0), sizes);
    for (auto [member, piece] : llvm::zip(members, pieces.getResults())) {
      AllReduceOp reduce = member;
      Value shaped = piece;
      if (piece.getType() != reduce.getType())
        shaped = ReshapeOp::create(b, loc, reduce.getType(), piece);
      reduce.replaceAllUsesWith(shaped);
      reduce.erase();
    }
  };
  // One open bucket per kind of sum (grid axes, element type): on a 2-D
  // grid, gradients summed over dp alone (the experts') interleave with
  // those summed over every axis, and each kind still fills its buckets.
  struct Open {
    SmallVector<AllReduceOp> members;
    int64_t bytes = 0;
  };
  SmallVector<Open> open;
  for (AllReduceOp candidate : candidates) {
    Open *bucket = nullptr;
    for (Open &o : open)
      if (sameCollective(o.members.front(), candidate) &&
          getElementTypeOrSelf(o.members.front().getType()) ==
              getElementTypeOrSelf(candidate.getType()))
        bucket = &o;
    // A bucket is summed where its last member was: every member's result
    // must be unused before that point, and within the size cap.
    bool fits =
        bucket && bucket->bytes + bytesOf(candidate) <= bucketBytes &&
        llvm::all_of(bucket->members, [&](AllReduceOp member) {
          return member->getBlock() == candidate->getBlock() &&
                 llvm::all_of(member->getUsers(), [&](Operation *user) {
                   return user->getBlock() == candidate->getBlock() &&
                          candidate->isBeforeInBlock(user);
                 });
        });
    if (bucket && !fits) {
      emit(bucket->members, bucket->bytes);
      bucket->members.clear();
      bucket->bytes = 0;
    }
    if (!bucket) {
      open.emplace_back();
      bucket = &open.back();
    }
    bucket->members.push_back(candidate);
    bucket->bytes += bytesOf(candidate);
  }
  for (Open &o : open)
    emit(o.members, o.bytes);
}

} // namespace

void bucketGradientSums(ModuleOp module, func::FuncOp entry,
                        int64_t bucketBytes) {
  while (combineAdds(module) | sinkThroughLayout(module) |
         sinkIntoCallers(module, entry)) {
  }
  nameSums(entry);
  scatterSlicedSums(entry);
  if (bucketBytes > 0)
    bucket(entry, bucketBytes);
}

} // namespace mlir::ds
