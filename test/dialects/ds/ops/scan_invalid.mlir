// ds.scan's rules: every broken one gives a located error naming it.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @no_stacked(%h: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op needs at least one stacked operand (the number of layers is their leading dimension)}}
  %0 = "ds.scan"(%h) <{callee = @f, operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @layer_counts_differ(%h: tensor<4xf32>, %w: tensor<3x4xf32>, %v: tensor<2x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op stacked operand #1 has 2 layers, but earlier ones have 3}}
  %0 = ds.scan @f(%h) stacked(%w, %v) : (tensor<4xf32>, tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<f32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @rank0_stacked(%h: tensor<4xf32>, %w: tensor<f32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op stacked operand #0 must have a leading layer dimension, got 'tensor<f32>'}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @carry_type_changes(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf64> {
  // expected-error@+1 {{'ds.scan' op result #0 must have the type of carried operand #0, 'tensor<4xf32>', got 'tensor<4xf64>'}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @missing_callee(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op callee 'nowhere' does not name a function in this module}}
  %0 = ds.scan @nowhere(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @arity(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op callee @f takes 1 arguments, but the scan passes 2 (carries, invariants, then one slice of each stacked operand)}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<5xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @slice_type(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op callee @f argument #1 has type 'tensor<5xf32>', but the scan passes 'tensor<4xf32>'}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %0 = ds.reduce_sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %h, %0 : tensor<4xf32>, tensor<f32>
}

func.func @result_count(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op callee @f returns 2 values, but the scan has 1 results}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %0 = ds.reduce_sum %w axes = [0] : tensor<4xf32> -> tensor<f32>
  return %h, %0 : tensor<4xf32>, tensor<f32>
}

func.func @stacked_output_shape(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op result #1 must stack callee result type 'tensor<f32>' over 3 layers, got 'tensor<2xf32>'}}
  %0:2 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> (tensor<4xf32>, tensor<2xf32>)
  return %0#0 : tensor<4xf32>
}

// -----

func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf64> {
  %0 = ds.cast %h : tensor<4xf32> to tensor<4xf64>
  return %0 : tensor<4xf64>
}

func.func @carry_result_type(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op callee @f result #0 has type 'tensor<4xf64>', but carried operand #0 has type 'tensor<4xf32>'}}
  %0 = ds.scan @f(%h) stacked(%w) : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// `reverse` is a unit attribute: present or absent, no value.
func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @reverse_not_unit(%h: tensor<4xf32>, %w: tensor<3x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op attribute 'reverse' failed to satisfy constraint: unit attribute}}
  %0 = "ds.scan"(%h, %w) {callee = @f, operandSegmentSizes = array<i32: 1, 0, 1>, reverse = false} : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A reversed scan checks the same rules as a forward one.
func.func @f(%h: tensor<4xf32>, %w: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<4xf32> {
  return %h : tensor<4xf32>
}

func.func @reverse_layer_counts_differ(%h: tensor<4xf32>, %w: tensor<3x4xf32>, %v: tensor<2x4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.scan' op stacked operand #1 has 2 layers, but earlier ones have 3}}
  %0 = ds.scan @f(%h) stacked(%w, %v) reverse : (tensor<4xf32>, tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
