// Numerical tests of the reductions, softmax and log_softmax in the reference
// interpreter (ds-interp) against numpy, following docs/dialect/ds.md. f64 with
// rtol 1e-12, f32 with rtol 1e-6 (expected values computed in f64 and rounded
// to f32), integers and exactly summable bf16 data with rtol 0.
// Inputs/<case>.safetensors is written by make_op_goldens.py (README.md).

// ds.reduce_sum over axes [0, 2], the same in the order [2, 0] with keep_dims,
// all three axes (a rank-0 result) and the last axis.
// RUN: ds-interp %s --entry=reduce_sum_f64 --inputs=%S/Inputs/reduce_sum_f64.safetensors --compare=%S/Inputs/reduce_sum_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=REDUCE_SUM_F64
// REDUCE_SUM_F64: compare out with out: relative error {{.*}} ok
// REDUCE_SUM_F64: compare out_keep with out_keep: relative error {{.*}} ok
// REDUCE_SUM_F64: compare out_all with out_all: relative error {{.*}} ok
// REDUCE_SUM_F64: compare out_last with out_last: relative error {{.*}} ok
func.func @reduce_sum_f64(%x: tensor<3x4x5xf64> {ds.name = "x"}) -> (tensor<4xf64> {ds.name = "out"}, tensor<1x4x1xf64> {ds.name = "out_keep"}, tensor<f64> {ds.name = "out_all"}, tensor<3x4xf64> {ds.name = "out_last"}) {
  %0 = ds.reduce_sum %x axes = [0, 2] : tensor<3x4x5xf64> -> tensor<4xf64>
  %1 = ds.reduce_sum %x axes = [2, 0] keep_dims : tensor<3x4x5xf64> -> tensor<1x4x1xf64>
  %2 = ds.reduce_sum %x axes = [0, 1, 2] : tensor<3x4x5xf64> -> tensor<f64>
  %3 = ds.reduce_sum %x axes = [2] : tensor<3x4x5xf64> -> tensor<3x4xf64>
  return %0, %1, %2, %3 : tensor<4xf64>, tensor<1x4x1xf64>, tensor<f64>, tensor<3x4xf64>
}

// ds.reduce_mean over [1], [1, 2] with keep_dims, and [0, 1].
// RUN: ds-interp %s --entry=reduce_mean_f64 --inputs=%S/Inputs/reduce_mean_f64.safetensors --compare=%S/Inputs/reduce_mean_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=REDUCE_MEAN_F64
// REDUCE_MEAN_F64: compare out with out: relative error {{.*}} ok
// REDUCE_MEAN_F64: compare out_keep with out_keep: relative error {{.*}} ok
// REDUCE_MEAN_F64: compare out_01 with out_01: relative error {{.*}} ok
func.func @reduce_mean_f64(%x: tensor<3x4x5xf64> {ds.name = "x"}) -> (tensor<3x5xf64> {ds.name = "out"}, tensor<3x1x1xf64> {ds.name = "out_keep"}, tensor<5xf64> {ds.name = "out_01"}) {
  %0 = ds.reduce_mean %x axes = [1] : tensor<3x4x5xf64> -> tensor<3x5xf64>
  %1 = ds.reduce_mean %x axes = [1, 2] keep_dims : tensor<3x4x5xf64> -> tensor<3x1x1xf64>
  %2 = ds.reduce_mean %x axes = [0, 1] : tensor<3x4x5xf64> -> tensor<5xf64>
  return %0, %1, %2 : tensor<3x5xf64>, tensor<3x1x1xf64>, tensor<5xf64>
}

// ds.reduce_max over [0, 1], [2, 0] with keep_dims, and all axes.
// RUN: ds-interp %s --entry=reduce_max_f64 --inputs=%S/Inputs/reduce_max_f64.safetensors --compare=%S/Inputs/reduce_max_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=REDUCE_MAX_F64
// REDUCE_MAX_F64: compare out with out: relative error {{.*}} ok
// REDUCE_MAX_F64: compare out_keep with out_keep: relative error {{.*}} ok
// REDUCE_MAX_F64: compare out_all with out_all: relative error {{.*}} ok
func.func @reduce_max_f64(%x: tensor<3x4x5xf64> {ds.name = "x"}) -> (tensor<5xf64> {ds.name = "out"}, tensor<1x4x1xf64> {ds.name = "out_keep"}, tensor<f64> {ds.name = "out_all"}) {
  %0 = ds.reduce_max %x axes = [0, 1] : tensor<3x4x5xf64> -> tensor<5xf64>
  %1 = ds.reduce_max %x axes = [2, 0] keep_dims : tensor<3x4x5xf64> -> tensor<1x4x1xf64>
  %2 = ds.reduce_max %x axes = [0, 1, 2] : tensor<3x4x5xf64> -> tensor<f64>
  return %0, %1, %2 : tensor<5xf64>, tensor<1x4x1xf64>, tensor<f64>
}

