//===- Remat.cpp - costs and the free-value rule of rematerialization -----===//

#include "passes/autodiff/Remat.h"

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::ds;

RematPolicy::~RematPolicy() = default;

int64_t ds::tensorBytes(Type type) {
  return isa<RankedTensorType>(type) ? staticByteSize(type) : 0;
}

static int64_t elementsOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() ? tensor.getNumElements() : 0;
}

static int64_t dimOf(Value value, int64_t fromEnd) {
  auto tensor = cast<RankedTensorType>(value.getType());
  return tensor.getDimSize(tensor.getRank() - fromEnd);
}

static int64_t bodyFlops(func::FuncOp function) {
  int64_t flops = 0;
  if (function && !function.isExternal())
    for (Operation &op : function.getBody().front())
      flops += flopsOf(&op);
  return flops;
}

/// [B, Tq, Hq, D] queries against [B, Tk, Hkv, D] keys: QKᵀ and PV.
static int64_t attentionFlops(Value query, Value key, Value value,
                              bool causal) {
  auto queryType = cast<RankedTensorType>(query.getType());
  int64_t batch = queryType.getDimSize(0), tq = queryType.getDimSize(1),
          heads = queryType.getDimSize(2);
  int64_t tk = dimOf(key, 3);
  int64_t work =
      2 * batch * heads * tq * tk * (dimOf(query, 1) + dimOf(value, 1));
  return causal && tq == tk ? work / 2 : work;
}

/// Per token and chosen expert: gate, up and down products of I x D.
static int64_t expertFlops(Value input, Value weights, Value gate) {
  auto gateType = cast<RankedTensorType>(gate.getType());
  return dimOf(input, 2) * dimOf(weights, 1) * 6 * gateType.getDimSize(1) *
         gateType.getDimSize(2);
}

int64_t ds::flopsOf(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return bodyFlops(SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
        op, call.getCalleeAttr()));
  if (auto scan = dyn_cast<ScanOp>(op)) {
    int64_t layers = scan.getNumLayers();
    return std::max<int64_t>(layers, 0) *
           bodyFlops(SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
               op, scan.getCalleeAttr()));
  }
  if (op->getNumResults() == 0)
    return 0;
  const int64_t elements = elementsOf(op->getResult(0).getType());
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    int64_t k = dimOf(matmul.getLhs(), matmul.getTransposeLhs() ? 2 : 1);
    return 2 * elements * k;
  }
  if (auto attention = dyn_cast<AttentionOp>(op))
    return attentionFlops(attention.getQuery(), attention.getKey(),
                          attention.getValue(), attention.getCausal());
  if (auto experts = dyn_cast<MoeFfnOp>(op))
    return expertFlops(experts.getInput(), experts.getWeights(),
                       experts.getGate());
  // The backward kernels recompute the forward products and compute two
  // more per product: about three times the forward pass.
  if (auto grad = dyn_cast<AttentionGradOp>(op))
    return 3 * attentionFlops(grad.getQuery(), grad.getKey(), grad.getValue(),
                              grad.getCausal());
  if (auto grad = dyn_cast<MoeFfnGradOp>(op))
    return 3 * expertFlops(grad.getInput(), grad.getWeights(), grad.getGate());
  if (isa<ReshapeOp, TransposeOp, BroadcastOp, SliceOp, ConcatOp, SplitOp,
          PadOp, GatherOp, ConstantOp, IotaOp, CastOp>(op))
    return 0;
  if (isa<ExpOp, LogOp, SqrtOp, RsqrtOp, TanhOp, SigmoidOp, SiluOp, SinOp,
          CosOp, GeluOp, PowOp>(op))
    return 4 * elements;
  if (isa<RmsNormOp, LayerNormOp, SoftmaxOp, LogSoftmaxOp>(op))
    return 6 * elementsOf(op->getOperand(0).getType());
  // Rope computes its sines and cosines as it goes: two per pair.
  if (isa<RopeOp>(op))
    return 20 * elementsOf(op->getOperand(0).getType());
  if (isa<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, MoeRouteOp, CrossEntropyOp>(
          op))
    return 4 * elementsOf(op->getOperand(0).getType());
  return elements;
}

bool ds::isCheapToRecompute(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, PowOp, CompareOp,
             SelectOp, NegOp, AbsOp, SquareOp, ReluOp, ExpOp, LogOp, SqrtOp,
             RsqrtOp, TanhOp, SigmoidOp, SiluOp, SinOp, CosOp, GeluOp,
             ConstantOp, CastOp, IotaOp, RmsNormOp, LayerNormOp, RopeOp,
             MoeRouteOp, ReduceSumOp, ReduceMeanOp, ReduceMaxOp, SoftmaxOp,
             LogSoftmaxOp, ReshapeOp, TransposeOp, BroadcastOp, SliceOp,
             ConcatOp, SplitOp, PadOp, GatherOp>(op);
}

namespace {
/// Decides which values are free to rebuild, adding them (and the free
/// values they are rebuilt from) to the plan.
class FreeValues {
public:
  FreeValues(Block &forward, ArrayRef<Value> needed, RematPlan &plan)
      : forward(forward), needed(needed.begin(), needed.end()), plan(plan) {}

  bool isFree(Value value) {
    auto known = memo.find(value);
    if (known != memo.end())
      return known->second;
    memo[value] = false; // no cycles in SSA, but be safe
    Operation *definer = value.getDefiningOp();
    bool free = false;
    if (definer && isa<ConstantOp, IotaOp>(definer))
      free = true;
    else if (definer && isa<ReshapeOp, TransposeOp, BroadcastOp>(definer))
      free = isAvailable(definer->getOperand(0));
    if (free && definer && !isa<ConstantOp, IotaOp>(definer))
      plan.insert({value, "free: a view of a value the backward pass has"});
    return memo[value] = free;
  }

private:
  /// Whether the backward pass has `value` without saving anything more.
  bool isAvailable(Value value) {
    if (auto argument = dyn_cast<BlockArgument>(value))
      return argument.getOwner() == &forward;
    if (isFree(value))
      return true;
    return needed.contains(value); // saved anyway
  }

  Block &forward;
  llvm::DenseSet<Value> needed;
  RematPlan &plan;
  llvm::DenseMap<Value, bool> memo;
};
} // namespace

void ds::addFreeValues(Block &forward, ArrayRef<Value> needed,
                       RematPlan &plan) {
  FreeValues free(forward, needed, plan);
  for (Value value : needed)
    (void)free.isFree(value);
}
