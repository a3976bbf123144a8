// RUN: ds-opt %s --ds-autodiff -split-input-file -verify-diagnostics

// expected-error @+1 {{cannot differentiate @loss: the loss (result #0) must be a rank-0 float tensor, got 'tensor<4xf32>'}}
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}) -> tensor<4xf32> {
  %0 = ds.exp %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{cannot differentiate @loss: no argument to differentiate (no float argument has a 'ds.param' attribute)}}
func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %0 = ds.reduce_sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// An op without a VJP on the gradient's path is named, with the reason.
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate 'ds.gelu_grad': it has no vector-Jacobian product (VjpOpInterface), and the loss depends on it through a differentiated argument}}
  %0 = ds.gelu_grad %x, %x : tensor<4xf32>
  %1 = ds.reduce_sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// Off the gradient's path the same op is fine.
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}, %y: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) {
  %0 = ds.gelu_grad %y, %y : tensor<4xf32>
  %1 = ds.reduce_sum %x axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1, %0 : tensor<f32>, tensor<4xf32>
}

// -----

func.func private @external(tensor<4xf32>) -> tensor<4xf32>
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate @external: it has no body or more than one block}}
  %0 = call @external(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = ds.reduce_sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

func.func private @recurse(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot differentiate @recurse: it calls itself}}
  %0 = call @recurse(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @loss(%x: tensor<4xf32> {ds.param = #ds.param<"x", zeros>}) -> tensor<f32> {
  %0 = call @recurse(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = ds.reduce_sum %0 axes = [0] : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// expected-error @+1 {{--ds-autodiff: no function @loss to differentiate (set it with entry=NAME)}}
module {
  func.func @other() {
    return
  }
}

// -----

// ds.dynamic_update_slice serves inference and has no gradient.
func.func @loss(%cache: tensor<2x8xf32> {ds.param = #ds.param<"cache", zeros>}, %row: tensor<2x1xf32>, %pos: tensor<i32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate 'ds.dynamic_update_slice': it has no vector-Jacobian product (VjpOpInterface), and the loss depends on it through a differentiated argument}}
  %0 = ds.dynamic_update_slice %cache, %row, %pos axis = 1 : (tensor<2x8xf32>, tensor<2x1xf32>, tensor<i32>) -> tensor<2x8xf32>
  %1 = ds.reduce_sum %0 axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
