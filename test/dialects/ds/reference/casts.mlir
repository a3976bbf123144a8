// Numerical tests of ds.cast in the reference interpreter (ds-interp) against
// an independent numpy implementation of docs/dialect/ds.md: float -> float
// rounds once to nearest-even (E4M3FN saturates to +-448, E5M2 and the IEEE
// types overflow to infinity, checked as |x| > 1e300), float -> int
// truncates toward zero and saturates (NaN -> 0), int -> int wraps (two's
// complement). The expected values are exact, so every case uses rtol 0.
// Inputs/<case>.safetensors is written by make_op_goldens.py (README.md).

// f64 -> bf16 over many binades, with halfway cases (1 + 2^-8 -> 1,
// 1 + 3*2^-8 -> 1 + 2^-6), a subnormal (2^-130) and 3e38.
// RUN: ds-interp %s --entry=cast_f64_bf16 --inputs=%S/Inputs/cast_f64_bf16.safetensors --compare=%S/Inputs/cast_f64_bf16.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_BF16
// CAST_F64_BF16: compare out with out: relative error {{.*}} ok
func.func @cast_f64_bf16(%x: tensor<24xf64> {ds.name = "x"}) -> (tensor<24xbf16> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<24xf64> to tensor<24xbf16>
  return %out : tensor<24xbf16>
}

// f64 -> f16, with subnormals (1e-6, -3e-7), 65504, halfway cases and
// 1 + 2^-11 + 2^-40 -> 1 + 2^-10 (rounded once, not through f32).
// RUN: ds-interp %s --entry=cast_f64_f16 --inputs=%S/Inputs/cast_f64_f16.safetensors --compare=%S/Inputs/cast_f64_f16.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_F16
// CAST_F64_F16: compare out with out: relative error {{.*}} ok
func.func @cast_f64_f16(%x: tensor<24xf64> {ds.name = "x"}) -> (tensor<24xf16> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<24xf64> to tensor<24xf16>
  return %out : tensor<24xf16>
}

// f64 -> f32.
// RUN: ds-interp %s --entry=cast_f64_f32 --inputs=%S/Inputs/cast_f64_f32.safetensors --compare=%S/Inputs/cast_f64_f32.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_F32
// CAST_F64_F32: compare out with out: relative error {{.*}} ok
func.func @cast_f64_f32(%x: tensor<16xf64> {ds.name = "x"}) -> (tensor<16xf32> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<16xf64> to tensor<16xf32>
  return %out : tensor<16xf32>
}

// f64 -> f8E4M3FN: subnormals (2^-9, the 3*2^-10 tie, 2^-11 -> 0), saturation
// (449, 464, 500, -1e5 -> +-448), halfway cases (1 + 2^-4 -> 1, 17 -> 16)
// and 1 + 2^-4 + 2^-40 -> 1.125 (rounded once, not through f32).
// RUN: ds-interp %s --entry=cast_f64_f8e4m3fn --inputs=%S/Inputs/cast_f64_f8e4m3fn.safetensors --compare=%S/Inputs/cast_f64_f8e4m3fn.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_F8E4M3FN
// CAST_F64_F8E4M3FN: compare out with out: relative error {{.*}} ok
func.func @cast_f64_f8e4m3fn(%x: tensor<24xf64> {ds.name = "x"}) -> (tensor<24xf8E4M3FN> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<24xf64> to tensor<24xf8E4M3FN>
  return %out : tensor<24xf8E4M3FN>
}

// f64 -> f8E5M2: subnormals (2^-16, the 3*2^-17 tie, 2^-17 + 2^-30 -> 2^-16,
// 1e-9 -> 0), the largest finite value 57344 and -60000 -> -57344.
// RUN: ds-interp %s --entry=cast_f64_f8e5m2 --inputs=%S/Inputs/cast_f64_f8e5m2.safetensors --compare=%S/Inputs/cast_f64_f8e5m2.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_F8E5M2
// CAST_F64_F8E5M2: compare out with out: relative error {{.*}} ok
func.func @cast_f64_f8e5m2(%x: tensor<24xf64> {ds.name = "x"}) -> (tensor<24xf8E5M2> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<24xf64> to tensor<24xf8E5M2>
  return %out : tensor<24xf8E5M2>
}

