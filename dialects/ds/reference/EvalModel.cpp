//===- EvalModel.cpp - matmul, norms, rotary, attention, MoE, loss --------===//
//
// Each evaluator follows its op's description in docs/dialect/ds.md line by
// line; the loops are written for clarity, not speed.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/reference/Evaluators.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::reference;
using namespace mlir::ds::reference::eval;

namespace {

LogicalResult evaluateMatmul(MatmulOp op, const Tensor &lhs, const Tensor &rhs,
                             Results &results) {
  bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
  size_t lr = lhs.shape.size(), rr = rhs.shape.size();
  int64_t M = tl ? lhs.shape[lr - 1] : lhs.shape[lr - 2];
  int64_t K = tl ? lhs.shape[lr - 2] : lhs.shape[lr - 1];
  int64_t rhsK = tr ? rhs.shape[rr - 1] : rhs.shape[rr - 2];
  int64_t N = tr ? rhs.shape[rr - 2] : rhs.shape[rr - 1];
  if (K != rhsK)
    return op.emitError("contracting sizes differ at run time: ")
           << K << " (lhs) vs " << rhsK << " (rhs)";
  std::vector<int64_t> lhsBatch(lhs.shape.begin(), lhs.shape.end() - 2);
  std::vector<int64_t> rhsBatch(rhs.shape.begin(), rhs.shape.end() - 2);
  std::vector<int64_t> batch;
  if (!broadcastShapes(lhsBatch, rhsBatch, batch))
    return op.emitError("batch dimensions ")
           << formatShape(lhsBatch) << " and " << formatShape(rhsBatch)
           << " do not broadcast";
  std::vector<int64_t> lhsMap = broadcastIndexMap(lhsBatch, batch);
  std::vector<int64_t> rhsMap = broadcastIndexMap(rhsBatch, batch);
  std::vector<int64_t> shape = batch;
  shape.push_back(M);
  shape.push_back(N);
  Tensor result = makeResult(op.getResult(), shape);
  for (size_t b = 0; b < lhsMap.size(); ++b) {
    const double *A = lhs.values.data() + lhsMap[b] * M * K;
    const double *B = rhs.values.data() + rhsMap[b] * K * N;
    double *C = result.values.data() + b * M * N;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double sum = 0.0;
        for (int64_t k = 0; k < K; ++k)
          sum += (tl ? A[k * M + m] : A[m * K + k]) *
                 (tr ? B[n * K + k] : B[k * N + n]);
        C[m * N + n] = sum;
      }
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

/// Normalizes each row of the last axis: rms_norm when `bias` is null and
/// `center` false, layer_norm otherwise.
LogicalResult normalize(Operation *op, const Tensor &input,
                        const Tensor &weight, const Tensor *bias, bool center,
                        double epsilon, Results &results) {
  int64_t width = input.shape.back();
  if (weight.numElements() != width)
    return op->emitError("weight has ")
           << weight.numElements() << " elements but the last axis has "
           << width;
  Tensor result = makeResult(op->getResult(0), input.shape);
  int64_t rows = width ? input.numElements() / width : 0;
  for (int64_t row = 0; row < rows; ++row) {
    const double *x = input.values.data() + row * width;
    double mean = 0.0;
    if (center) {
      for (int64_t i = 0; i < width; ++i)
        mean += x[i];
      mean /= static_cast<double>(width);
    }
    double squares = 0.0;
    for (int64_t i = 0; i < width; ++i)
      squares += (x[i] - mean) * (x[i] - mean);
    double inverse = 1.0 / std::sqrt(squares / width + epsilon);
    for (int64_t i = 0; i < width; ++i)
      result.values[row * width + i] = (x[i] - mean) * inverse *
                                           weight.values[i] +
                                       (bias ? bias->values[i] : 0.0);
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

/// The rotation, or with `adjoint` its transpose (the rotation by the
/// opposite angle, with the same magnitude scale).
LogicalResult evaluateRope(RopeOp op, const Tensor &input,
                           const Tensor &positions, Results &results) {
  size_t rank = input.shape.size();
  int64_t T = input.shape[rank - 3], H = input.shape[rank - 2],
          D = input.shape[rank - 1];
  auto offset = static_cast<int64_t>(op.getOffset());
  auto dim = static_cast<int64_t>(op.getDim());
  if (offset + dim > D)
    return op.emitError("rotated channels [")
           << offset << ", " << offset + dim << ") exceed the head size " << D;
  int64_t half = dim / 2;
  double magnitude;
  std::vector<double> frequencies = op.frequencies(magnitude);
  bool interleaved = op.getStyle() == RopeStyle::interleaved;
  double direction = op.getAdjoint() ? -1.0 : 1.0;

  Tensor result = makeResult(op.getResult(), input.shape);
  result.values = input.values;
  int64_t leading = input.numElements() / std::max<int64_t>(T * H * D, 1);
  bool shared = positions.shape.size() == 1;
  for (int64_t l = 0; l < leading; ++l)
    for (int64_t t = 0; t < T; ++t) {
      double position = positions.values[shared ? t : l * T + t];
      for (int64_t h = 0; h < H; ++h) {
        int64_t base = ((l * T + t) * H + h) * D + offset;
        for (int64_t i = 0; i < half; ++i) {
          int64_t first = interleaved ? base + 2 * i : base + i;
          int64_t second = interleaved ? base + 2 * i + 1 : base + i + half;
          double angle = position * frequencies[i];
          double c = std::cos(angle) * magnitude,
                 s = direction * std::sin(angle) * magnitude;
          double x1 = input.values[first], x2 = input.values[second];
          result.values[first] = x1 * c - x2 * s;
          result.values[second] = x2 * c + x1 * s;
        }
      }
    }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateAttention(AttentionOp op, Operands operands,
                                Results &results) {
  const Tensor &q = *operands[0], &k = *operands[1], &v = *operands[2];
  std::optional<double> scale;
  if (op.getScale())
    scale = op.getScale()->convertToDouble();
  FailureOr<Attention> a =
      Attention::get(op, q, k, v, operands.size() > 3 ? operands[3] : nullptr,
                     op.getCausal(), scale, op.getWindow());
  if (failed(a))
    return failure();
  Tensor result = makeResult(op.getResult(), {a->B, a->Tq, a->Hq, a->Dv});
  std::vector<double> p;
  for (int64_t b = 0; b < a->B; ++b)
    for (int64_t i = 0; i < a->Tq; ++i)
      for (int64_t h = 0; h < a->Hq; ++h) {
        if (!a->probabilities(q, k, b, i, h, p))
          continue; // sees no key: zeros
        int64_t g = a->kvHead(h);
        double *out = &result.values[((b * a->Tq + i) * a->Hq + h) * a->Dv];
        for (int64_t j = 0; j < a->Tk; ++j) {
          if (!a->visible(i, j))
            continue;
          const double *value =
              &v.values[((b * a->Tk + j) * a->Hkv + g) * a->Dv];
          for (int64_t d = 0; d < a->Dv; ++d)
            out[d] += p[j] * value[d];
        }
      }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

/// Indices of the `count` largest of `keys` (restricted to `allowed`), in
/// descending order, ties to the lower index.
std::vector<int64_t> topIndices(const std::vector<double> &keys,
                                const std::vector<bool> &allowed,
                                int64_t count) {
  std::vector<int64_t> order;
  for (size_t i = 0; i < keys.size(); ++i)
    if (allowed[i])
      order.push_back(static_cast<int64_t>(i));
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return keys[a] > keys[b]; });
  order.resize(std::min<size_t>(order.size(), count));
  return order;
}

LogicalResult evaluateMoeRoute(MoeRouteOp op, const Tensor &logits,
                               const Tensor *bias, Results &results) {
  int64_t N = logits.shape[0], E = logits.shape[1];
  auto topK = static_cast<int64_t>(op.getTopK());
  auto groups = static_cast<int64_t>(op.getNGroup());
  auto keepGroups = static_cast<int64_t>(op.getTopkGroup());
  if (groups <= 0 || E % groups != 0 || topK > keepGroups * (E / groups))
    return op.emitError("routing parameters do not fit ") << E << " experts";
  int64_t perGroup = E / groups;
  double scaling = op.getRoutedScalingFactor().convertToDouble();

  Tensor weights = makeResult(op.getWeights(), {N, topK});
  Tensor indices = makeResult(op.getIndices(), {N, topK});
  std::vector<double> scores(E), choice(E);
  for (int64_t n = 0; n < N; ++n) {
    const double *row = &logits.values[n * E];
    // 1. Scores.
    routerScores(op.getScoring(), row, E, scores);
    // 2. Selection scores.
    for (int64_t e = 0; e < E; ++e)
      choice[e] = scores[e] + (bias ? bias->values[e] : 0.0);
    // 3. Group limit.
    std::vector<bool> allowed(E, true);
    if (groups > 1) {
      std::vector<double> groupScores(groups);
      for (int64_t g = 0; g < groups; ++g) {
        std::vector<double> members(choice.begin() + g * perGroup,
                                    choice.begin() + (g + 1) * perGroup);
        std::sort(members.begin(), members.end(), std::greater<double>());
        groupScores[g] = op.getGroupScore() == GroupScore::top2_sum
                             ? members[0] + members[1]
                             : members[0];
      }
      std::vector<int64_t> kept = topIndices(
          groupScores, std::vector<bool>(groups, true), keepGroups);
      std::fill(allowed.begin(), allowed.end(), false);
      for (int64_t g : kept)
        for (int64_t e = g * perGroup; e < (g + 1) * perGroup; ++e)
          allowed[e] = true;
    }
    // 4. Top-k.
    std::vector<int64_t> chosen = topIndices(choice, allowed, topK);
    // 5. Weights.
    double sum = 0.0;
    for (int64_t e : chosen)
      sum += scores[e];
    for (int64_t i = 0; i < topK; ++i) {
      double w = scores[chosen[i]];
      if (op.getNormTopkProb())
        w /= sum + 1e-20;
      weights.values[n * topK + i] = w * scaling;
      indices.values[n * topK + i] = static_cast<double>(chosen[i]);
    }
  }
  weights.roundValues();
  results.push_back(std::move(weights));
  results.push_back(std::move(indices));
  return success();
}

LogicalResult evaluateMoeFfn(MoeFfnOp op, Operands operands, Results &results) {
  const Tensor &x = *operands[0], &w = *operands[1], &idx = *operands[2];
  const Tensor &gate = *operands[3], &up = *operands[4], &down = *operands[5];
  int64_t N = x.shape[0], D = x.shape[1], K = w.shape[1];
  int64_t E = gate.shape[0], I = gate.shape[1];
  Tensor result = makeResult(op.getResult(), {N, D});
  std::vector<double> hidden(I);
  for (int64_t n = 0; n < N; ++n) {
    const double *token = &x.values[n * D];
    for (int64_t k = 0; k < K; ++k) {
      double index = idx.values[n * K + k];
      if (index == kExpertElsewhere)
        continue;
      if (failed(checkExpertIndex(op, index, n, E)))
        return failure();
      auto e = static_cast<int64_t>(index);
      for (int64_t i = 0; i < I; ++i) {
        double g = 0.0, u = 0.0;
        for (int64_t d = 0; d < D; ++d) {
          g += gate.values[(e * I + i) * D + d] * token[d];
          u += up.values[(e * I + i) * D + d] * token[d];
        }
        hidden[i] = g / (1.0 + std::exp(-g)) * u;
      }
      double weight = w.values[n * K + k];
      for (int64_t d = 0; d < D; ++d) {
        double sum = 0.0;
        for (int64_t i = 0; i < I; ++i)
          sum += down.values[(e * D + d) * I + i] * hidden[i];
        result.values[n * D + d] += weight * sum;
      }
    }
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

LogicalResult evaluateCrossEntropy(CrossEntropyOp op, const Tensor &logits,
                                   const Tensor &targets, Results &results) {
  int64_t V = logits.shape.back();
  int64_t positions = targets.numElements();
  auto ignore = static_cast<double>(static_cast<int64_t>(op.getIgnoreIndex()));
  double total = 0.0;
  int64_t counted = 0;
  for (int64_t p = 0; p < positions; ++p) {
    double target = targets.values[p];
    if (target == ignore)
      continue;
    if (target < 0 || target >= static_cast<double>(V))
      return op.emitError("target ")
             << static_cast<int64_t>(target) << " at position " << p
             << " is outside [0, " << V << ")";
    const double *row = &logits.values[p * V];
    double maximum = *std::max_element(row, row + V), sum = 0.0;
    for (int64_t v = 0; v < V; ++v)
      sum += std::exp(row[v] - maximum);
    total += maximum + std::log(sum) - row[static_cast<int64_t>(target)];
    ++counted;
  }
  Tensor result = makeResult(op.getResult(), {});
  result.values[0] = counted ? total / static_cast<double>(counted) : 0.0;
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

} // namespace

std::optional<LogicalResult> eval::evaluateModelOp(Operation *op,
                                                     Operands operands,
                                                     Results &results) {
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case<MatmulOp>([&](MatmulOp m) {
        return evaluateMatmul(m, *operands[0], *operands[1], results);
      })
      .Case<RmsNormOp>([&](RmsNormOp n) {
        return normalize(op, *operands[0], *operands[1], nullptr, false,
                         n.getEpsilon().convertToDouble(), results);
      })
      .Case<LayerNormOp>([&](LayerNormOp n) {
        return normalize(op, *operands[0], *operands[1],
                         operands.size() > 2 ? operands[2] : nullptr, true,
                         n.getEpsilon().convertToDouble(), results);
      })
      .Case<RopeOp>([&](RopeOp r) {
        return evaluateRope(r, *operands[0], *operands[1], results);
      })
      .Case<AttentionOp>([&](AttentionOp a) {
        return evaluateAttention(a, operands, results);
      })
      .Case<MoeRouteOp>([&](MoeRouteOp r) {
        return evaluateMoeRoute(r, *operands[0],
                                operands.size() > 1 ? operands[1] : nullptr,
                                results);
      })
      .Case<MoeFfnOp>(
          [&](MoeFfnOp m) { return evaluateMoeFfn(m, operands, results); })
      .Case<CrossEntropyOp>([&](CrossEntropyOp c) {
        return evaluateCrossEntropy(c, *operands[0], *operands[1], results);
      })
      .Default([](Operation *) { return std::nullopt; });
}

//===----------------------------------------------------------------------===//
// Shared with the gradients (EvalGrad.cpp)
//===----------------------------------------------------------------------===//

FailureOr<Attention> Attention::get(Operation *op, const Tensor &q,
                                    const Tensor &k, const Tensor &v,
                                    const Tensor *keyLength, bool causal,
                                    std::optional<double> scale,
                                    std::optional<uint64_t> window) {
  Attention a;
  a.B = q.shape[0];
  a.Tq = q.shape[1];
  a.Hq = q.shape[2];
  a.Dqk = q.shape[3];
  a.Tk = k.shape[1];
  a.Hkv = k.shape[2];
  a.Dv = v.shape[3];
  if (a.Hkv == 0 || a.Hq % a.Hkv != 0)
    return op->emitError("query heads (")
           << a.Hq << ") are not a multiple of key/value heads (" << a.Hkv
           << ")";
  a.scale = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(a.Dqk));
  a.causal = causal;
  a.length = a.Tk;
  if (keyLength)
    a.length = std::clamp<int64_t>(
        static_cast<int64_t>(keyLength->values.at(0)), 0, a.Tk);
  if (window)
    a.window = static_cast<int64_t>(*window);
  return a;
}

bool Attention::probabilities(const Tensor &q, const Tensor &k, int64_t b,
                              int64_t i, int64_t h,
                              std::vector<double> &p) const {
  p.assign(Tk, 0.0);
  int64_t g = kvHead(h);
  const double *query = &q.values[((b * Tq + i) * Hq + h) * Dqk];
  std::vector<double> scores(Tk);
  double maximum = -std::numeric_limits<double>::infinity();
  bool any = false;
  for (int64_t j = 0; j < Tk; ++j) {
    if (!visible(i, j))
      continue;
    const double *key = &k.values[((b * Tk + j) * Hkv + g) * Dqk];
    double dot = 0.0;
    for (int64_t d = 0; d < Dqk; ++d)
      dot += query[d] * key[d];
    scores[j] = scale * dot;
    maximum = std::max(maximum, scores[j]);
    any = true;
  }
  if (!any)
    return false;
  double sum = 0.0;
  for (int64_t j = 0; j < Tk; ++j)
    if (visible(i, j))
      sum += std::exp(scores[j] - maximum);
  for (int64_t j = 0; j < Tk; ++j)
    if (visible(i, j))
      p[j] = std::exp(scores[j] - maximum) / sum;
  return true;
}

void eval::routerScores(ScoringFunc scoring, const double *logits, int64_t E,
                        std::vector<double> &scores) {
  scores.assign(E, 0.0);
  if (scoring == ScoringFunc::sigmoid) {
    for (int64_t e = 0; e < E; ++e)
      scores[e] = 1.0 / (1.0 + std::exp(-logits[e]));
    return;
  }
  if (E == 0)
    return;
  double maximum = *std::max_element(logits, logits + E), sum = 0.0;
  for (int64_t e = 0; e < E; ++e)
    sum += std::exp(logits[e] - maximum);
  for (int64_t e = 0; e < E; ++e)
    scores[e] = std::exp(logits[e] - maximum) / sum;
}

LogicalResult eval::checkExpertIndex(Operation *op, double index, int64_t n,
                                     int64_t E) {
  if (index < 0 || index >= static_cast<double>(E))
    return op->emitError("expert index ")
           << static_cast<int64_t>(index) << " of token " << n
           << " is outside [0, " << E << ")";
  return success();
}
