// Each verifier rule of ds.compare and ds.select.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

func.func @compare_element_type_mismatch(%a: tensor<4xf32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  // expected-error@+2 {{'ds.compare' op operand #1 has element type 'i32' but operand #0 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.compare' op failed to infer returned types}}
  %0 = ds.compare ge, %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_not_broadcastable(%a: tensor<2x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x4xi1> {
  // expected-error@+2 {{'ds.compare' op operand #1 of shape [3, 1] does not broadcast with operand #0 of shape [2, 4]: dimension 3 vs. 2 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.compare' op failed to infer returned types}}
  %0 = ds.compare eq, %a, %b : (tensor<2x4xf32>, tensor<3x1xf32>) -> tensor<2x4xi1>
  return %0 : tensor<2x4xi1>
}

// -----

func.func @compare_result_not_i1(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.compare' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = ds.compare lt, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @compare_wrong_result_shape(%a: tensor<8xi32>, %b: tensor<i32>) -> tensor<i1> {
  // expected-error@+2 {{'ds.compare' op inferred type(s) 'tensor<8xi1>' are incompatible with return type(s) of operation 'tensor<i1>'}}
  // expected-error@+1 {{'ds.compare' op failed to infer returned types}}
  %0 = ds.compare lt, %a, %b : (tensor<8xi32>, tensor<i32>) -> tensor<i1>
  return %0 : tensor<i1>
}

// -----

func.func @compare_unknown_predicate(%a: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error@+1 {{custom op 'ds.compare' expected string or keyword containing one of the following enum values for attribute 'direction' [eq, ne, lt, le, gt, ge]}}
  %0 = ds.compare foo, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_predicate_out_of_range(%a: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.compare' op attribute 'direction' failed to satisfy constraint: comparison predicate}}
  %0 = "ds.compare"(%a, %a) {direction = 9 : i32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_missing_predicate(%a: tensor<4xf32>) -> tensor<4xi1> {
  // expected-error@+1 {{'ds.compare' op requires attribute 'direction'}}
  %0 = "ds.compare"(%a, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @compare_unranked(%a: tensor<*xf32>) -> tensor<*xi1> {
  // expected-error@+1 {{'ds.compare' op operand #0 must be ranked tensor of}}
  %0 = ds.compare eq, %a, %a : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  return %0 : tensor<*xi1>
}

// -----

func.func @select_condition_not_i1(%c: tensor<3xi32>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{'ds.select' op operand #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<3xi32>'}}
  %0 = ds.select %c, %a, %a : (tensor<3xi32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_value_element_types_differ(%c: tensor<3xi1>, %a: tensor<3xf32>, %b: tensor<3xf16>) -> tensor<3xf32> {
  // expected-error@+2 {{'ds.select' op operand #2 has element type 'f16' but operand #1 has 'f32' (they must be equal)}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %a, %b : (tensor<3xi1>, tensor<3xf32>, tensor<3xf16>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_values_not_broadcastable(%c: tensor<3xi1>, %a: tensor<4xf32>, %b: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.select' op operand #2 of shape [3] does not broadcast with operand #1 of shape [4]: dimension 3 vs. 4 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %a, %b : (tensor<3xi1>, tensor<4xf32>, tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_condition_not_broadcastable(%c: tensor<3xi1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.select' op operand #1 of shape [4] does not broadcast with operand #0 of shape [3]: dimension 4 vs. 3 (dimensions must be equal or 1)}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %a, %a : (tensor<3xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @select_wrong_result_element_type(%c: tensor<3xi1>, %a: tensor<3xf32>) -> tensor<3xf16> {
  // expected-error@+2 {{'ds.select' op inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<3xf16>'}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %a, %a : (tensor<3xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// The condition's shape is part of the result shape.
func.func @select_result_ignores_condition(%c: tensor<2x1xi1>, %a: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+2 {{'ds.select' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %a, %a : (tensor<2x1xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @select_names_the_right_operand(%c: tensor<3xi1>, %t: tensor<1xf32>, %f: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error@+2 {{'ds.select' op operand #2 of shape [4] does not broadcast with operand #0 of shape [3]}}
  // expected-error@+1 {{'ds.select' op failed to infer returned types}}
  %0 = ds.select %c, %t, %f : (tensor<3xi1>, tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
