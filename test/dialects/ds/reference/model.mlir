// Numerical tests of the model ops in the reference interpreter (ds-interp):
// matmul, rms_norm, layer_norm, rope (with YaRN, and its adjoint), attention,
// moe_route, moe_ffn and cross_entropy, against an independent numpy
// implementation of docs/dialect/ds.md (make_op_goldens.py; README.md). f64
// with rtol 1e-12, f32 with rtol 1e-6, exactly representable low-precision
// data with rtol 0.

// ds.matmul of two matrices.
// RUN: ds-interp %s --entry=matmul_f64 --inputs=%S/Inputs/matmul_f64.safetensors --compare=%S/Inputs/matmul_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MATMUL_F64
// MATMUL_F64: compare out with out: relative error {{.*}} ok
func.func @matmul_f64(%a: tensor<3x4xf64> {ds.name = "a"}, %b: tensor<4x5xf64> {ds.name = "b"}) -> (tensor<3x5xf64> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<3x4xf64>, tensor<4x5xf64>) -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}

// Batched ds.matmul.
// RUN: ds-interp %s --entry=matmul_batched_f64 --inputs=%S/Inputs/matmul_batched_f64.safetensors --compare=%S/Inputs/matmul_batched_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MATMUL_BATCHED_F64
// MATMUL_BATCHED_F64: compare out with out: relative error {{.*}} ok
func.func @matmul_batched_f64(%a: tensor<2x3x4xf64> {ds.name = "a"}, %b: tensor<2x4x5xf64> {ds.name = "b"}) -> (tensor<2x3x5xf64> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<2x3x4xf64>, tensor<2x4x5xf64>) -> tensor<2x3x5xf64>
  return %0 : tensor<2x3x5xf64>
}

// Batch dimensions broadcast: [2,1] with [3] -> [2,3].
// RUN: ds-interp %s --entry=matmul_bcast_f64 --inputs=%S/Inputs/matmul_bcast_f64.safetensors --compare=%S/Inputs/matmul_bcast_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MATMUL_BCAST_F64
// MATMUL_BCAST_F64: compare out with out: relative error {{.*}} ok
func.func @matmul_bcast_f64(%a: tensor<2x1x3x4xf64> {ds.name = "a"}, %b: tensor<3x4x5xf64> {ds.name = "b"}) -> (tensor<2x3x3x5xf64> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<2x1x3x4xf64>, tensor<3x4x5xf64>) -> tensor<2x3x3x5xf64>
  return %0 : tensor<2x3x3x5xf64>
}

// x @ W with a rank-3 x and a rank-2 W.
// RUN: ds-interp %s --entry=matmul_rank3_rank2_f64 --inputs=%S/Inputs/matmul_rank3_rank2_f64.safetensors --compare=%S/Inputs/matmul_rank3_rank2_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MATMUL_RANK3_RANK2_F64
// MATMUL_RANK3_RANK2_F64: compare out with out: relative error {{.*}} ok
func.func @matmul_rank3_rank2_f64(%a: tensor<2x3x4xf64> {ds.name = "a"}, %b: tensor<4x5xf64> {ds.name = "b"}) -> (tensor<2x3x5xf64> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<2x3x4xf64>, tensor<4x5xf64>) -> tensor<2x3x5xf64>
  return %0 : tensor<2x3x5xf64>
}

// transpose_lhs (K x M), transpose_rhs (N x K) and both.
// RUN: ds-interp %s --entry=matmul_transpose_f64 --inputs=%S/Inputs/matmul_transpose_f64.safetensors --compare=%S/Inputs/matmul_transpose_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MATMUL_TRANSPOSE_F64
// MATMUL_TRANSPOSE_F64: compare tl with tl: relative error {{.*}} ok
// MATMUL_TRANSPOSE_F64: compare tr with tr: relative error {{.*}} ok
// MATMUL_TRANSPOSE_F64: compare tlr with tlr: relative error {{.*}} ok
func.func @matmul_transpose_f64(%a1: tensor<2x4x3xf64> {ds.name = "a1"}, %b1: tensor<4x5xf64> {ds.name = "b1"}, %a2: tensor<3x4xf64> {ds.name = "a2"}, %b2: tensor<2x5x4xf64> {ds.name = "b2"}, %a3: tensor<4x3xf64> {ds.name = "a3"}, %b3: tensor<5x4xf64> {ds.name = "b3"}) -> (tensor<2x3x5xf64> {ds.name = "tl"}, tensor<2x3x5xf64> {ds.name = "tr"}, tensor<3x5xf64> {ds.name = "tlr"}) {
  %0 = ds.matmul %a1, %b1 transpose_lhs : (tensor<2x4x3xf64>, tensor<4x5xf64>) -> tensor<2x3x5xf64>
  %1 = ds.matmul %a2, %b2 transpose_rhs : (tensor<3x4xf64>, tensor<2x5x4xf64>) -> tensor<2x3x5xf64>
  %2 = ds.matmul %a3, %b3 transpose_lhs transpose_rhs : (tensor<4x3xf64>, tensor<5x4xf64>) -> tensor<3x5xf64>
  return %0, %1, %2 : tensor<2x3x5xf64>, tensor<2x3x5xf64>, tensor<3x5xf64>
}

