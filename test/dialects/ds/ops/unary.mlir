// Round trip of the unary elementwise ops ds.neg, ds.abs, ds.square, ds.relu,
// ds.exp, ds.log, ds.sqrt, ds.rsqrt, ds.tanh, ds.sigmoid, ds.silu, ds.sin,
// ds.cos and ds.gelu (both approximations, the default elided), and of
// ds.gelu_grad, over several element types.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @neg
// CHECK: ds.neg %arg0 : tensor<4x8xf32>
// CHECK: ds.neg %arg1 : tensor<?xi32>
func.func @neg(%x: tensor<4x8xf32>, %i: tensor<?xi32>) -> (tensor<4x8xf32>, tensor<?xi32>) {
  %0 = ds.neg %x : tensor<4x8xf32>
  %1 = ds.neg %i : tensor<?xi32>
  return %0, %1 : tensor<4x8xf32>, tensor<?xi32>
}

// -----

// CHECK-LABEL: func @abs
// CHECK: ds.abs %arg0 : tensor<16xi8>
// CHECK: ds.abs %arg1 : tensor<2x2xbf16>
func.func @abs(%i: tensor<16xi8>, %x: tensor<2x2xbf16>) -> (tensor<16xi8>, tensor<2x2xbf16>) {
  %0 = ds.abs %i : tensor<16xi8>
  %1 = ds.abs %x : tensor<2x2xbf16>
  return %0, %1 : tensor<16xi8>, tensor<2x2xbf16>
}

// -----

// CHECK-LABEL: func @square
// CHECK: ds.square %arg0 : tensor<3xi64>
// CHECK: ds.square %arg1 : tensor<f16>
func.func @square(%i: tensor<3xi64>, %x: tensor<f16>) -> (tensor<3xi64>, tensor<f16>) {
  %0 = ds.square %i : tensor<3xi64>
  %1 = ds.square %x : tensor<f16>
  return %0, %1 : tensor<3xi64>, tensor<f16>
}

// -----

// CHECK-LABEL: func @relu
// CHECK: ds.relu %arg0 : tensor<?x?xf32>
// CHECK: ds.relu %arg1 : tensor<8xi16>
// CHECK: ds.relu %arg2 : tensor<8xf8E4M3FN>
func.func @relu(%x: tensor<?x?xf32>, %i: tensor<8xi16>, %q: tensor<8xf8E4M3FN>) -> (tensor<?x?xf32>, tensor<8xi16>, tensor<8xf8E4M3FN>) {
  %0 = ds.relu %x : tensor<?x?xf32>
  %1 = ds.relu %i : tensor<8xi16>
  %2 = ds.relu %q : tensor<8xf8E4M3FN>
  return %0, %1, %2 : tensor<?x?xf32>, tensor<8xi16>, tensor<8xf8E4M3FN>
}

// -----

// CHECK-LABEL: func @exp
// CHECK: ds.exp %arg0 : tensor<4x8xf8E4M3FN>
// CHECK: ds.exp %arg1 : tensor<4xf64>
func.func @exp(%x: tensor<4x8xf8E4M3FN>, %d: tensor<4xf64>) -> (tensor<4x8xf8E4M3FN>, tensor<4xf64>) {
  %0 = ds.exp %x : tensor<4x8xf8E4M3FN>
  %1 = ds.exp %d : tensor<4xf64>
  return %0, %1 : tensor<4x8xf8E4M3FN>, tensor<4xf64>
}

// -----

// CHECK-LABEL: func @log
// CHECK: ds.log %arg0 : tensor<?x8xbf16>
func.func @log(%x: tensor<?x8xbf16>) -> tensor<?x8xbf16> {
  %0 = ds.log %x : tensor<?x8xbf16>
  return %0 : tensor<?x8xbf16>
}

// -----

// CHECK-LABEL: func @sqrt
// CHECK: ds.sqrt %arg0 : tensor<4xf8E5M2>
func.func @sqrt(%x: tensor<4xf8E5M2>) -> tensor<4xf8E5M2> {
  %0 = ds.sqrt %x : tensor<4xf8E5M2>
  return %0 : tensor<4xf8E5M2>
}

// -----

