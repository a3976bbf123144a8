// Round trip of ds.rope: parse, print, parse again, in both the custom and the
// generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// DeepSeek's layout: the last 64 of 192 channels rotate, positions shared by
// the batch.
// CHECK-LABEL: func @rope_interleaved
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = interleaved theta = 1.000000e+04 offset = 128 dim = 64 : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
func.func @rope_interleaved(%q: tensor<2x16x4x192xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x192xf32> {
  %0 = ds.rope %q, %pos style = interleaved theta = 1.0e+04 offset = 128 dim = 64 : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
  return %0 : tensor<2x16x4x192xf32>
}

// -----

// Llama's layout: the whole head rotates, positions per batch row.
// CHECK-LABEL: func @rope_half
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = half theta = 5.000000e+05 offset = 0 dim = 64 : (tensor<2x16x8x64xbf16>, tensor<2x16xi64>) -> tensor<2x16x8x64xbf16>
func.func @rope_half(%q: tensor<2x16x8x64xbf16>, %pos: tensor<2x16xi64>) -> tensor<2x16x8x64xbf16> {
  %0 = ds.rope %q, %pos style = half theta = 5.0e+05 offset = 0 dim = 64 : (tensor<2x16x8x64xbf16>, tensor<2x16xi64>) -> tensor<2x16x8x64xbf16>
  return %0 : tensor<2x16x8x64xbf16>
}

// -----

// YaRN with only the required parameters; the defaults are not printed.
// CHECK-LABEL: func @rope_interleaved_yarn
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = interleaved theta = 1.000000e+04 offset = 128 dim = 64 yarn = <factor = 4.000000e+01, original_max_position = 4096> : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
func.func @rope_interleaved_yarn(%q: tensor<2x16x4x192xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x192xf32> {
  %0 = ds.rope %q, %pos style = interleaved theta = 1.0e+04 offset = 128 dim = 64 yarn = <factor = 40.0, original_max_position = 4096> : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
  return %0 : tensor<2x16x4x192xf32>
}

// -----

// YaRN with every parameter given.
// CHECK-LABEL: func @rope_half_yarn
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = half theta = 1.000000e+04 offset = 0 dim = 64 yarn = <factor = 4.000000e+01, original_max_position = 4096, beta_fast = 6.400000e+01, beta_slow = 2.000000e+00, mscale = 7.070000e-01, mscale_all_dim = 7.070000e-01> : (tensor<1x8x2x64xf32>, tensor<1x8xi32>) -> tensor<1x8x2x64xf32>
func.func @rope_half_yarn(%k: tensor<1x8x2x64xf32>, %pos: tensor<1x8xi32>) -> tensor<1x8x2x64xf32> {
  %0 = ds.rope %k, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 yarn = <factor = 40.0, original_max_position = 4096, beta_fast = 64.0, beta_slow = 2.0, mscale = 0.707, mscale_all_dim = 0.707> : (tensor<1x8x2x64xf32>, tensor<1x8xi32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// Rank 3: [T, H, D] without a batch dimension.
// CHECK-LABEL: func @rope_rank3
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = interleaved theta = 1.000000e+04 offset = 2 dim = 4 : (tensor<16x4x8xf16>, tensor<16xi32>) -> tensor<16x4x8xf16>
func.func @rope_rank3(%k: tensor<16x4x8xf16>, %pos: tensor<16xi32>) -> tensor<16x4x8xf16> {
  %0 = ds.rope %k, %pos style = interleaved theta = 1.0e+04 offset = 2 dim = 4 : (tensor<16x4x8xf16>, tensor<16xi32>) -> tensor<16x4x8xf16>
  return %0 : tensor<16x4x8xf16>
}

// -----

// Rank 5: positions [B1, B2, T].
// CHECK-LABEL: func @rope_rank5
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = half theta = 1.000000e+04 offset = 0 dim = 8 : (tensor<3x2x16x4x8xf32>, tensor<3x2x16xi32>) -> tensor<3x2x16x4x8xf32>
func.func @rope_rank5(%k: tensor<3x2x16x4x8xf32>, %pos: tensor<3x2x16xi32>) -> tensor<3x2x16x4x8xf32> {
  %0 = ds.rope %k, %pos style = half theta = 1.0e+04 offset = 0 dim = 8 : (tensor<3x2x16x4x8xf32>, tensor<3x2x16xi32>) -> tensor<3x2x16x4x8xf32>
  return %0 : tensor<3x2x16x4x8xf32>
}

// -----

// With a dynamic head dimension, whether the channels fit is a run-time fact.
// CHECK-LABEL: func @rope_dynamic
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = interleaved theta = 1.000000e+04 offset = 64 dim = 64 : (tensor<?x?x?x?xf32>, tensor<?xi32>) -> tensor<?x?x?x?xf32>
func.func @rope_dynamic(%q: tensor<?x?x?x?xf32>, %pos: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %0 = ds.rope %q, %pos style = interleaved theta = 1.0e+04 offset = 64 dim = 64 : (tensor<?x?x?x?xf32>, tensor<?xi32>) -> tensor<?x?x?x?xf32>
  return %0 : tensor<?x?x?x?xf32>
}

// -----

// Dynamic positions shape against a static sequence length.
// CHECK-LABEL: func @rope_dynamic_positions
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = half theta = 1.000000e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<?x?xi64>) -> tensor<2x16x4x64xf32>
func.func @rope_dynamic_positions(%q: tensor<2x16x4x64xf32>, %pos: tensor<?x?xi64>) -> tensor<2x16x4x64xf32> {
  %0 = ds.rope %q, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<?x?xi64>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// With `adjoint` the op applies the transpose of the rotation (the backward
// pass); it comes after the YaRN parameters.
// CHECK-LABEL: func @rope_adjoint
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = interleaved theta = 1.000000e+04 offset = 128 dim = 64 adjoint : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
// CHECK: ds.rope %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} style = half theta = 1.000000e+04 offset = 0 dim = 64 yarn = <factor = 4.000000e+01, original_max_position = 4096> adjoint : (tensor<1x8x2x64xbf16>, tensor<1x8xi64>) -> tensor<1x8x2x64xbf16>
func.func @rope_adjoint(%dq: tensor<2x16x4x192xf32>, %pos: tensor<16xi32>, %dk: tensor<1x8x2x64xbf16>, %pos2: tensor<1x8xi64>) -> (tensor<2x16x4x192xf32>, tensor<1x8x2x64xbf16>) {
  %0 = ds.rope %dq, %pos style = interleaved theta = 1.0e+04 offset = 128 dim = 64 adjoint : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
  %1 = ds.rope %dk, %pos2 style = half theta = 1.0e+04 offset = 0 dim = 64 yarn = <factor = 40.0, original_max_position = 4096> adjoint : (tensor<1x8x2x64xbf16>, tensor<1x8xi64>) -> tensor<1x8x2x64xbf16>
  return %0, %1 : tensor<2x16x4x192xf32>, tensor<1x8x2x64xbf16>
}