// f32 ds.matmul with transpose_rhs.
// RUN: ds-interp %s --entry=matmul_f32 --inputs=%S/Inputs/matmul_f32.safetensors --compare=%S/Inputs/matmul_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MATMUL_F32
// MATMUL_F32: compare out with out: relative error {{.*}} ok
func.func @matmul_f32(%a: tensor<2x3x8xf32> {ds.name = "a"}, %b: tensor<4x8xf32> {ds.name = "b"}) -> (tensor<2x3x4xf32> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b transpose_rhs : (tensor<2x3x8xf32>, tensor<4x8xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// bf16 operands with an f32 result (accumulated in f32).
// RUN: ds-interp %s --entry=matmul_bf16_f32 --inputs=%S/Inputs/matmul_bf16_f32.safetensors --compare=%S/Inputs/matmul_bf16_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MATMUL_BF16_F32
// MATMUL_BF16_F32: compare out with out: relative error {{.*}} ok
func.func @matmul_bf16_f32(%a: tensor<3x16xbf16> {ds.name = "a"}, %b: tensor<16x4xbf16> {ds.name = "b"}) -> (tensor<3x4xf32> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<3x16xbf16>, tensor<16x4xbf16>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// bf16 -> bf16: multiples of 1/4 below 4, so the f32 accumulation is exact
// and the result is the exact product rounded once to bf16.
// RUN: ds-interp %s --entry=matmul_bf16_exact --inputs=%S/Inputs/matmul_bf16_exact.safetensors --compare=%S/Inputs/matmul_bf16_exact.safetensors --rtol=0 | FileCheck %s --check-prefix=MATMUL_BF16_EXACT
// MATMUL_BF16_EXACT: compare out with out: relative error {{.*}} ok
func.func @matmul_bf16_exact(%a: tensor<2x3x8xbf16> {ds.name = "a"}, %b: tensor<8x5xbf16> {ds.name = "b"}) -> (tensor<2x3x5xbf16> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<2x3x8xbf16>, tensor<8x5xbf16>) -> tensor<2x3x5xbf16>
  return %0 : tensor<2x3x5xbf16>
}

// Mixed fp8 operands (E4M3FN x E5M2) with an f32 result; small integers, so
// the result is exact.
// RUN: ds-interp %s --entry=matmul_fp8_mixed --inputs=%S/Inputs/matmul_fp8_mixed.safetensors --compare=%S/Inputs/matmul_fp8_mixed.safetensors --rtol=0 | FileCheck %s --check-prefix=MATMUL_FP8_MIXED
// MATMUL_FP8_MIXED: compare out with out: relative error {{.*}} ok
func.func @matmul_fp8_mixed(%a: tensor<3x6xf8E4M3FN> {ds.name = "a"}, %b: tensor<6x4xf8E5M2> {ds.name = "b"}) -> (tensor<3x4xf32> {ds.name = "out"}) {
  %0 = ds.matmul %a, %b : (tensor<3x6xf8E4M3FN>, tensor<6x4xf8E5M2>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// ds.rms_norm over the last axis, epsilon 1e-6, and with x scaled by 0.01 and
// epsilon 0.5 so that epsilon matters.
// RUN: ds-interp %s --entry=rms_norm_f64 --inputs=%S/Inputs/rms_norm_f64.safetensors --compare=%S/Inputs/rms_norm_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=RMS_NORM_F64
// RMS_NORM_F64: compare out with out: relative error {{.*}} ok
// RMS_NORM_F64: compare out_eps with out_eps: relative error {{.*}} ok
func.func @rms_norm_f64(%x: tensor<2x3x8xf64> {ds.name = "x"}, %w: tensor<8xf64> {ds.name = "w"}) -> (tensor<2x3x8xf64> {ds.name = "out"}, tensor<2x3x8xf64> {ds.name = "out_eps"}) {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-06 : (tensor<2x3x8xf64>, tensor<8xf64>) -> tensor<2x3x8xf64>
  %s = ds.constant dense<0.01> : tensor<f64>
  %xs = ds.mul %x, %s : (tensor<2x3x8xf64>, tensor<f64>) -> tensor<2x3x8xf64>
  %1 = ds.rms_norm %xs, %w epsilon = 5.0e-01 : (tensor<2x3x8xf64>, tensor<8xf64>) -> tensor<2x3x8xf64>
  return %0, %1 : tensor<2x3x8xf64>, tensor<2x3x8xf64>
}

// f32 ds.rms_norm.
// RUN: ds-interp %s --entry=rms_norm_f32 --inputs=%S/Inputs/rms_norm_f32.safetensors --compare=%S/Inputs/rms_norm_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=RMS_NORM_F32
// RMS_NORM_F32: compare out with out: relative error {{.*}} ok
func.func @rms_norm_f32(%x: tensor<4x16xf32> {ds.name = "x"}, %w: tensor<16xf32> {ds.name = "w"}) -> (tensor<4x16xf32> {ds.name = "out"}) {
  %0 = ds.rms_norm %x, %w epsilon = 1.0e-05 : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// ds.layer_norm (biased variance) with and without bias; x has mean ~3.
// RUN: ds-interp %s --entry=layer_norm_f64 --inputs=%S/Inputs/layer_norm_f64.safetensors --compare=%S/Inputs/layer_norm_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=LAYER_NORM_F64
// LAYER_NORM_F64: compare out with out: relative error {{.*}} ok
// LAYER_NORM_F64: compare out_nobias with out_nobias: relative error {{.*}} ok
func.func @layer_norm_f64(%x: tensor<2x3x8xf64> {ds.name = "x"}, %w: tensor<8xf64> {ds.name = "w"}, %b: tensor<8xf64> {ds.name = "b"}) -> (tensor<2x3x8xf64> {ds.name = "out"}, tensor<2x3x8xf64> {ds.name = "out_nobias"}) {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<2x3x8xf64>, tensor<8xf64>, tensor<8xf64>) -> tensor<2x3x8xf64>
  %1 = ds.layer_norm %x, %w epsilon = 1.0e-05 : (tensor<2x3x8xf64>, tensor<8xf64>) -> tensor<2x3x8xf64>
  return %0, %1 : tensor<2x3x8xf64>, tensor<2x3x8xf64>
}

// f32 ds.layer_norm with bias.
// RUN: ds-interp %s --entry=layer_norm_f32 --inputs=%S/Inputs/layer_norm_f32.safetensors --compare=%S/Inputs/layer_norm_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=LAYER_NORM_F32
// LAYER_NORM_F32: compare out with out: relative error {{.*}} ok
func.func @layer_norm_f32(%x: tensor<4x16xf32> {ds.name = "x"}, %w: tensor<16xf32> {ds.name = "w"}, %b: tensor<16xf32> {ds.name = "b"}) -> (tensor<4x16xf32> {ds.name = "out"}) {
  %0 = ds.layer_norm %x, %w, %b epsilon = 1.0e-05 : (tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// ds.rope, interleaved pairs (2i, 2i+1), whole head, positions [T] shared by the batch.
// RUN: ds-interp %s --entry=rope_interleaved_f64 --inputs=%S/Inputs/rope_interleaved_f64.safetensors --compare=%S/Inputs/rope_interleaved_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_INTERLEAVED_F64
// ROPE_INTERLEAVED_F64: compare out with out: relative error {{.*}} ok
func.func @rope_interleaved_f64(%x: tensor<2x4x3x8xf64> {ds.name = "x"}, %pos: tensor<4xi32> {ds.name = "pos"}) -> (tensor<2x4x3x8xf64> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = 8 : (tensor<2x4x3x8xf64>, tensor<4xi32>) -> tensor<2x4x3x8xf64>
  return %0 : tensor<2x4x3x8xf64>
}

// ds.rope, half pairs (i, i + dim/2) on channels [2, 8) of 10, positions
// [B, T] (i64).
// RUN: ds-interp %s --entry=rope_half_f64 --inputs=%S/Inputs/rope_half_f64.safetensors --compare=%S/Inputs/rope_half_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_HALF_F64
// ROPE_HALF_F64: compare out with out: relative error {{.*}} ok
func.func @rope_half_f64(%x: tensor<2x4x2x10xf64> {ds.name = "x"}, %pos: tensor<2x4xi64> {ds.name = "pos"}) -> (tensor<2x4x2x10xf64> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = half theta = 5.0e+02 offset = 2 dim = 6 : (tensor<2x4x2x10xf64>, tensor<2x4xi64>) -> tensor<2x4x2x10xf64>
  return %0 : tensor<2x4x2x10xf64>
}

// ds.rope, interleaved on channels [4, 10) of 12: both ends pass through.
// RUN: ds-interp %s --entry=rope_partial_interleaved_f64 --inputs=%S/Inputs/rope_partial_interleaved_f64.safetensors --compare=%S/Inputs/rope_partial_interleaved_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_PARTIAL_INTERLEAVED_F64
// ROPE_PARTIAL_INTERLEAVED_F64: compare out with out: relative error {{.*}} ok
func.func @rope_partial_interleaved_f64(%x: tensor<1x3x2x12xf64> {ds.name = "x"}, %pos: tensor<3xi32> {ds.name = "pos"}) -> (tensor<1x3x2x12xf64> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 4 dim = 6 : (tensor<1x3x2x12xf64>, tensor<3xi32>) -> tensor<1x3x2x12xf64>
  return %0 : tensor<1x3x2x12xf64>
}

// YaRN (#ds.yarn) as in DeepSeek-V2, but mscale != mscale_all_dim so that the
// magnitude scale m(40, 1) / m(40, 0.5) is not 1; low = 2, high = 6 (inside
// [0, d/2 - 1]); positions up to 500.
// RUN: ds-interp %s --entry=rope_yarn_interleaved_f64 --inputs=%S/Inputs/rope_yarn_interleaved_f64.safetensors --compare=%S/Inputs/rope_yarn_interleaved_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_YARN_INTERLEAVED_F64
// ROPE_YARN_INTERLEAVED_F64: compare out with out: relative error {{.*}} ok
func.func @rope_yarn_interleaved_f64(%x: tensor<2x3x2x20xf64> {ds.name = "x"}, %pos: tensor<2x3xi32> {ds.name = "pos"}) -> (tensor<2x3x2x20xf64> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 4 dim = 16 yarn = <factor = 4.0e+01, original_max_position = 4096, beta_fast = 3.2e+01, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 5.0e-01> : (tensor<2x3x2x20xf64>, tensor<2x3xi32>) -> tensor<2x3x2x20xf64>
  return %0 : tensor<2x3x2x20xf64>
}

// YaRN with the default beta / mscale parameters (scale m(4, 1) / m(4, 0) =
// 1.1386...). theta = 100, d = 8, L = 256 give low = 0 and high = 4 > d/2 - 1:
// the [0, d - 1] clamp of #ds.yarn (Hugging Face's) keeps 4, so the ramp is
// i/4; a [0, d/2 - 1] clamp (an earlier version of the spec) would give i/3.
// RUN: ds-interp %s --entry=rope_yarn_half_f64 --inputs=%S/Inputs/rope_yarn_half_f64.safetensors --compare=%S/Inputs/rope_yarn_half_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_YARN_HALF_F64
// ROPE_YARN_HALF_F64: compare out with out: relative error {{.*}} ok
func.func @rope_yarn_half_f64(%x: tensor<1x5x2x12xf64> {ds.name = "x"}, %pos: tensor<5xi32> {ds.name = "pos"}) -> (tensor<1x5x2x12xf64> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = half theta = 1.0e+02 offset = 2 dim = 8 yarn = <factor = 4.0, original_max_position = 256> : (tensor<1x5x2x12xf64>, tensor<5xi32>) -> tensor<1x5x2x12xf64>
  return %0 : tensor<1x5x2x12xf64>
}

// f32 ds.rope.
// RUN: ds-interp %s --entry=rope_f32 --inputs=%S/Inputs/rope_f32.safetensors --compare=%S/Inputs/rope_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=ROPE_F32
// ROPE_F32: compare out with out: relative error {{.*}} ok
func.func @rope_f32(%x: tensor<2x3x2x8xf32> {ds.name = "x"}, %pos: tensor<3xi32> {ds.name = "pos"}) -> (tensor<2x3x2x8xf32> {ds.name = "out"}) {
  %0 = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = 8 : (tensor<2x3x2x8xf32>, tensor<3xi32>) -> tensor<2x3x2x8xf32>
  return %0 : tensor<2x3x2x8xf32>
}

// ds.rope with `adjoint` (the transpose of the rotation), with DeepSeek-V2's
// YaRN (magnitude scale != 1), positions per batch row: `adj` is the adjoint
// of y by its own formula (rotation by -angle, same magnitude), and both
// <rope(x), y> and <x, rope_adjoint(y)> must equal numpy's <rope(x), y>,
// computed with the forward formula.
// RUN: ds-interp %s --entry=rope_adjoint_interleaved_f64 --inputs=%S/Inputs/rope_adjoint_interleaved_f64.safetensors --compare=%S/Inputs/rope_adjoint_interleaved_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_ADJOINT_INTERLEAVED_F64
// ROPE_ADJOINT_INTERLEAVED_F64: compare adj with adj: relative error {{.*}} ok
// ROPE_ADJOINT_INTERLEAVED_F64: compare dot_fwd with dot_fwd: relative error {{.*}} ok
// ROPE_ADJOINT_INTERLEAVED_F64: compare dot_adj with dot_adj: relative error {{.*}} ok
func.func @rope_adjoint_interleaved_f64(%x: tensor<2x3x2x20xf64> {ds.name = "x"}, %y: tensor<2x3x2x20xf64> {ds.name = "y"}, %pos: tensor<2x3xi32> {ds.name = "pos"}) -> (tensor<2x3x2x20xf64> {ds.name = "adj"}, tensor<f64> {ds.name = "dot_fwd"}, tensor<f64> {ds.name = "dot_adj"}) {
  %fwd = ds.rope %x, %pos style = interleaved theta = 1.0e+04 offset = 4 dim = 16 yarn = <factor = 4.0e+01, original_max_position = 4096, beta_fast = 3.2e+01, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 5.0e-01> : (tensor<2x3x2x20xf64>, tensor<2x3xi32>) -> tensor<2x3x2x20xf64>
  %adj = ds.rope %y, %pos style = interleaved theta = 1.0e+04 offset = 4 dim = 16 yarn = <factor = 4.0e+01, original_max_position = 4096, beta_fast = 3.2e+01, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 5.0e-01> adjoint : (tensor<2x3x2x20xf64>, tensor<2x3xi32>) -> tensor<2x3x2x20xf64>
  %0 = ds.mul %fwd, %y : tensor<2x3x2x20xf64>
  %dot_fwd = ds.reduce_sum %0 axes = [0, 1, 2, 3] : tensor<2x3x2x20xf64> -> tensor<f64>
  %1 = ds.mul %x, %adj : tensor<2x3x2x20xf64>
  %dot_adj = ds.reduce_sum %1 axes = [0, 1, 2, 3] : tensor<2x3x2x20xf64> -> tensor<f64>
  return %adj, %dot_fwd, %dot_adj : tensor<2x3x2x20xf64>, tensor<f64>, tensor<f64>
}

// The same for the half layout, shared i64 positions up to 1000 and the
// clamped YaRN ramp of rope_yarn_half_f64.
// RUN: ds-interp %s --entry=rope_adjoint_half_f64 --inputs=%S/Inputs/rope_adjoint_half_f64.safetensors --compare=%S/Inputs/rope_adjoint_half_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ROPE_ADJOINT_HALF_F64
// ROPE_ADJOINT_HALF_F64: compare adj with adj: relative error {{.*}} ok
// ROPE_ADJOINT_HALF_F64: compare dot_fwd with dot_fwd: relative error {{.*}} ok
// ROPE_ADJOINT_HALF_F64: compare dot_adj with dot_adj: relative error {{.*}} ok
func.func @rope_adjoint_half_f64(%x: tensor<1x5x2x12xf64> {ds.name = "x"}, %y: tensor<1x5x2x12xf64> {ds.name = "y"}, %pos: tensor<5xi64> {ds.name = "pos"}) -> (tensor<1x5x2x12xf64> {ds.name = "adj"}, tensor<f64> {ds.name = "dot_fwd"}, tensor<f64> {ds.name = "dot_adj"}) {
  %fwd = ds.rope %x, %pos style = half theta = 1.0e+02 offset = 2 dim = 8 yarn = <factor = 4.0, original_max_position = 256> : (tensor<1x5x2x12xf64>, tensor<5xi64>) -> tensor<1x5x2x12xf64>
  %adj = ds.rope %y, %pos style = half theta = 1.0e+02 offset = 2 dim = 8 yarn = <factor = 4.0, original_max_position = 256> adjoint : (tensor<1x5x2x12xf64>, tensor<5xi64>) -> tensor<1x5x2x12xf64>
  %0 = ds.mul %fwd, %y : tensor<1x5x2x12xf64>
  %dot_fwd = ds.reduce_sum %0 axes = [0, 1, 2, 3] : tensor<1x5x2x12xf64> -> tensor<f64>
  %1 = ds.mul %x, %adj : tensor<1x5x2x12xf64>
  %dot_adj = ds.reduce_sum %1 axes = [0, 1, 2, 3] : tensor<1x5x2x12xf64> -> tensor<f64>
  return %adj, %dot_fwd, %dot_adj : tensor<1x5x2x12xf64>, tensor<f64>, tensor<f64>
}

// f32 ds.rope with `adjoint`.
// RUN: ds-interp %s --entry=rope_adjoint_f32 --inputs=%S/Inputs/rope_adjoint_f32.safetensors --compare=%S/Inputs/rope_adjoint_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=ROPE_ADJOINT_F32
// ROPE_ADJOINT_F32: compare adj with adj: relative error {{.*}} ok
func.func @rope_adjoint_f32(%y: tensor<2x3x2x8xf32> {ds.name = "y"}, %pos: tensor<3xi32> {ds.name = "pos"}) -> (tensor<2x3x2x8xf32> {ds.name = "adj"}) {
  %0 = ds.rope %y, %pos style = interleaved theta = 1.0e+04 offset = 0 dim = 8 adjoint : (tensor<2x3x2x8xf32>, tensor<3xi32>) -> tensor<2x3x2x8xf32>
  return %0 : tensor<2x3x2x8xf32>
}

// Causal multi-head attention, default scale 1/sqrt(3).
// RUN: ds-interp %s --entry=attention_causal_f64 --inputs=%S/Inputs/attention_causal_f64.safetensors --compare=%S/Inputs/attention_causal_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_CAUSAL_F64
// ATTENTION_CAUSAL_F64: compare out with out: relative error {{.*}} ok
func.func @attention_causal_f64(%q: tensor<2x4x2x3xf64> {ds.name = "q"}, %k: tensor<2x4x2x3xf64> {ds.name = "k"}, %v: tensor<2x4x2x3xf64> {ds.name = "v"}) -> (tensor<2x4x2x3xf64> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v causal : (tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>, tensor<2x4x2x3xf64>) -> tensor<2x4x2x3xf64>
  return %0 : tensor<2x4x2x3xf64>
}

// Non-causal attention, Tq = 3 < Tk = 5: every query sees every key.
// RUN: ds-interp %s --entry=attention_full_f64 --inputs=%S/Inputs/attention_full_f64.safetensors --compare=%S/Inputs/attention_full_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_FULL_F64
// ATTENTION_FULL_F64: compare out with out: relative error {{.*}} ok
func.func @attention_full_f64(%q: tensor<1x3x2x4xf64> {ds.name = "q"}, %k: tensor<1x5x2x4xf64> {ds.name = "k"}, %v: tensor<1x5x2x4xf64> {ds.name = "v"}) -> (tensor<1x3x2x4xf64> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v : (tensor<1x3x2x4xf64>, tensor<1x5x2x4xf64>, tensor<1x5x2x4xf64>) -> tensor<1x3x2x4xf64>
  return %0 : tensor<1x3x2x4xf64>
}

// Grouped-query attention: Hq = 4, Hkv = 2, query head h reads kv head h / 2.
// RUN: ds-interp %s --entry=attention_gqa_f64 --inputs=%S/Inputs/attention_gqa_f64.safetensors --compare=%S/Inputs/attention_gqa_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_GQA_F64
// ATTENTION_GQA_F64: compare out with out: relative error {{.*}} ok
func.func @attention_gqa_f64(%q: tensor<1x5x4x3xf64> {ds.name = "q"}, %k: tensor<1x5x2x3xf64> {ds.name = "k"}, %v: tensor<1x5x2x3xf64> {ds.name = "v"}) -> (tensor<1x5x4x3xf64> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v causal : (tensor<1x5x4x3xf64>, tensor<1x5x2x3xf64>, tensor<1x5x2x3xf64>) -> tensor<1x5x4x3xf64>
  return %0 : tensor<1x5x4x3xf64>
}

// Causal with Tq = 2 < Tk = 5: query i sits at position i + 3 and sees keys
// 0 .. i + 3 (multi-query, Hkv = 1).
// RUN: ds-interp %s --entry=attention_causal_tq_lt_tk_f64 --inputs=%S/Inputs/attention_causal_tq_lt_tk_f64.safetensors --compare=%S/Inputs/attention_causal_tq_lt_tk_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_CAUSAL_TQ_LT_TK_F64
// ATTENTION_CAUSAL_TQ_LT_TK_F64: compare out with out: relative error {{.*}} ok
func.func @attention_causal_tq_lt_tk_f64(%q: tensor<2x2x2x3xf64> {ds.name = "q"}, %k: tensor<2x5x1x3xf64> {ds.name = "k"}, %v: tensor<2x5x1x3xf64> {ds.name = "v"}) -> (tensor<2x2x2x3xf64> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v causal : (tensor<2x2x2x3xf64>, tensor<2x5x1x3xf64>, tensor<2x5x1x3xf64>) -> tensor<2x2x2x3xf64>
  return %0 : tensor<2x2x2x3xf64>
}

// Sliding window: causal with window = 2 (each query sees itself and one
// earlier key), and window = 3 with Tq = 3 < Tk = 6.
// RUN: ds-interp %s --entry=attention_window_f64 --inputs=%S/Inputs/attention_window_f64.safetensors --compare=%S/Inputs/attention_window_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_WINDOW_F64
// ATTENTION_WINDOW_F64: compare out with out: relative error {{.*}} ok
// ATTENTION_WINDOW_F64: compare out2 with out2: relative error {{.*}} ok
func.func @attention_window_f64(%q: tensor<1x6x2x3xf64> {ds.name = "q"}, %k: tensor<1x6x2x3xf64> {ds.name = "k"}, %v: tensor<1x6x2x3xf64> {ds.name = "v"}, %q2: tensor<1x3x2x3xf64> {ds.name = "q2"}, %k2: tensor<1x6x1x3xf64> {ds.name = "k2"}, %v2: tensor<1x6x1x3xf64> {ds.name = "v2"}) -> (tensor<1x6x2x3xf64> {ds.name = "out"}, tensor<1x3x2x3xf64> {ds.name = "out2"}) {
  %0 = ds.attention %q, %k, %v causal window = 2 : (tensor<1x6x2x3xf64>, tensor<1x6x2x3xf64>, tensor<1x6x2x3xf64>) -> tensor<1x6x2x3xf64>
  %1 = ds.attention %q2, %k2, %v2 causal window = 3 : (tensor<1x3x2x3xf64>, tensor<1x6x1x3xf64>, tensor<1x6x1x3xf64>) -> tensor<1x3x2x3xf64>
  return %0, %1 : tensor<1x6x2x3xf64>, tensor<1x3x2x3xf64>
}

// key_length: only the first L keys of a 6-slot cache hold data, and causal
// queries sit at the end of them. One decoding query per sequence over 3
// filled slots (multi-query), two causal queries over 4, the same
// non-causal over 2 (an i64 length), and a length of 9 clamped to 6.
// RUN: ds-interp %s --entry=attention_key_length_f64 --inputs=%S/Inputs/attention_key_length_f64.safetensors --compare=%S/Inputs/attention_key_length_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_KEY_LENGTH_F64
// ATTENTION_KEY_LENGTH_F64: compare out with out: relative error {{.*}} ok
// ATTENTION_KEY_LENGTH_F64: compare out2 with out2: relative error {{.*}} ok
// ATTENTION_KEY_LENGTH_F64: compare out3 with out3: relative error {{.*}} ok
// ATTENTION_KEY_LENGTH_F64: compare out4 with out4: relative error {{.*}} ok
func.func @attention_key_length_f64(%q: tensor<2x1x4x3xf64> {ds.name = "q"}, %k: tensor<2x6x1x3xf64> {ds.name = "k"}, %v: tensor<2x6x1x3xf64> {ds.name = "v"}, %q2: tensor<1x2x2x3xf64> {ds.name = "q2"}, %k2: tensor<1x6x2x3xf64> {ds.name = "k2"}, %v2: tensor<1x6x2x3xf64> {ds.name = "v2"}, %len: tensor<i32> {ds.name = "len"}, %len2: tensor<i32> {ds.name = "len2"}, %len3: tensor<i64> {ds.name = "len3"}, %len4: tensor<i32> {ds.name = "len4"}) -> (tensor<2x1x4x3xf64> {ds.name = "out"}, tensor<1x2x2x3xf64> {ds.name = "out2"}, tensor<1x2x2x3xf64> {ds.name = "out3"}, tensor<1x2x2x3xf64> {ds.name = "out4"}) {
  %0 = ds.attention %q, %k, %v key_length %len causal : (tensor<2x1x4x3xf64>, tensor<2x6x1x3xf64>, tensor<2x6x1x3xf64>, tensor<i32>) -> tensor<2x1x4x3xf64>
  %1 = ds.attention %q2, %k2, %v2 key_length %len2 causal : (tensor<1x2x2x3xf64>, tensor<1x6x2x3xf64>, tensor<1x6x2x3xf64>, tensor<i32>) -> tensor<1x2x2x3xf64>
  %2 = ds.attention %q2, %k2, %v2 key_length %len3 : (tensor<1x2x2x3xf64>, tensor<1x6x2x3xf64>, tensor<1x6x2x3xf64>, tensor<i64>) -> tensor<1x2x2x3xf64>
  %3 = ds.attention %q2, %k2, %v2 key_length %len4 causal : (tensor<1x2x2x3xf64>, tensor<1x6x2x3xf64>, tensor<1x6x2x3xf64>, tensor<i32>) -> tensor<1x2x2x3xf64>
  return %0, %1, %2, %3 : tensor<2x1x4x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>
}

// An explicit scale (0.3) and different head dimensions (Dqk = 6, Dv = 4),
// non-causal and causal, multi-query (Hkv = 1).
// RUN: ds-interp %s --entry=attention_scale_dv_f64 --inputs=%S/Inputs/attention_scale_dv_f64.safetensors --compare=%S/Inputs/attention_scale_dv_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_SCALE_DV_F64
// ATTENTION_SCALE_DV_F64: compare out with out: relative error {{.*}} ok
// ATTENTION_SCALE_DV_F64: compare out_causal with out_causal: relative error {{.*}} ok
func.func @attention_scale_dv_f64(%q: tensor<2x3x2x6xf64> {ds.name = "q"}, %k: tensor<2x4x1x6xf64> {ds.name = "k"}, %v: tensor<2x4x1x4xf64> {ds.name = "v"}) -> (tensor<2x3x2x4xf64> {ds.name = "out"}, tensor<2x3x2x4xf64> {ds.name = "out_causal"}) {
  %0 = ds.attention %q, %k, %v scale = 3.0e-01 : (tensor<2x3x2x6xf64>, tensor<2x4x1x6xf64>, tensor<2x4x1x4xf64>) -> tensor<2x3x2x4xf64>
  %1 = ds.attention %q, %k, %v causal scale = 3.0e-01 : (tensor<2x3x2x6xf64>, tensor<2x4x1x6xf64>, tensor<2x4x1x4xf64>) -> tensor<2x3x2x4xf64>
  return %0, %1 : tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>
}

// Causal with Tq = 4 > Tk = 2: queries 0 and 1 sit at positions -2 and -1,
// see no key and yield zeros.
// RUN: ds-interp %s --entry=attention_no_visible_key_f64 --inputs=%S/Inputs/attention_no_visible_key_f64.safetensors --compare=%S/Inputs/attention_no_visible_key_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=ATTENTION_NO_VISIBLE_KEY_F64
// ATTENTION_NO_VISIBLE_KEY_F64: compare out with out: relative error {{.*}} ok
func.func @attention_no_visible_key_f64(%q: tensor<1x4x2x3xf64> {ds.name = "q"}, %k: tensor<1x2x2x3xf64> {ds.name = "k"}, %v: tensor<1x2x2x3xf64> {ds.name = "v"}) -> (tensor<1x4x2x3xf64> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v causal : (tensor<1x4x2x3xf64>, tensor<1x2x2x3xf64>, tensor<1x2x2x3xf64>) -> tensor<1x4x2x3xf64>
  return %0 : tensor<1x4x2x3xf64>
}

// f32 causal multi-query attention.
// RUN: ds-interp %s --entry=attention_f32 --inputs=%S/Inputs/attention_f32.safetensors --compare=%S/Inputs/attention_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=ATTENTION_F32
// ATTENTION_F32: compare out with out: relative error {{.*}} ok
func.func @attention_f32(%q: tensor<1x4x2x8xf32> {ds.name = "q"}, %k: tensor<1x4x1x8xf32> {ds.name = "k"}, %v: tensor<1x4x1x8xf32> {ds.name = "v"}) -> (tensor<1x4x2x8xf32> {ds.name = "out"}) {
  %0 = ds.attention %q, %k, %v causal : (tensor<1x4x2x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

// Softmax scores, top-2 of 8, no groups, no bias, no normalisation.
// RUN: ds-interp %s --entry=moe_route_softmax_f64 --inputs=%S/Inputs/moe_route_softmax_f64.safetensors --compare=%S/Inputs/moe_route_softmax_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_SOFTMAX_F64
// MOE_ROUTE_SOFTMAX_F64: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_SOFTMAX_F64: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_softmax_f64(%logits: tensor<5x8xf64> {ds.name = "logits"}) -> (tensor<5x2xf64> {ds.name = "weights"}, tensor<5x2xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits scoring = softmax top_k = 2 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<5x8xf64>) -> (tensor<5x2xf64>, tensor<5x2xi32>)
  return %w, %i : tensor<5x2xf64>, tensor<5x2xi32>
}

// DeepSeek-V3 routing: sigmoid scores, a selection-only bias, 4 groups of 4
// ranked by the sum of their two best biased scores, the best 2 groups kept,
// top-4, weights = unbiased scores normalised and scaled by 2.5. The data
// have no near-ties (gaps > 1e-3), and both the bias and the group limit
// change the selection of some token.
// RUN: ds-interp %s --entry=moe_route_sigmoid_top2_f64 --inputs=%S/Inputs/moe_route_sigmoid_top2_f64.safetensors --compare=%S/Inputs/moe_route_sigmoid_top2_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_SIGMOID_TOP2_F64
// MOE_ROUTE_SIGMOID_TOP2_F64: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_SIGMOID_TOP2_F64: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_sigmoid_top2_f64(%logits: tensor<6x16xf64> {ds.name = "logits"}, %bias: tensor<16xf64> {ds.name = "bias"}) -> (tensor<6x4xf64> {ds.name = "weights"}, tensor<6x4xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits, %bias scoring = sigmoid top_k = 4 n_group = 4 topk_group = 2 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.5 : (tensor<6x16xf64>, tensor<16xf64>) -> (tensor<6x4xf64>, tensor<6x4xi32>)
  return %w, %i : tensor<6x4xf64>, tensor<6x4xi32>
}

// DeepSeek-V2-style routing: softmax scores (plus a bias), 3 groups of 4
// ranked by their maximum, 2 kept, top-3, normalised, scaled by 1.5.
// RUN: ds-interp %s --entry=moe_route_softmax_group_max_f64 --inputs=%S/Inputs/moe_route_softmax_group_max_f64.safetensors --compare=%S/Inputs/moe_route_softmax_group_max_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_SOFTMAX_GROUP_MAX_F64
// MOE_ROUTE_SOFTMAX_GROUP_MAX_F64: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_SOFTMAX_GROUP_MAX_F64: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_softmax_group_max_f64(%logits: tensor<6x12xf64> {ds.name = "logits"}, %bias: tensor<12xf64> {ds.name = "bias"}) -> (tensor<6x3xf64> {ds.name = "weights"}, tensor<6x3xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits, %bias scoring = softmax top_k = 3 n_group = 3 topk_group = 2 group_score = max norm_topk_prob routed_scaling_factor = 1.5 : (tensor<6x12xf64>, tensor<12xf64>) -> (tensor<6x3xf64>, tensor<6x3xi32>)
  return %w, %i : tensor<6x3xf64>, tensor<6x3xi32>
}

// Sigmoid scores, 2 groups of 3 with only the best kept, top-3 (the whole group), unnormalised, scaled by 16.
// RUN: ds-interp %s --entry=moe_route_sigmoid_nonorm_f64 --inputs=%S/Inputs/moe_route_sigmoid_nonorm_f64.safetensors --compare=%S/Inputs/moe_route_sigmoid_nonorm_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_SIGMOID_NONORM_F64
// MOE_ROUTE_SIGMOID_NONORM_F64: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_SIGMOID_NONORM_F64: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_sigmoid_nonorm_f64(%logits: tensor<4x6xf64> {ds.name = "logits"}) -> (tensor<4x3xf64> {ds.name = "weights"}, tensor<4x3xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits scoring = sigmoid top_k = 3 n_group = 2 topk_group = 1 group_score = top2_sum routed_scaling_factor = 1.6e+01 : (tensor<4x6xf64>) -> (tensor<4x3xf64>, tensor<4x3xi32>)
  return %w, %i : tensor<4x3xf64>, tensor<4x3xi32>
}

// Exactly equal scores are broken by the lower expert index: [1, 3, 5],
// [0, 1, 2] and [1, 4, 3].
// RUN: ds-interp %s --entry=moe_route_ties_f64 --inputs=%S/Inputs/moe_route_ties_f64.safetensors --compare=%S/Inputs/moe_route_ties_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_ROUTE_TIES_F64
// MOE_ROUTE_TIES_F64: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_TIES_F64: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_ties_f64(%logits: tensor<3x6xf64> {ds.name = "logits"}) -> (tensor<3x3xf64> {ds.name = "weights"}, tensor<3x3xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits scoring = sigmoid top_k = 3 n_group = 1 topk_group = 1 group_score = max routed_scaling_factor = 1.0 : (tensor<3x6xf64>) -> (tensor<3x3xf64>, tensor<3x3xi32>)
  return %w, %i : tensor<3x3xf64>, tensor<3x3xi32>
}

// f32 routing with a bias and a group limit.
// RUN: ds-interp %s --entry=moe_route_f32 --inputs=%S/Inputs/moe_route_f32.safetensors --compare=%S/Inputs/moe_route_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MOE_ROUTE_F32
// MOE_ROUTE_F32: compare weights with weights: relative error {{.*}} ok
// MOE_ROUTE_F32: compare indices with indices: relative error {{.*}} ok
func.func @moe_route_f32(%logits: tensor<4x8xf32> {ds.name = "logits"}, %bias: tensor<8xf32> {ds.name = "bias"}) -> (tensor<4x2xf32> {ds.name = "weights"}, tensor<4x2xi32> {ds.name = "indices"}) {
  %w, %i = ds.moe_route %logits, %bias scoring = sigmoid top_k = 2 n_group = 2 topk_group = 1 group_score = top2_sum norm_topk_prob routed_scaling_factor = 2.0 : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>)
  return %w, %i : tensor<4x2xf32>, tensor<4x2xi32>
}

// ds.moe_ffn: out[n] = sum_k w[n,k] * down[e] (silu(gate[e] x[n]) * (up[e] x[n])),
// e = idx[n,k]; N = 4, D = 6, I = 5, E = 3, K = 2.
// RUN: ds-interp %s --entry=moe_ffn_f64 --inputs=%S/Inputs/moe_ffn_f64.safetensors --compare=%S/Inputs/moe_ffn_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=MOE_FFN_F64
// MOE_FFN_F64: compare out with out: relative error {{.*}} ok
func.func @moe_ffn_f64(%x: tensor<4x6xf64> {ds.name = "x"}, %w: tensor<4x2xf64> {ds.name = "w"}, %idx: tensor<4x2xi32> {ds.name = "idx"}, %gate: tensor<3x5x6xf64> {ds.name = "gate"}, %up: tensor<3x5x6xf64> {ds.name = "up"}, %down: tensor<3x6x5xf64> {ds.name = "down"}) -> (tensor<4x6xf64> {ds.name = "out"}) {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<4x6xf64>, tensor<4x2xf64>, tensor<4x2xi32>, tensor<3x5x6xf64>, tensor<3x5x6xf64>, tensor<3x6x5xf64>) -> tensor<4x6xf64>
  return %0 : tensor<4x6xf64>
}

// f32 ds.moe_ffn with i64 indices, one token choosing an expert twice.
// RUN: ds-interp %s --entry=moe_ffn_f32 --inputs=%S/Inputs/moe_ffn_f32.safetensors --compare=%S/Inputs/moe_ffn_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=MOE_FFN_F32
// MOE_FFN_F32: compare out with out: relative error {{.*}} ok
func.func @moe_ffn_f32(%x: tensor<3x4xf32> {ds.name = "x"}, %w: tensor<3x3xf32> {ds.name = "w"}, %idx: tensor<3x3xi64> {ds.name = "idx"}, %gate: tensor<4x6x4xf32> {ds.name = "gate"}, %up: tensor<4x6x4xf32> {ds.name = "up"}, %down: tensor<4x4x6xf32> {ds.name = "down"}) -> (tensor<3x4xf32> {ds.name = "out"}) {
  %0 = ds.moe_ffn %x, %w, %idx, %gate, %up, %down : (tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x3xi64>, tensor<4x6x4xf32>, tensor<4x6x4xf32>, tensor<4x4x6xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// Mean cross-entropy over [2, 3] positions, two of them -100 (the default ignore_index).
// RUN: ds-interp %s --entry=cross_entropy_f64 --inputs=%S/Inputs/cross_entropy_f64.safetensors --compare=%S/Inputs/cross_entropy_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=CROSS_ENTROPY_F64
// CROSS_ENTROPY_F64: compare loss with loss: relative error {{.*}} ok
func.func @cross_entropy_f64(%logits: tensor<2x3x7xf64> {ds.name = "logits"}, %targets: tensor<2x3xi32> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x3x7xf64>, tensor<2x3xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// ignore_index = 3: the two positions with target 3 are left out (i64 targets).
// RUN: ds-interp %s --entry=cross_entropy_ignore_index_f64 --inputs=%S/Inputs/cross_entropy_ignore_index_f64.safetensors --compare=%S/Inputs/cross_entropy_ignore_index_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=CROSS_ENTROPY_IGNORE_INDEX_F64
// CROSS_ENTROPY_IGNORE_INDEX_F64: compare loss with loss: relative error {{.*}} ok
func.func @cross_entropy_ignore_index_f64(%logits: tensor<6x5xf64> {ds.name = "logits"}, %targets: tensor<6xi64> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets ignore_index = 3 : (tensor<6x5xf64>, tensor<6xi64>) -> tensor<f64>
  return %0 : tensor<f64>
}

// Every position ignored: the loss is 0.
// RUN: ds-interp %s --entry=cross_entropy_all_ignored_f64 --inputs=%S/Inputs/cross_entropy_all_ignored_f64.safetensors --compare=%S/Inputs/cross_entropy_all_ignored_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=CROSS_ENTROPY_ALL_IGNORED_F64
// CROSS_ENTROPY_ALL_IGNORED_F64: compare loss with loss: relative error {{.*}} ok
func.func @cross_entropy_all_ignored_f64(%logits: tensor<2x4xf64> {ds.name = "logits"}, %targets: tensor<2xi32> {ds.name = "targets"}) -> (tensor<f64> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets : (tensor<2x4xf64>, tensor<2xi32>) -> tensor<f64>
  return %0 : tensor<f64>
}

// f32 logits around 50 (logsumexp must subtract the max); one ignored position.
// RUN: ds-interp %s --entry=cross_entropy_f32 --inputs=%S/Inputs/cross_entropy_f32.safetensors --compare=%S/Inputs/cross_entropy_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=CROSS_ENTROPY_F32
// CROSS_ENTROPY_F32: compare loss with loss: relative error {{.*}} ok
func.func @cross_entropy_f32(%logits: tensor<5x11xf32> {ds.name = "logits"}, %targets: tensor<5xi32> {ds.name = "targets"}) -> (tensor<f32> {ds.name = "loss"}) {
  %0 = ds.cross_entropy %logits, %targets : (tensor<5x11xf32>, tensor<5xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}
