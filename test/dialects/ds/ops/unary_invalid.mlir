// Each verifier rule of the unary elementwise ops ds.neg, ds.abs, ds.square,
// ds.relu, ds.exp, ds.log, ds.sqrt, ds.rsqrt, ds.tanh, ds.sigmoid, ds.silu,
// ds.sin, ds.cos and ds.gelu, and of ds.gelu_grad: the element-type class of
// each op, one type for operands and result, and gelu's approximation.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

// ds.neg takes numbers, not i1.
func.func @neg_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error@+1 {{'ds.neg' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = ds.neg %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// ds.abs takes numbers, not i1.
func.func @abs_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error@+1 {{'ds.abs' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = ds.abs %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// ds.square takes numbers, not i1.
func.func @square_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error@+1 {{'ds.square' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = ds.square %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// ds.relu takes numbers, not i1.
func.func @relu_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error@+1 {{'ds.relu' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type or 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xi1>'}}
  %0 = ds.relu %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

// ds.exp is floating-point only.
func.func @exp_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.exp' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.exp %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.log is floating-point only.
func.func @log_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.log' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.log %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.sqrt is floating-point only.
func.func @sqrt_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.sqrt' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.sqrt %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.rsqrt is floating-point only.
func.func @rsqrt_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.rsqrt' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.rsqrt %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.tanh is floating-point only.
func.func @tanh_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.tanh' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.tanh %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.sigmoid is floating-point only.
func.func @sigmoid_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.sigmoid' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.sigmoid %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.silu is floating-point only.
func.func @silu_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.silu' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.silu %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// ds.gelu is floating-point only.
func.func @gelu_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.gelu' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.gelu %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @abs_result_element_type_differs(%x: tensor<3xf32>) -> tensor<3xf16> {
  // expected-error@+1 {{'ds.abs' op requires the same type for all operands and results}}
  %0 = "ds.abs"(%x) : (tensor<3xf32>) -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

func.func @neg_result_shape_differs(%x: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.neg' op requires the same type for all operands and results}}
  %0 = "ds.neg"(%x) : (tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The result has exactly the operand's type, not a less static one.
func.func @relu_result_less_static(%x: tensor<3xf32>) -> tensor<?xf32> {
  // expected-error@+2 {{'ds.relu' op inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<?xf32>'}}
  // expected-error@+1 {{'ds.relu' op failed to infer returned types}}
  %0 = "ds.relu"(%x) : (tensor<3xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @tanh_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error@+1 {{'ds.tanh' op operand #0 must be ranked tensor of}}
  %0 = "ds.tanh"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @gelu_unknown_approximation(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{custom op 'ds.gelu' expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = ds.gelu %x approximate = erf : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_approximation_out_of_range(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{'ds.gelu' op attribute 'approximate' failed to satisfy constraint: how gelu evaluates the Gaussian CDF}}
  %0 = "ds.gelu"(%x) {approximate = 7 : i32} : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_result_type_differs(%x: tensor<3xf32>) -> tensor<3xbf16> {
  // expected-error@+1 {{'ds.gelu' op requires the same type for all operands and results}}
  %0 = "ds.gelu"(%x) : (tensor<3xf32>) -> tensor<3xbf16>
  return %0 : tensor<3xbf16>
}

// -----

func.func @sin_integer(%x: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.sin' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.sin %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

func.func @cos_i1(%x: tensor<3xi1>) -> tensor<3xi1> {
  // expected-error@+1 {{'ds.cos' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi1>'}}
  %0 = ds.cos %x : tensor<3xi1>
  return %0 : tensor<3xi1>
}

// -----

func.func @cos_result_shape_differs(%x: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ds.cos' op requires the same type for all operands and results}}
  %0 = "ds.cos"(%x) : (tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gelu_grad_integer(%x: tensor<3xi32>, %dy: tensor<3xi32>) -> tensor<3xi32> {
  // expected-error@+1 {{'ds.gelu_grad' op operand #0 must be ranked tensor of 64-bit float or 32-bit float or 16-bit float or bfloat16 type or f8E4M3FN type or f8E5M2 type values, but got 'tensor<3xi32>'}}
  %0 = ds.gelu_grad %x, %dy : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// The input and its cotangent have one type: no broadcasting.
func.func @gelu_grad_grad_shape_differs(%x: tensor<3x4xf32>, %dy: tensor<4xf32>) -> tensor<3x4xf32> {
  // expected-error@+1 {{'ds.gelu_grad' op requires the same type for all operands and results}}
  %0 = "ds.gelu_grad"(%x, %dy) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @gelu_grad_result_type_differs(%x: tensor<3xbf16>, %dy: tensor<3xbf16>) -> tensor<3xf32> {
  // expected-error@+1 {{'ds.gelu_grad' op requires the same type for all operands and results}}
  %0 = "ds.gelu_grad"(%x, %dy) : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_grad_unknown_approximation(%x: tensor<3xf32>, %dy: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{custom op 'ds.gelu_grad' expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = ds.gelu_grad %x, %dy approximate = erf : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gelu_grad_approximation_out_of_range(%x: tensor<3xf32>, %dy: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error@+1 {{'ds.gelu_grad' op attribute 'approximate' failed to satisfy constraint: how gelu evaluates the Gaussian CDF}}
  %0 = "ds.gelu_grad"(%x, %dy) {approximate = 7 : i32} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
