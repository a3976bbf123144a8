//===- PlanMemoryPass.cpp - --ds-plan-memory ------------------------------===//
//
// A static memory plan: all intermediate buffers of an entry point live in
// one workspace the runtime allocates once, at offsets chosen so that
// buffers alive at the same time never overlap. No allocation happens while
// a compiled step runs.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <algorithm>

namespace mlir::ds {
#define GEN_PASS_DEF_DSPLANMEMORYPASS
#include "passes/Passes.h.inc"

namespace {

constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t value) {
  return (value + kAlignment - 1) / kAlignment * kAlignment;
}

int64_t bufferBytes(MemRefType type) {
  int64_t elementBytes =
      std::max<int64_t>((type.getElementTypeBitWidth() + 7) / 8, 1);
  return alignUp(std::max<int64_t>(type.getNumElements() * elementBytes, 1));
}

/// A buffer to place: live over the ops [first, last] of its block.
struct Interval {
  int64_t first, last, bytes;
  int64_t offset = 0;
  /// The allocation, or null for the reservation of a nested block's plan.
  memref::AllocOp alloc;
  /// For a reservation: the planned buffers of the nested blocks.
  SmallVector<std::pair<memref::AllocOp, int64_t>> nested;
};

struct BlockPlan {
  int64_t bytes = 0;
  int64_t unplannedBytes = 0;
  int64_t buffers = 0;
  /// Every buffer of the block and its nested blocks, with its offset from
  /// the start of the block's share of the workspace.
  SmallVector<std::pair<memref::AllocOp, int64_t>> placements;
};

/// Places the intervals greedily, largest first, each at the lowest offset
/// where it overlaps no placed interval that is alive at the same time.
int64_t place(MutableArrayRef<Interval> intervals) {
  SmallVector<Interval *> order;
  for (Interval &interval : intervals)
    order.push_back(&interval);
  llvm::stable_sort(order, [](const Interval *a, const Interval *b) {
    return a->bytes > b->bytes;
  });
  SmallVector<Interval *> placed;
  int64_t peak = 0;
  for (Interval *interval : order) {
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (Interval *other : placed)
      if (other->first <= interval->last && interval->first <= other->last)
        busy.push_back({other->offset, other->offset + other->bytes});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + interval->bytes <= begin)
        break;
      offset = std::max(offset, end);
    }
    interval->offset = offset;
    peak = std::max(peak, offset + interval->bytes);
    placed.push_back(interval);
  }
  return peak;
}

class Planner {
public:
  /// Plans `block` and, recursively, the blocks nested in it.
  FailureOr<BlockPlan> planBlock(Block &block) {
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : block)
      position[&op] = index++;

    SmallVector<Interval> intervals;
    BlockPlan plan;
    for (Operation &op : block) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto type = alloc.getType();
        if (!type.hasStaticShape())
          return alloc.emitError("cannot plan a buffer of dynamic shape ")
                 << type;
        FailureOr<int64_t> last = lastUse(alloc, block, position);
        if (failed(last))
          return failure();
        Interval interval{position[&op], std::max(*last, position[&op]),
                          bufferBytes(type)};
        interval.alloc = alloc;
        intervals.push_back(interval);
        plan.unplannedBytes += interval.bytes;
        ++plan.buffers;
        continue;
      }
      // A nested block's plan is reserved while its op runs.
      Interval reservation{position[&op], position[&op], 0};
      for (Region &region : op.getRegions())
        for (Block &nestedBlock : region) {
          FailureOr<BlockPlan> nestedPlan = planBlock(nestedBlock);
          if (failed(nestedPlan))
            return failure();
          reservation.bytes = std::max(reservation.bytes, nestedPlan->bytes);
          reservation.nested.append(nestedPlan->placements);
          plan.unplannedBytes += nestedPlan->unplannedBytes;
          plan.buffers += nestedPlan->buffers;
        }
      if (reservation.bytes > 0)
        intervals.push_back(std::move(reservation));
    }
    plan.bytes = place(intervals);
    for (Interval &interval : intervals) {
      if (interval.alloc)
        plan.placements.push_back({interval.alloc, interval.offset});
      for (auto [alloc, offset] : interval.nested)
        plan.placements.push_back({alloc, interval.offset + offset});
    }
    return plan;
  }

private:
  /// The position in `block` of the last op that uses `alloc` or a value
  /// derived from it (views, loop results, its address as an integer or
  /// pointer passed to a kernel): conservative, never too early.
  FailureOr<int64_t>
  lastUse(memref::AllocOp alloc, Block &block,
          const llvm::DenseMap<Operation *, int64_t> &position) {
    SmallVector<Value> worklist{alloc.getResult()};
    llvm::SmallPtrSet<Value, 8> seen;
    int64_t last = -1;
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!seen.insert(value).second)
        continue;
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        Operation *ancestor = block.findAncestorOpInBlock(*user);
        if (!ancestor)
          return alloc.emitError(
              "cannot plan a buffer that is used outside the block that "
              "allocates it");
        if (isa<func::ReturnOp>(user))
          return alloc.emitError(
              "cannot plan a buffer that is returned (run "
              "buffer-results-to-out-params first)");
        last = std::max(last, position.lookup(ancestor));
        // Every result may carry the buffer on: a view, a loop result, or
        // its address on the way to a kernel call.
        for (Value result : user->getResults())
          worklist.push_back(result);
      }
    }
    return last;
  }
};

struct PlanMemoryPass : impl::DsPlanMemoryPassBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Copies become linalg.copy: loops like every other linalg op, instead
    // of calls into MLIR's C runner utilities.
    SmallVector<memref::CopyOp> copies;
    module.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    }

    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      if (!function.isPublic()) {
        if (!function.getOps<memref::AllocOp>().empty())
          return signalPassFailure();
        continue;
      }
      if (failed(planFunction(function)))
        return signalPassFailure();
    }
  }

  LogicalResult planFunction(func::FuncOp function) {
    Planner planner;
    FailureOr<BlockPlan> plan = planner.planBlock(function.front());
    if (failed(plan))
      return failure();
    MLIRContext *ctx = function.getContext();
    auto workspaceType =
        MemRefType::get({plan->bytes}, IntegerType::get(ctx, 8));
    unsigned index = function.getNumArguments();
    if (failed(function.insertArgument(index, workspaceType, {},
                                       function.getLoc())))
      return failure();
    function.setArgAttr(index, "ds.name", StringAttr::get(ctx, "workspace"));
    Value workspace = function.getArgument(index);
    for (auto [alloc, offset] : plan->placements) {
      OpBuilder b(alloc);
      Value shift = arith::ConstantIndexOp::create(b, alloc.getLoc(), offset);
      Value view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(),
                                          workspace, shift, ValueRange{});
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    auto i64 = [&](int64_t v) {
      return IntegerAttr::get(IntegerType::get(ctx, 64), v);
    };
    function->setAttr("ds.workspace_bytes", i64(plan->bytes));
    function->setAttr("ds.unplanned_bytes", i64(plan->unplannedBytes));
    function->setAttr("ds.buffers", i64(plan->buffers));
    return success();
  }
};

} // namespace
} // namespace mlir::ds
