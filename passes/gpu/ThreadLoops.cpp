//===- ThreadLoops.cpp - a linalg op's work split among GPU threads -------===//

#include "passes/gpu/ThreadLoops.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

/// Four 32-bit elements: one 16-byte load or store per thread.
constexpr int64_t kLanes = 4;
constexpr int64_t kVectorBytes = 16;

/// How an operand is read along `op`'s innermost loop, four iterations at
/// a time: four consecutive elements (one vector load), or one element for
/// all four (the operand does not depend on that loop: a broadcast, or a
/// scalar operand).
enum class LaneAccess { Contiguous, Same };

/// The access of each operand of `op` (in operand order) when its
/// innermost loop can run four iterations at a time: the loop's size is a
/// multiple of four, and every operand that depends on it is a 32-bit
/// memref that it indexes by its last dimension alone, with unit stride
/// there and every other stride static and a multiple of four (so a row's
/// first element is 16-byte aligned when the buffer's is).
std::optional<SmallVector<LaneAccess>> laneAccesses(linalg::GenericOp op) {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  if (sizes.empty() || sizes.back() % kLanes != 0)
    return std::nullopt;
  unsigned inner = sizes.size() - 1;
  AffineExpr innerDim = getAffineDimExpr(inner, op.getContext());
  SmallVector<LaneAccess> accesses;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!type || !map.isFunctionOfDim(inner)) {
      accesses.push_back(LaneAccess::Same);
      continue;
    }
    if (type.getElementTypeBitWidth() != 32 || map.getNumResults() == 0 ||
        map.getResults().back() != innerDim)
      return std::nullopt;
    for (AffineExpr result : map.getResults().drop_back())
      if (result.isFunctionOfDim(inner))
        return std::nullopt;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return std::nullopt;
    for (int64_t stride : ArrayRef(strides).drop_back())
      if (ShapedType::isDynamic(stride) || stride % kLanes != 0)
        return std::nullopt;
    accesses.push_back(LaneAccess::Contiguous);
  }
  return accesses;
}

/// Whether every operand read four at a time starts 16-byte aligned here,
/// at run time (a view's offset is known only then).
Value allAligned(OpBuilder &b, Location loc, linalg::GenericOp op,
                 ArrayRef<LaneAccess> accesses) {
  Value aligned = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value zero = indexConstant(b, loc, 0);
  Value vectorBytes = indexConstant(b, loc, kVectorBytes);
  for (auto [operand, access] : llvm::zip(op->getOpOperands(), accesses)) {
    if (access != LaneAccess::Contiguous)
      continue;
    Value memref = operand.get();
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    Value offsetBytes = arith::MulIOp::create(
        b, loc, metadata.getOffset(),
        indexConstant(b, loc,
                      cast<MemRefType>(memref.getType())
                              .getElementTypeBitWidth() / 8));
    Value address = arith::AddIOp::create(b, loc, base, offsetBytes);
    Value remainder = arith::RemUIOp::create(b, loc, address, vectorBytes);
    Value isAligned = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            remainder, zero);
    aligned = arith::AndIOp::create(b, loc, aligned, isAligned);
  }
  return aligned;
}

/// The four lanes' values of `operand` at `ivs` (innermost index a multiple
/// of four): one vector load split into lanes, or one scalar for all.
SmallVector<Value> loadLanes(OpBuilder &b, Location loc, linalg::GenericOp op,
                             OpOperand &operand, LaneAccess access,
                             ValueRange ivs) {
  if (access == LaneAccess::Same)
    return SmallVector<Value>(kLanes, loadOperand(b, loc, op, operand, ivs));
  std::optional<SmallVector<Value, 8>> indices = affine::expandAffineMap(
      b, loc, op.getMatchingIndexingMap(&operand), ivs);
  Type element = cast<MemRefType>(operand.get().getType()).getElementType();
  Value vector = vector::LoadOp::create(
      b, loc, VectorType::get({kLanes}, element), operand.get(), *indices,
      /*nontemporal=*/false, llvm::MaybeAlign(kVectorBytes));
  SmallVector<Value> lanes;
  for (int64_t lane = 0; lane < kLanes; ++lane)
    lanes.push_back(vector::ExtractOp::create(b, loc, vector, lane));
  return lanes;
}

