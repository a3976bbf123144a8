//===- DsModelOps.cpp - matmul, norms, rotary, attention, MoE, loss -------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace mlir;
using namespace mlir::ds;

#define GET_OP_CLASSES
#include "dialects/ds/DsModelOps.cpp.inc"

/// Fetches ranked operand types in order, stopping at the first that is not.
static LogicalResult
getRankedOperands(const RuleReporter &report, ArrayRef<Value> values,
                  SmallVectorImpl<RankedTensorType> &types) {
  for (auto [number, value] : llvm::enumerate(values)) {
    FailureOr<RankedTensorType> type = getRankedOperand(report, value, number);
    if (failed(type))
      return failure();
    types.push_back(*type);
  }
  return success();
}

/// Checks that operand `number` (`name`) has rank `rank`.
static LogicalResult checkRank(const RuleReporter &report, StringRef name,
                               unsigned number, RankedTensorType type,
                               int64_t rank, StringRef layout) {
  if (type.getRank() != rank)
    return report.fail("operand #", number, " (", name, ") must have rank ",
                       rank, " ", layout, ", got ", formatShape(type.getShape()));
  return success();
}

/// Checks that dimension `dimA` of operand `a` and `dimB` of operand `b` can
/// be equal; `what` names the quantity both describe.
static LogicalResult checkSameDim(const RuleReporter &report, StringRef what,
                                  unsigned a, RankedTensorType typeA,
                                  int64_t dimA, unsigned b,
                                  RankedTensorType typeB, int64_t dimB) {
  int64_t x = typeA.getDimSize(dimA), y = typeB.getDimSize(dimB);
  if (!dimsCompatible(x, y))
    return report.fail(what, " differs: dimension ", dimA, " of operand #", a,
                       " is ", x, " but dimension ", dimB, " of operand #", b,
                       " is ", y);
  return success();
}

/// Checks that operand `b` has operand `a`'s element type.
static LogicalResult checkSameElementType(const RuleReporter &report,
                                          unsigned a, RankedTensorType typeA,
                                          unsigned b, RankedTensorType typeB) {
  if (typeA.getElementType() != typeB.getElementType())
    return report.fail("operand #", b, " has element type ",
                       typeB.getElementType(), " but operand #", a, " has ",
                       typeA.getElementType(), " (they must be equal)");
  return success();
}

