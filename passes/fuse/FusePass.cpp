//===- FusePass.cpp - --ds-fuse -------------------------------------------===//
//
// Groups the generated code of lowered functions into kernels. Elementwise
// chains merge into single linalg ops (upstream elementwise fusion); then
// each row reduction (a norm's sum of squares, a softmax's maximum and sum)
// is tiled and fused with the elementwise op that consumes it into one
// `scf.forall` over the rows: the row is reduced and used while it is in
// cache (CPU) or in registers and shared memory (GPU), instead of going
// through memory between two kernels. Every kernel then carries
// `ds.kernel`, and every function the counts before and after.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/fuse/Kernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>
#include <functional>

namespace mlir::ds {
#define GEN_PASS_DEF_DSFUSEPASS
#include "passes/Passes.h.inc"

namespace {

/// The number of leading parallel loops of a row reduction: a generic whose
/// loops are parallel then reduction (both at least one), and whose results
/// are indexed by the parallel loops in order (one value per row).
std::optional<unsigned> rowLoops(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !generic.hasPureTensorSemantics())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators =
      generic.getIteratorTypesArray();
  unsigned rows = 0;
  while (rows < iterators.size() &&
         iterators[rows] == utils::IteratorType::parallel)
    ++rows;
  if (rows == 0 || rows == iterators.size())
    return std::nullopt;
  for (unsigned i = rows; i < iterators.size(); ++i)
    if (iterators[i] != utils::IteratorType::reduction)
      return std::nullopt;
  SmallVector<AffineExpr> rowExprs;
  for (unsigned i = 0; i < rows; ++i)
    rowExprs.push_back(getAffineDimExpr(i, op->getContext()));
  AffineMap rowMap =
      AffineMap::get(iterators.size(), 0, rowExprs, op->getContext());
  for (OpOperand &init : generic.getDpsInitsMutable())
    if (generic.getMatchingIndexingMap(&init) != rowMap)
      return std::nullopt;
  return rows;
}

/// Whether every use of `producer` is `root` or comes after it: a group
/// formed at `root` can then take the producer in.
bool onlyUsedFrom(Operation *producer, Operation *root) {
  for (Operation *user : producer->getUsers()) {
    Operation *userInBlock = root->getBlock()->findAncestorOpInBlock(*user);
    if (userInBlock != root &&
        (!userInBlock || userInBlock->isBeforeInBlock(root)))
      return false;
  }
  return true;
}

/// How many leading loops of `op` to tile by one row, when `op` is an
/// elementwise op that reads a row reduction's result once per row (its
/// leading loops index the reduction's rows) and writes its results in loop
/// order: the root of a row group.
std::optional<unsigned> rootRows(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops())
    return std::nullopt;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isIdentity())
      return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Operation *producer = input->get().getDefiningOp();
    std::optional<unsigned> rows = producer ? rowLoops(producer) : std::nullopt;
    if (!rows || !onlyUsedFrom(producer, op))
      continue;
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() != *rows)
      continue;
    bool leading = true;
    for (unsigned i = 0; i < *rows; ++i)
      leading &= map.getResult(i) == getAffineDimExpr(i, op.getContext());
    if (leading)
      return rows;
  }
  return std::nullopt;
}

/// Whether elementwise fusion merges the producer of `operand` into its
/// consumer. A producer with one use always merges (upstream's rule). One
/// with more uses merges into an elementwise consumer over the same loops
/// that reads it element for element (no broadcast, so nothing is
/// recomputed) and that comes before every other user in its block: the
/// fused op then also yields the producer's value for the later users.
/// AdamW's moments are such producers: their new values are results and
/// inputs of the parameter's update, which becomes one kernel.
bool shouldFuseElementwise(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  if (!producer)
    return false;
  if (producer->hasOneUse())
    return true;
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  auto producerOp = dyn_cast<linalg::GenericOp>(producer);
  if (!consumer || !producerOp ||
      consumer.getNumParallelLoops() != consumer.getNumLoops() ||
      producerOp.getNumParallelLoops() != producerOp.getNumLoops() ||
      consumer.getNumLoops() != producerOp.getNumLoops() ||
      !consumer.getMatchingIndexingMap(operand).isPermutation())
    return false;
  Block *block = consumer->getBlock();
  for (Operation *user : producer->getUsers()) {
    if (user == consumer.getOperation())
      continue;
    Operation *userInBlock = block->findAncestorOpInBlock(*user);
    if (!userInBlock || userInBlock->isBeforeInBlock(consumer))
      return false;
  }
  return true;
}