/// `ivs` with `lane` added to the innermost index.
SmallVector<Value> laneIndices(OpBuilder &b, Location loc, ValueRange ivs,
                               int64_t lane) {
  SmallVector<Value> shifted(ivs);
  if (lane != 0)
    shifted.back() = arith::AddIOp::create(b, loc, shifted.back(),
                                           indexConstant(b, loc, lane));
  return shifted;
}

/// The iterations of an elementwise `op` four at a time (innermost loop):
/// flat positions first, first + stride, ... of the iteration space with
/// the innermost loop divided by four.
void emitLaneIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
                        ArrayRef<LaneAccess> accesses, Value first,
                        Value stride) {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  sizes.back() /= kLanes;
  Value total = indexConstant(b, loc, product(sizes));
  auto loop = scf::ForOp::create(b, loc, first, total, stride);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> ivs = delinearize(b, loc, loop.getInductionVar(), sizes);
  ivs.back() = arith::MulIOp::create(b, loc, ivs.back(),
                                     indexConstant(b, loc, kLanes));
  // Every operand the payload reads, as four lanes.
  SmallVector<SmallVector<Value>> lanes(op->getNumOperands());
  for (auto [i, operand] : llvm::enumerate(op->getOpOperands()))
    if (op.payloadUsesValueFromOperand(&operand))
      lanes[i] = loadLanes(b, loc, op, operand, accesses[i], ivs);
  SmallVector<SmallVector<Value>> results(op.getNumDpsInits());
  for (int64_t lane = 0; lane < kLanes; ++lane) {
    IRMapping mapping;
    for (auto [i, operand] : llvm::enumerate(op->getOpOperands()))
      if (!lanes[i].empty())
        mapping.map(op.getMatchingBlockArgument(&operand), lanes[i][lane]);
    SmallVector<Value> laneIvs = laneIndices(b, loc, ivs, lane);
    for (auto [k, value] :
         llvm::enumerate(evaluatePayload(b, op, laneIvs, mapping)))
      results[k].push_back(value);
  }
  for (auto [init, values] : llvm::zip(op.getDpsInitsMutable(), results)) {
    std::optional<SmallVector<Value, 8>> indices = affine::expandAffineMap(
        b, loc, op.getMatchingIndexingMap(&init), ivs);
    Value vector = vector::FromElementsOp::create(
        b, loc, VectorType::get({kLanes}, values.front().getType()), values);
    vector::StoreOp::create(b, loc, vector, init.get(), *indices,
                            /*nontemporal=*/false,
                            llvm::MaybeAlign(kVectorBytes));
  }
}

/// One thread's share of the reduction of `op` at `parallelIndices`:
/// reduction iterations threadId, threadId + blockSize, ... (with `lanes`,
/// groups of four consecutive iterations of the innermost loop, read with
/// 16-byte loads), combined into the running values, which start at
/// `identities`.
SmallVector<Value> emitPartials(OpBuilder &b, Location loc,
                                linalg::GenericOp op, const LoopSplit &split,
                                ValueRange parallelIndices,
                                ValueRange identities, Value threadId,
                                Value blockSize,
                                const SmallVector<LaneAccess> *lanes) {
  SmallVector<int64_t> sizes = split.reductionSizes;
  int64_t width = lanes ? kLanes : 1;
  sizes.back() /= width;
  Value total = indexConstant(b, loc, product(sizes));
  auto loop = scf::ForOp::create(b, loc, threadId, total, blockSize,
                                 identities);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> reductionIvs =
      delinearize(b, loc, loop.getInductionVar(), sizes);
  if (lanes)
    reductionIvs.back() = arith::MulIOp::create(
        b, loc, reductionIvs.back(), indexConstant(b, loc, kLanes));
  SmallVector<Value> ivs =
      combineIndices(split, parallelIndices, reductionIvs);
  // Inputs as lanes (one lane when not vectorized).
  SmallVector<SmallVector<Value>> inputs(op.getNumDpsInputs());
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!op.payloadUsesValueFromOperand(input))
      continue;
    unsigned i = input->getOperandNumber();
    inputs[i] = lanes ? loadLanes(b, loc, op, *input, (*lanes)[i], ivs)
                      : SmallVector<Value>{loadOperand(b, loc, op, *input, ivs)};
  }
  // The payload's `out ⊕ x`, with `out` the running value, is the next
  // running value.
  SmallVector<Value> running(loop.getRegionIterArgs());
  for (int64_t lane = 0; lane < width; ++lane) {
    IRMapping mapping;
    for (OpOperand *input : op.getDpsInputOperands())
      if (!inputs[input->getOperandNumber()].empty())
        mapping.map(op.getMatchingBlockArgument(input),
                    inputs[input->getOperandNumber()][lane]);
    for (auto [init, value] : llvm::zip(op.getDpsInitsMutable(), running))
      mapping.map(op.getMatchingBlockArgument(&init), value);
    running = evaluatePayload(b, op, laneIndices(b, loc, ivs, lane), mapping);
  }
  scf::YieldOp::create(b, loc, running);
  return SmallVector<Value>(loop.getResults());
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

