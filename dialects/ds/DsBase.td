//===- DsBase.td - the ds dialect, its attributes and constraints -*- td -*-===//
//
// The `ds` dialect declares language models as graphs of tensor operations with
// value semantics. This file holds what every op file shares: the dialect, the
// enums and attributes, the type constraints and the op base class.
//
//===----------------------------------------------------------------------===//

#ifndef DS_BASE_TD
#define DS_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "dialects/ds/DsInterfaces.td"

//===----------------------------------------------------------------------===//
// The dialect
//===----------------------------------------------------------------------===//

def Ds_Dialect : Dialect {
  let name = "ds";
  let cppNamespace = "::mlir::ds";
  let summary = "Tensor-level operations for DeepSeek-style language models";
  let description = [{
    The `ds` dialect expresses the forward pass of dense transformers and of the
    DeepSeek family (multi-head latent attention, DeepSeekMoE with shared and
    routed experts, sigmoid routing with a selection bias, group-limited top-k,
    rotary embeddings with YaRN scaling, RMSNorm, SwiGLU) as a graph of
    operations on ranked tensors with value semantics.

    Conventions shared by every op:

    * Operands and results are ranked tensors (`tensor<...>`). Dimensions may be
      dynamic (`?`); verifiers check every static fact and defer the rest to run
      time. Element types are `f64`, `f32`, `f16`, `bf16`, `f8E4M3FN`, `f8E5M2`
      and the signless integers `i1`, `i8`, `i16`, `i32`, `i64`.
    * Axes are non-negative integers smaller than the rank of the operand they
      index; there is no negative (from-the-end) indexing.
    * Elementwise binary ops broadcast like NumPy: shapes are aligned at their
      trailing dimensions, and two dimensions are compatible when they are equal
      or one of them is 1.
    * Low-precision values (`bf16`, `f16`, fp8) are stored rounded to their type
      (round to nearest, ties to even; fp8 E4M3FN saturates to its largest finite
      value on conversion, E5M2 overflows to infinity); arithmetic on them is
      computed as if in `f32` and rounded once to the result type.
    * Model parameters are function arguments carrying a `ds.param` attribute
      (see `#ds.param`), so that training, sharding and checkpointing are graph
      rewrites.
    * Other arguments and results may carry `ds.name = "tokens"`, a string
      that names them for tools (inputs and outputs files are keyed by it).
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Ds_CompareEQ : I32EnumAttrCase<"eq", 0>;
def Ds_CompareNE : I32EnumAttrCase<"ne", 1>;
def Ds_CompareLT : I32EnumAttrCase<"lt", 2>;
def Ds_CompareLE : I32EnumAttrCase<"le", 3>;
def Ds_CompareGT : I32EnumAttrCase<"gt", 4>;
def Ds_CompareGE : I32EnumAttrCase<"ge", 5>;
def Ds_CompareDirection : I32EnumAttr<"CompareDirection",
    "comparison predicate",
    [Ds_CompareEQ, Ds_CompareNE, Ds_CompareLT, Ds_CompareLE, Ds_CompareGT,
     Ds_CompareGE]> {
  let cppNamespace = "::mlir::ds";
}

def Ds_GeluNone : I32EnumAttrCase<"none", 0>;
def Ds_GeluTanh : I32EnumAttrCase<"tanh", 1>;
def Ds_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how gelu evaluates the Gaussian CDF", [Ds_GeluNone, Ds_GeluTanh]> {
  let cppNamespace = "::mlir::ds";
}

def Ds_RopeInterleaved : I32EnumAttrCase<"interleaved", 0>;
def Ds_RopeHalf : I32EnumAttrCase<"half", 1>;
def Ds_RopeStyle : I32EnumAttr<"RopeStyle",
    "how rotary embedding pairs the rotated channels",
    [Ds_RopeInterleaved, Ds_RopeHalf]> {
  let cppNamespace = "::mlir::ds";
}

def Ds_ScoringSoftmax : I32EnumAttrCase<"softmax", 0>;
def Ds_ScoringSigmoid : I32EnumAttrCase<"sigmoid", 1>;
def Ds_ScoringFunc : I32EnumAttr<"ScoringFunc",
    "how router logits become expert scores",
    [Ds_ScoringSoftmax, Ds_ScoringSigmoid]> {
  let cppNamespace = "::mlir::ds";
}

def Ds_GroupScoreMax : I32EnumAttrCase<"max", 0>;
def Ds_GroupScoreTop2Sum : I32EnumAttrCase<"top2_sum", 1>;
def Ds_GroupScore : I32EnumAttr<"GroupScore",
    "how group-limited routing ranks expert groups",
    [Ds_GroupScoreMax, Ds_GroupScoreTop2Sum]> {
  let cppNamespace = "::mlir::ds";
}

def Ds_InitZeros : I32EnumAttrCase<"zeros", 0>;
def Ds_InitOnes : I32EnumAttrCase<"ones", 1>;
def Ds_InitConstant : I32EnumAttrCase<"constant", 2>;
def Ds_InitNormal : I32EnumAttrCase<"normal", 3>;
def Ds_InitTruncatedNormal : I32EnumAttrCase<"truncated_normal", 4>;
def Ds_InitUniform : I32EnumAttrCase<"uniform", 5>;
def Ds_InitKind : I32EnumAttr<"InitKind", "parameter initializer",
    [Ds_InitZeros, Ds_InitOnes, Ds_InitConstant, Ds_InitNormal,
     Ds_InitTruncatedNormal, Ds_InitUniform]> {
  let cppNamespace = "::mlir::ds";
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Ds_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Ds_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// A floating-point attribute parameter (an APFloat holding a double). MLIR has
// no field parser for floats, so DsDialect.cpp provides one; printing uses
// MLIR's float syntax.
class Ds_F64Parameter<string desc, string default = "">
    : AttrOrTypeParameter<"::llvm::APFloat", desc> {
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
  let parser = "::mlir::ds::parseF64Parameter($_parser)";
  let defaultValue = !if(!empty(default), "", "::llvm::APFloat(" # default # ")");
}

def Ds_ParamAttr : Ds_Attr<"Param", "param"> {
  let summary = "Marks a function argument as a named model parameter";
  let description = [{
    Attached to a function argument under the name `ds.param`. It gives the
    parameter the name it has in checkpoints (Hugging Face tensor names, e.g.
    `model.layers.0.self_attn.kv_a_proj_with_mqa.weight`) and the initializer
    that produces its starting value from a seed:

    | initializer | values |
    |---|---|
    | `zeros` | 0 |
    | `ones` | 1 |
    | `constant(v)` | v |
    | `normal(mean, std)` | N(mean, std²), std > 0 |
    | `truncated_normal(mean, std)` | N(mean, std²), redrawn outside mean ± 2·std; std > 0 |
    | `uniform(low, high)` | U[low, high), low < high |

    The argument must be a statically shaped tensor of a floating-point type,
    and parameter names are unique within a function.

    A parameter that stacks one tensor of several layers or experts (the
    operands of `ds.scan`, and the experts of `ds.moe_ffn`) writes an index
    range `[begin:end]` for each stacked leading dimension, in order:
    `model.layers.[1:4].mlp.experts.[0:16].gate_proj.weight` is a
    `tensor<3x16x…>` whose slice `[i, j]` is the checkpoint tensor
    `model.layers.{1+i}.mlp.experts.{j}.gate_proj.weight`. Each range's length
    equals its dimension's size.

    ```mlir
    func.func @f(%w: tensor<64xf32> {ds.param = #ds.param<"model.norm.weight", ones>})
    func.func @g(%w: tensor<64x64xf32> {ds.param = #ds.param<"lm_head.weight", normal(0.0, 0.02)>})
    ```
  }];
  let parameters = (ins
    StringRefParameter<"parameter name">:$name,
    EnumParameter<Ds_InitKind>:$init,
    Ds_F64Parameter<"first initializer argument">:$a,
    Ds_F64Parameter<"second initializer argument">:$b);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Ds_YarnAttr : Ds_Attr<"Yarn", "yarn"> {
  let summary = "YaRN context-extension parameters for rotary embeddings";
  let description = [{
    YaRN ("Yet another RoPE extensioN") as used by DeepSeek-V2/V3. With base
    inverse frequencies `f_i = theta^(-2i/d)` for `i < d/2` (`d` the rotary
    dimension), let `low = floor(d·ln(L/(beta_fast·2π)) / (2 ln theta))` and
    `high = ceil(d·ln(L/(beta_slow·2π)) / (2 ln theta))`, clamped to
    `[0, d - 1]` as Hugging Face's DeepSeek code does, where `L = original_max_position`. With the linear ramp
    `r_i = clamp((i - low) / (high - low), 0, 1)` (`high - low` raised to at
    least 0.001), the scaled frequency is
    `f'_i = f_i / factor · r_i + f_i · (1 - r_i)`. The cosines and sines are
    multiplied by `m(factor, mscale) / m(factor, mscale_all_dim)` where
    `m(s, k) = 0.1·k·ln(s) + 1` for `s > 1` and 1 otherwise.

    The attention softmax scale is not changed by this attribute: DeepSeek
    models multiply it by `m(factor, mscale_all_dim)²` in `ds.attention`'s
    `scale`.
  }];
  let parameters = (ins
    Ds_F64Parameter<"context extension factor (> 1)">:$factor,
    "int64_t":$original_max_position,
    Ds_F64Parameter<"fast boundary, in rotations", "32.0">:$beta_fast,
    Ds_F64Parameter<"slow boundary, in rotations", "1.0">:$beta_slow,
    Ds_F64Parameter<"magnitude scale", "1.0">:$mscale,
    Ds_F64Parameter<"magnitude scale for all dimensions", "0.0">:$mscale_all_dim);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Ds_FloatElement : AnyTypeOf<[F64, F32, F16, BF16, F8E4M3FN, F8E5M2]>;
def Ds_IntElement : AnyTypeOf<[I1, I8, I16, I32, I64]>;
def Ds_NumericIntElement : AnyTypeOf<[I8, I16, I32, I64]>;
def Ds_Element : AnyTypeOf<[Ds_FloatElement, Ds_IntElement]>;

def Ds_Tensor : RankedTensorOf<[Ds_Element]>;
def Ds_NumericTensor : RankedTensorOf<[Ds_FloatElement, Ds_NumericIntElement]>;
def Ds_FloatTensor : RankedTensorOf<[Ds_FloatElement]>;
def Ds_IndexTensor : RankedTensorOf<[I32, I64]>;
def Ds_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

class Ds_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ds_Dialect, mnemonic, !listconcat([Pure], traits)>;

// An op whose result types follow from its operands and attributes. The
// inference (`inferReturnTypes`, in C++) is also the verifier of the shape
// rules: it reports each broken rule at the op's location.
class Ds_InferredOp<string mnemonic, list<Trait> traits = []>
    : Ds_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

// An op with a vector–Jacobian product (see VjpOpInterface).
def Ds_HasVjp : DeclareOpInterfaceMethods<Ds_VjpOpInterface>;

#endif // DS_BASE_TD
