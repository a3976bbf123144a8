//===- DsElementwiseOps.td - elementwise ops, constants, casts -*- td -*-===//

#ifndef DS_ELEMENTWISE_OPS_TD
#define DS_ELEMENTWISE_OPS_TD

include "dialects/ds/DsBase.td"

//===----------------------------------------------------------------------===//
// Binary elementwise ops (NumPy broadcasting)
//===----------------------------------------------------------------------===//

// Printed as `: T` when both operands and the result have type T, and as
// `: (A, B) -> C` when broadcasting makes them differ.
class Ds_BinaryOp<string mnemonic, Type operandType, string formula,
                  list<Trait> traits = []>
    : Ds_InferredOp<mnemonic, !listconcat(traits, [Ds_HasVjp])> {
  let summary = "Elementwise " # formula # " with broadcasting";
  let description = [{
    Computes `}] # formula # [{` elementwise. The operands have the same element
    type; their shapes broadcast like NumPy's to the result shape.

    ```mlir
    %0 = ds.}] # mnemonic # [{ %a, %b : tensor<4x8xf32>
    %1 = ds.}] # mnemonic # [{ %a, %row : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:`
    custom<BroadcastTypes>(type($lhs), type($rhs), type($result))
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &results) {
      return inferBinaryElementwise(loc, getOperationName(), adaptor.getLhs(),
                                    adaptor.getRhs(), results);
    }
  }];
}

def Ds_AddOp : Ds_BinaryOp<"add", Ds_NumericTensor, "lhs + rhs", [Commutative]> {
  let hasFolder = 1;
}
def Ds_SubOp : Ds_BinaryOp<"sub", Ds_NumericTensor, "lhs - rhs"> {
  let hasFolder = 1;
}
def Ds_MulOp : Ds_BinaryOp<"mul", Ds_NumericTensor, "lhs * rhs", [Commutative]> {
  let hasFolder = 1;
}
def Ds_DivOp : Ds_BinaryOp<"div", Ds_NumericTensor,
                           "lhs / rhs (integers: truncated toward zero)"> {
  let hasFolder = 1;
}
def Ds_MaxOp : Ds_BinaryOp<"max", Ds_NumericTensor,
                           "max(lhs, rhs) (NaN if either is NaN)", [Commutative]>;
def Ds_MinOp : Ds_BinaryOp<"min", Ds_NumericTensor,
                           "min(lhs, rhs) (NaN if either is NaN)", [Commutative]>;
def Ds_PowOp : Ds_BinaryOp<"pow", Ds_FloatTensor, "lhs ^ rhs">;

def Ds_CompareOp : Ds_InferredOp<"compare"> {
  let summary = "Elementwise comparison with broadcasting";
  let description = [{
    Compares `lhs` and `rhs` elementwise with the predicate `eq`, `ne`, `lt`,
    `le`, `gt` or `ge` and yields an `i1` tensor of the broadcast shape.
    Floating-point comparisons are ordered: any comparison with NaN is false,
    except `ne`, which is true. Integers compare as signed.

    ```mlir
    %mask = ds.compare lt, %pos, %limit : (tensor<8xi32>, tensor<i32>) -> tensor<8xi1>
    ```
  }];
  let arguments = (ins Ds_CompareDirection:$direction, Ds_Tensor:$lhs,
                       Ds_Tensor:$rhs);
  let results = (outs Ds_BoolTensor:$result);
  let assemblyFormat = [{
    $direction `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Ds_SelectOp : Ds_InferredOp<"select", [Ds_HasVjp]> {
  let summary = "Elementwise choice between two tensors";
  let description = [{
    `result = condition ? on_true : on_false`, elementwise. The three operand
    shapes broadcast together; `on_true` and `on_false` have the same element
    type, which is the result's.

    ```mlir
    %0 = ds.select %mask, %scores, %neg_inf : (tensor<8x8xi1>, tensor<8x8xf32>, tensor<f32>) -> tensor<8x8xf32>
    ```
  }];
  let arguments = (ins Ds_BoolTensor:$condition, Ds_Tensor:$on_true,
                       Ds_Tensor:$on_false);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Unary elementwise ops
//===----------------------------------------------------------------------===//

class Ds_UnaryOp<string mnemonic, Type type, string formula,
                 list<Trait> traits = []>
    : Ds_Op<mnemonic, !listconcat(traits, [SameOperandsAndResultType, Ds_HasVjp])> {
  let summary = "Elementwise " # formula;
  let description = [{
    Computes `}] # formula # [{` for every element; the result has the
    operand's type.

    ```mlir
    %0 = ds.}] # mnemonic # [{ %x : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Ds_NegOp : Ds_UnaryOp<"neg", Ds_NumericTensor, "-x"> {
  let hasFolder = 1;
}
def Ds_AbsOp : Ds_UnaryOp<"abs", Ds_NumericTensor, "|x|">;
def Ds_SquareOp : Ds_UnaryOp<"square", Ds_NumericTensor, "x * x">;
def Ds_ReluOp : Ds_UnaryOp<"relu", Ds_NumericTensor, "max(x, 0)">;
def Ds_ExpOp : Ds_UnaryOp<"exp", Ds_FloatTensor, "e^x">;
def Ds_LogOp : Ds_UnaryOp<"log", Ds_FloatTensor, "ln(x)">;
def Ds_SqrtOp : Ds_UnaryOp<"sqrt", Ds_FloatTensor, "sqrt(x)">;
def Ds_RsqrtOp : Ds_UnaryOp<"rsqrt", Ds_FloatTensor, "1 / sqrt(x)">;
def Ds_TanhOp : Ds_UnaryOp<"tanh", Ds_FloatTensor, "tanh(x)">;
def Ds_SigmoidOp : Ds_UnaryOp<"sigmoid", Ds_FloatTensor, "1 / (1 + e^-x)">;
def Ds_SiluOp : Ds_UnaryOp<"silu", Ds_FloatTensor, "x * sigmoid(x)">;
def Ds_SinOp : Ds_UnaryOp<"sin", Ds_FloatTensor, "sin(x)">;
def Ds_CosOp : Ds_UnaryOp<"cos", Ds_FloatTensor, "cos(x)">;

def Ds_GeluOp : Ds_Op<"gelu", [SameOperandsAndResultType, Ds_HasVjp]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate = none` (the default) computes `x · Φ(x)` with
    `Φ(x) = (1 + erf(x / √2)) / 2`; `approximate = tanh` computes
    `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, as GPT-2 does.

    ```mlir
    %0 = ds.gelu %x approximate = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input,
      DefaultValuedAttr<Ds_GeluApproximation,
                        "::mlir::ds::GeluApproximation::none">:$approximate);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($input)
  }];
}