static int64_t joinDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  RuleReporter report(getLoc(), getOperationName());
  RankedTensorType lhs = getLhs().getType(), rhs = getRhs().getType();
  Type lhsElement = lhs.getElementType(), rhsElement = rhs.getElementType();
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return report.fail("operands must have rank >= 2 (matrices, optionally "
                       "batched), got ",
                       formatShape(lhs.getShape()), " and ",
                       formatShape(rhs.getShape()));
  bool bothFp8 = isa<Float8E4M3FNType, Float8E5M2Type>(lhsElement) &&
                 isa<Float8E4M3FNType, Float8E5M2Type>(rhsElement);
  if (lhsElement != rhsElement && !bothFp8)
    return report.fail("operand #1 has element type ", rhsElement,
                       " but operand #0 has ", lhsElement,
                       " (they must be equal, or both fp8)");
  Type resultElement = getType().getElementType();
  bool isF64 = lhsElement.isF64();
  bool resultOk = isF64 ? resultElement.isF64()
                        : (resultElement.isF32() ||
                           (resultElement == lhsElement &&
                            lhsElement == rhsElement));
  if (!resultOk)
    return report.fail("result element type ", resultElement,
                       " must be the operands' type or f32 (f64 for f64 "
                       "operands), got operands of ",
                       lhsElement, " and ", rhsElement);

  int64_t lr = lhs.getRank(), rr = rhs.getRank();
  int64_t m = lhs.getDimSize(getTransposeLhs() ? lr - 1 : lr - 2);
  int64_t kl = lhs.getDimSize(getTransposeLhs() ? lr - 2 : lr - 1);
  int64_t kr = rhs.getDimSize(getTransposeRhs() ? rr - 1 : rr - 2);
  int64_t n = rhs.getDimSize(getTransposeRhs() ? rr - 2 : rr - 1);
  if (!dimsCompatible(kl, kr))
    return report.fail("contraction sizes differ: operand #0 ",
                       formatShape(lhs.getShape()),
                       getTransposeLhs() ? " (transposed)" : "", " has K = ",
                       kl, " but operand #1 ", formatShape(rhs.getShape()),
                       getTransposeRhs() ? " (transposed)" : "", " has K = ",
                       kr);

  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(
      report, {lhs.getShape().drop_back(2), rhs.getShape().drop_back(2)},
      {0, 1});
  if (failed(shape))
    return failure();
  shape->push_back(m);
  shape->push_back(n);
  if (ArrayRef<int64_t>(*shape) != getType().getShape())
    return report.fail("result shape ", formatShape(getType().getShape()),
                       " differs from the product's shape ",
                       formatShape(*shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// rms_norm and layer_norm: rank-1 weight (and bias) over the last axis.
static LogicalResult inferNorm(std::optional<Location> loc, StringRef opName,
                               ArrayRef<Value> operands, double epsilon,
                               SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, opName);
  SmallVector<RankedTensorType> types;
  if (failed(getRankedOperands(report, operands, types)))
    return failure();
  RankedTensorType input = types[0];
  if (input.getRank() < 1)
    return report.fail("operand #0 must have rank >= 1 (the normalized axis "
                       "is the last)");
  for (unsigned i = 1; i < types.size(); ++i) {
    StringRef name = i == 1 ? "weight" : "bias";
    if (failed(checkRank(report, name, i, types[i], 1, "[D]")) ||
        failed(checkSameElementType(report, 0, input, i, types[i])) ||
        failed(checkSameDim(report, "the normalized size", 0, input,
                            input.getRank() - 1, i, types[i], 0)))
      return failure();
  }
  if (!(epsilon >= 0.0) || !std::isfinite(epsilon))
    return report.fail("epsilon must be finite and >= 0, got ", epsilon);
  results.push_back(input);
  return success();
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  return inferNorm(loc, getOperationName(),
                   {adaptor.getInput(), adaptor.getWeight()},
                   adaptor.getEpsilon().convertToDouble(), results);
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  SmallVector<Value, 3> operands = {adaptor.getInput(), adaptor.getWeight()};
  if (adaptor.getBias())
    operands.push_back(adaptor.getBias());
  return inferNorm(loc, getOperationName(), operands,
                   adaptor.getEpsilon().convertToDouble(), results);
}

//===----------------------------------------------------------------------===//
// Rotary embedding
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType> types;
  if (failed(getRankedOperands(
          report, {adaptor.getInput(), adaptor.getPositions()}, types)))
    return failure();
  RankedTensorType input = types[0], positions = types[1];
  int64_t rank = input.getRank();
  if (rank < 3)
    return report.fail("operand #0 (input) must have rank >= 3 [..., T, H, "
                       "D], got ",
                       formatShape(input.getShape()));
  // Positions are [..., T] (per batch) or [T] (shared).
  ArrayRef<int64_t> lead = input.getShape().drop_back(2);
  if (!shapesCompatible(positions.getShape(), lead) &&
      !shapesCompatible(positions.getShape(), lead.take_back(1)))
    return report.fail("operand #1 (positions) of shape ",
                       formatShape(positions.getShape()), " must be ",
                       formatShape(lead), " or ", formatShape(lead.take_back()),
                       " for an input of shape ",
                       formatShape(input.getShape()));
  int64_t dim = adaptor.getDim(), offset = adaptor.getOffset();
  int64_t headDim = input.getDimSize(rank - 1);
  if (dim <= 0 || dim % 2 != 0)
    return report.fail("dim must be even and positive, got ", dim);
  if (offset < 0 || (!ShapedType::isDynamic(headDim) && offset > headDim - dim))
    return report.fail("rotated channels [", offset, ", ", offset, " + ", dim,
                       ") do not fit the head dimension ",
                       ShapedType::isDynamic(headDim) ? std::string("?")
                                                      : std::to_string(headDim));
  double theta = adaptor.getTheta().convertToDouble();
  if (!(theta > 1.0) || !std::isfinite(theta))
    return report.fail("theta must be finite and > 1, got ", theta);
  results.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// The result type of attention over `query`, `key` and `value`, after
/// checking the shape rules (shared by ds.attention and ds.attention_grad).
static FailureOr<RankedTensorType>
inferAttention(const RuleReporter &report, Value query, Value key, Value value,
               Value keyLength, unsigned keyLengthIndex, bool causal,
               std::optional<APFloat> scaleAttr,
               std::optional<uint64_t> windowAttr) {
  SmallVector<RankedTensorType> t;
  if (failed(getRankedOperands(report, {query, key, value}, t)))
    return failure();
  if (keyLength) {
    FailureOr<RankedTensorType> length =
        getRankedOperand(report, keyLength, keyLengthIndex);
    if (failed(length))
      return failure();
    if (length->getRank() != 0)
      return report.fail("operand #", keyLengthIndex,
                         " (key_length) must be a rank-0 integer tensor, got ",
                         Type(*length));
  }
  const char *names[] = {"query", "key", "value"};
  const char *layouts[] = {"[B, Tq, Hq, Dqk]", "[B, Tk, Hkv, Dqk]",
                           "[B, Tk, Hkv, Dv]"};
  for (unsigned i = 0; i < 3; ++i)
    if (failed(checkRank(report, names[i], i, t[i], 4, layouts[i])))
      return failure();
  if (failed(checkSameElementType(report, 0, t[0], 1, t[1])) ||
      failed(checkSameElementType(report, 0, t[0], 2, t[2])) ||
      failed(checkSameDim(report, "the batch size", 0, t[0], 0, 1, t[1], 0)) ||
      failed(checkSameDim(report, "the batch size", 0, t[0], 0, 2, t[2], 0)) ||
      failed(checkSameDim(report, "the key length", 1, t[1], 1, 2, t[2], 1)) ||
      failed(checkSameDim(report, "the key/value head count", 1, t[1], 2, 2,
                          t[2], 2)) ||
      failed(checkSameDim(report, "the query/key head dimension", 0, t[0], 3,
                          1, t[1], 3)))
    return failure();
  int64_t queryHeads = t[0].getDimSize(2), kvHeads = t[1].getDimSize(2);
  if (!ShapedType::isDynamic(queryHeads) && !ShapedType::isDynamic(kvHeads) &&
      (kvHeads == 0 || queryHeads % kvHeads != 0))
    return report.fail("the ", queryHeads,
                       " query heads are not a multiple of the ", kvHeads,
                       " key/value heads");
  if (scaleAttr) {
    double value = scaleAttr->convertToDouble();
    if (!(value > 0.0) || !std::isfinite(value))
      return report.fail("scale must be finite and > 0, got ", value);
  }
  if (windowAttr) {
    if (static_cast<int64_t>(*windowAttr) < 1)
      return report.fail("window must be >= 1, got ",
                         static_cast<int64_t>(*windowAttr));
    if (!causal)
      return report.fail("a sliding window needs causal attention");
  }
  int64_t batch = joinDims(joinDims(t[0].getDimSize(0), t[1].getDimSize(0)),
                           t[2].getDimSize(0));
  SmallVector<int64_t> shape = {batch,
                                t[0].getDimSize(1), queryHeads,
                                t[2].getDimSize(3)};
  return RankedTensorType::get(shape, t[0].getElementType());
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type = inferAttention(
      report, adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(),
      adaptor.getKeyLength(), 3, adaptor.getCausal(), adaptor.getScale(),
      adaptor.getWindow());
  if (failed(type))
    return failure();
  results.push_back(*type);
  return success();
}

LogicalResult AttentionGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> type = inferAttention(
      report, adaptor.getQuery(), adaptor.getKey(), adaptor.getValue(),
      adaptor.getKeyLength(), 4, adaptor.getCausal(), adaptor.getScale(),
      adaptor.getWindow());
  if (failed(type))
    return failure();
  FailureOr<RankedTensorType> grad =
      getRankedOperand(report, adaptor.getGrad(), 3);
  if (failed(grad))
    return failure();
  if (grad->getElementType() != type->getElementType() ||
      !shapesCompatible(grad->getShape(), type->getShape()))
    return report.fail("operand #3 (grad) has type ", Type(*grad),
                       " but the attention result has type ", Type(*type));
  for (Value input : {adaptor.getQuery(), adaptor.getKey(), adaptor.getValue()})
    results.push_back(input.getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Mixture of experts
//===----------------------------------------------------------------------===//

LogicalResult MoeRouteOp::inferReturnTypes(MLIRContext *context,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  FailureOr<RankedTensorType> logits =
      getRankedOperand(report, adaptor.getLogits(), 0);
  if (failed(logits) ||
      failed(checkRank(report, "logits", 0, *logits, 2, "[N, E]")))
    return failure();
  if (Value biasValue = adaptor.getBias()) {
    FailureOr<RankedTensorType> bias = getRankedOperand(report, biasValue, 1);
    if (failed(bias) || failed(checkRank(report, "bias", 1, *bias, 1, "[E]")) ||
        failed(checkSameDim(report, "the expert count", 0, *logits, 1, 1, *bias,
                            0)))
      return failure();
  }
  int64_t experts = logits->getDimSize(1);
  int64_t topK = adaptor.getTopK(), groups = adaptor.getNGroup(),
          topGroups = adaptor.getTopkGroup();
  if (topK < 1)
    return report.fail("top_k must be >= 1, got ", topK);
  if (groups < 1)
    return report.fail("n_group must be >= 1, got ", groups);
  if (topGroups < 1 || topGroups > groups)
    return report.fail("topk_group must be in [1, n_group = ", groups,
                       "], got ", topGroups);
  if (!ShapedType::isDynamic(experts)) {
    if (experts % groups != 0)
      return report.fail("n_group = ", groups, " does not divide the ",
                         experts, " experts");
    int64_t perGroup = experts / groups;
    if (topK > topGroups * perGroup)
      return report.fail("top_k = ", topK, " exceeds the ",
                         topGroups * perGroup,
                         " experts left after group limiting (topk_group = ",
                         topGroups, " groups of ", perGroup, ")");
    if (adaptor.getGroupScore() == GroupScore::top2_sum && groups > 1 &&
        perGroup < 2)
      return report.fail("group_score = top2_sum needs at least 2 experts per "
                         "group, got ",
                         perGroup);
  }
  double scale = adaptor.getRoutedScalingFactor().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return report.fail("routed_scaling_factor must be finite and > 0, got ",
                       scale);
  SmallVector<int64_t> shape = {logits->getDimSize(0), topK};
  results.push_back(RankedTensorType::get(shape, logits->getElementType()));
  results.push_back(RankedTensorType::get(shape, IntegerType::get(context, 32)));
  return success();
}

/// Checks the shape rules of ds.moe_ffn's six operands (shared with
/// ds.moe_ffn_grad).
static LogicalResult checkMoeFfn(const RuleReporter &report,
                                 ArrayRef<Value> operands,
                                 SmallVectorImpl<RankedTensorType> &t) {
  if (failed(getRankedOperands(report, operands, t)))
    return failure();
  enum { X, W, Idx, Gate, Up, Down };
  if (failed(checkRank(report, "input", X, t[X], 2, "[N, D]")) ||
      failed(checkRank(report, "weights", W, t[W], 2, "[N, K]")) ||
      failed(checkRank(report, "indices", Idx, t[Idx], 2, "[N, K]")) ||
      failed(checkRank(report, "gate", Gate, t[Gate], 3, "[E, I, D]")) ||
      failed(checkRank(report, "up", Up, t[Up], 3, "[E, I, D]")) ||
      failed(checkRank(report, "down", Down, t[Down], 3, "[E, D, I]")))
    return failure();
  if (failed(checkSameElementType(report, X, t[X], Gate, t[Gate])) ||
      failed(checkSameElementType(report, X, t[X], Up, t[Up])) ||
      failed(checkSameElementType(report, X, t[X], Down, t[Down])) ||
      failed(checkSameDim(report, "the token count", X, t[X], 0, W, t[W], 0)) ||
      failed(checkSameDim(report, "the token count", X, t[X], 0, Idx, t[Idx],
                          0)) ||
      failed(checkSameDim(report, "the experts per token", W, t[W], 1, Idx,
                          t[Idx], 1)) ||
      failed(checkSameDim(report, "the expert count", Gate, t[Gate], 0, Up,
                          t[Up], 0)) ||
      failed(checkSameDim(report, "the expert count", Gate, t[Gate], 0, Down,
                          t[Down], 0)) ||
      failed(checkSameDim(report, "the intermediate size", Gate, t[Gate], 1,
                          Up, t[Up], 1)) ||
      failed(checkSameDim(report, "the intermediate size", Gate, t[Gate], 1,
                          Down, t[Down], 2)) ||
      failed(checkSameDim(report, "the model dimension", X, t[X], 1, Gate,
                          t[Gate], 2)) ||
      failed(checkSameDim(report, "the model dimension", X, t[X], 1, Up, t[Up],
                          2)) ||
      failed(checkSameDim(report, "the model dimension", X, t[X], 1, Down,
                          t[Down], 1)))
    return failure();
  return success();
}

LogicalResult MoeFfnOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType> t;
  if (failed(checkMoeFfn(report,
                         {adaptor.getInput(), adaptor.getWeights(),
                          adaptor.getIndices(), adaptor.getGate(),
                          adaptor.getUp(), adaptor.getDown()},
                         t)))
    return failure();
  results.push_back(t[0]);
  return success();
}

LogicalResult MoeFfnGradOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType> t;
  SmallVector<Value> operands = {adaptor.getInput(), adaptor.getWeights(),
                                 adaptor.getIndices(), adaptor.getGate(),
                                 adaptor.getUp(), adaptor.getDown()};
  if (failed(checkMoeFfn(report, operands, t)))
    return failure();
  FailureOr<RankedTensorType> grad =
      getRankedOperand(report, adaptor.getGrad(), 6);
  if (failed(grad))
    return failure();
  if (grad->getElementType() != t[0].getElementType() ||
      !shapesCompatible(grad->getShape(), t[0].getShape()))
    return report.fail("operand #6 (grad) has type ", Type(*grad),
                       " but the input has type ", Type(t[0]));
  for (unsigned i : {0, 1, 3, 4, 5})
    results.push_back(operands[i].getType());
  return success();
}