// f32 -> bf16.
// RUN: ds-interp %s --entry=cast_f32_bf16 --inputs=%S/Inputs/cast_f32_bf16.safetensors --compare=%S/Inputs/cast_f32_bf16.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F32_BF16
// CAST_F32_BF16: compare out with out: relative error {{.*}} ok
func.func @cast_f32_bf16(%x: tensor<16xf32> {ds.name = "x"}) -> (tensor<16xbf16> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<16xf32> to tensor<16xbf16>
  return %out : tensor<16xbf16>
}

// bf16 -> f32 and f64 are exact.
// RUN: ds-interp %s --entry=cast_bf16_f32 --inputs=%S/Inputs/cast_bf16_f32.safetensors --compare=%S/Inputs/cast_bf16_f32.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_BF16_F32
// CAST_BF16_F32: compare out32 with out32: relative error {{.*}} ok
// CAST_BF16_F32: compare out64 with out64: relative error {{.*}} ok
func.func @cast_bf16_f32(%x: tensor<4x4xbf16> {ds.name = "x"}) -> (tensor<4x4xf32> {ds.name = "out32"}, tensor<4x4xf64> {ds.name = "out64"}) {
  %out32 = ds.cast %x : tensor<4x4xbf16> to tensor<4x4xf32>
  %out64 = ds.cast %x : tensor<4x4xbf16> to tensor<4x4xf64>
  return %out32, %out64 : tensor<4x4xf32>, tensor<4x4xf64>
}

// Every finite f8E4M3FN value (all codes but the two NaNs) -> f32 and bf16.
// RUN: ds-interp %s --entry=cast_f8e4m3fn_f32 --inputs=%S/Inputs/cast_f8e4m3fn_f32.safetensors --compare=%S/Inputs/cast_f8e4m3fn_f32.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F8E4M3FN_F32
// CAST_F8E4M3FN_F32: compare out with out: relative error {{.*}} ok
// CAST_F8E4M3FN_F32: compare out_bf16 with out_bf16: relative error {{.*}} ok
func.func @cast_f8e4m3fn_f32(%x: tensor<254xf8E4M3FN> {ds.name = "x"}) -> (tensor<254xf32> {ds.name = "out"}, tensor<254xbf16> {ds.name = "out_bf16"}) {
  %out = ds.cast %x : tensor<254xf8E4M3FN> to tensor<254xf32>
  %out_bf16 = ds.cast %x : tensor<254xf8E4M3FN> to tensor<254xbf16>
  return %out, %out_bf16 : tensor<254xf32>, tensor<254xbf16>
}

// Every finite f8E5M2 value -> f32.
// RUN: ds-interp %s --entry=cast_f8e5m2_f32 --inputs=%S/Inputs/cast_f8e5m2_f32.safetensors --compare=%S/Inputs/cast_f8e5m2_f32.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F8E5M2_F32
// CAST_F8E5M2_F32: compare out with out: relative error {{.*}} ok
func.func @cast_f8e5m2_f32(%x: tensor<248xf8E5M2> {ds.name = "x"}) -> (tensor<248xf32> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<248xf8E5M2> to tensor<248xf32>
  return %out : tensor<248xf32>
}

// Every finite f8E5M2 value -> f8E4M3FN: values beyond 448 saturate, the
// smallest underflow to zero, the others round to 3 mantissa bits.
// RUN: ds-interp %s --entry=cast_f8e5m2_f8e4m3fn --inputs=%S/Inputs/cast_f8e5m2_f8e4m3fn.safetensors --compare=%S/Inputs/cast_f8e5m2_f8e4m3fn.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F8E5M2_F8E4M3FN
// CAST_F8E5M2_F8E4M3FN: compare out with out: relative error {{.*}} ok
func.func @cast_f8e5m2_f8e4m3fn(%x: tensor<248xf8E5M2> {ds.name = "x"}) -> (tensor<248xf8E4M3FN> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<248xf8E5M2> to tensor<248xf8E4M3FN>
  return %out : tensor<248xf8E4M3FN>
}

