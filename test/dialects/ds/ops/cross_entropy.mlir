// Round trip of ds.cross_entropy: parse, print, parse again, in both the custom
// and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// The default ignore_index (-100) is not printed.
// CHECK-LABEL: func @cross_entropy
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x16x1000xf32>, tensor<2x16xi32>) -> tensor<f32>
func.func @cross_entropy(%logits: tensor<2x16x1000xf32>, %targets: tensor<2x16xi32>) -> tensor<f32> {
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x16x1000xf32>, tensor<2x16xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Spelling out the default is the same as leaving it out.
// CHECK-LABEL: func @cross_entropy_explicit_default
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x16x1000xf32>, tensor<2x16xi32>) -> tensor<f32>
func.func @cross_entropy_explicit_default(%logits: tensor<2x16x1000xf32>, %targets: tensor<2x16xi32>) -> tensor<f32> {
  %0 = ds.cross_entropy %logits, %targets ignore_index = -100 : (tensor<2x16x1000xf32>, tensor<2x16xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @cross_entropy_ignore_index
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} ignore_index = 0 : (tensor<16x32xbf16>, tensor<16xi64>) -> tensor<f32>
func.func @cross_entropy_ignore_index(%logits: tensor<16x32xbf16>, %targets: tensor<16xi64>) -> tensor<f32> {
  %0 = ds.cross_entropy %logits, %targets ignore_index = 0 : (tensor<16x32xbf16>, tensor<16xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// f64 logits give an f64 loss.
// CHECK-LABEL: func @cross_entropy_f64
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} ignore_index = -1 : (tensor<8x10xf64>, tensor<8xi32>) -> tensor<f64>
func.func @cross_entropy_f64(%logits: tensor<8x10xf64>, %targets: tensor<8xi32>) -> tensor<f64> {
  %0 = ds.cross_entropy %logits, %targets ignore_index = -1 : (tensor<8x10xf64>, tensor<8xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// -----

// A single position: rank-1 logits and rank-0 targets.
// CHECK-LABEL: func @cross_entropy_single
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<10xf16>, tensor<i32>) -> tensor<f32>
func.func @cross_entropy_single(%logits: tensor<10xf16>, %targets: tensor<i32>) -> tensor<f32> {
  %0 = ds.cross_entropy %logits, %targets : (tensor<10xf16>, tensor<i32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func @cross_entropy_dynamic
// CHECK: ds.cross_entropy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<?x?x?xf32>, tensor<4x?xi32>) -> tensor<f32>
func.func @cross_entropy_dynamic(%logits: tensor<?x?x?xf32>, %targets: tensor<4x?xi32>) -> tensor<f32> {
  %0 = ds.cross_entropy %logits, %targets : (tensor<?x?x?xf32>, tensor<4x?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}
