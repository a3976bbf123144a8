//===- Evaluators.h - per-family op evaluators (private) --------*- C++ -*-===//
//
// The interpreter dispatches each ds op to its family's evaluator. Each
// evaluator returns std::nullopt for ops outside its family, failure after
// reporting a run-time error at the op, and success after appending one
// tensor per op result (already rounded to the result's element type).
//
//===----------------------------------------------------------------------===//

#ifndef DS_DIALECTS_DS_REFERENCE_EVALUATORS_H
#define DS_DIALECTS_DS_REFERENCE_EVALUATORS_H

#include "dialects/ds/reference/Tensor.h"

#include "dialects/ds/DsDialect.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::ds::reference::eval {

using Operands = llvm::ArrayRef<const Tensor *>;
using Results = std::vector<Tensor>;

std::optional<LogicalResult> evaluateElementwiseOp(Operation *op,
                                                   Operands operands,
                                                   Results &results);
std::optional<LogicalResult> evaluateShapeOp(Operation *op, Operands operands,
                                             Results &results);
std::optional<LogicalResult> evaluateModelOp(Operation *op, Operands operands,
                                             Results &results);
/// The backward passes ds.attention_grad, ds.moe_route_grad, ds.moe_ffn_grad.
std::optional<LogicalResult> evaluateGradOp(Operation *op, Operands operands,
                                            Results &results);

/// The element kind of `value`'s tensor type.
ElementKind kindOf(Value value);

/// A zero tensor for `result` with the given (run-time) shape.
Tensor makeResult(Value result, std::vector<int64_t> shape);

/// NumPy broadcast of two shapes (their compatibility is checked by the
/// verifier and, for dynamic sizes, here: returns false when incompatible).
bool broadcastShapes(const std::vector<int64_t> &a,
                     const std::vector<int64_t> &b, std::vector<int64_t> &out);

/// For each flat index of `resultShape`, the flat index of the element of a
/// tensor of `shape` that broadcasting reads.
std::vector<int64_t> broadcastIndexMap(const std::vector<int64_t> &shape,
                                       const std::vector<int64_t> &resultShape);

/// Decomposes `flat` into a multi-index of `shape`.
void unflatten(int64_t flat, const std::vector<int64_t> &shape,
               std::vector<int64_t> &index);

//===----------------------------------------------------------------------===//
// Pieces shared by an op's evaluator and its gradient's (EvalModel.cpp)
//===----------------------------------------------------------------------===//

/// The sizes and attributes of ds.attention / ds.attention_grad.
struct Attention {
  int64_t B, Tq, Hq, Dqk, Tk, Hkv, Dv;
  /// The number of valid keys (key_length clamped to [0, Tk]; Tk without it).
  int64_t length;
  double scale;
  bool causal;
  std::optional<int64_t> window;

  /// Reads the sizes from q [B, Tq, Hq, Dqk], k [B, Tk, Hkv, Dqk] and
  /// v [B, Tk, Hkv, Dv] and the valid key count from `keyLength` (rank 0, or
  /// null for all keys); the scale defaults to 1/sqrt(Dqk). Reports at `op`
  /// and fails when Hq is not a multiple of Hkv.
  static FailureOr<Attention> get(Operation *op, const Tensor &q,
                                  const Tensor &k, const Tensor &v,
                                  const Tensor *keyLength, bool causal,
                                  std::optional<double> scale,
                                  std::optional<uint64_t> window);

  /// The key/value head that query head `h` reads.
  int64_t kvHead(int64_t h) const { return h / (Hq / Hkv); }

  /// Whether query `i` may see key `j`: only the first `length` keys hold
  /// data; causal queries sit at the end of them, at position
  /// i + length - Tq; a window keeps the last `window`.
  bool visible(int64_t i, int64_t j) const {
    int64_t position = i + length - Tq;
    return j < length && (!causal || j <= position) &&
           (!window || position - j < *window);
  }

  /// The softmax probabilities of query `i` of head `h` in batch `b` over the
  /// Tk keys, 0 for the keys it may not see. Returns false (and all zeros)
  /// when it sees no key.
  bool probabilities(const Tensor &q, const Tensor &k, int64_t b, int64_t i,
                     int64_t h, std::vector<double> &p) const;
};

/// ds.moe_route's scores of one token: softmax or sigmoid of its E logits.
void routerScores(ScoringFunc scoring, const double *logits, int64_t E,
                  std::vector<double> &scores);

/// The expert index of a slot whose expert another rank holds (expert
/// parallelism): ds.moe_ffn skips it (DsModelOps.td).
constexpr double kExpertElsewhere = -1;

/// Checks that `index` (token `n`'s choice) names one of `E` experts.
LogicalResult checkExpertIndex(Operation *op, double index, int64_t n,
                               int64_t E);

} // namespace mlir::ds::reference::eval

#endif // DS_DIALECTS_DS_REFERENCE_EVALUATORS_H
