//===- ElementwiseLowering.cpp - ds elementwise ops → linalg.generic ------===//
//
// Every elementwise ds op becomes one linalg.generic whose indexing maps
// express NumPy broadcasting, so no broadcast is ever materialised and
// linalg's elementwise fusion can merge chains of them into one loop nest.
// Floats narrower than f32 are computed in f32 and rounded once, as the
// dialect specifies.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "passes/lower/LoweringUtils.h"

#include "kernels/cpu/Status.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

namespace mlir::ds::lowering {
namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value one(OpBuilder &b, Location loc, Type type) {
  return scalarConstant(b, loc, type, 1.0);
}

Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator = arith::AddFOp::create(
      b, loc, one(b, loc, x.getType()), math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, one(b, loc, x.getType()), denominator);
}

/// Φ(x) = (1 + erf(x/√2)) / 2.
Value normalCdf(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value scaled = arith::MulFOp::create(b, loc, x,
                                       scalarConstant(b, loc, t, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value sum = arith::AddFOp::create(b, loc, one(b, loc, t), erf);
  return arith::MulFOp::create(b, loc, sum, scalarConstant(b, loc, t, 0.5));
}

/// u = √(2/π)·(x + 0.044715·x³) of the tanh form.
Value geluTanhArgument(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value x3 = arith::MulFOp::create(b, loc, x,
                                   arith::MulFOp::create(b, loc, x, x));
  Value inner = arith::AddFOp::create(
      b, loc, x,
      arith::MulFOp::create(b, loc, scalarConstant(b, loc, t, 0.044715), x3));
  return arith::MulFOp::create(
      b, loc, scalarConstant(b, loc, t, std::sqrt(2.0 / M_PI)), inner);
}

Value gelu(OpBuilder &b, Location loc, Value x, GeluApproximation form) {
  Type t = x.getType();
  if (form == GeluApproximation::none)
    return arith::MulFOp::create(b, loc, x, normalCdf(b, loc, x));
  Value th = math::TanhOp::create(b, loc, geluTanhArgument(b, loc, x));
  Value sum = arith::AddFOp::create(b, loc, one(b, loc, t), th);
  Value half = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, sum);
}

Value geluDerivative(OpBuilder &b, Location loc, Value x,
                     GeluApproximation form) {
  Type t = x.getType();
  auto c = [&](double v) { return scalarConstant(b, loc, t, v); };
  auto mul = [&](Value l, Value r) { return arith::MulFOp::create(b, loc, l, r); };
  auto add = [&](Value l, Value r) { return arith::AddFOp::create(b, loc, l, r); };
  if (form == GeluApproximation::none) {
    // Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
    Value density = mul(math::ExpOp::create(b, loc, mul(mul(x, x), c(-0.5))),
                        c(1.0 / std::sqrt(2.0 * M_PI)));
    return add(normalCdf(b, loc, x), mul(x, density));
  }
  Value th = math::TanhOp::create(b, loc, geluTanhArgument(b, loc, x));
  Value first = mul(c(0.5), add(c(1.0), th));
  Value sech2 = arith::SubFOp::create(b, loc, c(1.0), mul(th, th));
  Value slope = mul(c(std::sqrt(2.0 / M_PI)),
                    add(c(1.0), mul(c(3.0 * 0.044715), mul(x, x))));
  return add(first, mul(mul(mul(c(0.5), x), sech2), slope));
}

/// Declares `name` in the module of `anchor` if it is not there yet.
void declare(OpBuilder &b, Operation *anchor, StringRef name,
             FunctionType type) {
  auto module = anchor->getParentOfType<ModuleOp>();
  if (SymbolTable::lookupSymbolIn(module, name))
    return;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  func::FuncOp::create(b, anchor->getLoc(), name, type).setPrivate();
}

/// Signed integer division truncated toward zero that never traps: a zero
/// divisor yields 0 (reported once per op, see DivPattern) and MIN / -1
/// wraps instead of raising SIGFPE. No branch: it stays vectorisable.
Value safeDivide(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Type t = lhs.getType();
  auto c = [&](int64_t v) { return scalarConstant(b, loc, t, double(v)); };
  Value isZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rhs, c(0));
  Value isMinusOne =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rhs, c(-1));
  Value unsafe = arith::OrIOp::create(b, loc, isZero, isMinusOne);
  Value divisor = arith::SelectOp::create(b, loc, unsafe, c(1), rhs);
  Value quotient = arith::DivSIOp::create(b, loc, lhs, divisor);
  Value negated = arith::SubIOp::create(b, loc, c(0), lhs);
  quotient = arith::SelectOp::create(b, loc, isMinusOne, negated, quotient);
  return arith::SelectOp::create(b, loc, isZero, c(0), quotient);
}

