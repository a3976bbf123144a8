// Numerical tests of the reference interpreter (ds-interp) for the elementwise
// ops, against an independent numpy implementation of docs/dialect/ds.md.
// Inputs/<case>.safetensors holds each case's inputs and expected outputs;
// make_op_goldens.py regenerates them (see README.md). f64 numerics are
// compared with rtol 1e-12, integer and i1 results exactly (rtol 0).

// ds.add with NumPy broadcasting.
// RUN: ds-interp %s --entry=add_f64 --inputs=%S/Inputs/add_f64.safetensors --compare=%S/Inputs/add_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ADD_F64
// ADD_F64: compare out with out: relative error {{.*}} ok
func.func @add_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<4xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.add %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// Both operands broadcast: [2,1,4] + [3,1] -> [2,3,4].
// RUN: ds-interp %s --entry=add_bcast_f64 --inputs=%S/Inputs/add_bcast_f64.safetensors --compare=%S/Inputs/add_bcast_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ADD_BCAST_F64
// ADD_BCAST_F64: compare out with out: relative error {{.*}} ok
func.func @add_bcast_f64(%a: tensor<2x1x4xf64> {ds.name = "a"}, %b: tensor<3x1xf64> {ds.name = "b"}) -> (tensor<2x3x4xf64> {ds.name = "out"}) {
  %0 = ds.add %a, %b : (tensor<2x1x4xf64>, tensor<3x1xf64>) -> tensor<2x3x4xf64>
  return %0 : tensor<2x3x4xf64>
}

