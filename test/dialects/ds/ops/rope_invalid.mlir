// Each verifier rule of ds.rope. The result type is inferred, so a broken rule
// is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @input_rank_2(%x: tensor<16x64xf32>, %pos: tensor<16xi32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rope' op operand #0 (input) must have rank >= 3 [..., T, H, D], got [16, 64]}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<16x64xf32>, tensor<16xi32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @positions_wrong_length(%x: tensor<2x16x4x64xf32>, %pos: tensor<15xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op operand #1 (positions) of shape [15] must be [2, 16] or [16] for an input of shape [2, 16, 4, 64]}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<15xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// Positions are indexed by the batch and sequence dimensions, not the batch
// alone.
func.func @positions_batch_only(%x: tensor<2x16x4x64xf32>, %pos: tensor<2xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op operand #1 (positions) of shape [2] must be [2, 16] or [16] for an input of shape [2, 16, 4, 64]}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<2xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// Positions do not broadcast: a batch dimension of 1 is not the input's 2.
func.func @positions_broadcast_batch(%x: tensor<2x16x4x64xf32>, %pos: tensor<1x16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op operand #1 (positions) of shape [1, 16] must be [2, 16] or [16] for an input of shape [2, 16, 4, 64]}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<1x16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @positions_include_heads(%x: tensor<2x16x4x64xf32>, %pos: tensor<2x16x4xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op operand #1 (positions) of shape [2, 16, 4] must be [2, 16] or [16] for an input of shape [2, 16, 4, 64]}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<2x16x4xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @positions_float(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xf32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+1 {{'ds.rope' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<16xf32>'}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xf32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @positions_i16(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi16>) -> tensor<2x16x4x64xf32> {
  // expected-error@+1 {{'ds.rope' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<16xi16>'}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xi16>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @dim_odd(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op dim must be even and positive, got 63}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = 63 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @dim_zero(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op dim must be even and positive, got 0}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = 0 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @dim_negative(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op dim must be even and positive, got -2}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = -2 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @channels_past_head_dim(%x: tensor<2x16x4x192xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x192xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [160, 160 + 64) do not fit the head dimension 192}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 160 dim = 64 : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
  return %0 : tensor<2x16x4x192xf32>
}

// -----

func.func @dim_larger_than_head(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [0, 0 + 128) do not fit the head dimension 64}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 128 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// offset + dim would overflow 64 bits: still reported, not wrapped around.
func.func @offset_overflow(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [9223372036854775807, 9223372036854775807 + 2) do not fit the head dimension 64}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 9223372036854775807 dim = 2 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @offset_negative(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [-2, -2 + 32) do not fit the head dimension 64}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = -2 dim = 32 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// A negative offset is wrong even when the head dimension is dynamic.
func.func @offset_negative_dynamic(%x: tensor<2x16x4x?xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x?xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [-2, -2 + 32) do not fit the head dimension}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = -2 dim = 32 : (tensor<2x16x4x?xf32>, tensor<16xi32>) -> tensor<2x16x4x?xf32>
  return %0 : tensor<2x16x4x?xf32>
}

// -----

func.func @theta_one(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op theta must be finite and > 1, got 1.000000e+00}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @theta_negative(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op theta must be finite and > 1, got -1.000000e+04}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = -1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @theta_infinite(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op theta must be finite and > 1, got INF}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 0x7FF0000000000000 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @unknown_style(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+1 {{custom op 'ds.rope' expected string or keyword containing one of the following enum values for attribute 'style' [interleaved, half]}}
  %0 = ds.rope %x, %pos style = neox theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @result_type(%x: tensor<2x16x4x64xbf16>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+2 {{'ds.rope' op inferred type(s) 'tensor<2x16x4x64xbf16>' are incompatible with return type(s) of operation 'tensor<2x16x4x64xf32>'}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 : (tensor<2x16x4x64xbf16>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

func.func @negative_offset_dynamic_head(%x: tensor<2x16x4x?xf32>, %p: tensor<16xi32>) {
  // expected-error@+2 {{'ds.rope' op rotated channels [-2, -2 + 32) do not fit the head dimension ?}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %p style = half theta = 1.0e+04 offset = -2 dim = 32 : (tensor<2x16x4x?xf32>, tensor<16xi32>) -> tensor<2x16x4x?xf32>
  return
}

// -----

// `adjoint` is a unit attribute: present or absent, no value.
func.func @adjoint_not_unit(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+1 {{'ds.rope' op attribute 'adjoint' failed to satisfy constraint: unit attribute}}
  %0 = "ds.rope"(%x, %pos) {style = 1 : i32, theta = 1.0e+04 : f64, offset = 0 : i64, dim = 64 : i64, adjoint = true} : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}

// -----

// The adjoint checks the same rules as the rotation.
func.func @adjoint_channels_past_head_dim(%x: tensor<2x16x4x192xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x192xf32> {
  // expected-error@+2 {{'ds.rope' op rotated channels [160, 160 + 64) do not fit the head dimension 192}}
  // expected-error@+1 {{'ds.rope' op failed to infer returned types}}
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 160 dim = 64 adjoint : (tensor<2x16x4x192xf32>, tensor<16xi32>) -> tensor<2x16x4x192xf32>
  return %0 : tensor<2x16x4x192xf32>
}

// -----

// `adjoint` follows the YaRN parameters.
func.func @adjoint_before_yarn(%x: tensor<2x16x4x64xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x64xf32> {
  // expected-error@+1 {{expected ':'}}
  %0 = ds.rope %x, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 adjoint yarn = <factor = 40.0, original_max_position = 4096> : (tensor<2x16x4x64xf32>, tensor<16xi32>) -> tensor<2x16x4x64xf32>
  return %0 : tensor<2x16x4x64xf32>
}