def Ds_GeluGradOp : Ds_Op<"gelu_grad", [SameOperandsAndResultType]> {
  let summary = "The gradient of ds.gelu";
  let description = [{
    `result = grad · gelu'(input)`, elementwise, with the derivative of the
    same `approximate` form as `ds.gelu`:
    * `none`: `gelu'(x) = Φ(x) + x · φ(x)` with `φ(x) = e^(−x²/2) / √(2π)`;
    * `tanh`: with `u = √(2/π) · (x + 0.044715 · x³)`,
      `gelu'(x) = 0.5 · (1 + tanh u) + 0.5 · x · (1 − tanh² u) · √(2/π) ·
      (1 + 3 · 0.044715 · x²)`.
    The backward pass of `ds.gelu` (see `--ds-autodiff`).
    ```mlir
    %dx = ds.gelu_grad %x, %dy approximate = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, Ds_FloatTensor:$grad,
      DefaultValuedAttr<Ds_GeluApproximation,
                        "::mlir::ds::GeluApproximation::none">:$approximate);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad (`approximate` `=` $approximate^)? attr-dict `:`
    type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Constants, casts, iota
//===----------------------------------------------------------------------===//

def Ds_ConstantOp : Ds_InferredOp<"constant", [ConstantLike]> {
  let summary = "A constant tensor";
  let description = [{
    Produces the tensor held by `value`, a dense elements attribute whose type
    is the result type.

    ```mlir
    %eps = ds.constant dense<1.0e-06> : tensor<f32>
    %tbl = ds.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xbf16>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Ds_CastOp : Ds_Op<"cast", [SameOperandsAndResultShape, Ds_HasVjp]> {
  let summary = "Element type conversion";
  let description = [{
    Converts every element to the result's element type, keeping the shape.

    * float → narrower float: round to nearest, ties to even; `f8E4M3FN` has no
      infinity and saturates to ±448, NaN stays NaN; `f8E5M2` overflows to ±∞.
    * float → integer: truncate toward zero, saturating at the integer type's
      bounds; NaN becomes 0. To `i1` it is `x != 0`, so NaN becomes 1.
    * integer → float: nearest representable value. Integers are signed;
      `i1` converts to 0 or 1.
    * integer → integer: sign-extend or truncate (two's complement), except
      that `i1` is 0 or 1 (true is 1, not -1) and converting to `i1` is
      `x != 0`.

    ```mlir
    %0 = ds.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

def Ds_IotaOp : Ds_Op<"iota"> {
  let summary = "Indices along one dimension";
  let description = [{
    Fills the result with each element's index along dimension `dim`:
    `result[i0, …, ik, …] = ik` for `k = dim`.

    ```mlir
    %pos = ds.iota dim = 0 : tensor<16xi32>
    ```
  }];
  let arguments = (ins I64Attr:$dim);
  let results = (outs Ds_NumericTensor:$result);
  let assemblyFormat = "`dim` `=` $dim attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // DS_ELEMENTWISE_OPS_TD
