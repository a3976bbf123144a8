//===- ThreadLoops.cpp - a linalg op's work split among GPU threads -------===//

#include "passes/gpu/ThreadLoops.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

#include <limits>

namespace mlir::ds::gpu_codegen {

namespace {

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// The static loop sizes of `op`, split by kind, with each loop's position.
struct LoopSplit {
  SmallVector<int64_t> sizes, parallelSizes, reductionSizes;
  SmallVector<unsigned> parallelDims, reductionDims;
};

LoopSplit splitLoops(linalg::GenericOp op) {
  LoopSplit split;
  split.sizes = op.getStaticLoopRanges();
  for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (type == utils::IteratorType::parallel) {
      split.parallelDims.push_back(dim);
      split.parallelSizes.push_back(split.sizes[dim]);
    } else {
      split.reductionDims.push_back(dim);
      split.reductionSizes.push_back(split.sizes[dim]);
    }
  }
  return split;
}

int64_t product(ArrayRef<int64_t> sizes) {
  int64_t total = 1;
  for (int64_t size : sizes)
    total *= size;
  return total;
}

/// The element `operand` of `op` reads at loop indices `ivs` (a scalar
/// operand, such as a fill's value, is its own element).
Value loadOperand(OpBuilder &b, Location loc, linalg::GenericOp op,
                  OpOperand &operand, ValueRange ivs) {
  if (!isa<MemRefType>(operand.get().getType()))
    return operand.get();
  std::optional<SmallVector<Value, 8>> indices = affine::expandAffineMap(
      b, loc, op.getMatchingIndexingMap(&operand), ivs);
  return memref::LoadOp::create(b, loc, operand.get(), *indices);
}

void storeResult(OpBuilder &b, Location loc, linalg::GenericOp op,
                 OpOperand &init, Value value, ValueRange ivs) {
  std::optional<SmallVector<Value, 8>> indices = affine::expandAffineMap(
      b, loc, op.getMatchingIndexingMap(&init), ivs);
  memref::StoreOp::create(b, loc, value, init.get(), *indices);
}

/// Runs the payload of `op` at `ivs` on the block arguments' values in
/// `mapping` (linalg.index reads `ivs`); returns what it yields.
SmallVector<Value> evaluatePayload(OpBuilder &b, linalg::GenericOp op,
                                   ValueRange ivs, IRMapping &mapping) {
  Block &body = op.getRegion().front();
  for (Operation &inner : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  SmallVector<Value> yielded;
  for (Value value : body.getTerminator()->getOperands())
    yielded.push_back(mapping.lookupOrDefault(value));
  return yielded;
}

/// Maps the block arguments of the inputs the payload reads to their
/// elements at `ivs`.
void loadInputs(OpBuilder &b, Location loc, linalg::GenericOp op,
                ValueRange ivs, IRMapping &mapping) {
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.payloadUsesValueFromOperand(input))
      mapping.map(op.getMatchingBlockArgument(input),
                  loadOperand(b, loc, op, *input, ivs));
}

/// Full loop indices from the parallel and the reduction loops' indices.
SmallVector<Value> combineIndices(const LoopSplit &split,
                                  ValueRange parallelIvs,
                                  ValueRange reductionIvs) {
  SmallVector<Value> ivs(split.sizes.size());
  for (auto [dim, iv] : llvm::zip(split.parallelDims, parallelIvs))
    ivs[dim] = iv;
  for (auto [dim, iv] : llvm::zip(split.reductionDims, reductionIvs))
    ivs[dim] = iv;
  return ivs;
}

/// The combining op of result `k` (`out ⊕ x`), the position of `out` among
/// its operands and the all_reduce operation it is.
struct Combiner {
  Operation *op = nullptr;
  unsigned outOperand = 0;
  gpu::AllReduceOperation kind = gpu::AllReduceOperation::ADD;
};

std::optional<gpu::AllReduceOperation> allReduceKind(Operation *op) {
  using K = gpu::AllReduceOperation;
  if (isa<arith::AddFOp, arith::AddIOp>(op))
    return K::ADD;
  if (isa<arith::MulFOp, arith::MulIOp>(op))
    return K::MUL;
  if (isa<arith::MaximumFOp>(op))
    return K::MAXIMUMF;
  if (isa<arith::MinimumFOp>(op))
    return K::MINIMUMF;
  if (isa<arith::MaxNumFOp>(op))
    return K::MAXNUMF;
  if (isa<arith::MinNumFOp>(op))
    return K::MINNUMF;
  if (isa<arith::MaxSIOp>(op))
    return K::MAXSI;
  if (isa<arith::MinSIOp>(op))
    return K::MINSI;
  if (isa<arith::MaxUIOp>(op))
    return K::MAXUI;
  if (isa<arith::MinUIOp>(op))
    return K::MINUI;
  if (isa<arith::AndIOp>(op))
    return K::AND;
  if (isa<arith::OrIOp>(op))
    return K::OR;
  if (isa<arith::XOrIOp>(op))
    return K::XOR;
  return std::nullopt;
}

/// Whether `value` (in the payload) depends on any of `outputs`.
bool readsOutputs(Value value, ArrayRef<BlockArgument> outputs) {
  SmallVector<Value> worklist{value};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (auto argument = dyn_cast<BlockArgument>(current)) {
      if (llvm::is_contained(outputs, argument))
        return true;
      continue;
    }
    Operation *def = current.getDefiningOp();
    if (!def || !seen.insert(def).second)
      continue;
    llvm::append_range(worklist, def->getOperands());
  }
  return false;
}

