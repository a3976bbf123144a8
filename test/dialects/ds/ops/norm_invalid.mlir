// Each verifier rule of ds.rms_norm and ds.layer_norm. Both infer their result
// type, so a broken rule is reported, then the failed inference.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @rms_norm_rank_0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.rms_norm' op operand #0 must have rank >= 1 (the normalized axis is the last)}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @rms_norm_weight_rank_2(%x: tensor<16x64xf32>, %w: tensor<1x64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op operand #1 (weight) must have rank 1 [D], got [1, 64]}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<16x64xf32>, tensor<1x64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @rms_norm_weight_dtype(%x: tensor<16x64xbf16>, %w: tensor<64xf32>) -> tensor<16x64xbf16> {
  // expected-error@+2 {{'ds.rms_norm' op operand #1 has element type 'f32' but operand #0 has 'bf16' (they must be equal)}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<16x64xbf16>, tensor<64xf32>) -> tensor<16x64xbf16>
  return %0 : tensor<16x64xbf16>
}

// -----

func.func @rms_norm_weight_size(%x: tensor<16x64xf32>, %w: tensor<32xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op the normalized size differs: dimension 1 of operand #0 is 64 but dimension 0 of operand #1 is 32}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<16x64xf32>, tensor<32xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<16x64xf32>, %w: tensor<64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op epsilon must be finite and >= 0, got -1.000000e-06}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = -1.0e-06 : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @rms_norm_infinite_epsilon(%x: tensor<16x64xf32>, %w: tensor<64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op epsilon must be finite and >= 0, got INF}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 0x7FF0000000000000 : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @rms_norm_nan_epsilon(%x: tensor<16x64xf32>, %w: tensor<64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op epsilon must be finite and >= 0, got nan}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 0x7FF8000000000000 : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// The result is the input's type.
func.func @rms_norm_result_type(%x: tensor<16x64xbf16>, %w: tensor<64xbf16>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.rms_norm' op inferred type(s) 'tensor<16x64xbf16>' are incompatible with return type(s) of operation 'tensor<16x64xf32>'}}
  // expected-error@+1 {{'ds.rms_norm' op failed to infer returned types}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<16x64xbf16>, tensor<64xbf16>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @rms_norm_integer_input(%x: tensor<16x64xi32>, %w: tensor<64xi32>) -> tensor<16x64xi32> {
  // expected-error@+1 {{'ds.rms_norm' op operand #0 must be ranked tensor of}}
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<16x64xi32>, tensor<64xi32>) -> tensor<16x64xi32>
  return %0 : tensor<16x64xi32>
}

// -----

func.func @layer_norm_rank_0(%x: tensor<f32>, %w: tensor<1xf32>) -> tensor<f32> {
  // expected-error@+2 {{'ds.layer_norm' op operand #0 must have rank >= 1 (the normalized axis is the last)}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w epsilon = 1.0e-05 : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @layer_norm_weight_size(%x: tensor<16x64xf32>, %w: tensor<65xf32>, %b: tensor<64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.layer_norm' op the normalized size differs: dimension 1 of operand #0 is 64 but dimension 0 of operand #1 is 65}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<16x64xf32>, tensor<65xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @layer_norm_bias_rank_0(%x: tensor<16x64xf32>, %w: tensor<64xf32>, %b: tensor<f32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.layer_norm' op operand #2 (bias) must have rank 1 [D], got []}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<16x64xf32>, tensor<64xf32>, tensor<f32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @layer_norm_bias_dtype(%x: tensor<16x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf16>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.layer_norm' op operand #2 has element type 'f16' but operand #0 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<16x64xf32>, tensor<64xf32>, tensor<64xf16>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @layer_norm_bias_size(%x: tensor<16x64xf32>, %w: tensor<64xf32>, %b: tensor<16xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.layer_norm' op the normalized size differs: dimension 1 of operand #0 is 64 but dimension 0 of operand #2 is 16}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<16x64xf32>, tensor<64xf32>, tensor<16xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @layer_norm_negative_epsilon(%x: tensor<16x64xf32>, %w: tensor<64xf32>) -> tensor<16x64xf32> {
  // expected-error@+2 {{'ds.layer_norm' op epsilon must be finite and >= 0, got -1.000000e+00}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w epsilon = -1.0 : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

func.func @layer_norm_result_shape(%x: tensor<16x64xf32>, %w: tensor<64xf32>) -> tensor<16x1xf32> {
  // expected-error@+2 {{'ds.layer_norm' op inferred type(s) 'tensor<16x64xf32>' are incompatible with return type(s) of operation 'tensor<16x1xf32>'}}
  // expected-error@+1 {{'ds.layer_norm' op failed to infer returned types}}
  %0 = ds.layer_norm %x, %w epsilon = 1.0e-05 : (tensor<16x64xf32>, tensor<64xf32>) -> tensor<16x1xf32>
  return %0 : tensor<16x1xf32>
}