/// Upstream's elementwise fusion (`linalg-fuse-elementwise-ops`) with the
/// rule above, and its reshape propagation and clean-ups.
LogicalResult fuseElementwise(ModuleOp module) {
  MLIRContext *context = module.getContext();
  RewritePatternSet patterns(context);
  linalg::ControlFusionFn singleUse = [](OpOperand *operand) {
    Operation *producer = operand->get().getDefiningOp();
    return producer && producer->hasOneUse();
  };
  linalg::populateElementwiseOpsFusionPatterns(patterns,
                                               shouldFuseElementwise);
  linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, singleUse);
  tensor::populateBubbleUpExpandShapePatterns(patterns);
  affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
  linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
  tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
  tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
  context->getLoadedDialect<linalg::LinalgDialect>()
      ->getCanonicalizationPatterns(patterns);
  linalg::populateConstantFoldLinalgOperations(patterns, singleUse);
  return applyPatternsGreedily(module, std::move(patterns));
}

bool isElementwise(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() &&
         op.getNumParallelLoops() == op.getNumLoops() &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isProjectedPermutation(); });
}

/// Whether `later` can merge with `earlier` into one op at `earlier`'s
/// place: both elementwise over the same loops, writing in loop order,
/// reading a common tensor element for element (a shared scalar, such as
/// the learning rate, would merge every parameter's update into one op
/// of dozens of streams, which compilers no longer vectorize), and `later`
/// reading nothing defined after `earlier` (so nothing that depends on
/// it).
bool areSiblings(linalg::GenericOp earlier, linalg::GenericOp later) {
  if (!isElementwise(earlier) || !isElementwise(later) ||
      earlier.getStaticLoopRanges() != later.getStaticLoopRanges())
    return false;
  for (linalg::GenericOp op : {earlier, later})
    for (OpOperand &init : op.getDpsInitsMutable())
      if (!op.getMatchingIndexingMap(&init).isIdentity())
        return false;
  bool sharesTensor = false;
  for (OpOperand *a : earlier.getDpsInputOperands())
    for (OpOperand *b : later.getDpsInputOperands())
      sharesTensor |= a->get() == b->get() &&
                      earlier.getMatchingIndexingMap(a).isIdentity() &&
                      later.getMatchingIndexingMap(b).isIdentity();
  if (!sharesTensor)
    return false;
  for (Value operand : later->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (def && def->getBlock() == earlier->getBlock() &&
        !def->isBeforeInBlock(earlier))
      return false;
  }
  return true;
}

/// One op computing both siblings: the inputs of both (an input with the
/// same indexing map once), the outputs of both, the two payloads one after
/// the other.
linalg::GenericOp mergeSiblings(RewriterBase &rewriter,
                                linalg::GenericOp earlier,
                                linalg::GenericOp later) {
  std::array<linalg::GenericOp, 2> ops{earlier, later};
  SmallVector<Value> inputs, inits;
  SmallVector<AffineMap> inputMaps, initMaps;
  llvm::DenseMap<std::pair<Value, AffineMap>, unsigned> inputIndex;
  // Where each op's inputs and inits are among the merged op's.
  std::array<SmallVector<unsigned>, 2> inputPositions, initPositions;
  for (auto [which, op] : llvm::enumerate(ops)) {
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      auto [it, added] =
          inputIndex.try_emplace({input->get(), map}, inputs.size());
      if (added) {
        inputs.push_back(input->get());
        inputMaps.push_back(map);
      }
      inputPositions[which].push_back(it->second);
    }
    for (OpOperand &init : op.getDpsInitsMutable()) {
      initPositions[which].push_back(inits.size());
      inits.push_back(init.get());
      initMaps.push_back(op.getMatchingIndexingMap(&init));
    }
  }

  SmallVector<AffineMap> maps(inputMaps);
  maps.append(initMaps);
  SmallVector<Type> resultTypes(earlier->getResultTypes());
  resultTypes.append(later->getResultTypes().begin(),
                     later->getResultTypes().end());
  rewriter.setInsertionPoint(earlier);
  auto merged = linalg::GenericOp::create(
      rewriter, earlier.getLoc(), resultTypes, inputs, inits, maps,
      earlier.getIteratorTypesArray());
  Block *body = rewriter.createBlock(&merged.getRegion());
  for (Value value : inputs)
    body->addArgument(getElementTypeOrSelf(value.getType()), value.getLoc());
  for (Value value : inits)
    body->addArgument(getElementTypeOrSelf(value.getType()), value.getLoc());
  SmallVector<Value> yielded;
  for (auto [which, op] : llvm::enumerate(ops)) {
    IRMapping mapping;
    unsigned numInputs = op.getNumDpsInputs();
    for (auto [i, position] : llvm::enumerate(inputPositions[which]))
      mapping.map(op.getBody()->getArgument(i), body->getArgument(position));
    for (auto [i, position] : llvm::enumerate(initPositions[which]))
      mapping.map(op.getBody()->getArgument(numInputs + i),
                  body->getArgument(inputs.size() + position));
    for (Operation &payload : op.getBody()->without_terminator())
      rewriter.clone(payload, mapping);
    for (Value value : op.getBody()->getTerminator()->getOperands())
      yielded.push_back(mapping.lookupOrDefault(value));
  }
  linalg::YieldOp::create(rewriter, earlier.getLoc(), yielded);
  unsigned split = earlier->getNumResults();
  rewriter.replaceOp(earlier, merged->getResults().take_front(split));
  rewriter.replaceOp(later, merged->getResults().drop_front(split));
  return merged;
}

