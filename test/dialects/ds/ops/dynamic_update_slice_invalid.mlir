// Each verifier rule of ds.dynamic_update_slice. The result type is inferred,
// so a broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf32>, %p: tensor<i32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op axis 3 is out of range for a rank-3 operand (expected 0 <= axis < 3)}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 3 : (tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<i32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @element_types_differ(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf64>, %p: tensor<i32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op the update's element type 'f64' differs from the target's 'f32'}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x1x4xf64>, tensor<i32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @ranks_differ(%c: tensor<2x8x4xf32>, %u: tensor<2x4xf32>, %p: tensor<i32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op the update has rank 2 but the target has rank 3}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x4xf32>, tensor<i32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @update_longer_than_target(%c: tensor<2x8x4xf32>, %u: tensor<2x9x4xf32>, %p: tensor<i32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op the update has shape [2, 9, 4] but the target has shape [2, 8, 4] (only dimension 1, the axis, may be smaller)}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x9x4xf32>, tensor<i32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @other_dimension_differs(%c: tensor<2x8x4xf32>, %u: tensor<2x1x3xf32>, %p: tensor<i32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op the update has shape [2, 1, 3] but the target has shape [2, 8, 4] (only dimension 1, the axis, may be smaller)}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x1x3xf32>, tensor<i32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @start_not_scalar(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf32>, %p: tensor<1xi32>) -> tensor<2x8x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op operand #2 (start) must be a rank-0 integer tensor, got 'tensor<1xi32>'}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<1xi32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @result_type_wrong(%c: tensor<2x8x4xf32>, %u: tensor<2x1x4xf32>, %p: tensor<i32>) -> tensor<2x1x4xf32> {
  // expected-error@+2 {{'ds.dynamic_update_slice' op inferred type(s) 'tensor<2x8x4xf32>' are incompatible with return type(s) of operation 'tensor<2x1x4xf32>'}}
  // expected-error@+1 {{'ds.dynamic_update_slice' op failed to infer returned types}}
  %0 = ds.dynamic_update_slice %c, %u, %p axis = 1 : (tensor<2x8x4xf32>, tensor<2x1x4xf32>, tensor<i32>) -> tensor<2x1x4xf32>
  return %0 : tensor<2x1x4xf32>
}