// ds.sub with NumPy broadcasting.
// RUN: ds-interp %s --entry=sub_f64 --inputs=%S/Inputs/sub_f64.safetensors --compare=%S/Inputs/sub_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SUB_F64
// SUB_F64: compare out with out: relative error {{.*}} ok
func.func @sub_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<3x1xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.sub %a, %b : (tensor<3x4xf64>, tensor<3x1xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// A rank-0 operand broadcasts to every element.
// RUN: ds-interp %s --entry=mul_f64 --inputs=%S/Inputs/mul_f64.safetensors --compare=%S/Inputs/mul_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MUL_F64
// MUL_F64: compare out with out: relative error {{.*}} ok
func.func @mul_f64(%a: tensor<2x3xf64> {ds.name = "a"}, %b: tensor<f64> {ds.name = "b"}) -> (tensor<2x3xf64> {ds.name = "out"}) {
  %0 = ds.mul %a, %b : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// ds.div with NumPy broadcasting.
// RUN: ds-interp %s --entry=div_f64 --inputs=%S/Inputs/div_f64.safetensors --compare=%S/Inputs/div_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=DIV_F64
// DIV_F64: compare out with out: relative error {{.*}} ok
func.func @div_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<1x4xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.div %a, %b : (tensor<3x4xf64>, tensor<1x4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.max with NumPy broadcasting.
// RUN: ds-interp %s --entry=max_f64 --inputs=%S/Inputs/max_f64.safetensors --compare=%S/Inputs/max_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MAX_F64
// MAX_F64: compare out with out: relative error {{.*}} ok
func.func @max_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<4xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.max %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.min with NumPy broadcasting.
// RUN: ds-interp %s --entry=min_f64 --inputs=%S/Inputs/min_f64.safetensors --compare=%S/Inputs/min_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MIN_F64
// MIN_F64: compare out with out: relative error {{.*}} ok
func.func @min_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<3x1xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.min %a, %b : (tensor<3x4xf64>, tensor<3x1xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// max / min are NaN if either operand is NaN. A NaN cannot be compared
// (the relative error would be NaN), so the NaN positions come out as
// compare ne (x != x) and the other values through select.
// RUN: ds-interp %s --entry=max_min_nan_f64 --inputs=%S/Inputs/max_min_nan_f64.safetensors --compare=%S/Inputs/max_min_nan_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=MAX_MIN_NAN_F64
// MAX_MIN_NAN_F64: compare max_isnan with max_isnan: relative error {{.*}} ok
// MAX_MIN_NAN_F64: compare min_isnan with min_isnan: relative error {{.*}} ok
// MAX_MIN_NAN_F64: compare max_val with max_val: relative error {{.*}} ok
// MAX_MIN_NAN_F64: compare min_val with min_val: relative error {{.*}} ok
func.func @max_min_nan_f64(%a: tensor<6xf64> {ds.name = "a"}, %b: tensor<6xf64> {ds.name = "b"}) -> (tensor<6xi1> {ds.name = "max_isnan"}, tensor<6xi1> {ds.name = "min_isnan"}, tensor<6xf64> {ds.name = "max_val"}, tensor<6xf64> {ds.name = "min_val"}) {
  %mx = ds.max %a, %b : tensor<6xf64>
  %mn = ds.min %a, %b : tensor<6xf64>
  %mx_nan = ds.compare ne, %mx, %mx : (tensor<6xf64>, tensor<6xf64>) -> tensor<6xi1>
  %mn_nan = ds.compare ne, %mn, %mn : (tensor<6xf64>, tensor<6xf64>) -> tensor<6xi1>
  %zero = ds.constant dense<0.0> : tensor<f64>
  %mx_val = ds.select %mx_nan, %zero, %mx : (tensor<6xi1>, tensor<f64>, tensor<6xf64>) -> tensor<6xf64>
  %mn_val = ds.select %mn_nan, %zero, %mn : (tensor<6xi1>, tensor<f64>, tensor<6xf64>) -> tensor<6xf64>
  return %mx_nan, %mn_nan, %mx_val, %mn_val : tensor<6xi1>, tensor<6xi1>, tensor<6xf64>, tensor<6xf64>
}

// Positive bases, real exponents.
// RUN: ds-interp %s --entry=pow_f64 --inputs=%S/Inputs/pow_f64.safetensors --compare=%S/Inputs/pow_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=POW_F64
// POW_F64: compare out with out: relative error {{.*}} ok
func.func @pow_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<3x4xf64> {ds.name = "b"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.pow %a, %b : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// Negative bases with integral exponents (including 0 and negative ones).
// RUN: ds-interp %s --entry=pow_neg_base_f64 --inputs=%S/Inputs/pow_neg_base_f64.safetensors --compare=%S/Inputs/pow_neg_base_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=POW_NEG_BASE_F64
// POW_NEG_BASE_F64: compare out with out: relative error {{.*}} ok
func.func @pow_neg_base_f64(%a: tensor<8xf64> {ds.name = "a"}, %b: tensor<8xf64> {ds.name = "b"}) -> (tensor<8xf64> {ds.name = "out"}) {
  %0 = ds.pow %a, %b : (tensor<8xf64>, tensor<8xf64>) -> tensor<8xf64>
  return %0 : tensor<8xf64>
}

// Signed integer arithmetic with broadcasting; div truncates toward zero.
// RUN: ds-interp %s --entry=arith_i32 --inputs=%S/Inputs/arith_i32.safetensors --compare=%S/Inputs/arith_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_I32
// ARITH_I32: compare add with add: relative error {{.*}} ok
// ARITH_I32: compare sub with sub: relative error {{.*}} ok
// ARITH_I32: compare mul with mul: relative error {{.*}} ok
// ARITH_I32: compare div with div: relative error {{.*}} ok
// ARITH_I32: compare max with max: relative error {{.*}} ok
// ARITH_I32: compare min with min: relative error {{.*}} ok
func.func @arith_i32(%a: tensor<3x4xi32> {ds.name = "a"}, %b: tensor<4xi32> {ds.name = "b"}) -> (tensor<3x4xi32> {ds.name = "add"}, tensor<3x4xi32> {ds.name = "sub"}, tensor<3x4xi32> {ds.name = "mul"}, tensor<3x4xi32> {ds.name = "div"}, tensor<3x4xi32> {ds.name = "max"}, tensor<3x4xi32> {ds.name = "min"}) {
  %add = ds.add %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  %sub = ds.sub %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  %mul = ds.mul %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  %div = ds.div %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  %max = ds.max %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  %min = ds.min %a, %b : (tensor<3x4xi32>, tensor<4xi32>) -> tensor<3x4xi32>
  return %add, %sub, %mul, %div, %max, %min : tensor<3x4xi32>, tensor<3x4xi32>, tensor<3x4xi32>, tensor<3x4xi32>, tensor<3x4xi32>, tensor<3x4xi32>
}

// Integer division truncates toward zero for every sign combination:
// 7/2 = 3, -7/2 = -3, 7/-2 = -3, -7/-2 = 3, 0/5 = 0, then random operands.
// RUN: ds-interp %s --entry=div_i32 --inputs=%S/Inputs/div_i32.safetensors --compare=%S/Inputs/div_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=DIV_I32
// DIV_I32: compare out with out: relative error {{.*}} ok
func.func @div_i32(%a: tensor<16xi32> {ds.name = "a"}, %b: tensor<16xi32> {ds.name = "b"}) -> (tensor<16xi32> {ds.name = "out"}) {
  %0 = ds.div %a, %b : tensor<16xi32>
  return %0 : tensor<16xi32>
}

// i8 arithmetic (no overflow), negative operands.
// RUN: ds-interp %s --entry=arith_i8 --inputs=%S/Inputs/arith_i8.safetensors --compare=%S/Inputs/arith_i8.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_I8
// ARITH_I8: compare add with add: relative error {{.*}} ok
// ARITH_I8: compare sub with sub: relative error {{.*}} ok
// ARITH_I8: compare mul with mul: relative error {{.*}} ok
// ARITH_I8: compare div with div: relative error {{.*}} ok
// ARITH_I8: compare max with max: relative error {{.*}} ok
// ARITH_I8: compare min with min: relative error {{.*}} ok
func.func @arith_i8(%a: tensor<10xi8> {ds.name = "a"}, %b: tensor<10xi8> {ds.name = "b"}) -> (tensor<10xi8> {ds.name = "add"}, tensor<10xi8> {ds.name = "sub"}, tensor<10xi8> {ds.name = "mul"}, tensor<10xi8> {ds.name = "div"}, tensor<10xi8> {ds.name = "max"}, tensor<10xi8> {ds.name = "min"}) {
  %add = ds.add %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  %sub = ds.sub %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  %mul = ds.mul %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  %div = ds.div %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  %max = ds.max %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  %min = ds.min %a, %b : (tensor<10xi8>, tensor<10xi8>) -> tensor<10xi8>
  return %add, %sub, %mul, %div, %max, %min : tensor<10xi8>, tensor<10xi8>, tensor<10xi8>, tensor<10xi8>, tensor<10xi8>, tensor<10xi8>
}

// i16 arithmetic (no overflow), negative operands.
// RUN: ds-interp %s --entry=arith_i16 --inputs=%S/Inputs/arith_i16.safetensors --compare=%S/Inputs/arith_i16.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_I16
// ARITH_I16: compare add with add: relative error {{.*}} ok
// ARITH_I16: compare sub with sub: relative error {{.*}} ok
// ARITH_I16: compare mul with mul: relative error {{.*}} ok
// ARITH_I16: compare div with div: relative error {{.*}} ok
func.func @arith_i16(%a: tensor<8xi16> {ds.name = "a"}, %b: tensor<8xi16> {ds.name = "b"}) -> (tensor<8xi16> {ds.name = "add"}, tensor<8xi16> {ds.name = "sub"}, tensor<8xi16> {ds.name = "mul"}, tensor<8xi16> {ds.name = "div"}) {
  %add = ds.add %a, %b : (tensor<8xi16>, tensor<8xi16>) -> tensor<8xi16>
  %sub = ds.sub %a, %b : (tensor<8xi16>, tensor<8xi16>) -> tensor<8xi16>
  %mul = ds.mul %a, %b : (tensor<8xi16>, tensor<8xi16>) -> tensor<8xi16>
  %div = ds.div %a, %b : (tensor<8xi16>, tensor<8xi16>) -> tensor<8xi16>
  return %add, %sub, %mul, %div : tensor<8xi16>, tensor<8xi16>, tensor<8xi16>, tensor<8xi16>
}

// i64 arithmetic with values up to 1e15 (below 2^53).
// RUN: ds-interp %s --entry=arith_i64 --inputs=%S/Inputs/arith_i64.safetensors --compare=%S/Inputs/arith_i64.safetensors --rtol=0 | FileCheck %s --check-prefix=ARITH_I64
// ARITH_I64: compare add with add: relative error {{.*}} ok
// ARITH_I64: compare sub with sub: relative error {{.*}} ok
// ARITH_I64: compare mul with mul: relative error {{.*}} ok
// ARITH_I64: compare div with div: relative error {{.*}} ok
func.func @arith_i64(%a: tensor<2x3xi64> {ds.name = "a"}, %b: tensor<2x1xi64> {ds.name = "b"}) -> (tensor<2x3xi64> {ds.name = "add"}, tensor<2x3xi64> {ds.name = "sub"}, tensor<2x3xi64> {ds.name = "mul"}, tensor<2x3xi64> {ds.name = "div"}) {
  %add = ds.add %a, %b : (tensor<2x3xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  %sub = ds.sub %a, %b : (tensor<2x3xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  %mul = ds.mul %a, %b : (tensor<2x3xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  %div = ds.div %a, %b : (tensor<2x3xi64>, tensor<2x1xi64>) -> tensor<2x3xi64>
  return %add, %sub, %mul, %div : tensor<2x3xi64>, tensor<2x3xi64>, tensor<2x3xi64>, tensor<2x3xi64>
}

// All six directions with broadcasting. Row 0 of a equals b, -0.0 == +0.0,
// and NaN on both sides: any comparison with NaN is false except ne.
// RUN: ds-interp %s --entry=compare_f64 --inputs=%S/Inputs/compare_f64.safetensors --compare=%S/Inputs/compare_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=COMPARE_F64
// COMPARE_F64: compare eq with eq: relative error {{.*}} ok
// COMPARE_F64: compare ne with ne: relative error {{.*}} ok
// COMPARE_F64: compare lt with lt: relative error {{.*}} ok
// COMPARE_F64: compare le with le: relative error {{.*}} ok
// COMPARE_F64: compare gt with gt: relative error {{.*}} ok
// COMPARE_F64: compare ge with ge: relative error {{.*}} ok
func.func @compare_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<4xf64> {ds.name = "b"}) -> (tensor<3x4xi1> {ds.name = "eq"}, tensor<3x4xi1> {ds.name = "ne"}, tensor<3x4xi1> {ds.name = "lt"}, tensor<3x4xi1> {ds.name = "le"}, tensor<3x4xi1> {ds.name = "gt"}, tensor<3x4xi1> {ds.name = "ge"}) {
  %eq = ds.compare eq, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  %ne = ds.compare ne, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  %lt = ds.compare lt, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  %le = ds.compare le, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  %gt = ds.compare gt, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  %ge = ds.compare ge, %a, %b : (tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xi1>
  return %eq, %ne, %lt, %le, %gt, %ge : tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>
}

// Signed integer comparisons, some equal pairs.
// RUN: ds-interp %s --entry=compare_i32 --inputs=%S/Inputs/compare_i32.safetensors --compare=%S/Inputs/compare_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=COMPARE_I32
// COMPARE_I32: compare eq with eq: relative error {{.*}} ok
// COMPARE_I32: compare ne with ne: relative error {{.*}} ok
// COMPARE_I32: compare lt with lt: relative error {{.*}} ok
// COMPARE_I32: compare le with le: relative error {{.*}} ok
// COMPARE_I32: compare gt with gt: relative error {{.*}} ok
// COMPARE_I32: compare ge with ge: relative error {{.*}} ok
func.func @compare_i32(%a: tensor<3x4xi32> {ds.name = "a"}, %b: tensor<3x1xi32> {ds.name = "b"}) -> (tensor<3x4xi1> {ds.name = "eq"}, tensor<3x4xi1> {ds.name = "ne"}, tensor<3x4xi1> {ds.name = "lt"}, tensor<3x4xi1> {ds.name = "le"}, tensor<3x4xi1> {ds.name = "gt"}, tensor<3x4xi1> {ds.name = "ge"}) {
  %eq = ds.compare eq, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  %ne = ds.compare ne, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  %lt = ds.compare lt, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  %le = ds.compare le, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  %gt = ds.compare gt, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  %ge = ds.compare ge, %a, %b : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi1>
  return %eq, %ne, %lt, %le, %gt, %ge : tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>, tensor<3x4xi1>
}

// bf16 comparisons.
// RUN: ds-interp %s --entry=compare_bf16 --inputs=%S/Inputs/compare_bf16.safetensors --compare=%S/Inputs/compare_bf16.safetensors --rtol=0 | FileCheck %s --check-prefix=COMPARE_BF16
// COMPARE_BF16: compare lt with lt: relative error {{.*}} ok
// COMPARE_BF16: compare eq with eq: relative error {{.*}} ok
func.func @compare_bf16(%a: tensor<2x4xbf16> {ds.name = "a"}, %b: tensor<4xbf16> {ds.name = "b"}) -> (tensor<2x4xi1> {ds.name = "lt"}, tensor<2x4xi1> {ds.name = "eq"}) {
  %lt = ds.compare lt, %a, %b : (tensor<2x4xbf16>, tensor<4xbf16>) -> tensor<2x4xi1>
  %eq = ds.compare eq, %a, %b : (tensor<2x4xbf16>, tensor<4xbf16>) -> tensor<2x4xi1>
  return %lt, %eq : tensor<2x4xi1>, tensor<2x4xi1>
}

// ds.select: the condition and both values broadcast together.
// RUN: ds-interp %s --entry=select_f64 --inputs=%S/Inputs/select_f64.safetensors --compare=%S/Inputs/select_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=SELECT_F64
// SELECT_F64: compare out with out: relative error {{.*}} ok
func.func @select_f64(%c: tensor<3x1xi1> {ds.name = "c"}, %t: tensor<3x4xf64> {ds.name = "t"}, %f: tensor<4xf64> {ds.name = "f"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.select %c, %t, %f : (tensor<3x1xi1>, tensor<3x4xf64>, tensor<4xf64>) -> tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.select on integers with a rank-0 on_false.
// RUN: ds-interp %s --entry=select_i32 --inputs=%S/Inputs/select_i32.safetensors --compare=%S/Inputs/select_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=SELECT_I32
// SELECT_I32: compare out with out: relative error {{.*}} ok
func.func @select_i32(%c: tensor<2x3xi1> {ds.name = "c"}, %t: tensor<2x3xi32> {ds.name = "t"}, %f: tensor<i32> {ds.name = "f"}) -> (tensor<2x3xi32> {ds.name = "out"}) {
  %0 = ds.select %c, %t, %f : (tensor<2x3xi1>, tensor<2x3xi32>, tensor<i32>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// ds.neg.
// RUN: ds-interp %s --entry=neg_f64 --inputs=%S/Inputs/neg_f64.safetensors --compare=%S/Inputs/neg_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=NEG_F64
// NEG_F64: compare out with out: relative error {{.*}} ok
func.func @neg_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.neg %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.abs.
// RUN: ds-interp %s --entry=abs_f64 --inputs=%S/Inputs/abs_f64.safetensors --compare=%S/Inputs/abs_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ABS_F64
// ABS_F64: compare out with out: relative error {{.*}} ok
func.func @abs_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.abs %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.square.
// RUN: ds-interp %s --entry=square_f64 --inputs=%S/Inputs/square_f64.safetensors --compare=%S/Inputs/square_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SQUARE_F64
// SQUARE_F64: compare out with out: relative error {{.*}} ok
func.func @square_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.square %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.relu.
// RUN: ds-interp %s --entry=relu_f64 --inputs=%S/Inputs/relu_f64.safetensors --compare=%S/Inputs/relu_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=RELU_F64
// RELU_F64: compare out with out: relative error {{.*}} ok
func.func @relu_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.relu %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// neg, abs, square and relu on signed integers.
// RUN: ds-interp %s --entry=unary_i32 --inputs=%S/Inputs/unary_i32.safetensors --compare=%S/Inputs/unary_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=UNARY_I32
// UNARY_I32: compare neg with neg: relative error {{.*}} ok
// UNARY_I32: compare abs with abs: relative error {{.*}} ok
// UNARY_I32: compare square with square: relative error {{.*}} ok
// UNARY_I32: compare relu with relu: relative error {{.*}} ok
func.func @unary_i32(%x: tensor<12xi32> {ds.name = "x"}) -> (tensor<12xi32> {ds.name = "neg"}, tensor<12xi32> {ds.name = "abs"}, tensor<12xi32> {ds.name = "square"}, tensor<12xi32> {ds.name = "relu"}) {
  %0 = ds.neg %x : tensor<12xi32>
  %1 = ds.abs %x : tensor<12xi32>
  %2 = ds.square %x : tensor<12xi32>
  %3 = ds.relu %x : tensor<12xi32>
  return %0, %1, %2, %3 : tensor<12xi32>, tensor<12xi32>, tensor<12xi32>, tensor<12xi32>
}

// ds.exp on [-5, 5].
// RUN: ds-interp %s --entry=exp_f64 --inputs=%S/Inputs/exp_f64.safetensors --compare=%S/Inputs/exp_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=EXP_F64
// EXP_F64: compare out with out: relative error {{.*}} ok
func.func @exp_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.exp %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.log on [e^-4, e^4].
// RUN: ds-interp %s --entry=log_f64 --inputs=%S/Inputs/log_f64.safetensors --compare=%S/Inputs/log_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=LOG_F64
// LOG_F64: compare out with out: relative error {{.*}} ok
func.func @log_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.log %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.sqrt.
// RUN: ds-interp %s --entry=sqrt_f64 --inputs=%S/Inputs/sqrt_f64.safetensors --compare=%S/Inputs/sqrt_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SQRT_F64
// SQRT_F64: compare out with out: relative error {{.*}} ok
func.func @sqrt_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.sqrt %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.rsqrt = 1 / sqrt(x).
// RUN: ds-interp %s --entry=rsqrt_f64 --inputs=%S/Inputs/rsqrt_f64.safetensors --compare=%S/Inputs/rsqrt_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=RSQRT_F64
// RSQRT_F64: compare out with out: relative error {{.*}} ok
func.func @rsqrt_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.rsqrt %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.tanh.
// RUN: ds-interp %s --entry=tanh_f64 --inputs=%S/Inputs/tanh_f64.safetensors --compare=%S/Inputs/tanh_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=TANH_F64
// TANH_F64: compare out with out: relative error {{.*}} ok
func.func @tanh_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.tanh %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.sigmoid = 1 / (1 + e^-x) on [-8, 8].
// RUN: ds-interp %s --entry=sigmoid_f64 --inputs=%S/Inputs/sigmoid_f64.safetensors --compare=%S/Inputs/sigmoid_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SIGMOID_F64
// SIGMOID_F64: compare out with out: relative error {{.*}} ok
func.func @sigmoid_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.sigmoid %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.silu = x * sigmoid(x) on [-8, 8].
// RUN: ds-interp %s --entry=silu_f64 --inputs=%S/Inputs/silu_f64.safetensors --compare=%S/Inputs/silu_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SILU_F64
// SILU_F64: compare out with out: relative error {{.*}} ok
func.func @silu_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out"}) {
  %0 = ds.silu %x : tensor<3x4xf64>
  return %0 : tensor<3x4xf64>
}

// ds.gelu: the default and approximate = none are x * (1 + erf(x / sqrt 2)) / 2
// (numpy side: Python's math.erf); approximate = tanh is GPT-2's formula.
// RUN: ds-interp %s --entry=gelu_f64 --inputs=%S/Inputs/gelu_f64.safetensors --compare=%S/Inputs/gelu_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=GELU_F64
// GELU_F64: compare out_default with out_default: relative error {{.*}} ok
// GELU_F64: compare out_none with out_none: relative error {{.*}} ok
// GELU_F64: compare out_tanh with out_tanh: relative error {{.*}} ok
func.func @gelu_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "out_default"}, tensor<3x4xf64> {ds.name = "out_none"}, tensor<3x4xf64> {ds.name = "out_tanh"}) {
  %0 = ds.gelu %x : tensor<3x4xf64>
  %1 = ds.gelu %x approximate = none : tensor<3x4xf64>
  %2 = ds.gelu %x approximate = tanh : tensor<3x4xf64>
  return %0, %1, %2 : tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x4xf64>
}

// The transcendental ops in f32 (p > 0 for log, sqrt, rsqrt); the expected
// values are computed in f64 and rounded to f32, hence rtol 1e-6.
// RUN: ds-interp %s --entry=unary_f32 --inputs=%S/Inputs/unary_f32.safetensors --compare=%S/Inputs/unary_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=UNARY_F32
// UNARY_F32: compare exp with exp: relative error {{.*}} ok
// UNARY_F32: compare log with log: relative error {{.*}} ok
// UNARY_F32: compare sqrt with sqrt: relative error {{.*}} ok
// UNARY_F32: compare rsqrt with rsqrt: relative error {{.*}} ok
// UNARY_F32: compare tanh with tanh: relative error {{.*}} ok
// UNARY_F32: compare sigmoid with sigmoid: relative error {{.*}} ok
// UNARY_F32: compare silu with silu: relative error {{.*}} ok
// UNARY_F32: compare gelu with gelu: relative error {{.*}} ok
// UNARY_F32: compare gelu_tanh with gelu_tanh: relative error {{.*}} ok
func.func @unary_f32(%x: tensor<16xf32> {ds.name = "x"}, %p: tensor<16xf32> {ds.name = "p"}) -> (tensor<16xf32> {ds.name = "exp"}, tensor<16xf32> {ds.name = "log"}, tensor<16xf32> {ds.name = "sqrt"}, tensor<16xf32> {ds.name = "rsqrt"}, tensor<16xf32> {ds.name = "tanh"}, tensor<16xf32> {ds.name = "sigmoid"}, tensor<16xf32> {ds.name = "silu"}, tensor<16xf32> {ds.name = "gelu"}, tensor<16xf32> {ds.name = "gelu_tanh"}) {
  %0 = ds.exp %x : tensor<16xf32>
  %1 = ds.log %p : tensor<16xf32>
  %2 = ds.sqrt %p : tensor<16xf32>
  %3 = ds.rsqrt %p : tensor<16xf32>
  %4 = ds.tanh %x : tensor<16xf32>
  %5 = ds.sigmoid %x : tensor<16xf32>
  %6 = ds.silu %x : tensor<16xf32>
  %7 = ds.gelu %x : tensor<16xf32>
  %8 = ds.gelu %x approximate = tanh : tensor<16xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// ds.sin and ds.cos over several periods.
// RUN: ds-interp %s --entry=sin_cos_f64 --inputs=%S/Inputs/sin_cos_f64.safetensors --compare=%S/Inputs/sin_cos_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SIN_COS_F64
// SIN_COS_F64: compare sin with sin: relative error {{.*}} ok
// SIN_COS_F64: compare cos with cos: relative error {{.*}} ok
func.func @sin_cos_f64(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3x4xf64> {ds.name = "sin"}, tensor<3x4xf64> {ds.name = "cos"}) {
  %0 = ds.sin %x : tensor<3x4xf64>
  %1 = ds.cos %x : tensor<3x4xf64>
  return %0, %1 : tensor<3x4xf64>, tensor<3x4xf64>
}

// ds.gelu_grad: dy * gelu'(x) with the derivative of each approximation
// (the numpy formulas are checked against central differences of ds.gelu's).
// RUN: ds-interp %s --entry=gelu_grad_f64 --inputs=%S/Inputs/gelu_grad_f64.safetensors --compare=%S/Inputs/gelu_grad_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=GELU_GRAD_F64
// GELU_GRAD_F64: compare out_default with out_default: relative error {{.*}} ok
// GELU_GRAD_F64: compare out_none with out_none: relative error {{.*}} ok
// GELU_GRAD_F64: compare out_tanh with out_tanh: relative error {{.*}} ok
func.func @gelu_grad_f64(%x: tensor<3x4xf64> {ds.name = "x"}, %dy: tensor<3x4xf64> {ds.name = "dy"}) -> (tensor<3x4xf64> {ds.name = "out_default"}, tensor<3x4xf64> {ds.name = "out_none"}, tensor<3x4xf64> {ds.name = "out_tanh"}) {
  %0 = ds.gelu_grad %x, %dy : tensor<3x4xf64>
  %1 = ds.gelu_grad %x, %dy approximate = none : tensor<3x4xf64>
  %2 = ds.gelu_grad %x, %dy approximate = tanh : tensor<3x4xf64>
  return %0, %1, %2 : tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x4xf64>
}

// ds.sin, ds.cos and ds.gelu_grad in f32.
// RUN: ds-interp %s --entry=sin_cos_gelu_grad_f32 --inputs=%S/Inputs/sin_cos_gelu_grad_f32.safetensors --compare=%S/Inputs/sin_cos_gelu_grad_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=SIN_COS_GELU_GRAD_F32
// SIN_COS_GELU_GRAD_F32: compare sin with sin: relative error {{.*}} ok
// SIN_COS_GELU_GRAD_F32: compare cos with cos: relative error {{.*}} ok
// SIN_COS_GELU_GRAD_F32: compare gelu_grad with gelu_grad: relative error {{.*}} ok
// SIN_COS_GELU_GRAD_F32: compare gelu_grad_tanh with gelu_grad_tanh: relative error {{.*}} ok
func.func @sin_cos_gelu_grad_f32(%x: tensor<16xf32> {ds.name = "x"}, %dy: tensor<16xf32> {ds.name = "dy"}) -> (tensor<16xf32> {ds.name = "sin"}, tensor<16xf32> {ds.name = "cos"}, tensor<16xf32> {ds.name = "gelu_grad"}, tensor<16xf32> {ds.name = "gelu_grad_tanh"}) {
  %0 = ds.sin %x : tensor<16xf32>
  %1 = ds.cos %x : tensor<16xf32>
  %2 = ds.gelu_grad %x, %dy : tensor<16xf32>
  %3 = ds.gelu_grad %x, %dy approximate = tanh : tensor<16xf32>
  return %0, %1, %2, %3 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// ds.constant: f64 (added to an input), i32, a bf16 splat (1.1 rounds to
// 1.1015625), i1 and f8E4M3FN.
// RUN: ds-interp %s --entry=constant --inputs=%S/Inputs/constant.safetensors --compare=%S/Inputs/constant.safetensors --rtol=0 | FileCheck %s --check-prefix=CONSTANT
// CONSTANT: compare sum with sum: relative error {{.*}} ok
// CONSTANT: compare i with i: relative error {{.*}} ok
// CONSTANT: compare b with b: relative error {{.*}} ok
// CONSTANT: compare m with m: relative error {{.*}} ok
// CONSTANT: compare e with e: relative error {{.*}} ok
func.func @constant(%x: tensor<2x3xf64> {ds.name = "x"}) -> (tensor<2x3xf64> {ds.name = "sum"}, tensor<3xi32> {ds.name = "i"}, tensor<2x2xbf16> {ds.name = "b"}, tensor<3xi1> {ds.name = "m"}, tensor<3xf8E4M3FN> {ds.name = "e"}) {
  %c = ds.constant dense<[[1.5, -2.25, 3.0], [0.125, -7.0, 1.0e-03]]> : tensor<2x3xf64>
  %sum = ds.add %x, %c : tensor<2x3xf64>
  %i = ds.constant dense<[3, -1, 40000]> : tensor<3xi32>
  %b = ds.constant dense<1.1> : tensor<2x2xbf16>
  %m = ds.constant dense<[true, false, true]> : tensor<3xi1>
  %e = ds.constant dense<[448.0, -0.5, 0.015625]> : tensor<3xf8E4M3FN>
  return %sum, %i, %b, %m, %e : tensor<2x3xf64>, tensor<3xi32>, tensor<2x2xbf16>, tensor<3xi1>, tensor<3xf8E4M3FN>
}
