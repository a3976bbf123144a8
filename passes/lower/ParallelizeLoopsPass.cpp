//===- ParallelizeLoopsPass.cpp - --ds-parallelize-loops -------------------===//
//
// Chooses which parallel loops of generated code run on OpenMP threads.
// Every scf.parallel that linalg lowering produced could, but a fork/join
// costs microseconds, and most loops of a small model finish faster than
// that: threading all of them made tiny-moe's train step 5x slower. So only
// the outermost parallel loops with enough work stay parallel; the rest,
// and every parallel loop nested inside a kept one, become sequential scf.for
// nests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace mlir::ds {
#define GEN_PASS_DEF_DSPARALLELIZELOOPSPASS
#include "passes/Passes.h.inc"

namespace {

constexpr int64_t kUnknownWork = std::numeric_limits<int64_t>::max() / 4;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  if (a > kUnknownWork / b)
    return kUnknownWork;
  return a * b;
}

/// Iterations of one loop dimension; unknown (dynamic) counts as large.
int64_t tripCount(Value lower, Value upper, Value step) {
  std::optional<int64_t> lb = getConstantIntValue(lower);
  std::optional<int64_t> ub = getConstantIntValue(upper);
  std::optional<int64_t> st = getConstantIntValue(step);
  if (!lb || !ub || !st || *st <= 0)
    return kUnknownWork;
  return *ub > *lb ? (*ub - *lb + *st - 1) / *st : 0;
}

int64_t iterations(scf::ParallelOp loop) {
  int64_t total = 1;
  for (auto [lb, ub, st] : llvm::zip(loop.getLowerBound(),
                                     loop.getUpperBound(), loop.getStep()))
    total = saturatingMul(total, tripCount(lb, ub, st));
  return total;
}

/// Operations executed by one run of `block`, counting nested loop bodies
/// once per iteration: a rough but monotone measure of a loop's work.
int64_t workOf(Block &block) {
  int64_t work = 0;
  for (Operation &op : block) {
    int64_t inner = 0;
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        inner += workOf(nested);
    int64_t times = 1;
    if (auto loop = dyn_cast<scf::ForOp>(op))
      times = tripCount(loop.getLowerBound(), loop.getUpperBound(),
                        loop.getStep());
    else if (auto loop = dyn_cast<scf::ParallelOp>(op))
      times = iterations(loop);
    work = std::min(kUnknownWork, work + 1 + saturatingMul(times, inner));
  }
  return work;
}

/// Keeps the leading dimensions of a multi-dimensional parallel loop
/// parallel, just enough of them for `kMinParallelTrips` iterations, and
/// runs the rest as an ordinary inner loop nest. convert-scf-to-openmp would
/// otherwise collapse all dimensions into one linear range, recomputing
/// every index by division per element, which keeps the innermost loop from
/// vectorizing. Returns the sequential inner loop to be made sequential
/// (null when the loop has a single dimension).
constexpr int64_t kMinParallelTrips = 16;

scf::ParallelOp splitLeadingDimensions(IRRewriter &rewriter,
                                       scf::ParallelOp loop) {
  const unsigned rank = loop.getNumLoops();
  unsigned leading = 0;
  int64_t trips = 1;
  while (leading < rank && trips < kMinParallelTrips) {
    trips = saturatingMul(trips, tripCount(loop.getLowerBound()[leading],
                                           loop.getUpperBound()[leading],
                                           loop.getStep()[leading]));
    ++leading;
  }
  if (leading == rank)
    return nullptr;
  auto head = [&](ValueRange values) { return values.take_front(leading); };
  auto tail = [&](ValueRange values) { return values.drop_front(leading); };
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  auto outer = scf::ParallelOp::create(rewriter, loc, head(loop.getLowerBound()),
                                       head(loop.getUpperBound()),
                                       head(loop.getStep()));
  rewriter.setInsertionPointToStart(outer.getBody());
  auto inner = scf::ParallelOp::create(rewriter, loc, tail(loop.getLowerBound()),
                                       tail(loop.getUpperBound()),
                                       tail(loop.getStep()));
  // The original body, terminator included, replaces the new inner one's.
  Block *innerBody = inner.getBody();
  rewriter.eraseOp(innerBody->getTerminator());
  SmallVector<Value> ivs(outer.getInductionVars());
  llvm::append_range(ivs, inner.getInductionVars());
  rewriter.mergeBlocks(loop.getBody(), innerBody, ivs);
  rewriter.eraseOp(loop);
  return inner;
}

struct ParallelizeLoopsPass
    : impl::DsParallelizeLoopsPassBase<ParallelizeLoopsPass> {
  using DsParallelizeLoopsPassBase::DsParallelizeLoopsPassBase;

  void runOnOperation() override {
    // Outermost parallel loops first (pre-order); a loop nested in another
    // is decided with its parent.
    SmallVector<scf::ParallelOp> outermost;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      outermost.push_back(loop);
      return WalkResult::skip();
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : outermost) {
      SmallVector<scf::ParallelOp> nested;
      loop.getBody()->walk([&](scf::ParallelOp inner) {
        nested.push_back(inner);
      });
      const int64_t trips = iterations(loop);
      const bool keep = trips >= 2 && loop.getInitVals().empty() &&
                        saturatingMul(trips, workOf(*loop.getBody())) >=
                            minWork;
      if (!keep)
        nested.push_back(loop);
      else if (scf::ParallelOp rest = splitLeadingDimensions(rewriter, loop))
        nested.push_back(rest);
      // Innermost first, so that each rewrite sees a body free of others.
      for (scf::ParallelOp serial : nested) {
        // linalg lowers reduction dimensions to scf.for, so parallel loops
        // carry no values; one that does is left as it is, still correct.
        if (!serial.getInitVals().empty())
          continue;
        rewriter.setInsertionPoint(serial);
        if (failed(scf::parallelForToNestedFors(rewriter, serial))) {
          serial.emitError("could not make the parallel loop sequential");
          return signalPassFailure();
        }
      }
    }
  }
};

} // namespace
} // namespace mlir::ds
