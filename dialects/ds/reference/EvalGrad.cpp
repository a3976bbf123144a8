//===- EvalGrad.cpp - backward passes of attention and MoE ----------------===//
//
// ds.attention_grad, ds.moe_route_grad and ds.moe_ffn_grad: each recomputes
// its forward op's intermediate values exactly as EvalModel.cpp does (with the
// helpers it shares from there) and applies the chain rule by hand, in plain
// loops in double; the results are rounded once to their element types.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/reference/Evaluators.h"

#include "dialects/ds/DsDialect.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ds;
using namespace mlir::ds::reference;
using namespace mlir::ds::reference::eval;

namespace {

/// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)), dQ = scale·dS·K,
/// dK = scale·dSᵀ·Q, one query row at a time; a key/value head sums over the
/// query heads that read it.
LogicalResult evaluateAttentionGrad(AttentionGradOp op, Operands operands,
                                    Results &results) {
  const Tensor &q = *operands[0], &k = *operands[1], &v = *operands[2],
               &dout = *operands[3];
  std::optional<double> scale;
  if (op.getScale())
    scale = op.getScale()->convertToDouble();
  FailureOr<Attention> a =
      Attention::get(op, q, k, v, operands.size() > 4 ? operands[4] : nullptr,
                     op.getCausal(), scale, op.getWindow());
  if (failed(a))
    return failure();
  std::vector<int64_t> outShape = {a->B, a->Tq, a->Hq, a->Dv};
  if (dout.shape != outShape)
    return op.emitError("grad has shape ")
           << formatShape(dout.shape) << " but the attention result has "
           << formatShape(outShape);
  int64_t Tq = a->Tq, Tk = a->Tk, Hq = a->Hq, Hkv = a->Hkv, Dqk = a->Dqk,
          Dv = a->Dv;

  Tensor dq = makeResult(op.getQueryGrad(), q.shape);
  Tensor dk = makeResult(op.getKeyGrad(), k.shape);
  Tensor dv = makeResult(op.getValueGrad(), v.shape);
  std::vector<double> p, out(Dv);
  for (int64_t b = 0; b < a->B; ++b)
    for (int64_t i = 0; i < Tq; ++i)
      for (int64_t h = 0; h < Hq; ++h) {
        if (!a->probabilities(q, k, b, i, h, p))
          continue; // sees no key: zero output, zero gradient
        int64_t g = a->kvHead(h);
        auto key = [&](int64_t j) {
          return &k.values[((b * Tk + j) * Hkv + g) * Dqk];
        };
        auto value = [&](int64_t j) {
          return &v.values[((b * Tk + j) * Hkv + g) * Dv];
        };
        const double *query = &q.values[((b * Tq + i) * Hq + h) * Dqk];
        const double *dO = &dout.values[((b * Tq + i) * Hq + h) * Dv];
        // O = P·V for this row, then rowsum(dO ⊙ O).
        std::fill(out.begin(), out.end(), 0.0);
        for (int64_t j = 0; j < Tk; ++j)
          if (a->visible(i, j))
            for (int64_t d = 0; d < Dv; ++d)
              out[d] += p[j] * value(j)[d];
        double rowsum = 0.0;
        for (int64_t d = 0; d < Dv; ++d)
          rowsum += dO[d] * out[d];
        double *dQ = &dq.values[((b * Tq + i) * Hq + h) * Dqk];
        for (int64_t j = 0; j < Tk; ++j) {
          if (!a->visible(i, j))
            continue; // masked: contributes nothing
          // dV[j] += P[j] · dO; dP[j] = dO · V[j].
          double *dV = &dv.values[((b * Tk + j) * Hkv + g) * Dv];
          double dp = 0.0;
          for (int64_t d = 0; d < Dv; ++d) {
            dV[d] += p[j] * dO[d];
            dp += dO[d] * value(j)[d];
          }
          // dS[j] = P[j] (dP[j] - rowsum(dO ⊙ O)).
          double ds = p[j] * (dp - rowsum);
          double *dK = &dk.values[((b * Tk + j) * Hkv + g) * Dqk];
          for (int64_t d = 0; d < Dqk; ++d) {
            dQ[d] += a->scale * ds * key(j)[d];
            dK[d] += a->scale * ds * query[d];
          }
        }
      }
  for (Tensor *grad : {&dq, &dk, &dv}) {
    grad->roundValues();
    results.push_back(std::move(*grad));
  }
  return success();
}

/// The weights are w_k = c · s[idx_k] / Z (Z = Σ_k s[idx_k] + 1e-20 with
/// norm_topk_prob, else 1): first the gradient with respect to the scores s,
/// then through softmax (which couples all E logits) or sigmoid (one each).
LogicalResult evaluateMoeRouteGrad(MoeRouteGradOp op, const Tensor &logits,
                                   const Tensor &indices, const Tensor &grad,
                                   Results &results) {
  int64_t N = logits.shape[0], E = logits.shape[1], K = indices.shape[1];
  if (indices.shape[0] != N || grad.shape != indices.shape)
    return op.emitError("logits ")
           << formatShape(logits.shape) << ", indices "
           << formatShape(indices.shape) << " and grad "
           << formatShape(grad.shape) << " do not fit together";
  double c = op.getRoutedScalingFactor().convertToDouble();
  bool norm = op.getNormTopkProb();
  ScoringFunc scoring = op.getScoring();
  Tensor result = makeResult(op.getResult(), {N, E});
  std::vector<double> s, ds(E);
  std::vector<int64_t> chosen(K);
  for (int64_t n = 0; n < N; ++n) {
    routerScores(scoring, &logits.values[n * E], E, s);
    for (int64_t k = 0; k < K; ++k) {
      double index = indices.values[n * K + k];
      if (failed(checkExpertIndex(op, index, n, E)))
        return failure();
      chosen[k] = static_cast<int64_t>(index);
    }
    const double *dw = &grad.values[n * K];
    // dL/ds.
    std::fill(ds.begin(), ds.end(), 0.0);
    double Z = 1.0;
    if (norm) {
      Z = 0.0;
      for (int64_t k = 0; k < K; ++k)
        Z += s[chosen[k]];
      Z += 1e-20;
    }
    for (int64_t k = 0; k < K; ++k)
      ds[chosen[k]] += c * dw[k] / Z;
    if (norm) {
      // ∂Z/∂s_e is the number of times e was chosen.
      double dZ = 0.0;
      for (int64_t k = 0; k < K; ++k)
        dZ -= c * dw[k] * s[chosen[k]] / (Z * Z);
      for (int64_t k = 0; k < K; ++k)
        ds[chosen[k]] += dZ;
    }
    // dL/dlogits.
    double *out = &result.values[n * E];
    if (scoring == ScoringFunc::sigmoid) {
      for (int64_t e = 0; e < E; ++e)
        out[e] = ds[e] * s[e] * (1.0 - s[e]);
    } else {
      double dot = 0.0;
      for (int64_t e = 0; e < E; ++e)
        dot += s[e] * ds[e];
      for (int64_t e = 0; e < E; ++e)
        out[e] = s[e] * (ds[e] - dot);
    }
  }
  result.roundValues();
  results.push_back(std::move(result));
  return success();
}

/// For each token n and choice k (expert e, weight w): g = gate[e]·x,
/// u = up[e]·x, h = silu(g) ⊙ u, y = down[e]·h, out[n] += w·y. Backward with
/// dy = grad[n]: dw = ⟨dy, y⟩, a = w·dy, ddown[e] += a hᵀ, dh = down[e]ᵀ a,
/// du = dh ⊙ silu(g), dg = dh ⊙ u ⊙ silu'(g), dgate[e] += dg xᵀ,
/// dup[e] += du xᵀ, dx += gate[e]ᵀ dg + up[e]ᵀ du.
LogicalResult evaluateMoeFfnGrad(MoeFfnGradOp op, Operands operands,
                                 Results &results) {
  const Tensor &x = *operands[0], &w = *operands[1], &idx = *operands[2];
  const Tensor &gate = *operands[3], &up = *operands[4], &down = *operands[5];
  const Tensor &dy = *operands[6];
  int64_t N = x.shape[0], D = x.shape[1], K = w.shape[1];
  int64_t E = gate.shape[0], I = gate.shape[1];
  if (w.shape != std::vector<int64_t>{N, K} || idx.shape != w.shape ||
      up.shape != gate.shape || gate.shape[2] != D ||
      down.shape != std::vector<int64_t>{E, D, I} || dy.shape != x.shape)
    return op.emitError("operand shapes ")
           << formatShape(x.shape) << ", " << formatShape(w.shape) << ", "
           << formatShape(idx.shape) << ", " << formatShape(gate.shape) << ", "
           << formatShape(up.shape) << ", " << formatShape(down.shape) << ", "
           << formatShape(dy.shape) << " do not fit together";
  Tensor dx = makeResult(op.getInputGrad(), x.shape);
  Tensor dw = makeResult(op.getWeightsGrad(), w.shape);
  Tensor dgate = makeResult(op.getGateGrad(), gate.shape);
  Tensor dup = makeResult(op.getUpGrad(), up.shape);
  Tensor ddown = makeResult(op.getDownGrad(), down.shape);
  std::vector<double> g(I), u(I), sig(I), h(I), dh(I), a(D);
  for (int64_t n = 0; n < N; ++n) {
    const double *token = &x.values[n * D];
    const double *grad = &dy.values[n * D];
    for (int64_t k = 0; k < K; ++k) {
      double index = idx.values[n * K + k];
      if (index == kExpertElsewhere)
        continue; // its weight's gradient stays 0
      if (failed(checkExpertIndex(op, index, n, E)))
        return failure();
      auto e = static_cast<int64_t>(index);
      auto gateRow = [&](int64_t i) { return &gate.values[(e * I + i) * D]; };
      auto upRow = [&](int64_t i) { return &up.values[(e * I + i) * D]; };
      auto downRow = [&](int64_t d) { return &down.values[(e * D + d) * I]; };
      // Forward.
      for (int64_t i = 0; i < I; ++i) {
        g[i] = u[i] = 0.0;
        for (int64_t d = 0; d < D; ++d) {
          g[i] += gateRow(i)[d] * token[d];
          u[i] += upRow(i)[d] * token[d];
        }
        sig[i] = 1.0 / (1.0 + std::exp(-g[i]));
        h[i] = g[i] * sig[i] * u[i];
      }
      double weight = w.values[n * K + k];
      // dweights = ⟨grad[n], y⟩, and the cotangent a = weight · grad[n].
      double dweight = 0.0;
      for (int64_t d = 0; d < D; ++d) {
        double y = 0.0;
        for (int64_t i = 0; i < I; ++i)
          y += downRow(d)[i] * h[i];
        dweight += grad[d] * y;
        a[d] = weight * grad[d];
      }
      dw.values[n * K + k] = dweight;
      // down: ddown[e] += a hᵀ, dh = down[e]ᵀ a.
      std::fill(dh.begin(), dh.end(), 0.0);
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < I; ++i) {
          ddown.values[(e * D + d) * I + i] += a[d] * h[i];
          dh[i] += downRow(d)[i] * a[d];
        }
      // SwiGLU: silu'(g) = σ(g) (1 + g (1 − σ(g))).
      for (int64_t i = 0; i < I; ++i) {
        double du = dh[i] * g[i] * sig[i];
        double dg = dh[i] * u[i] * sig[i] * (1.0 + g[i] * (1.0 - sig[i]));
        for (int64_t d = 0; d < D; ++d) {
          dgate.values[(e * I + i) * D + d] += dg * token[d];
          dup.values[(e * I + i) * D + d] += du * token[d];
          dx.values[n * D + d] += dg * gateRow(i)[d] + du * upRow(i)[d];
        }
      }
    }
  }
  for (Tensor *result : {&dx, &dw, &dgate, &dup, &ddown}) {
    result->roundValues();
    results.push_back(std::move(*result));
  }
  return success();
}

} // namespace

std::optional<LogicalResult> eval::evaluateGradOp(Operation *op,
                                                  Operands operands,
                                                  Results &results) {
  return llvm::TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case<AttentionGradOp>([&](AttentionGradOp a) {
        return evaluateAttentionGrad(a, operands, results);
      })
      .Case<MoeRouteGradOp>([&](MoeRouteGradOp r) {
        return evaluateMoeRouteGrad(r, *operands[0], *operands[1],
                                    *operands[2], results);
      })
      .Case<MoeFfnGradOp>([&](MoeFfnGradOp m) {
        return evaluateMoeFfnGrad(m, operands, results);
      })
      .Default([](Operation *) { return std::nullopt; });
}