/// Sibling (multi-output) fusion: elementwise ops over the same loops that
/// read a common input become one op, which reads that input once. After
/// elementwise fusion this makes AdamW's update of one tensor (the
/// parameter and both moments) one kernel.
void fuseSiblings(RewriterBase &rewriter, func::FuncOp function) {
  SmallVector<linalg::GenericOp> candidates;
  function.walk([&](linalg::GenericOp op) {
    if (isElementwise(op))
      candidates.push_back(op);
  });
  llvm::DenseSet<Operation *> erased;
  for (linalg::GenericOp op : candidates) {
    if (erased.contains(op))
      continue;
    linalg::GenericOp current = op;
    bool merged = true;
    while (merged) {
      merged = false;
      for (OpOperand *input : current.getDpsInputOperands()) {
        for (Operation *user : input->get().getUsers()) {
          auto sibling = dyn_cast<linalg::GenericOp>(user);
          if (!sibling || sibling == current ||
              sibling->getBlock() != current->getBlock() ||
              !current->isBeforeInBlock(sibling) ||
              !areSiblings(current, sibling))
            continue;
          erased.insert(current);
          erased.insert(sibling);
          current = mergeSiblings(rewriter, current, sibling);
          merged = true;
          break;
        }
        if (merged)
          break;
      }
    }
  }
}

/// The outermost `scf.forall` around `op`.
Operation *outermostLoop(Operation *op) {
  Operation *loop = nullptr;
  for (auto forall = op->getParentOfType<scf::ForallOp>(); forall;
       forall = forall->getParentOfType<scf::ForallOp>())
    loop = forall;
  return loop;
}

/// Which producers join a group: fills (destinations of reductions), row
/// reductions and elementwise ops (LayerNorm's centred rows, read by the
/// variance and by the normalisation), where the group reads a proper tile
/// of them (never a whole tensor per row, which would recompute it for
/// every row). A producer used before the group stays where it is. `root`, the untiled
/// consumer, is replaced by the group and does not count as a use.
///
/// Every fused reduction is also yielded by the group, used later or not:
/// its per-row value is then written into a slice of the group's own
/// result, never into a buffer allocated per iteration, which parallel
/// iterations could not share (a row's statistic is one value: writing it
/// costs 1/row-length of the group's traffic).
std::optional<scf::SCFTileAndFuseOptions::ControlFnResult>
controlFusion(Operation *root, tensor::ExtractSliceOp slice,
              OpResult producer) {
  Operation *op = producer.getOwner();
  bool isFill = isa<linalg::FillOp>(op);
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!isFill && !rowLoops(op) && !(generic && isElementwise(generic)))
    return std::nullopt;
  auto sourceType = cast<RankedTensorType>(slice.getSourceType());
  if (slice.getType().getShape() == sourceType.getShape())
    return std::nullopt;
  scf::SCFTileAndFuseOptions::ControlFnResult result;
  if (isFill)
    return result; // cheap: recomputed per tile, the original stays
  Operation *loop = outermostLoop(slice);
  // Untiled ops already fused into the loop read the producer too; they
  // die with the root, as do ops only they use (the chain from LayerNorm's
  // mean through its variance to the reciprocal of its deviation).
  llvm::DenseMap<Operation *, bool> replaced;
  std::function<bool(Operation *)> replacedByLoop = [&](Operation *op) {
    if (op == root || loop->isAncestor(op))
      return true;
    if (!isa<linalg::LinalgOp>(op))
      return false;
    auto [it, inserted] = replaced.try_emplace(op, false);
    if (!inserted)
      return it->second;
    bool dies = llvm::all_of(op->getUsers(), replacedByLoop);
    replaced[op] = dies;
    return dies;
  };
  for (OpOperand &use : producer.getUses()) {
    Operation *user = use.getOwner();
    if (replacedByLoop(user))
      continue;
    Operation *userInBlock = loop->getBlock()->findAncestorOpInBlock(*user);
    if (!userInBlock || userInBlock->isBeforeInBlock(loop))
      return std::nullopt;
  }
  result.yieldProducerReplacement = true;
  return result;
}