std::optional<SmallVector<Combiner>> findCombiners(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  SmallVector<BlockArgument> outputs;
  for (OpOperand &init : op.getDpsInitsMutable())
    outputs.push_back(op.getMatchingBlockArgument(&init));
  SmallVector<Combiner> combiners;
  for (auto [k, yielded] :
       llvm::enumerate(body.getTerminator()->getOperands())) {
    Operation *def = yielded.getDefiningOp();
    if (!def || def->getBlock() != &body || def->getNumOperands() != 2 ||
        !outputs[k].hasOneUse())
      return std::nullopt;
    std::optional<gpu::AllReduceOperation> kind = allReduceKind(def);
    if (!kind)
      return std::nullopt;
    Combiner combiner{def, 0, *kind};
    if (def->getOperand(1) == outputs[k])
      combiner.outOperand = 1;
    else if (def->getOperand(0) != outputs[k])
      return std::nullopt;
    if (readsOutputs(def->getOperand(1 - combiner.outOperand), outputs))
      return std::nullopt;
    combiners.push_back(combiner);
  }
  return combiners;
}

/// The neutral element of `kind` on `type`: what a thread with no share of
/// the iterations contributes.
Value identityOf(OpBuilder &b, Location loc, gpu::AllReduceOperation kind,
                 Type type) {
  using K = gpu::AllReduceOperation;
  if (auto floatType = dyn_cast<FloatType>(type)) {
    const llvm::fltSemantics &semantics = floatType.getFloatSemantics();
    APFloat value = APFloat::getZero(semantics);
    if (kind == K::MUL)
      value = APFloat::getOne(semantics);
    else if (kind == K::MAXIMUMF || kind == K::MAXNUMF)
      value = APFloat::getInf(semantics, /*Negative=*/true);
    else if (kind == K::MINIMUMF || kind == K::MINNUMF)
      value = APFloat::getInf(semantics, /*Negative=*/false);
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  }
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value = APInt::getZero(width);
  if (kind == K::MUL)
    value = APInt(width, 1);
  else if (kind == K::AND || kind == K::MINUI)
    value = APInt::getAllOnes(width);
  else if (kind == K::MAXSI)
    value = APInt::getSignedMinValue(width);
  else if (kind == K::MINSI)
    value = APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, value));
}

} // namespace

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value flat,
                               ArrayRef<int64_t> sizes) {
  SmallVector<Value> indices(sizes.size());
  Value rest = flat;
  for (int i = static_cast<int>(sizes.size()) - 1; i >= 0; --i) {
    if (sizes[i] == 1) {
      indices[i] = indexConstant(b, loc, 0);
      continue;
    }
    // The outermost loop that is not of size one takes what is left.
    if (llvm::all_of(sizes.take_front(i), [](int64_t s) { return s == 1; })) {
      indices[i] = rest;
      continue;
    }
    Value size = indexConstant(b, loc, sizes[i]);
    indices[i] = arith::RemUIOp::create(b, loc, rest, size);
    rest = arith::DivUIOp::create(b, loc, rest, size);
  }
  return indices;
}

int64_t parallelIterations(linalg::GenericOp op) {
  return product(splitLoops(op).parallelSizes);
}

int64_t reductionIterations(linalg::GenericOp op) {
  return product(splitLoops(op).reductionSizes);
}

bool hasSplittableReduction(linalg::GenericOp op) {
  return findCombiners(op).has_value();
}

void emitStridedIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
                           Value first, Value stride) {
  LoopSplit split = splitLoops(op);
  Value total = indexConstant(b, loc, product(split.sizes));
  auto loop = scf::ForOp::create(b, loc, first, total, stride);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> ivs =
      delinearize(b, loc, loop.getInductionVar(), split.sizes);
  IRMapping mapping;
  loadInputs(b, loc, op, ivs, mapping);
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.payloadUsesValueFromOperand(&init))
      mapping.map(op.getMatchingBlockArgument(&init),
                  loadOperand(b, loc, op, init, ivs));
  SmallVector<Value> results = evaluatePayload(b, op, ivs, mapping);
  for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), results))
    storeResult(b, loc, op, init, value, ivs);
}