// Every finite f8E4M3FN value -> f8E5M2 (rounds to 2 mantissa bits).
// RUN: ds-interp %s --entry=cast_f8e4m3fn_f8e5m2 --inputs=%S/Inputs/cast_f8e4m3fn_f8e5m2.safetensors --compare=%S/Inputs/cast_f8e4m3fn_f8e5m2.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F8E4M3FN_F8E5M2
// CAST_F8E4M3FN_F8E5M2: compare out with out: relative error {{.*}} ok
func.func @cast_f8e4m3fn_f8e5m2(%x: tensor<254xf8E4M3FN> {ds.name = "x"}) -> (tensor<254xf8E5M2> {ds.name = "out"}) {
  %out = ds.cast %x : tensor<254xf8E4M3FN> to tensor<254xf8E5M2>
  return %out : tensor<254xf8E5M2>
}

// bf16 -> f8E4M3FN (1000 and -3000 saturate), f8E5M2 and f16.
// RUN: ds-interp %s --entry=cast_bf16_f8 --inputs=%S/Inputs/cast_bf16_f8.safetensors --compare=%S/Inputs/cast_bf16_f8.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_BF16_F8
// CAST_BF16_F8: compare e4 with e4: relative error {{.*}} ok
// CAST_BF16_F8: compare e5 with e5: relative error {{.*}} ok
// CAST_BF16_F8: compare h with h: relative error {{.*}} ok
func.func @cast_bf16_f8(%x: tensor<16xbf16> {ds.name = "x"}) -> (tensor<16xf8E4M3FN> {ds.name = "e4"}, tensor<16xf8E5M2> {ds.name = "e5"}, tensor<16xf16> {ds.name = "h"}) {
  %e4 = ds.cast %x : tensor<16xbf16> to tensor<16xf8E4M3FN>
  %e5 = ds.cast %x : tensor<16xbf16> to tensor<16xf8E5M2>
  %h = ds.cast %x : tensor<16xbf16> to tensor<16xf16>
  return %e4, %e5, %h : tensor<16xf8E4M3FN>, tensor<16xf8E5M2>, tensor<16xf16>
}

// f64 -> integers: truncation toward zero (2.9 -> 2, -2.9 -> -2, +-0.5 -> 0),
// saturation at each type's bounds (300.7, -1000, +-3e9, 40000) and NaN -> 0.
// RUN: ds-interp %s --entry=cast_f64_int --inputs=%S/Inputs/cast_f64_int.safetensors --compare=%S/Inputs/cast_f64_int.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_INT
// CAST_F64_INT: compare i8 with i8: relative error {{.*}} ok
// CAST_F64_INT: compare i16 with i16: relative error {{.*}} ok
// CAST_F64_INT: compare i32 with i32: relative error {{.*}} ok
// CAST_F64_INT: compare i64 with i64: relative error {{.*}} ok
func.func @cast_f64_int(%x: tensor<16xf64> {ds.name = "x"}) -> (tensor<16xi8> {ds.name = "i8"}, tensor<16xi16> {ds.name = "i16"}, tensor<16xi32> {ds.name = "i32"}, tensor<16xi64> {ds.name = "i64"}) {
  %i8 = ds.cast %x : tensor<16xf64> to tensor<16xi8>
  %i16 = ds.cast %x : tensor<16xf64> to tensor<16xi16>
  %i32 = ds.cast %x : tensor<16xf64> to tensor<16xi32>
  %i64 = ds.cast %x : tensor<16xf64> to tensor<16xi64>
  return %i8, %i16, %i32, %i64 : tensor<16xi8>, tensor<16xi16>, tensor<16xi32>, tensor<16xi64>
}

// f32 -> i32 / i8 (+-2.5 truncate, +-1e10 saturate).
// RUN: ds-interp %s --entry=cast_f32_int --inputs=%S/Inputs/cast_f32_int.safetensors --compare=%S/Inputs/cast_f32_int.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F32_INT
// CAST_F32_INT: compare i32 with i32: relative error {{.*}} ok
// CAST_F32_INT: compare i8 with i8: relative error {{.*}} ok
func.func @cast_f32_int(%x: tensor<12xf32> {ds.name = "x"}) -> (tensor<12xi32> {ds.name = "i32"}, tensor<12xi8> {ds.name = "i8"}) {
  %i32 = ds.cast %x : tensor<12xf32> to tensor<12xi32>
  %i8 = ds.cast %x : tensor<12xf32> to tensor<12xi8>
  return %i32, %i8 : tensor<12xi32>, tensor<12xi8>
}

