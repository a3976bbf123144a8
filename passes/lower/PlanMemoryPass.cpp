//===- PlanMemoryPass.cpp - --ds-plan-memory ------------------------------===//
//
// A static memory plan: all intermediate buffers of an entry point live in
// one workspace the runtime allocates once, at offsets chosen so that
// buffers alive at the same time never overlap. No allocation happens while
// a compiled step runs.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/ds/DsTypeRules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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
  return alignUp(std::max<int64_t>(staticByteSize(type), 1));
}

/// A buffer a loop carries from one iteration to the next (bufferization
/// yields a new buffer per iteration): two slots in the block around the
/// loop, written alternately, since iteration i reads the buffer iteration
/// i-1 wrote while it writes its own.
struct PingPong {
  memref::AllocOp alloc;
  scf::ForOp loop;
  int64_t first = 0, second = 0;
};

/// A buffer to place: live over the ops [first, last] of its block.
struct Interval {
  Interval(int64_t first, int64_t last, int64_t bytes)
      : first(first), last(last), bytes(bytes) {}
  int64_t first, last, bytes;
  int64_t offset = 0;
  /// The allocation, or null for the reservation of a nested block's plan
  /// or a slot of a loop-carried buffer.
  memref::AllocOp alloc;
  /// For a reservation: the planned buffers of the nested blocks.
  SmallVector<std::pair<memref::AllocOp, int64_t>> nested;
  SmallVector<PingPong> nestedPingPongs;
  /// For a slot of a loop-carried buffer: which buffer and which slot.
  memref::AllocOp carried;
  scf::ForOp loop;
  int slot = -1;
};

struct BlockPlan {
  int64_t bytes = 0;
  int64_t unplannedBytes = 0;
  int64_t buffers = 0;
  /// Every buffer of the block and its nested blocks, with its offset from
  /// the start of the block's share of the workspace.
  SmallVector<std::pair<memref::AllocOp, int64_t>> placements;
  SmallVector<PingPong> pingPongs;
  /// Buffers of this (loop body) block that the loop carries out of it: the
  /// block around the loop places them.
  SmallVector<memref::AllocOp> carried;
};

/// Places the intervals greedily, largest first, each at the lowest offset
/// where it overlaps no placed interval that is alive at the same time.
int64_t place(MutableArrayRef<Interval> intervals, bool share) {
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
      if (!share ||
          (other->first <= interval->last && interval->first <= other->last))
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

/// Gives each iteration of a parallel loop its own copy of the buffers it
/// allocates (a fused group's per-row statistics): one buffer outside the
/// loop with the loop's iteration space as leading dimensions, of which
/// each iteration uses its own slice. Parallel iterations then never share
/// bytes, and the plan places the expanded buffer like any other.
void privatizeLoopBuffers(scf::ForallOp loop) {
  SmallVector<memref::AllocOp> allocs;
  loop.getBody()->walk([&](memref::AllocOp alloc) {
    if (alloc->getParentOfType<scf::ForallOp>() == loop)
      allocs.push_back(alloc);
  });
  if (allocs.empty() || !loop.isNormalized())
    return; // left for planBlock to reject
  std::optional<SmallVector<int64_t>> trips =
      getConstantIntValues(loop.getMixedUpperBound());
  if (!trips)
    return;
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      continue;
    SmallVector<int64_t> shape(*trips);
    llvm::append_range(shape, type.getShape());
    OpBuilder outside(loop);
    auto expanded = memref::AllocOp::create(
        outside, alloc.getLoc(),
        MemRefType::get(shape, type.getElementType()),
        alloc.getAlignmentAttr());
    OpBuilder inside(alloc);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (Value iv : loop.getInductionVars()) {
      offsets.push_back(iv);
      sizes.push_back(inside.getIndexAttr(1));
      strides.push_back(inside.getIndexAttr(1));
    }
    for (int64_t size : type.getShape()) {
      offsets.push_back(inside.getIndexAttr(0));
      sizes.push_back(inside.getIndexAttr(size));
      strides.push_back(inside.getIndexAttr(1));
    }
    auto viewType = memref::SubViewOp::inferRankReducedResultType(
        type.getShape(), cast<MemRefType>(expanded.getType()), offsets, sizes,
        strides);
    Value view = memref::SubViewOp::create(inside, alloc.getLoc(),
                                           cast<MemRefType>(viewType),
                                           expanded, offsets, sizes, strides);
    alloc.replaceAllUsesWith(view);
    alloc.erase();
  }
}