// ds.reduce_max is NaN if any reduced element is NaN (x[1, 2] is NaN); the
// NaN positions are checked as compare ne (m != m).
// RUN: ds-interp %s --entry=reduce_max_nan --inputs=%S/Inputs/reduce_max_nan.safetensors --compare=%S/Inputs/reduce_max_nan.safetensors --rtol=0 | FileCheck %s --check-prefix=REDUCE_MAX_NAN
// REDUCE_MAX_NAN: compare isnan with isnan: relative error {{.*}} ok
// REDUCE_MAX_NAN: compare isnan0 with isnan0: relative error {{.*}} ok
func.func @reduce_max_nan(%x: tensor<3x4xf64> {ds.name = "x"}) -> (tensor<3xi1> {ds.name = "isnan"}, tensor<4xi1> {ds.name = "isnan0"}) {
  %0 = ds.reduce_max %x axes = [1] : tensor<3x4xf64> -> tensor<3xf64>
  %1 = ds.reduce_max %x axes = [0] : tensor<3x4xf64> -> tensor<4xf64>
  %2 = ds.compare ne, %0, %0 : (tensor<3xf64>, tensor<3xf64>) -> tensor<3xi1>
  %3 = ds.compare ne, %1, %1 : (tensor<4xf64>, tensor<4xf64>) -> tensor<4xi1>
  return %2, %3 : tensor<3xi1>, tensor<4xi1>
}

// Integer reduce_sum and reduce_max (keep_dims; all-negative data).
// RUN: ds-interp %s --entry=reduce_i32 --inputs=%S/Inputs/reduce_i32.safetensors --compare=%S/Inputs/reduce_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=REDUCE_I32
// REDUCE_I32: compare sum with sum: relative error {{.*}} ok
// REDUCE_I32: compare max with max: relative error {{.*}} ok
// REDUCE_I32: compare max_neg with max_neg: relative error {{.*}} ok
func.func @reduce_i32(%x: tensor<2x3x4xi32> {ds.name = "x"}, %y: tensor<2x3x4xi32> {ds.name = "y"}) -> (tensor<2xi32> {ds.name = "sum"}, tensor<1x3x4xi32> {ds.name = "max"}, tensor<2x3xi32> {ds.name = "max_neg"}) {
  %0 = ds.reduce_sum %x axes = [1, 2] : tensor<2x3x4xi32> -> tensor<2xi32>
  %1 = ds.reduce_max %x axes = [0] keep_dims : tensor<2x3x4xi32> -> tensor<1x3x4xi32>
  %2 = ds.reduce_max %y axes = [2] : tensor<2x3x4xi32> -> tensor<2x3xi32>
  return %0, %1, %2 : tensor<2xi32>, tensor<1x3x4xi32>, tensor<2x3xi32>
}

// f32 reduce_sum, reduce_mean and reduce_max.
// RUN: ds-interp %s --entry=reduce_f32 --inputs=%S/Inputs/reduce_f32.safetensors --compare=%S/Inputs/reduce_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=REDUCE_F32
// REDUCE_F32: compare sum with sum: relative error {{.*}} ok
// REDUCE_F32: compare mean with mean: relative error {{.*}} ok
// REDUCE_F32: compare max with max: relative error {{.*}} ok
func.func @reduce_f32(%x: tensor<4x6xf32> {ds.name = "x"}) -> (tensor<4xf32> {ds.name = "sum"}, tensor<6xf32> {ds.name = "mean"}, tensor<4xf32> {ds.name = "max"}) {
  %0 = ds.reduce_sum %x axes = [1] : tensor<4x6xf32> -> tensor<4xf32>
  %1 = ds.reduce_mean %x axes = [0] : tensor<4x6xf32> -> tensor<6xf32>
  %2 = ds.reduce_max %x axes = [1] : tensor<4x6xf32> -> tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<6xf32>, tensor<4xf32>
}