LogicalResult MoeRouteGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType> t;
  if (failed(getRankedOperands(report,
                               {adaptor.getLogits(), adaptor.getIndices(),
                                adaptor.getGrad()},
                               t)))
    return failure();
  if (failed(checkRank(report, "logits", 0, t[0], 2, "[N, E]")) ||
      failed(checkRank(report, "indices", 1, t[1], 2, "[N, K]")) ||
      failed(checkRank(report, "grad", 2, t[2], 2, "[N, K]")) ||
      failed(checkSameElementType(report, 0, t[0], 2, t[2])) ||
      failed(checkSameDim(report, "the token count", 0, t[0], 0, 1, t[1], 0)) ||
      failed(checkSameDim(report, "the token count", 0, t[0], 0, 2, t[2], 0)) ||
      failed(checkSameDim(report, "the experts per token", 1, t[1], 1, 2, t[2],
                          1)))
    return failure();
  results.push_back(t[0]);
  return success();
}

//===----------------------------------------------------------------------===//
// Cross-entropy
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *context,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &results) {
  RuleReporter report(loc, getOperationName());
  SmallVector<RankedTensorType> t;
  if (failed(getRankedOperands(
          report, {adaptor.getLogits(), adaptor.getTargets()}, t)))
    return failure();
  if (t[0].getRank() < 1)
    return report.fail("operand #0 (logits) must have rank >= 1 [..., V]");
  ArrayRef<int64_t> positions = t[0].getShape().drop_back();
  if (!shapesCompatible(positions, t[1].getShape()))
    return report.fail("operand #1 (targets) of shape ",
                       formatShape(t[1].getShape()), " must be ",
                       formatShape(positions), " for logits of shape ",
                       formatShape(t[0].getShape()));
  Type loss = t[0].getElementType().isF64()
                  ? Type(Float64Type::get(context))
                  : Type(Float32Type::get(context));
  results.push_back(RankedTensorType::get({}, loss));
  return success();
}

