// Round trip of ds.matmul: parse, print, parse again, in both the custom and
// the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func @matmul_f32
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
func.func @matmul_f32(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_transpose_lhs
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_lhs : (tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
func.func @matmul_transpose_lhs(%a: tensor<8x4xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b transpose_lhs : (tensor<8x4xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_transpose_rhs
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_rhs : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
func.func @matmul_transpose_rhs(%a: tensor<4x8xf32>, %b: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b transpose_rhs : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_transpose_both
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_lhs transpose_rhs : (tensor<8x4xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
func.func @matmul_transpose_both(%a: tensor<8x4xf32>, %b: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b transpose_lhs transpose_rhs : (tensor<8x4xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// A rank-3 activation times a rank-2 weight: the weight broadcasts over the
// batch dimension.
// CHECK-LABEL: func @matmul_batched_weight
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_rhs : (tensor<2x16x64xbf16>, tensor<256x64xbf16>) -> tensor<2x16x256xf32>
func.func @matmul_batched_weight(%x: tensor<2x16x64xbf16>, %w: tensor<256x64xbf16>) -> tensor<2x16x256xf32> {
  %0 = ds.matmul %x, %w transpose_rhs : (tensor<2x16x64xbf16>, tensor<256x64xbf16>) -> tensor<2x16x256xf32>
  return %0 : tensor<2x16x256xf32>
}

// -----

// Batch dimensions broadcast like NumPy's: [1, 3] with [5, 1] is [5, 3].
// CHECK-LABEL: func @matmul_batch_broadcast
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<1x3x4x8xf32>, tensor<5x1x8x2xf32>) -> tensor<5x3x4x2xf32>
func.func @matmul_batch_broadcast(%a: tensor<1x3x4x8xf32>, %b: tensor<5x1x8x2xf32>) -> tensor<5x3x4x2xf32> {
  %0 = ds.matmul %a, %b : (tensor<1x3x4x8xf32>, tensor<5x1x8x2xf32>) -> tensor<5x3x4x2xf32>
  return %0 : tensor<5x3x4x2xf32>
}

// -----

// The batch dimensions may come from the right operand alone.
// CHECK-LABEL: func @matmul_rhs_batched
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_lhs : (tensor<8x4xf32>, tensor<2x3x8x16xf32>) -> tensor<2x3x4x16xf32>
func.func @matmul_rhs_batched(%a: tensor<8x4xf32>, %b: tensor<2x3x8x16xf32>) -> tensor<2x3x4x16xf32> {
  %0 = ds.matmul %a, %b transpose_lhs : (tensor<8x4xf32>, tensor<2x3x8x16xf32>) -> tensor<2x3x4x16xf32>
  return %0 : tensor<2x3x4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_bf16
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xbf16>, tensor<8x16xbf16>) -> tensor<4x16xbf16>
func.func @matmul_bf16(%a: tensor<4x8xbf16>, %b: tensor<8x16xbf16>) -> tensor<4x16xbf16> {
  %0 = ds.matmul %a, %b : (tensor<4x8xbf16>, tensor<8x16xbf16>) -> tensor<4x16xbf16>
  return %0 : tensor<4x16xbf16>
}

// -----

// CHECK-LABEL: func @matmul_bf16_to_f32
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xbf16>, tensor<8x16xbf16>) -> tensor<4x16xf32>
func.func @matmul_bf16_to_f32(%a: tensor<4x8xbf16>, %b: tensor<8x16xbf16>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b : (tensor<4x8xbf16>, tensor<8x16xbf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_f16_to_f32
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xf16>, tensor<8x16xf16>) -> tensor<4x16xf32>
func.func @matmul_f16_to_f32(%a: tensor<4x8xf16>, %b: tensor<8x16xf16>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b : (tensor<4x8xf16>, tensor<8x16xf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// CHECK-LABEL: func @matmul_f64
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xf64>, tensor<8x16xf64>) -> tensor<4x16xf64>
func.func @matmul_f64(%a: tensor<4x8xf64>, %b: tensor<8x16xf64>) -> tensor<4x16xf64> {
  %0 = ds.matmul %a, %b : (tensor<4x8xf64>, tensor<8x16xf64>) -> tensor<4x16xf64>
  return %0 : tensor<4x16xf64>
}

// -----

// CHECK-LABEL: func @matmul_fp8_e4m3_to_f32
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} transpose_rhs : (tensor<4x8xf8E4M3FN>, tensor<16x8xf8E4M3FN>) -> tensor<4x16xf32>
func.func @matmul_fp8_e4m3_to_f32(%a: tensor<4x8xf8E4M3FN>, %b: tensor<16x8xf8E4M3FN>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b transpose_rhs : (tensor<4x8xf8E4M3FN>, tensor<16x8xf8E4M3FN>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// E4M3FN and E5M2 may mix; the result is then f32.
// CHECK-LABEL: func @matmul_fp8_mixed_to_f32
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xf8E4M3FN>, tensor<8x16xf8E5M2>) -> tensor<4x16xf32>
func.func @matmul_fp8_mixed_to_f32(%a: tensor<4x8xf8E4M3FN>, %b: tensor<8x16xf8E5M2>) -> tensor<4x16xf32> {
  %0 = ds.matmul %a, %b : (tensor<4x8xf8E4M3FN>, tensor<8x16xf8E5M2>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Same fp8 type on both sides: the result may keep it.
// CHECK-LABEL: func @matmul_fp8_e5m2_same
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<4x8xf8E5M2>, tensor<8x16xf8E5M2>) -> tensor<4x16xf8E5M2>
func.func @matmul_fp8_e5m2_same(%a: tensor<4x8xf8E5M2>, %b: tensor<8x16xf8E5M2>) -> tensor<4x16xf8E5M2> {
  %0 = ds.matmul %a, %b : (tensor<4x8xf8E5M2>, tensor<8x16xf8E5M2>) -> tensor<4x16xf8E5M2>
  return %0 : tensor<4x16xf8E5M2>
}

// -----

// Dynamic M, K and N; the contraction sizes are checked at run time.
// CHECK-LABEL: func @matmul_dynamic
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x?xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
func.func @matmul_dynamic(%a: tensor<?x?xf32>, %b: tensor<8x?xf32>) -> tensor<?x?xf32> {
  %0 = ds.matmul %a, %b : (tensor<?x?xf32>, tensor<8x?xf32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A dynamic batch dimension broadcast against a static one takes the static
// size; against a missing one it stays dynamic.
// CHECK-LABEL: func @matmul_dynamic_batch
// CHECK: ds.matmul %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x?x4x8xf32>, tensor<3x8x2xf32>) -> tensor<?x3x4x2xf32>
func.func @matmul_dynamic_batch(%a: tensor<?x?x4x8xf32>, %b: tensor<3x8x2xf32>) -> tensor<?x3x4x2xf32> {
  %0 = ds.matmul %a, %b : (tensor<?x?x4x8xf32>, tensor<3x8x2xf32>) -> tensor<?x3x4x2xf32>
  return %0 : tensor<?x3x4x2xf32>
}
