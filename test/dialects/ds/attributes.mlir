// Round trip of the #ds.param and #ds.yarn attributes: parse, print, parse
// again, in both the custom and the generic form.
// RUN: ds-opt %s -split-input-file | ds-opt -split-input-file | FileCheck %s
// RUN: ds-opt %s -split-input-file -mlir-print-op-generic | ds-opt -split-input-file | FileCheck %s

// Every initializer kind, on every float element type.
// CHECK-LABEL: func @param_initializers
// CHECK-SAME: tensor<64xf32> {ds.param = #ds.param<"model.norm.weight", ones>}
// CHECK-SAME: tensor<64xbf16> {ds.param = #ds.param<"model.norm.bias", zeros>}
// CHECK-SAME: tensor<4x4xf16> {ds.param = #ds.param<"const", constant(5.000000e-01)>}
// CHECK-SAME: tensor<64x64xf32> {ds.param = #ds.param<"lm_head.weight", normal(0.000000e+00, 2.000000e-02)>}
// CHECK-SAME: tensor<64x64xf64> {ds.param = #ds.param<"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", truncated_normal(-1.000000e+00, 2.500000e+00)>}
// CHECK-SAME: tensor<8xf8E4M3FN> {ds.param = #ds.param<"fp8", uniform(-1.000000e-01, 1.000000e-01)>}
// CHECK-SAME: tensor<f32> {ds.param = #ds.param<"scalar", constant(-3.000000e+00)>}
// CHECK-SAME: tensor<2xf8E5M2> {ds.param = #ds.param<"e5m2", zeros>}
func.func @param_initializers(
    %a: tensor<64xf32> {ds.param = #ds.param<"model.norm.weight", ones>},
    %b: tensor<64xbf16> {ds.param = #ds.param<"model.norm.bias", zeros>},
    %c: tensor<4x4xf16> {ds.param = #ds.param<"const", constant(0.5)>},
    %d: tensor<64x64xf32> {ds.param = #ds.param<"lm_head.weight", normal(0.0, 0.02)>},
    %e: tensor<64x64xf64> {ds.param = #ds.param<"model.layers.0.self_attn.kv_a_proj_with_mqa.weight", truncated_normal(-1.0, 2.5)>},
    %f: tensor<8xf8E4M3FN> {ds.param = #ds.param<"fp8", uniform(-0.1, 0.1)>},
    %g: tensor<f32> {ds.param = #ds.param<"scalar", constant(-3.0)>},
    %h: tensor<2xf8E5M2> {ds.param = #ds.param<"e5m2", zeros>}) {
  return
}

// -----

// Parameters mix with plain arguments; names are unique per function, so
// another function may reuse one.
// CHECK-LABEL: func @param_and_input
// CHECK-SAME: (%{{[a-z0-9_]+}}: tensor<2x16xi32>, %{{[a-z0-9_]+}}: tensor<1000x64xf32> {ds.param = #ds.param<"model.embed_tokens.weight", normal(0.000000e+00, 2.000000e-02)>})
// CHECK-LABEL: func @same_name_other_function
// CHECK-SAME: {ds.param = #ds.param<"model.embed_tokens.weight", zeros>}
func.func @param_and_input(%tokens: tensor<2x16xi32>, %wte: tensor<1000x64xf32> {ds.param = #ds.param<"model.embed_tokens.weight", normal(0.0, 0.02)>}) {
  return
}
func.func @same_name_other_function(%wte: tensor<1000x64xf32> {ds.param = #ds.param<"model.embed_tokens.weight", zeros>}) {
  return
}

// -----

// Names are strings: escapes survive; values keep full double precision.
// CHECK-LABEL: func @param_escapes_and_precision
// CHECK-SAME: {ds.param = #ds.param<"a\22b\\c", ones>}
// CHECK-SAME: {ds.param = #ds.param<"p", normal(0.12345678910000001, 9.9999999999999995E-7)>}
// CHECK-SAME: {ds.param = #ds.param<"empty", uniform(-1.000000e-300, 0.000000e+00)>}
func.func @param_escapes_and_precision(
    %a: tensor<4xf32> {ds.param = #ds.param<"a\22b\\c", ones>},
    %b: tensor<4xf32> {ds.param = #ds.param<"p", normal(0.1234567891, 1.0e-6)>},
    %c: tensor<0x3xf32> {ds.param = #ds.param<"empty", uniform(-1.0e-300, 0.0)>}) {
  return
}

// -----

// Only the required parameters; the defaults (beta_fast = 32, beta_slow = 1,
// mscale = 1, mscale_all_dim = 0) are not printed, given or not.
// CHECK-LABEL: func @yarn_defaults
// CHECK-SAME: y0 = #ds.yarn<factor = 4.000000e+01, original_max_position = 4096>
// CHECK-SAME: y1 = #ds.yarn<factor = 4.000000e+00, original_max_position = 8192>
func.func @yarn_defaults() attributes {
    y0 = #ds.yarn<factor = 40.0, original_max_position = 4096>,
    y1 = #ds.yarn<factor = 4.0, original_max_position = 8192, beta_fast = 32.0, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 0.0>} {
  return
}

// -----

// Non-default parameters are printed in declaration order, whatever order they
// were written in.
// CHECK-LABEL: func @yarn_explicit
// CHECK-SAME: y0 = #ds.yarn<factor = 4.000000e+01, original_max_position = 4096, beta_fast = 6.400000e+01, beta_slow = 2.000000e+00, mscale = 7.070000e-01, mscale_all_dim = 7.070000e-01>
// CHECK-SAME: y1 = #ds.yarn<factor = 2.000000e+00, original_max_position = 2048, mscale_all_dim = 1.000000e+00>
// CHECK-SAME: y2 = #ds.yarn<factor = 1.600000e+01, original_max_position = 4096, beta_slow = 5.000000e-01>
func.func @yarn_explicit() attributes {
    y0 = #ds.yarn<factor = 40.0, original_max_position = 4096, beta_fast = 64.0, beta_slow = 2.0, mscale = 0.707, mscale_all_dim = 0.707>,
    y1 = #ds.yarn<mscale_all_dim = 1.0, original_max_position = 2048, factor = 2.0>,
    y2 = #ds.yarn<factor = 16.0, beta_slow = 0.5, original_max_position = 4096>} {
  return
}

// -----

// A declaration (no body) may carry parameters too: its signature gives the type.
// CHECK-LABEL: func.func private @declaration
// CHECK-SAME: {ds.param = #ds.param<"decl.weight", ones>}
func.func private @declaration(%a: tensor<4xf32> {ds.param = #ds.param<"decl.weight", ones>})

// -----

// Stacked parameters name one [begin:end] range per stacked leading dimension;
// ds.name names plain inputs and outputs.
// CHECK-LABEL: func @stacked_and_named
// CHECK-SAME: tensor<3x16x8x4xf32> {ds.param = #ds.param<"model.layers.[1:4].mlp.experts.[0:16].up_proj.weight", normal(0.000000e+00, 2.000000e-02)>}
// CHECK-SAME: tensor<2x8xi32> {ds.name = "tokens"}
// CHECK-SAME: -> (tensor<2x8xi32> {ds.name = "same_tokens"})
func.func @stacked_and_named(%w: tensor<3x16x8x4xf32> {ds.param = #ds.param<"model.layers.[1:4].mlp.experts.[0:16].up_proj.weight", normal(0.0, 0.02)>},
                             %t: tensor<2x8xi32> {ds.name = "tokens"}) -> (tensor<2x8xi32> {ds.name = "same_tokens"}) {
  return %t : tensor<2x8xi32>
}