int64_t laneWidth(linalg::GenericOp op) {
  return laneAccesses(op) ? kLanes : 1;
}

bool hasSplittableReduction(linalg::GenericOp op) {
  return findCombiners(op).has_value();
}

void emitStridedIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
                           Value first, Value stride) {
  std::optional<SmallVector<LaneAccess>> accesses = laneAccesses(op);
  if (!accesses)
    return emitScalarIterations(b, loc, op, first, stride);
  // 16-byte loads and stores where every buffer is aligned for them (one
  // uniform branch per kernel), element by element otherwise.
  auto ifAligned = scf::IfOp::create(b, loc, allAligned(b, loc, op, *accesses),
                                     /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifAligned.getThenRegion().front());
  emitLaneIterations(b, loc, op, *accesses, first, stride);
  b.setInsertionPointToStart(&ifAligned.getElseRegion().front());
  emitScalarIterations(b, loc, op, first, stride);
}

void emitScalarIterations(OpBuilder &b, Location loc, linalg::GenericOp op,
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
                        Value blockSize, ValueRange initialValues) {
  LoopSplit split = splitLoops(op);
  SmallVector<Combiner> combiners = *findCombiners(op);
  SmallVector<Value> identities;
  for (auto [combiner, yielded] :
       llvm::zip(combiners, op.getRegion().front().getTerminator()
                                ->getOperands()))
    identities.push_back(
        identityOf(b, loc, combiner.kind, yielded.getType()));

  // Each thread's share, combined in a register: four iterations at a
  // time with 16-byte loads where the row allows and the buffers are
  // aligned, one at a time otherwise.
  std::optional<SmallVector<LaneAccess>> accesses = laneAccesses(op);
  bool innermostReduces =
      !split.reductionDims.empty() &&
      split.reductionDims.back() == split.sizes.size() - 1;
  SmallVector<Value> partials;
  if (accesses && innermostReduces) {
    TypeRange types = ValueRange(identities).getTypes();
    auto ifAligned = scf::IfOp::create(b, loc, types,
                                       allAligned(b, loc, op, *accesses),
                                       /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifAligned.getThenRegion().front());
    scf::YieldOp::create(b, loc,
                         emitPartials(b, loc, op, split, parallelIndices,
                                      identities, threadId, blockSize,
                                      &*accesses));
    b.setInsertionPointToStart(&ifAligned.getElseRegion().front());
    scf::YieldOp::create(b, loc,
                         emitPartials(b, loc, op, split, parallelIndices,
                                      identities, threadId, blockSize,
                                      nullptr));
    partials = SmallVector<Value>(ifAligned.getResults());
  } else {
    partials = emitPartials(b, loc, op, split, parallelIndices, identities,
                            threadId, blockSize, nullptr);
  }

  // The block's total, then thread 0 folds it into the output.
  SmallVector<Value> totals;
  for (auto [combiner, partial] : llvm::zip(combiners, partials))
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
  for (auto [k, init, combiner, blockTotal] :
       llvm::enumerate(op.getDpsInitsMutable(), combiners, totals)) {
    Value old = initialValues.empty() ? loadOperand(b, loc, op, init, ivs)
                                      : initialValues[k];
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
                          Value first, Value stride, ValueRange initialValues) {
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
  SmallVector<Value> initial(initialValues);
  if (initial.empty())
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