/// Whether `v` holds no data: an empty tensor, or a slice of one.
bool holdsNoData(Value v) {
  if (auto slice = v.getDefiningOp<tensor::ExtractSliceOp>())
    v = slice.getSource();
  return v.getDefiningOp<tensor::EmptyOp>() != nullptr;
}

/// Whether `a` and `b` hold the same data: the same value, fills of the
/// same scalar into tensors of one type, or two tensors of one type that
/// hold none (destinations that are only written).
bool sameData(Value a, Value b) {
  if (a == b)
    return true;
  if (a.getType() == b.getType() && holdsNoData(a) && holdsNoData(b))
    return true;
  auto fillA = a.getDefiningOp<linalg::FillOp>();
  auto fillB = b.getDefiningOp<linalg::FillOp>();
  return fillA && fillB && a.getType() == b.getType() &&
         fillA.value() == fillB.value();
}

/// A producer read through two slices in a group is fused twice (LayerNorm's
/// mean feeds the variance and the normalisation); the copies differ only
/// in the fills or empty tensors they start from. Keeps the first of each
/// such pair.
void mergeDuplicateReductions(RewriterBase &rewriter, scf::ForallOp loop) {
  DominanceInfo dominance;
  eliminateCommonSubExpressions(rewriter, dominance, loop);
  SmallVector<linalg::GenericOp> reductions;
  for (auto op : loop.getBody()->getOps<linalg::GenericOp>())
    reductions.push_back(op);
  llvm::DenseSet<Operation *> merged;
  for (auto [i, first] : llvm::enumerate(reductions)) {
    if (merged.contains(first))
      continue;
    for (linalg::GenericOp second : ArrayRef(reductions).drop_front(i + 1)) {
      if (merged.contains(second))
        continue;
      llvm::DenseMap<Value, Value> equivalent;
      bool same = OperationEquivalence::isEquivalentTo(
          first, second,
          [&](Value a, Value b) {
            return success(sameData(a, b) || equivalent.lookup(a) == b);
          },
          [&](Value a, Value b) { equivalent[a] = b; },
          OperationEquivalence::IgnoreLocations);
      if (!same)
        continue;
      rewriter.replaceOp(second, first->getResults());
      merged.insert(second);
    }
  }
}

/// Tiles `root` by one row and fuses its producers into the loop; returns
/// the loop, or null where tiling failed (the root then stays as it is).
scf::ForallOp formRowGroup(RewriterBase &rewriter, linalg::GenericOp root,
                           unsigned rows) {
  SmallVector<OpFoldResult> tileSizes(root.getNumLoops(),
                                      rewriter.getIndexAttr(0));
  for (unsigned i = 0; i < rows; ++i)
    tileSizes[i] = rewriter.getIndexAttr(1);
  scf::SCFTilingOptions tiling;
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp)
      .setTileSizes(tileSizes);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling).setFusionControlFn(
      [&](tensor::ExtractSliceOp slice, OpResult producer, bool) {
        return controlFusion(root, slice, producer);
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(root.getOperation()), options);
  if (failed(fused) || fused->loops.empty())
    return nullptr;
  auto loop = cast<scf::ForallOp>(fused->loops.front().getOperation());
  for (auto [original, replacement] : fused->replacements) {
    rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
      Operation *user = loop->getBlock()->findAncestorOpInBlock(
          *use.getOwner());
      return user && user != loop && loop->isBeforeInBlock(user);
    });
  }
  return loop;
}