void emitBlockReduction(OpBuilder &b, Location loc, linalg::GenericOp op,
                        ValueRange parallelIndices, Value threadId,
                        Value blockSize) {
  LoopSplit split = splitLoops(op);
  SmallVector<Combiner> combiners = *findCombiners(op);
  SmallVector<Value> identities;
  for (auto [combiner, yielded] :
       llvm::zip(combiners, op.getRegion().front().getTerminator()
                                ->getOperands()))
    identities.push_back(
        identityOf(b, loc, combiner.kind, yielded.getType()));

  // Each thread's share, combined in a register.
  Value total = indexConstant(b, loc, product(split.reductionSizes));
  auto loop = scf::ForOp::create(b, loc, threadId, total, blockSize,
                                 identities);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> reductionIvs = delinearize(
        b, loc, loop.getInductionVar(), split.reductionSizes);
    SmallVector<Value> ivs =
        combineIndices(split, parallelIndices, reductionIvs);
    IRMapping mapping;
    loadInputs(b, loc, op, ivs, mapping);
    // The payload's `out ⊕ x` with `out` the running value is the next one.
    for (auto [init, carried] :
         llvm::zip(op.getDpsInitsMutable(), loop.getRegionIterArgs()))
      mapping.map(op.getMatchingBlockArgument(&init), carried);
    scf::YieldOp::create(b, loc, evaluatePayload(b, op, ivs, mapping));
  }

  // The block's total, then thread 0 folds it into the output.
  SmallVector<Value> totals;
  for (auto [combiner, partial] : llvm::zip(combiners, loop.getResults()))
    totals.push_back(gpu::AllReduceOp::create(
        b, loc, partial,
        gpu::AllReduceOperationAttr::get(b.getContext(), combiner.kind),
        b.getUnitAttr()));
  Value zero = indexConstant(b, loc, 0);
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        threadId, zero);
  auto ifFirst = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifFirst.getThenRegion().front());
  SmallVector<Value> zeros(split.reductionDims.size(), zero);
  SmallVector<Value> ivs = combineIndices(split, parallelIndices, zeros);
  for (auto [init, combiner, blockTotal] :
       llvm::zip(op.getDpsInitsMutable(), combiners, totals)) {
    Value old = loadOperand(b, loc, op, init, ivs);
    SmallVector<Value> operands(2);
    operands[combiner.outOperand] = old;
    operands[1 - combiner.outOperand] = blockTotal;
    OperationState state(loc, combiner.op->getName(), operands,
                         TypeRange{old.getType()},
                         combiner.op->getAttrs());
    Value combined = b.create(state)->getResult(0);
    storeResult(b, loc, op, init, combined, ivs);
  }
}

void emitSerialReductions(OpBuilder &b, Location loc, linalg::GenericOp op,
                          Value first, Value stride) {
  LoopSplit split = splitLoops(op);
  Value outputs = indexConstant(b, loc, product(split.parallelSizes));
  auto outer = scf::ForOp::create(b, loc, first, outputs, stride);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(outer.getBody());
  SmallVector<Value> parallelIvs =
      delinearize(b, loc, outer.getInductionVar(), split.parallelSizes);
  Value zero = indexConstant(b, loc, 0);
  SmallVector<Value> zeros(split.reductionDims.size(), zero);
  SmallVector<Value> outputIvs = combineIndices(split, parallelIvs, zeros);
  SmallVector<Value> initial;
  for (OpOperand &init : op.getDpsInitsMutable())
    initial.push_back(loadOperand(b, loc, op, init, outputIvs));
  Value one = indexConstant(b, loc, 1);
  Value total = indexConstant(b, loc, product(split.reductionSizes));
  auto inner = scf::ForOp::create(b, loc, zero, total, one, initial);
  {
    OpBuilder::InsertionGuard innerGuard(b);
    b.setInsertionPointToStart(inner.getBody());
    SmallVector<Value> reductionIvs = delinearize(
        b, loc, inner.getInductionVar(), split.reductionSizes);
    SmallVector<Value> ivs = combineIndices(split, parallelIvs, reductionIvs);
    IRMapping mapping;
    loadInputs(b, loc, op, ivs, mapping);
    for (auto [init, carried] :
         llvm::zip(op.getDpsInitsMutable(), inner.getRegionIterArgs()))
      mapping.map(op.getMatchingBlockArgument(&init), carried);
    scf::YieldOp::create(b, loc, evaluatePayload(b, op, ivs, mapping));
  }
  for (auto [init, value] :
       llvm::zip(op.getDpsInitsMutable(), inner.getResults()))
    storeResult(b, loc, op, init, value, outputIvs);
}

} // namespace mlir::ds::gpu_codegen
