// f64 -> bf16 rounds once, to nearest with ties to even, as the spec says
// ("round to nearest, ties to even"). Rounding through f32 first (as PyTorch
// does) would round twice and differ for f64 values within half an f32 ulp
// above a bf16 halfway point; this file guards against that regression.

// Values just above a bf16 halfway point by less than half an f32 ulp:
// rounding once to nearest-even (the spec) gives the upper neighbour,
// 1 + 2^-8 + 2^-30 -> 1 + 2^-7; rounding to f32 first lands exactly on the
// halfway point and then rounds to even, 1.0.
// RUN: ds-interp %s --entry=cast_f64_bf16_double_rounding --inputs=%S/Inputs/cast_f64_bf16_double_rounding.safetensors --compare=%S/Inputs/cast_f64_bf16_double_rounding.safetensors --rtol=0 | FileCheck %s --check-prefix=CAST_F64_BF16_DOUBLE_ROUNDING
// CAST_F64_BF16_DOUBLE_ROUNDING: compare out with out: relative error {{.*}} ok
func.func @cast_f64_bf16_double_rounding(%x: tensor<5xf64> {ds.name = "x"}) -> (tensor<5xbf16> {ds.name = "out"}) {
  %0 = ds.cast %x : tensor<5xf64> to tensor<5xbf16>
  return %0 : tensor<5xbf16>
}