class Planner {
public:
  explicit Planner(bool share) : share(share) {}

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
        bool yielded = false;
        FailureOr<int64_t> last =
            lastUse(alloc, alloc.getResult(), block, position, yielded);
        if (failed(last))
          return failure();
        ++plan.buffers;
        if (yielded) {
          if (!isa<scf::ForOp>(block.getParentOp()))
            return alloc.emitError(
                "cannot plan a buffer that leaves its block other than as "
                "a loop's carried value");
          plan.carried.push_back(alloc);
          continue;
        }
        Interval interval{position[&op], std::max(*last, position[&op]),
                          bufferBytes(type)};
        interval.alloc = alloc;
        intervals.push_back(interval);
        plan.unplannedBytes += interval.bytes;
        continue;
      }
      // Iterations of a parallel loop run at once: a buffer of their own
      // cannot share one slot (privatizeLoopBuffers moved them out).
      if (isa<scf::ForallOp, scf::ParallelOp>(op)) {
        WalkResult inner = op.walk([](memref::AllocOp alloc) {
          alloc.emitError("cannot plan a buffer inside a parallel loop");
          return WalkResult::interrupt();
        });
        if (inner.wasInterrupted())
          return failure();
      }
      // A nested block's plan is reserved while its op runs.
      Interval reservation{position[&op], position[&op], 0};
      SmallVector<memref::AllocOp> carried;
      for (Region &region : op.getRegions())
        for (Block &nestedBlock : region) {
          FailureOr<BlockPlan> nestedPlan = planBlock(nestedBlock);
          if (failed(nestedPlan))
            return failure();
          reservation.bytes = std::max(reservation.bytes, nestedPlan->bytes);
          reservation.nested.append(nestedPlan->placements);
          reservation.nestedPingPongs.append(nestedPlan->pingPongs);
          carried.append(nestedPlan->carried);
          plan.unplannedBytes += nestedPlan->unplannedBytes;
          plan.buffers += nestedPlan->buffers;
        }
      if (reservation.bytes > 0)
        intervals.push_back(std::move(reservation));
      if (carried.empty())
        continue;
      // The loop's results alias the carried buffers: both slots live from
      // the loop to the last use of its results.
      int64_t last = position[&op];
      for (Value result : op.getResults()) {
        bool yielded = false;
        FailureOr<int64_t> resultLast =
            lastUse(carried.front(), result, block, position, yielded);
        if (failed(resultLast))
          return failure();
        if (yielded)
          return op.emitError("cannot plan a loop whose carried buffers are "
                              "carried on by an enclosing loop");
        last = std::max(last, *resultLast);
      }
      for (memref::AllocOp alloc : carried)
        for (int slot = 0; slot < 2; ++slot) {
          Interval interval{position[&op], last, bufferBytes(alloc.getType())};
          interval.carried = alloc;
          interval.loop = cast<scf::ForOp>(op);
          interval.slot = slot;
          intervals.push_back(interval);
          plan.unplannedBytes += interval.bytes;
        }
    }
    plan.bytes = place(intervals, share);
    llvm::DenseMap<Operation *, PingPong> pingPongs;
    for (Interval &interval : intervals) {
      if (interval.alloc)
        plan.placements.push_back({interval.alloc, interval.offset});
      for (auto [alloc, offset] : interval.nested)
        plan.placements.push_back({alloc, interval.offset + offset});
      for (PingPong pingPong : interval.nestedPingPongs) {
        pingPong.first += interval.offset;
        pingPong.second += interval.offset;
        plan.pingPongs.push_back(pingPong);
      }
      if (interval.carried) {
        PingPong &pingPong = pingPongs[interval.carried];
        pingPong.alloc = interval.carried;
        pingPong.loop = interval.loop;
        (interval.slot == 0 ? pingPong.first : pingPong.second) =
            interval.offset;
      }
    }
    for (auto &entry : pingPongs)
      plan.pingPongs.push_back(entry.second);
    return plan;
  }