/// Records DS_STATUS_DIVISION_BY_ZERO when any element of `divisor` is 0:
/// one reduction and one branch outside the loops.
void reportZeroDivisor(OpBuilder &b, Location loc, Value divisor,
                       Value status, int32_t site) {
  auto type = cast<RankedTensorType>(divisor.getType());
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  Value anyZero = buildReduction(
      b, loc, divisor, all, type.getElementType(), 1.0,
      [&](OpBuilder &nb, Location nl, Value acc, Value x) -> Value {
        // acc stays 1 while every divisor is non-zero.
        Value zero = scalarConstant(nb, nl, x.getType(), 0.0);
        Value nonZero =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne, x, zero);
        Value one = scalarConstant(nb, nl, x.getType(), 1.0);
        Value keep = arith::SelectOp::create(nb, nl, nonZero, one, zero);
        return arith::MinSIOp::create(nb, nl, acc, keep);
      });
  Value flag = tensor::ExtractOp::create(b, loc, anyZero, ValueRange{});
  Value failed = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, flag,
      scalarConstant(b, loc, flag.getType(), 0.0));
  scf::IfOp::create(b, loc, failed, [&](OpBuilder &nb, Location nl) {
    func::CallOp::create(
        nb, nl, "ds_status_fail", TypeRange{},
        ValueRange{status, i32Constant(nb, nl, DS_STATUS_DIVISION_BY_ZERO),
                   i32Constant(nb, nl, site), i64Constant(nb, nl, 0),
                   i64Constant(nb, nl, 0)});
    scf::YieldOp::create(nb, nl);
  });
}

/// Lowers an elementwise op with `compute(b, loc, operands in compute type)`.
template <typename OpTy>
struct ElementwisePattern : OpRewritePattern<OpTy> {
  using Compute =
      std::function<Value(OpTy, OpBuilder &, Location, ValueRange)>;
  ElementwisePattern(MLIRContext *ctx, Compute compute)
      : OpRewritePattern<OpTy>(ctx), compute(std::move(compute)) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Type resultElement = resultType.getElementType();
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          SmallVector<Value> wide;
          for (Value arg : args.drop_back())
            wide.push_back(castScalar(b, loc, arg, computeType(arg.getType())));
          Value value = compute(op, b, loc, wide);
          return castScalar(b, loc, value, resultElement);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  Compute compute;
};

template <typename OpTy, typename FloatOp, typename IntOp>
void addArithmetic(RewritePatternSet &patterns) {
  patterns.add<ElementwisePattern<OpTy>>(
      patterns.getContext(),
      [](OpTy, OpBuilder &b, Location loc, ValueRange v) -> Value {
        if (isFloat(v[0]))
          return FloatOp::create(b, loc, v[0], v[1]);
        return IntOp::create(b, loc, v[0], v[1]);
      });
}

template <typename OpTy>
void addUnary(RewritePatternSet &patterns,
              std::function<Value(OpBuilder &, Location, Value)> fn) {
  patterns.add<ElementwisePattern<OpTy>>(
      patterns.getContext(),
      [fn](OpTy, OpBuilder &b, Location loc, ValueRange v) {
        return fn(b, loc, v[0]);
      });
}

arith::CmpFPredicate floatPredicate(CompareDirection direction) {
  switch (direction) {
  case CompareDirection::eq: return arith::CmpFPredicate::OEQ;
  case CompareDirection::ne: return arith::CmpFPredicate::UNE;
  case CompareDirection::lt: return arith::CmpFPredicate::OLT;
  case CompareDirection::le: return arith::CmpFPredicate::OLE;
  case CompareDirection::gt: return arith::CmpFPredicate::OGT;
  case CompareDirection::ge: return arith::CmpFPredicate::OGE;
  }
  llvm_unreachable("unknown direction");
}

arith::CmpIPredicate intPredicate(CompareDirection direction, bool isBool) {
  switch (direction) {
  case CompareDirection::eq: return arith::CmpIPredicate::eq;
  case CompareDirection::ne: return arith::CmpIPredicate::ne;
  // i1 holds 0 and 1: compared unsigned, true is greater than false.
  case CompareDirection::lt:
    return isBool ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
  case CompareDirection::le:
    return isBool ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
  case CompareDirection::gt:
    return isBool ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
  case CompareDirection::ge:
    return isBool ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
  }
  llvm_unreachable("unknown direction");
}

/// ds.div: floats divide; integers divide with the run-time check.
struct DivPattern : OpRewritePattern<DivOp> {
  DivPattern(MLIRContext *ctx, SiteTable &sites)
      : OpRewritePattern(ctx), sites(sites) {}

  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    auto resultType = op.getType();
    Type element = resultType.getElementType();
    Value status = statusOf(op);
    int32_t site = -1;
    if (isa<IntegerType>(element)) {
      site = sites.add(op);
      declare(rewriter, op, "ds_status_fail",
              kernelFunctionType(rewriter, "ds_status_fail"));
    }
    if (isa<IntegerType>(element))
      reportZeroDivisor(rewriter, op.getLoc(), op.getRhs(), status, site);
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType, op->getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isa<IntegerType>(element))
            return safeDivide(b, loc, args[0], args[1]);
          Type wide = computeType(element);
          Value q = arith::DivFOp::create(b, loc,
                                          castScalar(b, loc, args[0], wide),
                                          castScalar(b, loc, args[1], wide));
          return castScalar(b, loc, q, element);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  SiteTable &sites;
};