// Float -> i1 is x != 0 (0.0 and -0.0 are false, 1e-300 is true).
// RUN: ds-interp %s --entry=cast_float_i1 --inputs=%S/Inputs/cast_float_i1.safetensors --compare=%S/Inputs/cast_float_i1.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_FLOAT_I1
// CAST_FLOAT_I1: compare x_i1 with x_i1: relative error {{.*}} ok
// CAST_FLOAT_I1: compare b_i1 with b_i1: relative error {{.*}} ok
func.func @cast_float_i1(%x: tensor<8xf64> {ds.name = "x"}, %b: tensor<4xbf16> {ds.name = "b"}) -> (tensor<8xi1> {ds.name = "x_i1"}, tensor<4xi1> {ds.name = "b_i1"}) {
  %x_i1 = ds.cast %x : tensor<8xf64> to tensor<8xi1>
  %b_i1 = ds.cast %b : tensor<4xbf16> to tensor<4xi1>
  return %x_i1, %b_i1 : tensor<8xi1>, tensor<4xi1>
}

// Signed integer -> float, nearest representable value, ties to even:
// 257 -> 256 and 259 -> 260 in bf16, 17 -> 16 and 19 -> 20 in f8E4M3FN
// (1000 saturates to 448), 2^24 + 1 -> 2^24 in f32.
// RUN: ds-interp %s --entry=cast_int_float --inputs=%S/Inputs/cast_int_float.safetensors --compare=%S/Inputs/cast_int_float.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_INT_FLOAT
// CAST_INT_FLOAT: compare i_f64 with i_f64: relative error {{.*}} ok
// CAST_INT_FLOAT: compare i_f32 with i_f32: relative error {{.*}} ok
// CAST_INT_FLOAT: compare i_bf16 with i_bf16: relative error {{.*}} ok
// CAST_INT_FLOAT: compare i_e4 with i_e4: relative error {{.*}} ok
// CAST_INT_FLOAT: compare l_f32 with l_f32: relative error {{.*}} ok
// CAST_INT_FLOAT: compare l_bf16 with l_bf16: relative error {{.*}} ok
// CAST_INT_FLOAT: compare s_f64 with s_f64: relative error {{.*}} ok
// CAST_INT_FLOAT: compare s_e5 with s_e5: relative error {{.*}} ok
// CAST_INT_FLOAT: compare s_f16 with s_f16: relative error {{.*}} ok
func.func @cast_int_float(%i: tensor<12xi32> {ds.name = "i"}, %l: tensor<8xi64> {ds.name = "l"}, %s: tensor<6xi8> {ds.name = "s"}) -> (tensor<12xf64> {ds.name = "i_f64"}, tensor<12xf32> {ds.name = "i_f32"}, tensor<12xbf16> {ds.name = "i_bf16"}, tensor<12xf8E4M3FN> {ds.name = "i_e4"}, tensor<8xf32> {ds.name = "l_f32"}, tensor<8xbf16> {ds.name = "l_bf16"}, tensor<6xf64> {ds.name = "s_f64"}, tensor<6xf8E5M2> {ds.name = "s_e5"}, tensor<6xf16> {ds.name = "s_f16"}) {
  %i_f64 = ds.cast %i : tensor<12xi32> to tensor<12xf64>
  %i_f32 = ds.cast %i : tensor<12xi32> to tensor<12xf32>
  %i_bf16 = ds.cast %i : tensor<12xi32> to tensor<12xbf16>
  %i_e4 = ds.cast %i : tensor<12xi32> to tensor<12xf8E4M3FN>
  %l_f32 = ds.cast %l : tensor<8xi64> to tensor<8xf32>
  %l_bf16 = ds.cast %l : tensor<8xi64> to tensor<8xbf16>
  %s_f64 = ds.cast %s : tensor<6xi8> to tensor<6xf64>
  %s_e5 = ds.cast %s : tensor<6xi8> to tensor<6xf8E5M2>
  %s_f16 = ds.cast %s : tensor<6xi8> to tensor<6xf16>
  return %i_f64, %i_f32, %i_bf16, %i_e4, %l_f32, %l_bf16, %s_f64, %s_e5, %s_f16 : tensor<12xf64>, tensor<12xf32>, tensor<12xbf16>, tensor<12xf8E4M3FN>, tensor<8xf32>, tensor<8xbf16>, tensor<6xf64>, tensor<6xf8E5M2>, tensor<6xf16>
}