private:
  bool share;

  /// The position in `block` of the last op that uses `alloc` or a value
  /// derived from it (views, loop results, its address as an integer or
  /// pointer passed to a kernel): conservative, never too early.
  FailureOr<int64_t>
  lastUse(memref::AllocOp alloc, Value start, Block &block,
          const llvm::DenseMap<Operation *, int64_t> &position,
          bool &yielded) {
    SmallVector<Value> worklist{start};
    llvm::SmallPtrSet<Value, 8> seen;
    int64_t last = -1;
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!seen.insert(value).second)
        continue;
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        if (user == block.getTerminator() && isa<scf::YieldOp>(user)) {
          yielded = true;
          continue;
        }
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
  using DsPlanMemoryPassBase::DsPlanMemoryPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Copies become linalg.copy: loops like every other linalg op, instead
    // of calls into MLIR's C runner utilities.
    SmallVector<memref::CopyOp> copies;
    module.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      // Bufferizing a fused group's `parallel_insert_slice` into the view
      // it was computed in leaves a copy of that view onto itself.
      if (copy.getSource() != copy.getTarget()) {
        OpBuilder b(copy);
        linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                               copy.getTarget());
      }
      copy.erase();
    }
    module.walk([](scf::ForallOp loop) { privatizeLoopBuffers(loop); });

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
    Planner planner(share);
    FailureOr<BlockPlan> plan = planner.planBlock(function.front());
    if (failed(plan))
      return failure();
    MLIRContext *ctx = function.getContext();
    // At least one alignment unit: memref<0xi8> would pass as a null
    // pointer the generated code must never see.
    auto workspaceType = MemRefType::get(
        {std::max<int64_t>(plan->bytes, kAlignment)}, IntegerType::get(ctx, 8));
    unsigned index = function.getNumArguments();
    if (failed(function.insertArgument(index, workspaceType, {},
                                       function.getLoc())))
      return failure();
    function.setArgAttr(index, "ds.name", StringAttr::get(ctx, "workspace"));
    Value workspace = function.getArgument(index);
    for (PingPong pingPong : plan->pingPongs) {
      // Both slots are views made before the loop; iteration i uses slot
      // i mod 2.
      scf::ForOp loop = pingPong.loop;
      OpBuilder before(loop);
      Location loc = pingPong.alloc.getLoc();
      auto type = pingPong.alloc.getType();
      auto view = [&](int64_t offset) -> Value {
        Value shift = arith::ConstantIndexOp::create(before, loc, offset);
        return memref::ViewOp::create(before, loc, type, workspace, shift,
                                      ValueRange{});
      };
      Value first = view(pingPong.first), second = view(pingPong.second);
      OpBuilder b(pingPong.alloc);
      Value iteration = arith::DivUIOp::create(
          b, loc,
          arith::SubIOp::create(b, loc, loop.getInductionVar(),
                                loop.getLowerBound()),
          loop.getStep());
      Value parity = arith::RemUIOp::create(
          b, loc, iteration, arith::ConstantIndexOp::create(b, loc, 2));
      Value even = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq, parity,
          arith::ConstantIndexOp::create(b, loc, 0));
      Value slot = arith::SelectOp::create(b, loc, even, first, second);
      pingPong.alloc.replaceAllUsesWith(slot);
      pingPong.alloc.erase();
    }
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
