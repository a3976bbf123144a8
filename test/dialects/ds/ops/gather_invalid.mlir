// Each verifier rule of ds.gather.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<3xf32>) -> tensor<3x4xf32> {
  // expected-error@+1 {{'ds.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = ds.gather %t, %i axis = 0 : (tensor<10x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gather_i16_indices(%t: tensor<10x4xf32>, %i: tensor<3xi16>) -> tensor<3x4xf32> {
  // expected-error@+1 {{'ds.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi16>'}}
  %0 = ds.gather %t, %i axis = 0 : (tensor<10x4xf32>, tensor<3xi16>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gather_axis_out_of_range(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<10x4x3xf32> {
  // expected-error@+2 {{'ds.gather' op axis 2 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.gather' op failed to infer returned types}}
  %0 = ds.gather %t, %i axis = 2 : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<10x4x3xf32>
  return %0 : tensor<10x4x3xf32>
}

// -----

func.func @gather_negative_axis(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<10x3xf32> {
  // expected-error@+2 {{'ds.gather' op axis -1 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  // expected-error@+1 {{'ds.gather' op failed to infer returned types}}
  %0 = ds.gather %t, %i axis = -1 : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

func.func @gather_rank0_input(%t: tensor<f32>, %i: tensor<3xi32>) -> tensor<3xf32> {
  // expected-error@+2 {{'ds.gather' op axis 0 is out of range for a rank-0 operand (expected 0 <= axis < 0)}}
  // expected-error@+1 {{'ds.gather' op failed to infer returned types}}
  %0 = ds.gather %t, %i axis = 0 : (tensor<f32>, tensor<3xi32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// The indices' shape replaces the axis in place, not at the end.
func.func @gather_wrong_result_shape(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<4x3xf32> {
  // expected-error@+2 {{'ds.gather' op inferred type(s) 'tensor<3x4xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error@+1 {{'ds.gather' op failed to infer returned types}}
  %0 = ds.gather %t, %i axis = 0 : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// The result takes the input's element type, not the indices'.
func.func @gather_wrong_result_element_type(%t: tensor<10x4xbf16>, %i: tensor<3xi32>) -> tensor<3x4xi32> {
  // expected-error@+2 {{'ds.gather' op inferred type(s) 'tensor<3x4xbf16>' are incompatible with return type(s) of operation 'tensor<3x4xi32>'}}
  // expected-error@+1 {{'ds.gather' op failed to infer returned types}}
  %0 = ds.gather %t, %i axis = 0 : (tensor<10x4xbf16>, tensor<3xi32>) -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// -----

func.func @gather_missing_axis(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<3x4xf32> {
  // expected-error@+1 {{'ds.gather' op requires attribute 'axis'}}
  %0 = "ds.gather"(%t, %i) : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