// Integer -> integer: truncation wraps (300 -> 44, -200 -> 56, 65535 -> -1 in
// i16, 3e9 -> -1294967296 in i32), widening sign-extends.
// RUN: ds-interp %s --entry=cast_int_int --inputs=%S/Inputs/cast_int_int.safetensors --compare=%S/Inputs/cast_int_int.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_INT_INT
// CAST_INT_INT: compare i_i8 with i_i8: relative error {{.*}} ok
// CAST_INT_INT: compare i_i16 with i_i16: relative error {{.*}} ok
// CAST_INT_INT: compare i_i64 with i_i64: relative error {{.*}} ok
// CAST_INT_INT: compare s_i32 with s_i32: relative error {{.*}} ok
// CAST_INT_INT: compare s_i16 with s_i16: relative error {{.*}} ok
// CAST_INT_INT: compare l_i32 with l_i32: relative error {{.*}} ok
// CAST_INT_INT: compare l_i8 with l_i8: relative error {{.*}} ok
func.func @cast_int_int(%i: tensor<10xi32> {ds.name = "i"}, %s: tensor<6xi8> {ds.name = "s"}, %l: tensor<6xi64> {ds.name = "l"}) -> (tensor<10xi8> {ds.name = "i_i8"}, tensor<10xi16> {ds.name = "i_i16"}, tensor<10xi64> {ds.name = "i_i64"}, tensor<6xi32> {ds.name = "s_i32"}, tensor<6xi16> {ds.name = "s_i16"}, tensor<6xi32> {ds.name = "l_i32"}, tensor<6xi8> {ds.name = "l_i8"}) {
  %i_i8 = ds.cast %i : tensor<10xi32> to tensor<10xi8>
  %i_i16 = ds.cast %i : tensor<10xi32> to tensor<10xi16>
  %i_i64 = ds.cast %i : tensor<10xi32> to tensor<10xi64>
  %s_i32 = ds.cast %s : tensor<6xi8> to tensor<6xi32>
  %s_i16 = ds.cast %s : tensor<6xi8> to tensor<6xi16>
  %l_i32 = ds.cast %l : tensor<6xi64> to tensor<6xi32>
  %l_i8 = ds.cast %l : tensor<6xi64> to tensor<6xi8>
  return %i_i8, %i_i16, %i_i64, %s_i32, %s_i16, %l_i32, %l_i8 : tensor<10xi8>, tensor<10xi16>, tensor<10xi64>, tensor<6xi32>, tensor<6xi16>, tensor<6xi32>, tensor<6xi8>
}

// i1 converts to 0 or 1 (to integers as to floats), and an integer becomes
// i1 as x != 0 (2, -128 and 256 are true). See README.md: the integer ->
// integer rule of the spec ("sign-extend or truncate") read literally would
// give -1 for true and the low bit for i32 -> i1.
// RUN: ds-interp %s --entry=cast_i1_int --inputs=%S/Inputs/cast_i1_int.safetensors --compare=%S/Inputs/cast_i1_int.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_I1_INT
// CAST_I1_INT: compare c_i32 with c_i32: relative error {{.*}} ok
// CAST_I1_INT: compare c_i8 with c_i8: relative error {{.*}} ok
// CAST_I1_INT: compare c_f64 with c_f64: relative error {{.*}} ok
// CAST_I1_INT: compare c_bf16 with c_bf16: relative error {{.*}} ok
// CAST_I1_INT: compare i_i1 with i_i1: relative error {{.*}} ok
func.func @cast_i1_int(%c: tensor<5xi1> {ds.name = "c"}, %i: tensor<6xi32> {ds.name = "i"}) -> (tensor<5xi32> {ds.name = "c_i32"}, tensor<5xi8> {ds.name = "c_i8"}, tensor<5xf64> {ds.name = "c_f64"}, tensor<5xbf16> {ds.name = "c_bf16"}, tensor<6xi1> {ds.name = "i_i1"}) {
  %c_i32 = ds.cast %c : tensor<5xi1> to tensor<5xi32>
  %c_i8 = ds.cast %c : tensor<5xi1> to tensor<5xi8>
  %c_f64 = ds.cast %c : tensor<5xi1> to tensor<5xf64>
  %c_bf16 = ds.cast %c : tensor<5xi1> to tensor<5xbf16>
  %i_i1 = ds.cast %i : tensor<6xi32> to tensor<6xi1>
  return %c_i32, %c_i8, %c_f64, %c_bf16, %i_i1 : tensor<5xi32>, tensor<5xi8>, tensor<5xf64>, tensor<5xbf16>, tensor<6xi1>
}

