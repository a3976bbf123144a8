// Each verifier rule of ds.reduce_sum, ds.reduce_mean and ds.reduce_max.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @reduce_sum_empty_axes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+2 {{'ds.reduce_sum' op axes must name at least one dimension}}
  // expected-error@+1 {{'ds.reduce_sum' op failed to infer returned types}}
  %0 = ds.reduce_sum %x axes = [] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @reduce_sum_axis_out_of_range(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.reduce_sum' op axis 2 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.reduce_sum' op failed to infer returned types}}
  %0 = ds.reduce_sum %x axes = [2] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// No negative (from-the-end) axes.
func.func @reduce_mean_negative_axis(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.reduce_mean' op axis -1 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.reduce_mean' op failed to infer returned types}}
  %0 = ds.reduce_mean %x axes = [-1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_max_duplicate_axis(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.reduce_max' op axis 1 is listed twice in axes}}
  // expected-error@+1 {{'ds.reduce_max' op failed to infer returned types}}
  %0 = ds.reduce_max %x axes = [1, 1] : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The second axis is out of range even though the first is fine.
func.func @reduce_sum_second_axis_out_of_range(%x: tensor<2x3x4xi32>) -> tensor<3xi32> {
  // expected-error@+2 {{'ds.reduce_sum' op axis 3 is out of range for a rank-3 operand (expected 0 <= axis < 3)}}
  // expected-error@+1 {{'ds.reduce_sum' op failed to infer returned types}}
  %0 = ds.reduce_sum %x axes = [0, 3] : tensor<2x3x4xi32> -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// A rank-0 tensor has no axis to reduce.
func.func @reduce_max_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.reduce_max' op axis 0 is out of range for a rank-0 operand (expected 0 <= axis < 0)}}
  // expected-error@+1 {{'ds.reduce_max' op failed to infer returned types}}
  %0 = ds.reduce_max %x axes = [0] : tensor<f32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @reduce_mean_integer(%x: tensor<4x8xi32>) -> tensor<4xi32> {
  // expected-error@+1 {{'ds.reduce_mean' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<4x8xi32>'}}
  %0 = ds.reduce_mean %x axes = [1] : tensor<4x8xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @reduce_sum_i1(%x: tensor<4x8xi1>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.reduce_sum' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4x8xi1>'}}
  %0 = ds.reduce_sum %x axes = [1] : tensor<4x8xi1> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @reduce_max_i1(%x: tensor<4x8xi1>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.reduce_max' op operand #0 must be ranked tensor of}}
  %0 = ds.reduce_max %x axes = [1] : tensor<4x8xi1> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// Without keep_dims the reduced dimension is dropped.
func.func @reduce_sum_dims_kept_without_keep_dims(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  // expected-error@+2 {{'ds.reduce_sum' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error@+1 {{'ds.reduce_sum' op failed to infer returned types}}
  %0 = ds.reduce_sum %x axes = [1] : tensor<4x8xf32> -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// With keep_dims the reduced dimension stays with size 1.
func.func @reduce_max_dims_dropped_with_keep_dims(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.reduce_max' op inferred type(s) 'tensor<4x1xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error@+1 {{'ds.reduce_max' op failed to infer returned types}}
  %0 = ds.reduce_max %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The result keeps the input's element type (accumulation is internal).
func.func @reduce_mean_wrong_result_element_type(%x: tensor<4x8xbf16>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.reduce_mean' op inferred type(s) 'tensor<4xbf16>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error@+1 {{'ds.reduce_mean' op failed to infer returned types}}
  %0 = ds.reduce_mean %x axes = [1] : tensor<4x8xbf16> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @reduce_sum_missing_axes(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.reduce_sum' op requires attribute 'axes'}}
  %0 = "ds.reduce_sum"(%x) : (tensor<4x8xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
