// Each verifier rule of ds.softmax and ds.log_softmax.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'ds.softmax' op axis 2 is out of range for a rank-2 operand (expected 0 <= axis < 2)}}
  %0 = ds.softmax %x axis = 2 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @negative_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'ds.log_softmax' op axis -1 is out of range}}
  %0 = ds.log_softmax %x axis = -1 : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @integer_input(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  // expected-error@+1 {{'ds.softmax' op operand #0 must be ranked tensor of}}
  %0 = ds.softmax %x axis = 1 : tensor<4x8xi32>
  return %0 : tensor<4x8xi32>
}