// Infinities and overflow: +-inf, +-1e6, 61440 / 61439 (the E5M2 overflow
// threshold), 65520 / 65519 (f16's), 3.4e38 / -3.3e38 (bf16's). E4M3FN has no
// infinity, so all of them saturate to +-448. E5M2, f16 and bf16 overflow to
// +-inf, checked as |x| > 1e300 after casting back to f64. Float -> int
// saturates +-inf; NaN stays NaN in E4M3FN and bf16 (checked as x != x).
// RUN: ds-interp %s --entry=cast_special_f64 --inputs=%S/Inputs/cast_special_f64.safetensors --compare=%S/Inputs/cast_special_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_SPECIAL_F64
// CAST_SPECIAL_F64: compare e4 with e4: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare e5_inf with e5_inf: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare h_inf with h_inf: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare b_inf with b_inf: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare i32 with i32: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare i8 with i8: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare n_e4_nan with n_e4_nan: relative error {{.*}} ok
// CAST_SPECIAL_F64: compare n_bf16_nan with n_bf16_nan: relative error {{.*}} ok
func.func @cast_special_f64(%x: tensor<12xf64> {ds.name = "x"}, %n: tensor<2xf64> {ds.name = "n"}) -> (tensor<12xf8E4M3FN> {ds.name = "e4"}, tensor<12xi1> {ds.name = "e5_inf"}, tensor<12xi1> {ds.name = "h_inf"}, tensor<12xi1> {ds.name = "b_inf"}, tensor<12xi32> {ds.name = "i32"}, tensor<12xi8> {ds.name = "i8"}, tensor<2xi1> {ds.name = "n_e4_nan"}, tensor<2xi1> {ds.name = "n_bf16_nan"}) {
  %big = ds.constant dense<1.0e+300> : tensor<f64>
  %e4 = ds.cast %x : tensor<12xf64> to tensor<12xf8E4M3FN>
  %e5_inf_c = ds.cast %x : tensor<12xf64> to tensor<12xf8E5M2>
  %e5_inf_f = ds.cast %e5_inf_c : tensor<12xf8E5M2> to tensor<12xf64>
  %e5_inf_a = ds.abs %e5_inf_f : tensor<12xf64>
  %e5_inf = ds.compare gt, %e5_inf_a, %big : (tensor<12xf64>, tensor<f64>) -> tensor<12xi1>
  %h_inf_c = ds.cast %x : tensor<12xf64> to tensor<12xf16>
  %h_inf_f = ds.cast %h_inf_c : tensor<12xf16> to tensor<12xf64>
  %h_inf_a = ds.abs %h_inf_f : tensor<12xf64>
  %h_inf = ds.compare gt, %h_inf_a, %big : (tensor<12xf64>, tensor<f64>) -> tensor<12xi1>
  %b_inf_c = ds.cast %x : tensor<12xf64> to tensor<12xbf16>
  %b_inf_f = ds.cast %b_inf_c : tensor<12xbf16> to tensor<12xf64>
  %b_inf_a = ds.abs %b_inf_f : tensor<12xf64>
  %b_inf = ds.compare gt, %b_inf_a, %big : (tensor<12xf64>, tensor<f64>) -> tensor<12xi1>
  %i32 = ds.cast %x : tensor<12xf64> to tensor<12xi32>
  %i8 = ds.cast %x : tensor<12xf64> to tensor<12xi8>
  %ne4 = ds.cast %n : tensor<2xf64> to tensor<2xf8E4M3FN>
  %ne4_nan = ds.compare ne, %ne4, %ne4 : (tensor<2xf8E4M3FN>, tensor<2xf8E4M3FN>) -> tensor<2xi1>
  %nb = ds.cast %n : tensor<2xf64> to tensor<2xbf16>
  %nb_nan = ds.compare ne, %nb, %nb : (tensor<2xbf16>, tensor<2xbf16>) -> tensor<2xi1>
  return %e4, %e5_inf, %h_inf, %b_inf, %i32, %i8, %ne4_nan, %nb_nan : tensor<12xf8E4M3FN>, tensor<12xi1>, tensor<12xi1>, tensor<12xi1>, tensor<12xi32>, tensor<12xi8>, tensor<2xi1>, tensor<2xi1>
}
