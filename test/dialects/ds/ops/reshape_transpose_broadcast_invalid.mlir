// Each verifier rule of ds.reshape, ds.transpose and ds.broadcast.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @reshape_element_count(%x: tensor<4x8xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'ds.reshape' op cannot reshape [4, 8] (32 elements) to [4, 4]}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// The static result dims must divide the element count.
func.func @reshape_dynamic_dim_does_not_divide(%x: tensor<4x8xf32>) -> tensor<?x5xf32> {
  // expected-error@+1 {{'ds.reshape' op cannot reshape [4, 8] (32 elements) to [?, 5]}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @reshape_nonempty_to_zero_dim(%x: tensor<4x8xf32>) -> tensor<?x0xf32> {
  // expected-error@+1 {{'ds.reshape' op cannot reshape [4, 8] (32 elements) to [?, 0]}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}

// -----

func.func @reshape_to_rank0(%x: tensor<2xf32>) -> tensor<f32> {
  // expected-error@+1 {{'ds.reshape' op cannot reshape [2] (2 elements) to []}}
  %0 = ds.reshape %x : tensor<2xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @reshape_two_dynamic_dims(%x: tensor<4x8xf32>) -> tensor<?x?xf32> {
  // expected-error@+1 {{'ds.reshape' op result shape [?, ?] has more than one dynamic dimension}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// The one-dynamic-dim rule holds for dynamic inputs too.
func.func @reshape_two_dynamic_dims_dynamic_input(%x: tensor<?x8xf32>) -> tensor<?x2x?xf32> {
  // expected-error@+1 {{'ds.reshape' op result shape [?, 2, ?] has more than one dynamic dimension}}
  %0 = ds.reshape %x : tensor<?x8xf32> -> tensor<?x2x?xf32>
  return %0 : tensor<?x2x?xf32>
}

// -----

func.func @reshape_element_type(%x: tensor<4x8xf32>) -> tensor<32xbf16> {
  // expected-error@+1 {{'ds.reshape' op result element type 'bf16' differs from the input's 'f32'}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<32xbf16>
  return %0 : tensor<32xbf16>
}

// -----

func.func @reshape_unranked(%x: tensor<*xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.reshape' op operand #0 must be ranked tensor of}}
  %0 = "ds.reshape"(%x) : (tensor<*xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @transpose_wrong_length(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error@+2 {{'ds.transpose' op permutation has 1 entries but the input has rank 2}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [0] : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @transpose_repeated_entry(%x: tensor<2x3xf32>) -> tensor<3x3xf32> {
  // expected-error@+2 {{'ds.transpose' op permutation [1, 1] is not a permutation of [0, 2)}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [1, 1] : tensor<2x3xf32> -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

func.func @transpose_entry_out_of_range(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+2 {{'ds.transpose' op permutation [0, 2] is not a permutation of [0, 2)}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [0, 2] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @transpose_negative_entry(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error@+2 {{'ds.transpose' op permutation [-1, 0] is not a permutation of [0, 2)}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [-1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_result_not_permuted(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+2 {{'ds.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @transpose_result_element_type(%x: tensor<2x3xi32>) -> tensor<3x2xi64> {
  // expected-error@+2 {{'ds.transpose' op inferred type(s) 'tensor<3x2xi32>' are incompatible with return type(s) of operation 'tensor<3x2xi64>'}}
  // expected-error@+1 {{'ds.transpose' op failed to infer returned types}}
  %0 = ds.transpose %x permutation = [1, 0] : tensor<2x3xi32> -> tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}

// -----

func.func @broadcast_dim_mismatch(%x: tensor<8xf32>) -> tensor<4x7xf32> {
  // expected-error@+1 {{'ds.broadcast' op cannot broadcast [8] to [4, 7]: input dimension 0 is 8 but result dimension 1 is 7 (must be equal, or the input's 1)}}
  %0 = ds.broadcast %x : tensor<8xf32> -> tensor<4x7xf32>
  return %0 : tensor<4x7xf32>
}

// -----

// Shapes align at the trailing dimension, not the leading one.
func.func @broadcast_aligned_trailing(%x: tensor<8xf32>) -> tensor<8x1xf32> {
  // expected-error@+1 {{'ds.broadcast' op cannot broadcast [8] to [8, 1]: input dimension 0 is 8 but result dimension 1 is 1 (must be equal, or the input's 1)}}
  %0 = ds.broadcast %x : tensor<8xf32> -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// -----

func.func @broadcast_middle_dim_mismatch(%x: tensor<2x1x4xi32>) -> tensor<3x5x6x4xi32> {
  // expected-error@+1 {{'ds.broadcast' op cannot broadcast [2, 1, 4] to [3, 5, 6, 4]: input dimension 0 is 2 but result dimension 1 is 5 (must be equal, or the input's 1)}}
  %0 = ds.broadcast %x : tensor<2x1x4xi32> -> tensor<3x5x6x4xi32>
  return %0 : tensor<3x5x6x4xi32>
}

// -----

func.func @broadcast_rank_decreases(%x: tensor<4x8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'ds.broadcast' op cannot broadcast rank-2 input to a rank-1 result (the result rank must not be smaller)}}
  %0 = ds.broadcast %x : tensor<4x8xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @broadcast_element_type(%x: tensor<8xf32>) -> tensor<4x8xf16> {
  // expected-error@+1 {{'ds.broadcast' op result element type 'f16' differs from the input's 'f32'}}
  %0 = ds.broadcast %x : tensor<8xf32> -> tensor<4x8xf16>
  return %0 : tensor<4x8xf16>
}

// -----

func.func @reshape_count_overflow(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'ds.reshape' op element count of [4, 8] or [32, 576460752303423489] overflows 64 bits}}
  %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<32x576460752303423489xf32>
  return
}

// -----

func.func @reshape_dynamic_input_static_mismatch(%x: tensor<?x8xf32>) {
  // expected-error@+1 {{'ds.reshape' op cannot reshape [?, 8] to [3, 5] (15 elements)}}
  %0 = ds.reshape %x : tensor<?x8xf32> -> tensor<3x5xf32>
  return
}