/// Hugging Face's yarn_get_mscale.
static double yarnMagnitude(double factor, double mscale) {
  return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0;
}

/// ds.rope's inverse frequencies f_i (i < dim/2) and its magnitude scale,
/// with YaRN's ramp between interpolation and extrapolation when present.
/// The rotation and its adjoint both use these.
std::vector<double> RopeOp::frequencies(double &magnitude) {
  RopeOp op = *this;
  auto dim = static_cast<int64_t>(op.getDim());
  double theta = op.getTheta().convertToDouble();
  int64_t half = dim / 2;
  std::vector<double> frequencies(half);
  for (int64_t i = 0; i < half; ++i)
    frequencies[i] = std::pow(theta, -2.0 * i / dim);
  magnitude = 1.0;
  YarnAttr yarn = op.getYarnAttr();
  if (!yarn)
    return frequencies;
  double factor = yarn.getFactor().convertToDouble();
  double L = static_cast<double>(yarn.getOriginalMaxPosition());
  auto correction = [&](double rotations) {
    return dim * std::log(L / (rotations * 2.0 * M_PI)) /
           (2.0 * std::log(theta));
  };
  double low = std::max(
      std::floor(correction(yarn.getBetaFast().convertToDouble())), 0.0);
  double high =
      std::min(std::ceil(correction(yarn.getBetaSlow().convertToDouble())),
               static_cast<double>(dim - 1));
  if (low == high)
    high += 0.001;
  for (int64_t i = 0; i < half; ++i) {
    double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    frequencies[i] =
        frequencies[i] / factor * ramp + frequencies[i] * (1.0 - ramp);
  }
  magnitude = yarnMagnitude(factor, yarn.getMscale().convertToDouble()) /
              yarnMagnitude(factor, yarn.getMscaleAllDim().convertToDouble());
  return frequencies;
}
