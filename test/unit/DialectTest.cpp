//===- DialectTest.cpp - C++ API tests of the ds dialect ------------------===//
//
// What lit tests cannot show: building ops from C++ with inferred result
// types, folding through the builder, and the shared shape rules.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "dialects/ds/DsTypeRules.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ds;

namespace {

class DsDialectTest : public ::testing::Test {
protected:
  DsDialectTest() : builder(&context) {
    context.loadDialect<DsDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A function with arguments of the given types; the builder inserts into
  /// its body.
  func::FuncOp makeFunction(ArrayRef<Type> inputs) {
    auto function = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                         builder.getFunctionType(inputs, {}));
    builder.setInsertionPointToEnd(function.addEntryBlock());
    return function;
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type element = nullptr) {
    return RankedTensorType::get(shape, element ? element : builder.getF32Type());
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(DsDialectTest, BinaryOpInfersBroadcastShape) {
  auto function = makeFunction({tensor({4, 1, 8}), tensor({3, 1})});
  Value a = function.getArgument(0), b = function.getArgument(1);
  auto add = AddOp::create(builder, builder.getUnknownLoc(), a, b);
  EXPECT_EQ(add.getType(), tensor({4, 3, 8}));
  auto compare = CompareOp::create(builder, builder.getUnknownLoc(),
                                   CompareDirection::lt, a, b);
  EXPECT_EQ(compare.getType(), tensor({4, 3, 8}, builder.getI1Type()));
}

TEST_F(DsDialectTest, ModelOpsInferTheirResults) {
  Location loc = builder.getUnknownLoc();
  auto function = makeFunction({tensor({2, 16, 8, 192}), tensor({2, 16, 2, 192}),
                                tensor({2, 16, 2, 128}), tensor({32, 16}),
                                tensor({16, 10}),
                                tensor({16}, builder.getI32Type())});
  auto attention = AttentionOp::create(
      builder, loc, function.getArgument(0), function.getArgument(1),
      function.getArgument(2), /*key_length=*/Value(), /*causal=*/true,
      /*scale=*/nullptr,
      /*window=*/nullptr);
  EXPECT_EQ(attention.getType(), tensor({2, 16, 8, 128}));

  auto route = MoeRouteOp::create(
      builder, loc, function.getArgument(3), /*bias=*/Value(),
      ScoringFunc::sigmoid, /*top_k=*/4, /*n_group=*/4, /*topk_group=*/2,
      GroupScore::top2_sum, /*norm_topk_prob=*/true,
      llvm::APFloat(2.5));
  EXPECT_EQ(route.getWeights().getType(), tensor({32, 4}));
  EXPECT_EQ(route.getIndices().getType(), tensor({32, 4}, builder.getI32Type()));

  auto loss = CrossEntropyOp::create(builder, loc, function.getArgument(4),
                                     function.getArgument(5), -100);
  EXPECT_EQ(loss.getType(), tensor({}));
  func::ReturnOp::create(builder, loc);
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(DsDialectTest, BuilderFoldsMultiplyByOne) {
  auto function = makeFunction({tensor({4, 8})});
  Value x = function.getArgument(0);
  Location loc = builder.getUnknownLoc();
  Value one = ConstantOp::create(
      builder, loc, DenseElementsAttr::get(tensor({}), builder.getF32FloatAttr(1.0)));
  EXPECT_EQ(builder.createOrFold<MulOp>(loc, x, one), x);
  // A scalar 1 that broadcasts x to a larger shape must not fold away.
  Value ones = ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(tensor({3, 4, 8}), builder.getF32FloatAttr(1.0)));
  EXPECT_NE(builder.createOrFold<MulOp>(loc, x, ones), x);
}

TEST_F(DsDialectTest, CanonicalizerComposesTransposes) {
  const char *source = R"mlir(
    func.func @f(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
      %0 = ds.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %1 = ds.transpose %0 permutation = [2, 1, 0] : tensor<4x2x3xf32> -> tensor<3x2x4xf32>
      return %1 : tensor<3x2x4xf32>
    })mlir";
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(parsed);
  PassManager pm(&context);
  pm.addPass(createCanonicalizerPass());
  ASSERT_TRUE(succeeded(pm.run(*parsed)));

  auto function = cast<func::FuncOp>(parsed->getBody()->front());
  Value returned = function.getBody().front().getTerminator()->getOperand(0);
  auto transpose = returned.getDefiningOp<TransposeOp>();
  ASSERT_TRUE(transpose);
  // result[i] = x.shape[inner[outer[i]]]: inner = [2,0,1], outer = [2,1,0].
  EXPECT_EQ(transpose.getPermutation(), ArrayRef<int64_t>({1, 0, 2}));
  EXPECT_EQ(transpose.getInput(), function.getArgument(0));
}

TEST_F(DsDialectTest, BroadcastRulesReportTheOffendingOperands) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  RuleReporter report(builder.getUnknownLoc(), "ds.add");
  FailureOr<SmallVector<int64_t>> ok =
      broadcastShapes(report, {{4, 1, 8}, {3, ShapedType::kDynamic}}, {0, 1});
  ASSERT_TRUE(succeeded(ok));
  EXPECT_EQ(*ok, (SmallVector<int64_t>{4, 3, 8}));

  EXPECT_TRUE(failed(broadcastShapes(report, {{4, 8}, {3}}, {0, 1})));
  EXPECT_NE(message.find("'ds.add' op operand #1 of shape [3] does not "
                         "broadcast with operand #0 of shape [4, 8]"),
            std::string::npos)
      << message;
}

TEST_F(DsDialectTest, SilentInferenceReportsNothing) {
  // Without a location (speculative inference while building), rules fail
  // quietly.
  bool reported = false;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &) {
    reported = true;
    return success();
  });
  RuleReporter quiet(std::nullopt, "ds.add");
  EXPECT_TRUE(failed(broadcastShapes(quiet, {{4, 8}, {3}}, {0, 1})));
  EXPECT_FALSE(reported);
}

TEST_F(DsDialectTest, ParamAttributeRoundTrips) {
  Attribute attr = parseAttribute(
      "#ds.param<\"model.layers.0.mlp.gate.weight\", normal(0.0, 0.02)>",
      &context);
  auto param = dyn_cast_or_null<ParamAttr>(attr);
  ASSERT_TRUE(param);
  EXPECT_EQ(param.getName(), "model.layers.0.mlp.gate.weight");
  EXPECT_EQ(param.getInit(), InitKind::normal);
  EXPECT_DOUBLE_EQ(param.getB().convertToDouble(), 0.02);

  std::string printed;
  llvm::raw_string_ostream os(printed);
  attr.print(os);
  EXPECT_EQ(parseAttribute(printed, &context), attr);
}

TEST_F(DsDialectTest, FormatShapeShowsDynamicDims) {
  EXPECT_EQ(formatShape({4, ShapedType::kDynamic, 8}), "[4, ?, 8]");
  EXPECT_EQ(formatShape({}), "[]");
}

} // namespace
