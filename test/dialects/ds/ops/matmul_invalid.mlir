// Each verifier rule of ds.matmul.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @lhs_rank_1(%a: tensor<8xf32>, %b: tensor<8x16xf32>) -> tensor<16xf32> {
  // expected-error@+1 {{'ds.matmul' op operands must have rank >= 2 (matrices, optionally batched), got [8] and [8, 16]}}
  %0 = ds.matmul %a, %b : (tensor<8xf32>, tensor<8x16xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @rhs_rank_1(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.matmul' op operands must have rank >= 2 (matrices, optionally batched), got [4, 8] and [8]}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @mismatched_float_types(%a: tensor<4x8xf32>, %b: tensor<8x16xbf16>) -> tensor<4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op operand #1 has element type 'bf16' but operand #0 has 'f32' (they must be equal, or both fp8)}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xbf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @fp8_with_bf16(%a: tensor<4x8xf8E4M3FN>, %b: tensor<8x16xbf16>) -> tensor<4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op operand #1 has element type 'bf16' but operand #0 has 'f8E4M3FN' (they must be equal, or both fp8)}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf8E4M3FN>, tensor<8x16xbf16>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @integer_operand(%a: tensor<4x8xi32>, %b: tensor<8x16xi32>) -> tensor<4x16xi32> {
  // expected-error@+1 {{'ds.matmul' op operand #0 must be ranked tensor of}}
  %0 = ds.matmul %a, %b : (tensor<4x8xi32>, tensor<8x16xi32>) -> tensor<4x16xi32>
  return %0 : tensor<4x16xi32>
}

// -----

func.func @bf16_to_f16(%a: tensor<4x8xbf16>, %b: tensor<8x16xbf16>) -> tensor<4x16xf16> {
  // expected-error@+1 {{'ds.matmul' op result element type 'f16' must be the operands' type or f32 (f64 for f64 operands), got operands of 'bf16' and 'bf16'}}
  %0 = ds.matmul %a, %b : (tensor<4x8xbf16>, tensor<8x16xbf16>) -> tensor<4x16xf16>
  return %0 : tensor<4x16xf16>
}

// -----

func.func @f32_to_bf16(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xbf16> {
  // expected-error@+1 {{'ds.matmul' op result element type 'bf16' must be the operands' type or f32}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xbf16>
  return %0 : tensor<4x16xbf16>
}

// -----

func.func @f64_to_f32(%a: tensor<4x8xf64>, %b: tensor<8x16xf64>) -> tensor<4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op result element type 'f32' must be the operands' type or f32 (f64 for f64 operands), got operands of 'f64' and 'f64'}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf64>, tensor<8x16xf64>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Mixed fp8 operands have no common type to keep: the result must be f32.
func.func @fp8_mixed_to_fp8(%a: tensor<4x8xf8E4M3FN>, %b: tensor<8x16xf8E5M2>) -> tensor<4x16xf8E4M3FN> {
  // expected-error@+1 {{'ds.matmul' op result element type 'f8E4M3FN' must be the operands' type or f32 (f64 for f64 operands), got operands of 'f8E4M3FN' and 'f8E5M2'}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf8E4M3FN>, tensor<8x16xf8E5M2>) -> tensor<4x16xf8E4M3FN>
  return %0 : tensor<4x16xf8E4M3FN>
}

// -----

func.func @contraction_mismatch(%a: tensor<4x8xf32>, %b: tensor<7x16xf32>) -> tensor<4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op contraction sizes differ: operand #0 [4, 8] has K = 8 but operand #1 [7, 16] has K = 7}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<7x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Without transpose_rhs, K is the weight's first dimension.
func.func @contraction_missing_transpose(%x: tensor<2x16x64xf32>, %w: tensor<256x64xf32>) -> tensor<2x16x256xf32> {
  // expected-error@+1 {{'ds.matmul' op contraction sizes differ: operand #0 [2, 16, 64] has K = 64 but operand #1 [256, 64] has K = 256}}
  %0 = ds.matmul %x, %w : (tensor<2x16x64xf32>, tensor<256x64xf32>) -> tensor<2x16x256xf32>
  return %0 : tensor<2x16x256xf32>
}

// -----

func.func @contraction_mismatch_transposed(%a: tensor<8x4xf32>, %b: tensor<16x6xf32>) -> tensor<4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op contraction sizes differ: operand #0 [8, 4] (transposed) has K = 8 but operand #1 [16, 6] (transposed) has K = 6}}
  %0 = ds.matmul %a, %b transpose_lhs transpose_rhs : (tensor<8x4xf32>, tensor<16x6xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @batch_mismatch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x16xf32>) -> tensor<3x4x16xf32> {
  // expected-error@+1 {{'ds.matmul' op operand #1 of shape [3] does not broadcast with operand #0 of shape [2]: dimension 3 vs. 2 (dimensions must be equal or 1)}}
  %0 = ds.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x16xf32>) -> tensor<3x4x16xf32>
  return %0 : tensor<3x4x16xf32>
}

// -----

func.func @result_shape_mismatch(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<16x4xf32> {
  // expected-error@+1 {{'ds.matmul' op result shape [16, 4] differs from the product's shape [4, 16]}}
  %0 = ds.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<16x4xf32>
  return %0 : tensor<16x4xf32>
}

// -----

// The result keeps the batch dimensions of the broadcast operands.
func.func @result_missing_batch(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>) -> tensor<16x32xf32> {
  // expected-error@+1 {{'ds.matmul' op result shape [16, 32] differs from the product's shape [2, 16, 32]}}
  %0 = ds.matmul %x, %w : (tensor<2x16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}
