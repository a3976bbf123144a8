// Each verifier rule of #ds.param, #ds.yarn and the ds.param argument
// attribute.
// RUN: ds-opt %s -split-input-file -verify-diagnostics

// expected-error@+1 {{unknown initializer 'xavier'; expected zeros, ones, constant, normal, truncated_normal or uniform}}
func.func @unknown_initializer(%a: tensor<64xf32> {ds.param = #ds.param<"a", xavier>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': normal needs std > 0, got 0.000000e+00}}
func.func @normal_zero_std(%a: tensor<64xf32> {ds.param = #ds.param<"w", normal(0.0, 0.0)>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': truncated_normal needs std > 0, got -1.000000e+00}}
func.func @truncated_normal_negative_std(%a: tensor<64xf32> {ds.param = #ds.param<"w", truncated_normal(0.0, -1.0)>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': uniform needs low < high, got [1.000000e+00, 1.000000e+00)}}
func.func @uniform_empty_range(%a: tensor<64xf32> {ds.param = #ds.param<"w", uniform(1.0, 1.0)>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': uniform needs low < high, got [5.000000e-01, -5.000000e-01)}}
func.func @uniform_reversed_range(%a: tensor<64xf32> {ds.param = #ds.param<"w", uniform(0.5, -0.5)>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param: the parameter name is empty}}
func.func @empty_name(%a: tensor<64xf32> {ds.param = #ds.param<"", ones>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': initializer arguments must be finite}}
func.func @nan_constant(%a: tensor<64xf32> {ds.param = #ds.param<"w", constant(0x7FF8000000000000)>}) {
  return
}

// -----

// expected-error@+1 {{#ds.param 'w': initializer arguments must be finite}}
func.func @infinite_mean(%a: tensor<64xf32> {ds.param = #ds.param<"w", normal(0x7FF0000000000000, 1.0)>}) {
  return
}

// -----

// zeros and ones take no arguments.
// expected-error@+1 {{expected '>'}}
func.func @zeros_with_argument(%a: tensor<64xf32> {ds.param = #ds.param<"w", zeros(1.0)>}) {
  return
}

// -----

// expected-error@+1 {{expected '('}}
func.func @constant_without_value(%a: tensor<64xf32> {ds.param = #ds.param<"w", constant>}) {
  return
}

// -----

// expected-error@+1 {{expected ','}}
func.func @normal_one_argument(%a: tensor<64xf32> {ds.param = #ds.param<"w", normal(0.0)>}) {
  return
}

// -----

// expected-error@+1 {{expected string}}
func.func @unquoted_name(%a: tensor<64xf32> {ds.param = #ds.param<w, ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'w' (argument #0) must be a statically shaped tensor of floats, got 'tensor<64xi32>'}}
func.func @integer_param(%a: tensor<64xi32> {ds.param = #ds.param<"w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'w' (argument #1) must be a statically shaped tensor of floats, got 'tensor<?x64xf32>'}}
func.func @dynamic_param(%x: tensor<4xf32>, %a: tensor<?x64xf32> {ds.param = #ds.param<"w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'w' (argument #0) must be a statically shaped tensor of floats, got 'tensor<*xf32>'}}
func.func @unranked_param(%a: tensor<*xf32> {ds.param = #ds.param<"w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'w' (argument #0) must be a statically shaped tensor of floats, got 'f32'}}
func.func @scalar_param(%a: f32 {ds.param = #ds.param<"w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter name 'w' of argument #2 is already used by argument #0}}
func.func @duplicate_name(%a: tensor<4xf32> {ds.param = #ds.param<"w", ones>}, %x: tensor<4xf32>, %b: tensor<4xf32> {ds.param = #ds.param<"w", zeros>}) {
  return
}

// -----

// expected-error-re@+1 {{unknown ds argument attribute '{{.*}}ds.weight{{.*}}' on argument #0 (the ds dialect defines 'ds.param', 'ds.name' and 'ds.split_dim')}}
func.func @unknown_argument_attribute(%a: tensor<4xf32> {ds.weight = #ds.param<"w", ones>}) {
  return
}

// -----

// expected-error@+1 {{argument #0: 'ds.param' must be a #ds.param attribute, got "w"}}
func.func @param_not_a_param_attr(%a: tensor<4xf32> {ds.param = "w"}) {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: factor must be finite and > 1, got 0.000000e+00}}
func.func @yarn_factor_zero() attributes {y = #ds.yarn<factor = 0.0, original_max_position = 4096>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: factor must be finite and > 1, got -2.000000e+00}}
func.func @yarn_factor_negative() attributes {y = #ds.yarn<factor = -2.0, original_max_position = 4096>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: original_max_position must be positive, got 0}}
func.func @yarn_original_max_position_zero() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 0>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: needs beta_fast > beta_slow > 0, got beta_fast = 1.000000e+00, beta_slow = 1.000000e+00}}
func.func @yarn_beta_equal() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, beta_fast = 1.0, beta_slow = 1.0>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: needs beta_fast > beta_slow > 0, got beta_fast = 1.000000e+00, beta_slow = 0.000000e+00}}
func.func @yarn_beta_slow_zero() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, beta_fast = 1.0, beta_slow = 0.0>} {
  return
}

// -----

// beta_fast below the default beta_slow of 1.
// expected-error@+1 {{#ds.yarn: needs beta_fast > beta_slow > 0, got beta_fast = 5.000000e-01, beta_slow = 1.000000e+00}}
func.func @yarn_beta_fast_below_default_slow() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, beta_fast = 0.5>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: needs beta_fast > beta_slow > 0, got beta_fast = INF, beta_slow = 1.000000e+00}}
func.func @yarn_beta_fast_infinite() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, beta_fast = 0x7FF0000000000000>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: mscale and mscale_all_dim must be finite and >= 0}}
func.func @yarn_mscale_negative() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, mscale = -1.0>} {
  return
}

// -----

// expected-error@+1 {{#ds.yarn: mscale and mscale_all_dim must be finite and >= 0}}
func.func @yarn_mscale_all_dim_negative() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, mscale_all_dim = -0.5>} {
  return
}

// -----

// expected-error@+1 {{struct is missing required parameter: factor}}
func.func @yarn_missing_factor() attributes {y = #ds.yarn<original_max_position = 4096>} {
  return
}

// -----

// expected-error@+1 {{struct is missing required parameter: original_max_position}}
func.func @yarn_missing_original_max_position() attributes {y = #ds.yarn<factor = 4.0>} {
  return
}

// -----

// expected-error@+1 {{duplicate or unknown struct parameter name: beta}}
func.func @yarn_unknown_parameter() attributes {y = #ds.yarn<factor = 4.0, original_max_position = 4096, beta = 2.0>} {
  return
}

// -----

// The YaRN attribute inside ds.rope is verified too.
func.func @rope_bad_yarn(%q: tensor<1x8x2x64xf32>, %pos: tensor<8xi32>) -> tensor<1x8x2x64xf32> {
  // expected-error@+1 {{#ds.yarn: original_max_position must be positive, got -4096}}
  %0 = ds.rope %q, %pos style = half theta = 1.0e+04 offset = 0 dim = 64 yarn = <factor = 40.0, original_max_position = -4096> : (tensor<1x8x2x64xf32>, tensor<8xi32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// ds.rope's yarn must be a #ds.yarn.
func.func @rope_yarn_wrong_kind(%q: tensor<1x8x2x64xf32>, %pos: tensor<8xi32>) -> tensor<1x8x2x64xf32> {
  // expected-error@+1 {{Invalid attribute `yarn` in property conversion: 4.000000e+00 : f64}}
  %0 = "ds.rope"(%q, %pos) <{dim = 64 : i64, offset = 0 : i64, style = 1 : i32, theta = 1.000000e+04 : f64, yarn = 4.0 : f64}> : (tensor<1x8x2x64xf32>, tensor<8xi32>) -> tensor<1x8x2x64xf32>
  return %0 : tensor<1x8x2x64xf32>
}

// -----

// expected-error@+1 {{#ds.yarn: factor must be finite and > 1, got 1.000000e+00}}
func.func @yarn_factor_one() attributes {y = #ds.yarn<factor = 1.0, original_max_position = 4096>} {
  return
}

// -----

// A stacked parameter's ranges must match its leading dimensions.
// expected-error@+1 {{parameter 'model.layers.[0:3].mlp.gate.weight' (argument #0): range #0 covers 3 indices but dimension 0 has size 4}}
func.func @param_range_mismatch(%w: tensor<4x16x64xf32> {ds.param = #ds.param<"model.layers.[0:3].mlp.gate.weight", normal(0.0, 0.02)>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'model.layers.[0:2].experts.[0:4].w' (argument #0) names 2 stacked dimensions but has rank 1}}
func.func @param_range_rank(%w: tensor<2xf32> {ds.param = #ds.param<"model.layers.[0:2].experts.[0:4].w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'model.layers.[3:1].w' (argument #0): empty layer range [3:1]}}
func.func @param_range_empty(%w: tensor<2xf32> {ds.param = #ds.param<"model.layers.[3:1].w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'model.layers.[0-2].w' (argument #0): malformed layer range at offset 13 (expected '[begin:end]')}}
func.func @param_range_malformed(%w: tensor<2xf32> {ds.param = #ds.param<"model.layers.[0-2].w", ones>}) {
  return
}

// -----

// expected-error@+1 {{parameter 'model.layers].w' (argument #0): unmatched ']' at offset 12}}
func.func @param_range_unmatched(%w: tensor<2xf32> {ds.param = #ds.param<"model.layers].w", ones>}) {
  return
}

// -----

// expected-error@+1 {{'ds.name' on argument #0 must be a non-empty string, got 3 : i64}}
func.func @name_not_string(%x: tensor<2xi32> {ds.name = 3}) {
  return
}

// -----

// expected-error@+1 {{'ds.name' on result #0 must be a non-empty string, got ""}}
func.func @name_empty_result(%x: tensor<2xf32>) -> (tensor<2xf32> {ds.name = ""}) {
  return %x : tensor<2xf32>
}

// -----

// expected-error@+1 {{unknown ds result attribute 'ds.param' on result #0 (the ds dialect defines 'ds.name', 'ds.balances' and 'ds.split_dim')}}
func.func @param_on_result(%x: tensor<2xf32>) -> (tensor<2xf32> {ds.param = #ds.param<"w", ones>}) {
  return %x : tensor<2xf32>
}

// -----

// expected-error@+1 {{result #0: 'ds.balances' names 'b', which is not a parameter of the function}}
func.func @balances_unknown(%x: tensor<4xf32>) -> (tensor<4xf32> {ds.balances = "b"}) {
  return %x : tensor<4xf32>
}

// -----

// expected-error@+1 {{result #0 balances parameter 'b' of type 'tensor<4xf32>' but has type 'tensor<3xf32>'}}
func.func @balances_shape(%b: tensor<4xf32> {ds.param = #ds.param<"b", zeros>}, %y: tensor<3xf32>) -> (tensor<3xf32> {ds.balances = "b"}) {
  return %y : tensor<3xf32>
}

// -----

// expected-error@+1 {{'ds.split_dim' on argument #0 must be an integer dimension of its ranked tensor type, got 2 : i64 on 'tensor<4x8xf32>'}}
func.func @split_dim_out_of_range(%x: tensor<4x8xf32> {ds.split_dim = 2 : i64}) {
  return
}

// -----

// expected-error@+1 {{'ds.split_dim' on result #0 must be an integer dimension of its ranked tensor type, got "zero" on 'tensor<4xf32>'}}
func.func @split_dim_not_an_integer(%x: tensor<4xf32>) -> (tensor<4xf32> {ds.split_dim = "zero"}) {
  return %x : tensor<4xf32>
}
