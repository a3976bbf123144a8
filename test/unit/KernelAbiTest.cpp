//===- KernelAbiTest.cpp - lowering calls checked against KernelAbi.h -----===//
//
// The lowering's KernelCall declares each kernel from kernels/KernelAbi.h
// and reports a call that does not match it (an argument of the wrong kind
// or element type, the wrong count, an undeclared kernel) at the op. The
// kernels' side is checked at compile time (kernels/cpu/KernelAbiCheck.cpp).
//
//===----------------------------------------------------------------------===//

#include "kernels/KernelAbi.h"
#include "passes/lower/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using namespace mlir;

TEST(KernelAbi, EveryKernelIsDeclaredOnce) {
  std::set<std::string_view> names;
  for (const ::ds::kernels::KernelSpec &kernel : ::ds::kernels::kKernels) {
    EXPECT_TRUE(names.insert(kernel.name).second) << kernel.name;
    EXPECT_EQ(::ds::kernels::findKernel(kernel.name), &kernel);
    EXPECT_GT(kernel.count, 0u);
  }
  EXPECT_EQ(::ds::kernels::findKernel("ds_no_such_kernel"), nullptr);
}

class KernelCallTest : public ::testing::Test {
protected:
  KernelCallTest() {
    context.loadDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                        func::FuncDialect, LLVM::LLVMDialect,
                        memref::MemRefDialect, tensor::TensorDialect>();
    OpBuilder b(&context);
    module = ModuleOp::create(b.getUnknownLoc());
    b.setInsertionPointToEnd(module->getBody());
    auto function = func::FuncOp::create(b, b.getUnknownLoc(), "f",
                                         b.getFunctionType({}, {}));
    body = function.addEntryBlock();
  }

  /// The errors a call reports, one string.
  template <typename Build> std::string errorsOf(Build build) {
    std::string errors;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diagnostic) {
      errors += diagnostic.str() + "\n";
      return success();
    });
    OpBuilder b = OpBuilder::atBlockEnd(body);
    build(b);
    return errors;
  }

  Value tensor(OpBuilder &b, ArrayRef<int64_t> shape, Type element) {
    return tensor::EmptyOp::create(b, b.getUnknownLoc(), shape, element);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  Block *body = nullptr;
};

TEST_F(KernelCallTest, MatchingCallIsDeclaredFromTheTable) {
  std::string errors = errorsOf([&](OpBuilder &b) {
    mlir::ds::lowering::KernelCall call(b, b.getUnknownLoc(), "ds_matmul_f32");
    call.input(tensor(b, {4, 8}, b.getF32Type()))
        .input(tensor(b, {8, 2}, b.getF32Type()));
    call.output(RankedTensorType::get({4, 2}, b.getF32Type()));
    call.i64(1).i64(4).i64(2).i64(8).i32(0).i32(0).i64(0).i64(0);
    EXPECT_EQ(call.emit(body->getParentOp()).size(), 1u);
  });
  EXPECT_EQ(errors, "");
  auto declared = module->lookupSymbol<func::FuncOp>("ds_matmul_f32");
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared.getFunctionType().getNumInputs(), 11u);
}

TEST_F(KernelCallTest, WrongKindIsReported) {
  std::string errors = errorsOf([&](OpBuilder &b) {
    mlir::ds::lowering::KernelCall call(b, b.getUnknownLoc(), "ds_matmul_f32");
    // The result where the second operand belongs.
    call.input(tensor(b, {4, 8}, b.getF32Type()));
    call.output(RankedTensorType::get({4, 2}, b.getF32Type()));
    call.input(tensor(b, {8, 2}, b.getF32Type()));
    call.i64(1).i64(4).i64(2).i64(8).i32(0).i32(0).i64(0).i64(0);
    call.emit(body->getParentOp());
  });
  EXPECT_NE(errors.find("argument 1 of ds_matmul_f32 is an output buffer of "
                        "f32; kernels/KernelAbi.h declares an input buffer "
                        "of f32"),
            std::string::npos)
      << errors;
}

TEST_F(KernelCallTest, WrongElementTypeIsReported) {
  std::string errors = errorsOf([&](OpBuilder &b) {
    mlir::ds::lowering::KernelCall call(b, b.getUnknownLoc(), "ds_matmul_f32");
    call.input(tensor(b, {4, 8}, b.getF64Type()))
        .input(tensor(b, {8, 2}, b.getF32Type()));
    call.output(RankedTensorType::get({4, 2}, b.getF32Type()));
    call.i64(1).i64(4).i64(2).i64(8).i32(0).i32(0).i64(0).i64(0);
    call.emit(body->getParentOp());
  });
  EXPECT_NE(errors.find("argument 0 of ds_matmul_f32 is an input buffer of "
                        "f64"),
            std::string::npos)
      << errors;
}

TEST_F(KernelCallTest, WrongCountAndUnknownKernelAreReported) {
  std::string errors = errorsOf([&](OpBuilder &b) {
    mlir::ds::lowering::KernelCall call(b, b.getUnknownLoc(), "ds_matmul_f32");
    call.input(tensor(b, {4, 8}, b.getF32Type()));
    call.emit(body->getParentOp());
  });
  EXPECT_NE(errors.find("passes 1 arguments; kernels/KernelAbi.h declares 11"),
            std::string::npos)
      << errors;
  errors = errorsOf([&](OpBuilder &b) {
    mlir::ds::lowering::KernelCall call(b, b.getUnknownLoc(), "ds_softmax_f32");
    call.i64(1);
    call.emit(body->getParentOp());
  });
  EXPECT_NE(errors.find("kernel 'ds_softmax_f32' is not declared in "
                        "kernels/KernelAbi.h"),
            std::string::npos)
      << errors;
}

} // namespace
