// Numerical tests of low-precision arithmetic in the reference interpreter
// (ds-interp): "arithmetic on them is computed as if in f32 and rounded once
// to the result type" (docs/dialect/ds.md). The numpy side computes each op in
// float32 and rounds the float32 result once, exactly, to bf16 / f16 / fp8
// (E4M3FN saturating at +-448), so the comparisons are exact (rtol 0).
// Inputs/<case>.safetensors is written by make_op_goldens.py (README.md).

// bf16 add, sub, mul, div, max, sqrt (of |a|), square and neg.
// RUN: ds-interp %s --entry=arith_bf16 --inputs=%S/Inputs/arith_bf16.safetensors --compare=%S/Inputs/arith_bf16.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_BF16
// ARITH_BF16: compare add with add: relative error {{.*}} ok
// ARITH_BF16: compare sub with sub: relative error {{.*}} ok
// ARITH_BF16: compare mul with mul: relative error {{.*}} ok
// ARITH_BF16: compare div with div: relative error {{.*}} ok
// ARITH_BF16: compare max with max: relative error {{.*}} ok
// ARITH_BF16: compare sqrt with sqrt: relative error {{.*}} ok
// ARITH_BF16: compare square with square: relative error {{.*}} ok
// ARITH_BF16: compare neg with neg: relative error {{.*}} ok
func.func @arith_bf16(%a: tensor<16xbf16> {ds.name = "a"}, %b: tensor<16xbf16> {ds.name = "b"}) -> (tensor<16xbf16> {ds.name = "add"}, tensor<16xbf16> {ds.name = "sub"}, tensor<16xbf16> {ds.name = "mul"}, tensor<16xbf16> {ds.name = "div"}, tensor<16xbf16> {ds.name = "max"}, tensor<16xbf16> {ds.name = "sqrt"}, tensor<16xbf16> {ds.name = "square"}, tensor<16xbf16> {ds.name = "neg"}) {
  %add = ds.add %a, %b : tensor<16xbf16>
  %sub = ds.sub %a, %b : tensor<16xbf16>
  %mul = ds.mul %a, %b : tensor<16xbf16>
  %div = ds.div %a, %b : tensor<16xbf16>
  %max = ds.max %a, %b : tensor<16xbf16>
  %abs = ds.abs %a : tensor<16xbf16>
  %sqrt = ds.sqrt %abs : tensor<16xbf16>
  %square = ds.square %a : tensor<16xbf16>
  %neg = ds.neg %a : tensor<16xbf16>
  return %add, %sub, %mul, %div, %max, %sqrt, %square, %neg : tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>, tensor<16xbf16>
}

// f16 add, mul, div.
// RUN: ds-interp %s --entry=arith_f16 --inputs=%S/Inputs/arith_f16.safetensors --compare=%S/Inputs/arith_f16.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_F16
// ARITH_F16: compare add with add: relative error {{.*}} ok
// ARITH_F16: compare mul with mul: relative error {{.*}} ok
// ARITH_F16: compare div with div: relative error {{.*}} ok
func.func @arith_f16(%a: tensor<12xf16> {ds.name = "a"}, %b: tensor<12xf16> {ds.name = "b"}) -> (tensor<12xf16> {ds.name = "add"}, tensor<12xf16> {ds.name = "mul"}, tensor<12xf16> {ds.name = "div"}) {
  %add = ds.add %a, %b : tensor<12xf16>
  %mul = ds.mul %a, %b : tensor<12xf16>
  %div = ds.div %a, %b : tensor<12xf16>
  return %add, %mul, %div : tensor<12xf16>, tensor<12xf16>, tensor<12xf16>
}

// f8E4M3FN add, sub, mul, div; 300 + 300, 300 * 300, -320 - -256 ... go
// beyond 448 and saturate.
// RUN: ds-interp %s --entry=arith_f8e4m3fn --inputs=%S/Inputs/arith_f8e4m3fn.safetensors --compare=%S/Inputs/arith_f8e4m3fn.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_F8E4M3FN
// ARITH_F8E4M3FN: compare add with add: relative error {{.*}} ok
// ARITH_F8E4M3FN: compare sub with sub: relative error {{.*}} ok
// ARITH_F8E4M3FN: compare mul with mul: relative error {{.*}} ok
// ARITH_F8E4M3FN: compare div with div: relative error {{.*}} ok
func.func @arith_f8e4m3fn(%a: tensor<12xf8E4M3FN> {ds.name = "a"}, %b: tensor<12xf8E4M3FN> {ds.name = "b"}) -> (tensor<12xf8E4M3FN> {ds.name = "add"}, tensor<12xf8E4M3FN> {ds.name = "sub"}, tensor<12xf8E4M3FN> {ds.name = "mul"}, tensor<12xf8E4M3FN> {ds.name = "div"}) {
  %add = ds.add %a, %b : tensor<12xf8E4M3FN>
  %sub = ds.sub %a, %b : tensor<12xf8E4M3FN>
  %mul = ds.mul %a, %b : tensor<12xf8E4M3FN>
  %div = ds.div %a, %b : tensor<12xf8E4M3FN>
  return %add, %sub, %mul, %div : tensor<12xf8E4M3FN>, tensor<12xf8E4M3FN>, tensor<12xf8E4M3FN>, tensor<12xf8E4M3FN>
}

// f8E5M2 add, mul, div.
// RUN: ds-interp %s --entry=arith_f8e5m2 --inputs=%S/Inputs/arith_f8e5m2.safetensors --compare=%S/Inputs/arith_f8e5m2.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_F8E5M2
// ARITH_F8E5M2: compare add with add: relative error {{.*}} ok
// ARITH_F8E5M2: compare mul with mul: relative error {{.*}} ok
// ARITH_F8E5M2: compare div with div: relative error {{.*}} ok
func.func @arith_f8e5m2(%a: tensor<12xf8E5M2> {ds.name = "a"}, %b: tensor<12xf8E5M2> {ds.name = "b"}) -> (tensor<12xf8E5M2> {ds.name = "add"}, tensor<12xf8E5M2> {ds.name = "mul"}, tensor<12xf8E5M2> {ds.name = "div"}) {
  %add = ds.add %a, %b : tensor<12xf8E5M2>
  %mul = ds.mul %a, %b : tensor<12xf8E5M2>
  %div = ds.div %a, %b : tensor<12xf8E5M2>
  return %add, %mul, %div : tensor<12xf8E5M2>, tensor<12xf8E5M2>, tensor<12xf8E5M2>
}