// bf16 reductions accumulate in at least f32 and round once: the data are
// multiples of 1/8 below 16, so every partial sum is exact in f32 (but not in
// bf16) and the result is the exact sum / mean rounded once to bf16.
// RUN: ds-interp %s --entry=reduce_bf16 --inputs=%S/Inputs/reduce_bf16.safetensors --compare=%S/Inputs/reduce_bf16.safetensors --rtol=0 | FileCheck %s --check-prefix=REDUCE_BF16
// REDUCE_BF16: compare sum with sum: relative error {{.*}} ok
// REDUCE_BF16: compare mean with mean: relative error {{.*}} ok
// REDUCE_BF16: compare max with max: relative error {{.*}} ok
func.func @reduce_bf16(%x: tensor<3x8xbf16> {ds.name = "x"}) -> (tensor<3xbf16> {ds.name = "sum"}, tensor<8xbf16> {ds.name = "mean"}, tensor<3xbf16> {ds.name = "max"}) {
  %0 = ds.reduce_sum %x axes = [1] : tensor<3x8xbf16> -> tensor<3xbf16>
  %1 = ds.reduce_mean %x axes = [0] : tensor<3x8xbf16> -> tensor<8xbf16>
  %2 = ds.reduce_max %x axes = [1] : tensor<3x8xbf16> -> tensor<3xbf16>
  return %0, %1, %2 : tensor<3xbf16>, tensor<8xbf16>, tensor<3xbf16>
}

// ds.softmax along axis 1 and along axis 0.
// RUN: ds-interp %s --entry=softmax_f64 --inputs=%S/Inputs/softmax_f64.safetensors --compare=%S/Inputs/softmax_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SOFTMAX_F64
// SOFTMAX_F64: compare out with out: relative error {{.*}} ok
// SOFTMAX_F64: compare out0 with out0: relative error {{.*}} ok
func.func @softmax_f64(%x: tensor<3x5xf64> {ds.name = "x"}, %y: tensor<4x3xf64> {ds.name = "y"}) -> (tensor<3x5xf64> {ds.name = "out"}, tensor<4x3xf64> {ds.name = "out0"}) {
  %0 = ds.softmax %x axis = 1 : tensor<3x5xf64>
  %1 = ds.softmax %y axis = 0 : tensor<4x3xf64>
  return %0, %1 : tensor<3x5xf64>, tensor<4x3xf64>
}

// Inputs near +1000 and -1000, where e^x overflows or underflows: the maximum
// is subtracted first.
// RUN: ds-interp %s --entry=softmax_large_f64 --inputs=%S/Inputs/softmax_large_f64.safetensors --compare=%S/Inputs/softmax_large_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=SOFTMAX_LARGE_F64
// SOFTMAX_LARGE_F64: compare out with out: relative error {{.*}} ok
// SOFTMAX_LARGE_F64: compare log with log: relative error {{.*}} ok
func.func @softmax_large_f64(%x: tensor<2x6xf64> {ds.name = "x"}) -> (tensor<2x6xf64> {ds.name = "out"}, tensor<2x6xf64> {ds.name = "log"}) {
  %0 = ds.softmax %x axis = 1 : tensor<2x6xf64>
  %1 = ds.log_softmax %x axis = 1 : tensor<2x6xf64>
  return %0, %1 : tensor<2x6xf64>, tensor<2x6xf64>
}

// ds.log_softmax along the last axis, and along the middle axis of a rank-3 tensor.
// RUN: ds-interp %s --entry=log_softmax_f64 --inputs=%S/Inputs/log_softmax_f64.safetensors --compare=%S/Inputs/log_softmax_f64.safetensors --rtol=1e-12 | FileCheck %s --check-prefix=LOG_SOFTMAX_F64
// LOG_SOFTMAX_F64: compare out with out: relative error {{.*}} ok
// LOG_SOFTMAX_F64: compare out1 with out1: relative error {{.*}} ok
func.func @log_softmax_f64(%x: tensor<3x5xf64> {ds.name = "x"}, %y: tensor<2x3x4xf64> {ds.name = "y"}) -> (tensor<3x5xf64> {ds.name = "out"}, tensor<2x3x4xf64> {ds.name = "out1"}) {
  %0 = ds.log_softmax %x axis = 1 : tensor<3x5xf64>
  %1 = ds.log_softmax %y axis = 1 : tensor<2x3x4xf64>
  return %0, %1 : tensor<3x5xf64>, tensor<2x3x4xf64>
}

// f32 softmax and log_softmax.
// RUN: ds-interp %s --entry=softmax_f32 --inputs=%S/Inputs/softmax_f32.safetensors --compare=%S/Inputs/softmax_f32.safetensors --rtol=1e-6 | FileCheck %s --check-prefix=SOFTMAX_F32
// SOFTMAX_F32: compare out with out: relative error {{.*}} ok
// SOFTMAX_F32: compare log with log: relative error {{.*}} ok
func.func @softmax_f32(%x: tensor<3x7xf32> {ds.name = "x"}) -> (tensor<3x7xf32> {ds.name = "out"}, tensor<3x7xf32> {ds.name = "log"}) {
  %0 = ds.softmax %x axis = 1 : tensor<3x7xf32>
  %1 = ds.log_softmax %x axis = 1 : tensor<3x7xf32>
  return %0, %1 : tensor<3x7xf32>, tensor<3x7xf32>
}
