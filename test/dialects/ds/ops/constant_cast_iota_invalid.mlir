// Each verifier rule of ds.constant, ds.cast and ds.iota.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @constant_index_elements() -> tensor<2xindex> {
  // expected-error@+1 {{'ds.constant' op result #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 1-bit signless integer or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xindex>'}}
  %0 = ds.constant dense<1> : tensor<2xindex>
  return %0 : tensor<2xindex>
}

// -----

func.func @constant_i4_elements() -> tensor<2xi4> {
  // expected-error@+1 {{'ds.constant' op result #0 must be ranked tensor of}}
  %0 = ds.constant dense<1> : tensor<2xi4>
  return %0 : tensor<2xi4>
}

// -----

// The value's type is the result type, so a vector value is no ds tensor.
func.func @constant_vector_value() -> vector<2xf32> {
  // expected-error@+1 {{'ds.constant' op result #0 must be ranked tensor of}}
  %0 = ds.constant dense<1.0> : vector<2xf32>
  return %0 : vector<2xf32>
}

// -----

func.func @constant_result_differs_from_value() -> tensor<3xf32> {
  // expected-error@+2 {{'ds.constant' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error@+1 {{'ds.constant' op failed to infer returned types}}
  %0 = "ds.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @constant_result_element_type_differs() -> tensor<2xbf16> {
  // expected-error@+2 {{'ds.constant' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<2xbf16>'}}
  // expected-error@+1 {{'ds.constant' op failed to infer returned types}}
  %0 = "ds.constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xbf16>
  return %0 : tensor<2xbf16>
}

// -----

func.func @constant_without_value() -> tensor<3xf32> {
  // expected-error@+1 {{'ds.constant' op requires attribute 'value'}}
  %0 = "ds.constant"() : () -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @constant_scalar_value() -> tensor<f32> {
  // expected-error@+1 {{'ds.constant' op attribute 'value' failed to satisfy constraint: constant vector/tensor attribute}}
  %0 = "ds.constant"() {value = 1.0 : f32} : () -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cast_rank_differs(%x: tensor<4x8xf32>) -> tensor<32xf32> {
  // expected-error@+1 {{'ds.cast' op requires the same shape for all operands and results}}
  %0 = ds.cast %x : tensor<4x8xf32> to tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

func.func @cast_dim_differs(%x: tensor<4x8xf32>) -> tensor<4x9xbf16> {
  // expected-error@+1 {{'ds.cast' op requires the same shape for all operands and results}}
  %0 = ds.cast %x : tensor<4x8xf32> to tensor<4x9xbf16>
  return %0 : tensor<4x9xbf16>
}

// -----

func.func @cast_to_index(%x: tensor<4xf32>) -> tensor<4xindex> {
  // expected-error@+1 {{'ds.cast' op result #0 must be ranked tensor of}}
  %0 = ds.cast %x : tensor<4xf32> to tensor<4xindex>
  return %0 : tensor<4xindex>
}

// -----

func.func @cast_from_unranked(%x: tensor<*xf32>) -> tensor<*xf16> {
  // expected-error@+1 {{'ds.cast' op operand #0 must be ranked tensor of}}
  %0 = "ds.cast"(%x) : (tensor<*xf32>) -> tensor<*xf16>
  return %0 : tensor<*xf16>
}

// -----

func.func @iota_dim_out_of_range() -> tensor<2x3xi32> {
  // expected-error@+1 {{'ds.iota' op dim 2 is out of range for the rank-2 result (expected 0 <= dim < 2)}}
  %0 = ds.iota dim = 2 : tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

func.func @iota_rank0() -> tensor<f32> {
  // expected-error@+1 {{'ds.iota' op dim 0 is out of range for the rank-0 result (expected 0 <= dim < 0)}}
  %0 = ds.iota dim = 0 : tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @iota_i1() -> tensor<4xi1> {
  // expected-error@+1 {{'ds.iota' op result #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = ds.iota dim = 0 : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @iota_without_dim() -> tensor<4xi32> {
  // expected-error@+1 {{'ds.iota' op requires attribute 'dim'}}
  %0 = "ds.iota"() : () -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @iota_negative_dim() {
  // expected-error@+1 {{'ds.iota' op dim -1 is out of range for the rank-2 result (expected 0 <= dim < 2)}}
  %0 = ds.iota dim = -1 : tensor<2x3xi32>
  return
}