StringRef kindOf(Operation *op) {
  if (isa<scf::ForallOp>(op))
    return "row";
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    return generic.getNumReductionLoops() ? "reduction" : "elementwise";
  // Named ops: fill, copy, transpose, broadcast, ...
  return op->getName().stripDialect();
}

/// Puts `ds.kernel = {id, kind, ops}` on every generated kernel of
/// `function`, in order.
void annotateKernels(func::FuncOp function) {
  Builder b(function.getContext());
  int64_t id = 0;
  function.walk<WalkOrder::PreOrder>([&](Operation *op) {
    bool group = op->hasAttr(kKernelAttr) && isa<scf::ForallOp>(op);
    if (!group && !isa<linalg::LinalgOp>(op))
      return WalkResult::advance();
    int64_t ops = 0;
    if (group)
      op->walk([&](linalg::LinalgOp) { ++ops; });
    else
      ops = 1;
    op->setAttr(kKernelAttr,
                b.getDictionaryAttr(
                    {b.getNamedAttr("id", b.getI64IntegerAttr(id++)),
                     b.getNamedAttr("kind", b.getStringAttr(kindOf(op))),
                     b.getNamedAttr("ops", b.getI64IntegerAttr(ops))}));
    return WalkResult::skip();
  });
}

DictionaryAttr reportOf(Builder &b, const KernelCounts &before,
                        const KernelCounts &after) {
  auto entry = [&](StringRef name, int64_t value) {
    return b.getNamedAttr(name, b.getI64IntegerAttr(value));
  };
  return b.getDictionaryAttr(
      {entry("kernels_before", before.generated),
       entry("kernels_after", after.generated),
       entry("bytes_before", before.generatedBytes),
       entry("bytes_after", after.generatedBytes),
       entry("library_calls", after.library),
       entry("library_bytes", after.libraryBytes)});
}

struct FusePass : impl::DsFusePassBase<FusePass> {
  using DsFusePassBase::DsFusePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::DenseMap<Operation *, KernelCounts> before;
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        before[function] = countKernels(function);

    if (failed(fuseElementwise(module)) || failed(runText("canonicalize,cse")))
      return signalPassFailure();
    if (siblings) {
      IRRewriter rewriter(&getContext());
      for (auto function : module.getOps<func::FuncOp>())
        fuseSiblings(rewriter, function);
      if (failed(runText("canonicalize,cse")))
        return signalPassFailure();
    }
    if (rowGroups) {
      IRRewriter rewriter(&getContext());
      for (auto function : module.getOps<func::FuncOp>())
        formRowGroups(rewriter, function);
      if (failed(runText("canonicalize,cse")))
        return signalPassFailure();
    }

    Builder b(&getContext());
    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      annotateKernels(function);
      function->setAttr(kFusionAttr, reportOf(b, before[function],
                                              countKernels(function)));
    }
  }

private:
  LogicalResult runText(StringRef pipeline) {
    OpPassManager pm(ModuleOp::getOperationName());
    if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
      return failure();
    return runPipeline(pm, getOperation());
  }

  /// Forms the row groups of `function`, consumers last to first so that a
  /// group's producers are still in place when it forms.
  void formRowGroups(RewriterBase &rewriter, func::FuncOp function) {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> roots;
    function.walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<scf::ForallOp>())
        return;
      if (std::optional<unsigned> rows = rootRows(op))
        roots.emplace_back(op, *rows);
    });
    Builder b(function.getContext());
    for (auto [root, rows] : llvm::reverse(roots)) {
      // A root a later group took in whole (LayerNorm's centred rows) is
      // left without uses: nothing to form.
      if (root->use_empty())
        continue;
      scf::ForallOp loop = formRowGroup(rewriter, root, rows);
      if (!loop)
        continue;
      mergeDuplicateReductions(rewriter, loop);
      // Marked now so that annotateKernels numbers it as one kernel.
      loop->setAttr(kKernelAttr, b.getUnitAttr());
      if (root->use_empty())
        rewriter.eraseOp(root);
    }
  }
};

} // namespace
} // namespace mlir::ds