struct ConstantPattern : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct CastPattern : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, castTensor(rewriter, op.getLoc(), op.getInput(),
                                      op.getType().getElementType()));
    return success();
  }
};

struct IotaPattern : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    auto dim = static_cast<int64_t>(op.getDim());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, ValueRange{},
        [&](OpBuilder &b, Location loc, ValueRange) {
          Value index = linalg::IndexOp::create(b, loc, dim);
          Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
          return castScalar(b, loc, asInt, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwiseLowering(RewritePatternSet &patterns,
                                 SiteTable &sites) {
  MLIRContext *ctx = patterns.getContext();
  addArithmetic<AddOp, arith::AddFOp, arith::AddIOp>(patterns);
  addArithmetic<SubOp, arith::SubFOp, arith::SubIOp>(patterns);
  addArithmetic<MulOp, arith::MulFOp, arith::MulIOp>(patterns);
  addArithmetic<MaxOp, arith::MaximumFOp, arith::MaxSIOp>(patterns);
  addArithmetic<MinOp, arith::MinimumFOp, arith::MinSIOp>(patterns);
  patterns.add<DivPattern>(ctx, sites);
  patterns.add<ElementwisePattern<PowOp>>(
      ctx, [](PowOp, OpBuilder &b, Location loc, ValueRange v) -> Value {
        return math::PowFOp::create(b, loc, v[0], v[1]);
      });
  patterns.add<ElementwisePattern<CompareOp>>(
      ctx, [](CompareOp op, OpBuilder &b, Location loc, ValueRange v) -> Value {
        if (isFloat(v[0]))
          return arith::CmpFOp::create(
              b, loc, floatPredicate(op.getDirection()), v[0], v[1]);
        bool isBool = v[0].getType().isInteger(1);
        return arith::CmpIOp::create(
            b, loc, intPredicate(op.getDirection(), isBool), v[0], v[1]);
      });
  patterns.add<ElementwisePattern<SelectOp>>(
      ctx, [](SelectOp, OpBuilder &b, Location loc, ValueRange v) -> Value {
        return arith::SelectOp::create(b, loc, v[0], v[1], v[2]);
      });

  addUnary<NegOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    if (isFloat(x))
      return arith::NegFOp::create(b, loc, x);
    return arith::SubIOp::create(b, loc,
                                 scalarConstant(b, loc, x.getType(), 0), x);
  });
  addUnary<AbsOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    if (isFloat(x))
      return math::AbsFOp::create(b, loc, x);
    Value negated = arith::SubIOp::create(
        b, loc, scalarConstant(b, loc, x.getType(), 0), x);
    return arith::MaxSIOp::create(b, loc, x, negated);
  });
  addUnary<SquareOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    if (isFloat(x))
      return arith::MulFOp::create(b, loc, x, x);
    return arith::MulIOp::create(b, loc, x, x);
  });
  addUnary<ReluOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    Value zero = scalarConstant(b, loc, x.getType(), 0);
    if (isFloat(x))
      return arith::MaximumFOp::create(b, loc, x, zero);
    return arith::MaxSIOp::create(b, loc, x, zero);
  });
  addUnary<ExpOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::ExpOp::create(b, loc, x);
  });
  addUnary<LogOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::LogOp::create(b, loc, x);
  });
  addUnary<SqrtOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::SqrtOp::create(b, loc, x);
  });
  addUnary<RsqrtOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::DivFOp::create(b, loc, one(b, loc, x.getType()),
                                 math::SqrtOp::create(b, loc, x));
  });
  addUnary<TanhOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::TanhOp::create(b, loc, x);
  });
  addUnary<SigmoidOp>(patterns, sigmoid);
  addUnary<SiluOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, x));
  });
  addUnary<SinOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::SinOp::create(b, loc, x);
  });
  addUnary<CosOp>(patterns, [](OpBuilder &b, Location loc, Value x) -> Value {
    return math::CosOp::create(b, loc, x);
  });
  patterns.add<ElementwisePattern<GeluOp>>(
      ctx, [](GeluOp op, OpBuilder &b, Location loc, ValueRange v) {
        return gelu(b, loc, v[0], op.getApproximate());
      });
  patterns.add<ElementwisePattern<GeluGradOp>>(
      ctx, [](GeluGradOp op, OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value slope = geluDerivative(b, loc, v[0], op.getApproximate());
        return arith::MulFOp::create(b, loc, v[1], slope);
      });
  patterns.add<ConstantPattern, CastPattern, IotaPattern>(ctx);
}

} // namespace mlir::ds::lowering
