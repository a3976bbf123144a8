// Each verifier rule of the binary elementwise ops ds.add, ds.sub, ds.mul,
// ds.div, ds.max, ds.min and ds.pow.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @add_not_broadcastable(%a: tensor<4xf32>, %b: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.add' op operand #1 of shape [3] does not broadcast with operand #0 of shape [4]: dimension 3 vs. 4 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.add' op failed to infer returned types}}
  %0 = ds.add %a, %b : (tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Shapes align at the trailing dimension: [4] meets the 8 of [4, 8].
func.func @sub_trailing_alignment(%a: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error@+2 {{'ds.sub' op operand #1 of shape [4] does not broadcast with operand #0 of shape [4, 8]: dimension 4 vs. 8 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.sub' op failed to infer returned types}}
  %0 = ds.sub %a, %b : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// A dynamic dimension does not hide a static mismatch elsewhere.
func.func @mul_not_broadcastable_dynamic(%a: tensor<?x3xi32>, %b: tensor<4x5xi32>) -> tensor<4x5xi32> {
  // expected-error@+2 {{'ds.mul' op operand #1 of shape [4, 5] does not broadcast with operand #0 of shape [?, 3]: dimension 5 vs. 3 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.mul' op failed to infer returned types}}
  %0 = ds.mul %a, %b : (tensor<?x3xi32>, tensor<4x5xi32>) -> tensor<4x5xi32>
  return %0 : tensor<4x5xi32>
}

// -----

func.func @div_element_type_mismatch(%a: tensor<4xf32>, %b: tensor<4xbf16>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.div' op operand #1 has element type 'bf16' but operand #0 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.div' op failed to infer returned types}}
  %0 = ds.div %a, %b : (tensor<4xf32>, tensor<4xbf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @max_int_width_mismatch(%a: tensor<4xi32>, %b: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error@+2 {{'ds.max' op operand #1 has element type 'i64' but operand #0 has 'i32' (they must be equal)}}
  // expected-error@+1 {{'ds.max' op failed to infer returned types}}
  %0 = ds.max %a, %b : (tensor<4xi32>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @add_wrong_result_shape(%a: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error@+2 {{'ds.add' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error@+1 {{'ds.add' op failed to infer returned types}}
  %0 = ds.add %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @min_wrong_result_element_type(%a: tensor<4xf32>) -> tensor<4xbf16> {
  // expected-error@+2 {{'ds.min' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xbf16>'}}
  // expected-error@+1 {{'ds.min' op failed to infer returned types}}
  %0 = ds.min %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

func.func @mul_result_not_broadcast_shape(%a: tensor<4x1xf32>, %b: tensor<8xf32>) -> tensor<4x1xf32> {
  // expected-error@+2 {{'ds.mul' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error@+1 {{'ds.mul' op failed to infer returned types}}
  %0 = ds.mul %a, %b : (tensor<4x1xf32>, tensor<8xf32>) -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// -----

// Arithmetic ops take no i1.
func.func @add_i1(%a: tensor<4xi1>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.add' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xi1>'}}
  %0 = ds.add %a, %a : tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @max_index(%a: tensor<4xindex>) -> tensor<4xindex> {
  // expected-error@+1 {{'ds.max' op operand #0 must be ranked tensor of}}
  %0 = ds.max %a, %a : tensor<4xindex>
  return %0 : tensor<4xindex>
}

// -----

func.func @sub_unranked(%a: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error@+1 {{'ds.sub' op operand #0 must be ranked tensor of}}
  %0 = "ds.sub"(%a, %a) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @div_result_i1(%a: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.div' op result #0 must be ranked tensor of}}
  %0 = ds.div %a, %a : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// pow is floating-point only.
func.func @pow_integer(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error@+1 {{'ds.pow' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<4xi32>'}}
  %0 = ds.pow %a, %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @pow_not_broadcastable(%a: tensor<2x3xf16>, %b: tensor<3x3xf16>) -> tensor<2x3xf16> {
  // expected-error@+2 {{'ds.pow' op operand #1 of shape [3, 3] does not broadcast with operand #0 of shape [2, 3]: dimension 3 vs. 2 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.pow' op failed to infer returned types}}
  %0 = ds.pow %a, %b : (tensor<2x3xf16>, tensor<3x3xf16>) -> tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}