// CHECK-LABEL: func @rsqrt
// CHECK: ds.rsqrt %arg0 : tensor<2x?xf16>
func.func @rsqrt(%x: tensor<2x?xf16>) -> tensor<2x?xf16> {
  %0 = ds.rsqrt %x : tensor<2x?xf16>
  return %0 : tensor<2x?xf16>
}

// -----

// CHECK-LABEL: func @tanh
// CHECK: ds.tanh %arg0 : tensor<f32>
func.func @tanh(%x: tensor<f32>) -> tensor<f32> {
  %0 = ds.tanh %x : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @sigmoid
// CHECK: ds.sigmoid %arg0 : tensor<2x16xbf16>
func.func @sigmoid(%x: tensor<2x16xbf16>) -> tensor<2x16xbf16> {
  %0 = ds.sigmoid %x : tensor<2x16xbf16>
  return %0 : tensor<2x16xbf16>
}

// -----

// CHECK-LABEL: func @silu
// CHECK: ds.silu %arg0 : tensor<0x4xf32>
func.func @silu(%x: tensor<0x4xf32>) -> tensor<0x4xf32> {
  %0 = ds.silu %x : tensor<0x4xf32>
  return %0 : tensor<0x4xf32>
}

// -----

// Extra attributes go through the attr-dict.
// CHECK-LABEL: func @unary_attr_dict
// CHECK: ds.exp %arg0 {tag = 1 : i32} : tensor<4xf32>
func.func @unary_attr_dict(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = ds.exp %x {tag = 1 : i32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @gelu_default
// CHECK: ds.gelu %arg0 : tensor<4x8xf32>
func.func @gelu_default(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = ds.gelu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// `approximate = none` is the default and is not printed.
// CHECK-LABEL: func @gelu_none_elided
// CHECK: ds.gelu %arg0 : tensor<4x8xbf16>
// CHECK-NOT: approximate
func.func @gelu_none_elided(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %0 = ds.gelu %x approximate = none : tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// -----

// CHECK-LABEL: func @gelu_tanh
// CHECK: ds.gelu %arg0 approximate = tanh : tensor<?x8xf16>
func.func @gelu_tanh(%x: tensor<?x8xf16>) -> tensor<?x8xf16> {
  %0 = ds.gelu %x approximate = tanh : tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// -----

// The generic form may leave the defaulted attribute out.
// CHECK-LABEL: func @gelu_generic_without_attribute
// CHECK: ds.gelu %arg0 : tensor<4xf32>
func.func @gelu_generic_without_attribute(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "ds.gelu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @sin_cos
// CHECK: ds.sin %arg0 : tensor<4x8xf32>
// CHECK: ds.cos %arg0 : tensor<4x8xf32>
// CHECK: ds.sin %arg1 : tensor<?x16xbf16>
// CHECK: ds.cos %arg1 : tensor<?x16xbf16>
func.func @sin_cos(%x: tensor<4x8xf32>, %b: tensor<?x16xbf16>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<?x16xbf16>, tensor<?x16xbf16>) {
  %0 = ds.sin %x : tensor<4x8xf32>
  %1 = ds.cos %x : tensor<4x8xf32>
  %2 = ds.sin %b : tensor<?x16xbf16>
  %3 = ds.cos %b : tensor<?x16xbf16>
  return %0, %1, %2, %3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<?x16xbf16>, tensor<?x16xbf16>
}

// -----

// ds.gelu_grad with the default (`none`, elided when given) and `tanh`.
// CHECK-LABEL: func @gelu_grad
// CHECK: ds.gelu_grad %arg0, %arg1 : tensor<4x8xf32>
// CHECK: ds.gelu_grad %arg0, %arg1 : tensor<4x8xf32>
// CHECK: ds.gelu_grad %arg2, %arg3 approximate = tanh : tensor<?x8xf16>
func.func @gelu_grad(%x: tensor<4x8xf32>, %dy: tensor<4x8xf32>, %h: tensor<?x8xf16>, %dh: tensor<?x8xf16>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<?x8xf16>) {
  %0 = ds.gelu_grad %x, %dy : tensor<4x8xf32>
  %1 = ds.gelu_grad %x, %dy approximate = none : tensor<4x8xf32>
  %2 = ds.gelu_grad %h, %dh approximate = tanh : tensor<?x8xf16>
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<?x8xf16>
}
