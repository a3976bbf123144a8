// Numerical tests of the shape ops in the reference interpreter (ds-interp)
// against numpy (reshape, transpose, broadcast_to, strided slicing,
// concatenate, take, zero padding, add.at, indices) following
// docs/dialect/ds.md. Data movement (and, for scatter_add, sums taken in the
// same order on both sides), so the comparisons are exact (rtol 0).
// Inputs/<case>.safetensors is written by make_op_goldens.py (README.md).

// ds.reshape keeps the row-major element order.
// RUN: ds-interp %s --entry=reshape_f64 --inputs=%S/Inputs/reshape_f64.safetensors --compare=%S/Inputs/reshape_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=RESHAPE_F64
// RESHAPE_F64: compare out with out: relative error {{.*}} ok
// RESHAPE_F64: compare out2 with out2: relative error {{.*}} ok
func.func @reshape_f64(%x: tensor<2x3x4xf64> {ds.name = "x"}) -> (tensor<4x6xf64> {ds.name = "out"}, tensor<2x1x12xf64> {ds.name = "out2"}) {
  %0 = ds.reshape %x : tensor<2x3x4xf64> -> tensor<4x6xf64>
  %1 = ds.reshape %x : tensor<2x3x4xf64> -> tensor<2x1x12xf64>
  return %0, %1 : tensor<4x6xf64>, tensor<2x1x12xf64>
}

// ds.reshape of integers to a higher rank.
// RUN: ds-interp %s --entry=reshape_i32 --inputs=%S/Inputs/reshape_i32.safetensors --compare=%S/Inputs/reshape_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=RESHAPE_I32
// RESHAPE_I32: compare out with out: relative error {{.*}} ok
func.func @reshape_i32(%x: tensor<6xi32> {ds.name = "x"}) -> (tensor<2x1x3xi32> {ds.name = "out"}) {
  %0 = ds.reshape %x : tensor<6xi32> -> tensor<2x1x3xi32>
  return %0 : tensor<2x1x3xi32>
}

// ds.transpose: result.shape[i] = input.shape[permutation[i]] (np.transpose),
// a rotation, a 4-d swap of the middle axes and a reversal.
// RUN: ds-interp %s --entry=transpose_f64 --inputs=%S/Inputs/transpose_f64.safetensors --compare=%S/Inputs/transpose_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=TRANSPOSE_F64
// TRANSPOSE_F64: compare out with out: relative error {{.*}} ok
// TRANSPOSE_F64: compare out4 with out4: relative error {{.*}} ok
// TRANSPOSE_F64: compare out_rev with out_rev: relative error {{.*}} ok
func.func @transpose_f64(%x: tensor<2x3x4xf64> {ds.name = "x"}, %y: tensor<2x3x2x4xf64> {ds.name = "y"}) -> (tensor<4x2x3xf64> {ds.name = "out"}, tensor<2x2x3x4xf64> {ds.name = "out4"}, tensor<4x3x2xf64> {ds.name = "out_rev"}) {
  %0 = ds.transpose %x permutation = [2, 0, 1] : tensor<2x3x4xf64> -> tensor<4x2x3xf64>
  %1 = ds.transpose %y permutation = [0, 2, 1, 3] : tensor<2x3x2x4xf64> -> tensor<2x2x3x4xf64>
  %2 = ds.transpose %x permutation = [2, 1, 0] : tensor<2x3x4xf64> -> tensor<4x3x2xf64>
  return %0, %1, %2 : tensor<4x2x3xf64>, tensor<2x2x3x4xf64>, tensor<4x3x2xf64>
}

// ds.transpose of an i1 matrix.
// RUN: ds-interp %s --entry=transpose_i1 --inputs=%S/Inputs/transpose_i1.safetensors --compare=%S/Inputs/transpose_i1.safetensors --rtol=0 | FileCheck %s --check-prefix=TRANSPOSE_I1
// TRANSPOSE_I1: compare out with out: relative error {{.*}} ok
func.func @transpose_i1(%x: tensor<2x3xi1> {ds.name = "x"}) -> (tensor<3x2xi1> {ds.name = "out"}) {
  %0 = ds.transpose %x permutation = [1, 0] : tensor<2x3xi1> -> tensor<3x2xi1>
  return %0 : tensor<3x2xi1>
}

// ds.broadcast: [3,1] -> [2,3,4] (a new leading axis and a repeated 1), and a
// rank-0 tensor -> [2,2].
// RUN: ds-interp %s --entry=broadcast_f64 --inputs=%S/Inputs/broadcast_f64.safetensors --compare=%S/Inputs/broadcast_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=BROADCAST_F64
// BROADCAST_F64: compare out with out: relative error {{.*}} ok
// BROADCAST_F64: compare out_s with out_s: relative error {{.*}} ok
func.func @broadcast_f64(%x: tensor<3x1xf64> {ds.name = "x"}, %s: tensor<f64> {ds.name = "s"}) -> (tensor<2x3x4xf64> {ds.name = "out"}, tensor<2x2xf64> {ds.name = "out_s"}) {
  %0 = ds.broadcast %x : tensor<3x1xf64> -> tensor<2x3x4xf64>
  %1 = ds.broadcast %s : tensor<f64> -> tensor<2x2xf64>
  return %0, %1 : tensor<2x3x4xf64>, tensor<2x2xf64>
}

// ds.broadcast of integers.
// RUN: ds-interp %s --entry=broadcast_i32 --inputs=%S/Inputs/broadcast_i32.safetensors --compare=%S/Inputs/broadcast_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=BROADCAST_I32
// BROADCAST_I32: compare out with out: relative error {{.*}} ok
func.func @broadcast_i32(%x: tensor<1x4xi32> {ds.name = "x"}) -> (tensor<3x4xi32> {ds.name = "out"}) {
  %0 = ds.broadcast %x : tensor<1x4xi32> -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}

// ds.slice: x[1:5:2, 0:7:3], x[2:4, 1:6] (default strides) and
// y[0:4:3, 1:5:2, 2:6].
// RUN: ds-interp %s --entry=slice_f64 --inputs=%S/Inputs/slice_f64.safetensors --compare=%S/Inputs/slice_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=SLICE_F64
// SLICE_F64: compare out with out: relative error {{.*}} ok
// SLICE_F64: compare out_unit with out_unit: relative error {{.*}} ok
// SLICE_F64: compare out3 with out3: relative error {{.*}} ok
func.func @slice_f64(%x: tensor<5x7xf64> {ds.name = "x"}, %y: tensor<4x5x6xf64> {ds.name = "y"}) -> (tensor<2x3xf64> {ds.name = "out"}, tensor<2x5xf64> {ds.name = "out_unit"}, tensor<2x2x4xf64> {ds.name = "out3"}) {
  %0 = ds.slice %x starts = [1, 0] limits = [5, 7] strides = [2, 3] : tensor<5x7xf64> -> tensor<2x3xf64>
  %1 = ds.slice %x starts = [2, 1] limits = [4, 6] : tensor<5x7xf64> -> tensor<2x5xf64>
  %2 = ds.slice %y starts = [0, 1, 2] limits = [4, 5, 6] strides = [3, 2, 1] : tensor<4x5x6xf64> -> tensor<2x2x4xf64>
  return %0, %1, %2 : tensor<2x3xf64>, tensor<2x5xf64>, tensor<2x2x4xf64>
}

// ds.slice of integers: x[1:10:3], and an empty slice x[4:4].
// RUN: ds-interp %s --entry=slice_i32 --inputs=%S/Inputs/slice_i32.safetensors --compare=%S/Inputs/slice_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=SLICE_I32
// SLICE_I32: compare out with out: relative error {{.*}} ok
// SLICE_I32: compare out_empty with out_empty: relative error {{.*}} ok
func.func @slice_i32(%x: tensor<10xi32> {ds.name = "x"}) -> (tensor<3xi32> {ds.name = "out"}, tensor<0xi32> {ds.name = "out_empty"}) {
  %0 = ds.slice %x starts = [1] limits = [10] strides = [3] : tensor<10xi32> -> tensor<3xi32>
  %1 = ds.slice %x starts = [4] limits = [4] : tensor<10xi32> -> tensor<0xi32>
  return %0, %1 : tensor<3xi32>, tensor<0xi32>
}

// ds.concat of three tensors along axis 1, and of one tensor twice along axis 0.
// RUN: ds-interp %s --entry=concat_f64 --inputs=%S/Inputs/concat_f64.safetensors --compare=%S/Inputs/concat_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=CONCAT_F64
// CONCAT_F64: compare out with out: relative error {{.*}} ok
// CONCAT_F64: compare out0 with out0: relative error {{.*}} ok
func.func @concat_f64(%a: tensor<2x3xf64> {ds.name = "a"}, %b: tensor<2x1xf64> {ds.name = "b"}, %c: tensor<2x2xf64> {ds.name = "c"}) -> (tensor<2x6xf64> {ds.name = "out"}, tensor<4x3xf64> {ds.name = "out0"}) {
  %0 = ds.concat %a, %b, %c axis = 1 : (tensor<2x3xf64>, tensor<2x1xf64>, tensor<2x2xf64>) -> tensor<2x6xf64>
  %1 = ds.concat %a, %a axis = 0 : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<4x3xf64>
  return %0, %1 : tensor<2x6xf64>, tensor<4x3xf64>
}

// ds.concat of integers along axis 0.
// RUN: ds-interp %s --entry=concat_i32 --inputs=%S/Inputs/concat_i32.safetensors --compare=%S/Inputs/concat_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=CONCAT_I32
// CONCAT_I32: compare out with out: relative error {{.*}} ok
func.func @concat_i32(%a: tensor<1x2x2xi32> {ds.name = "a"}, %b: tensor<2x2x2xi32> {ds.name = "b"}) -> (tensor<3x2x2xi32> {ds.name = "out"}) {
  %0 = ds.concat %a, %b axis = 0 : (tensor<1x2x2xi32>, tensor<2x2x2xi32>) -> tensor<3x2x2xi32>
  return %0 : tensor<3x2x2xi32>
}

// ds.split along axis 1 into sizes [2, 0, 5] (an empty piece).
// RUN: ds-interp %s --entry=split_f64 --inputs=%S/Inputs/split_f64.safetensors --compare=%S/Inputs/split_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=SPLIT_F64
// SPLIT_F64: compare p0 with p0: relative error {{.*}} ok
// SPLIT_F64: compare p1 with p1: relative error {{.*}} ok
// SPLIT_F64: compare p2 with p2: relative error {{.*}} ok
func.func @split_f64(%x: tensor<3x7xf64> {ds.name = "x"}) -> (tensor<3x2xf64> {ds.name = "p0"}, tensor<3x0xf64> {ds.name = "p1"}, tensor<3x5xf64> {ds.name = "p2"}) {
  %0:3 = ds.split %x axis = 1 sizes = [2, 0, 5] : tensor<3x7xf64> -> tensor<3x2xf64>, tensor<3x0xf64>, tensor<3x5xf64>
  return %0#0, %0#1, %0#2 : tensor<3x2xf64>, tensor<3x0xf64>, tensor<3x5xf64>
}

// ds.split of integers along axis 0.
// RUN: ds-interp %s --entry=split_i32 --inputs=%S/Inputs/split_i32.safetensors --compare=%S/Inputs/split_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=SPLIT_I32
// SPLIT_I32: compare p0 with p0: relative error {{.*}} ok
// SPLIT_I32: compare p1 with p1: relative error {{.*}} ok
func.func @split_i32(%x: tensor<4x2xi32> {ds.name = "x"}) -> (tensor<1x2xi32> {ds.name = "p0"}, tensor<3x2xi32> {ds.name = "p1"}) {
  %0:2 = ds.split %x axis = 0 sizes = [1, 3] : tensor<4x2xi32> -> tensor<1x2xi32>, tensor<3x2xi32>
  return %0#0, %0#1 : tensor<1x2xi32>, tensor<3x2xi32>
}

// ds.gather on axis 0 (an embedding lookup) with [2,3] i32 indices.
// RUN: ds-interp %s --entry=gather_axis0_f64 --inputs=%S/Inputs/gather_axis0_f64.safetensors --compare=%S/Inputs/gather_axis0_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=GATHER_AXIS0_F64
// GATHER_AXIS0_F64: compare out with out: relative error {{.*}} ok
func.func @gather_axis0_f64(%table: tensor<6x4xf64> {ds.name = "table"}, %idx: tensor<2x3xi32> {ds.name = "idx"}) -> (tensor<2x3x4xf64> {ds.name = "out"}) {
  %0 = ds.gather %table, %idx axis = 0 : (tensor<6x4xf64>, tensor<2x3xi32>) -> tensor<2x3x4xf64>
  return %0 : tensor<2x3x4xf64>
}

// ds.gather on axis 1 of a rank-3 tensor, repeated i64 indices.
// RUN: ds-interp %s --entry=gather_axis1_f64 --inputs=%S/Inputs/gather_axis1_f64.safetensors --compare=%S/Inputs/gather_axis1_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=GATHER_AXIS1_F64
// GATHER_AXIS1_F64: compare out with out: relative error {{.*}} ok
func.func @gather_axis1_f64(%x: tensor<3x5x2xf64> {ds.name = "x"}, %idx: tensor<4xi64> {ds.name = "idx"}) -> (tensor<3x4x2xf64> {ds.name = "out"}) {
  %0 = ds.gather %x, %idx axis = 1 : (tensor<3x5x2xf64>, tensor<4xi64>) -> tensor<3x4x2xf64>
  return %0 : tensor<3x4x2xf64>
}

// ds.gather of integers: a rank-0 index on axis 0 (drops the axis) and [2,1]
// indices on axis 1: result shape = input[:axis] + indices + input[axis+1:].
// RUN: ds-interp %s --entry=gather_i32 --inputs=%S/Inputs/gather_i32.safetensors --compare=%S/Inputs/gather_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=GATHER_I32
// GATHER_I32: compare out with out: relative error {{.*}} ok
// GATHER_I32: compare out2 with out2: relative error {{.*}} ok
func.func @gather_i32(%table: tensor<4x3xi32> {ds.name = "table"}, %idx: tensor<i32> {ds.name = "idx"}, %idx2: tensor<2x1xi64> {ds.name = "idx2"}) -> (tensor<3xi32> {ds.name = "out"}, tensor<4x2x1xi32> {ds.name = "out2"}) {
  %0 = ds.gather %table, %idx axis = 0 : (tensor<4x3xi32>, tensor<i32>) -> tensor<3xi32>
  %1 = ds.gather %table, %idx2 axis = 1 : (tensor<4x3xi32>, tensor<2x1xi64>) -> tensor<4x2x1xi32>
  return %0, %1 : tensor<3xi32>, tensor<4x2x1xi32>
}

// ds.pad: low / high zeros and interior zeros between neighbours ([2,3] ->
// [4,9]), and without interior on a rank-3 tensor.
// RUN: ds-interp %s --entry=pad_f64 --inputs=%S/Inputs/pad_f64.safetensors --compare=%S/Inputs/pad_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=PAD_F64
// PAD_F64: compare out with out: relative error {{.*}} ok
// PAD_F64: compare out_plain with out_plain: relative error {{.*}} ok
func.func @pad_f64(%x: tensor<2x3xf64> {ds.name = "x"}, %y: tensor<2x1x3xf64> {ds.name = "y"}) -> (tensor<4x9xf64> {ds.name = "out"}, tensor<3x3x7xf64> {ds.name = "out_plain"}) {
  %0 = ds.pad %x low = [1, 0] high = [0, 2] interior = [1, 2] : tensor<2x3xf64> -> tensor<4x9xf64>
  %1 = ds.pad %y low = [0, 2, 1] high = [1, 0, 3] : tensor<2x1x3xf64> -> tensor<3x3x7xf64>
  return %0, %1 : tensor<4x9xf64>, tensor<3x3x7xf64>
}

// ds.pad of integers with a dynamic leading dimension (its size is computed
// at run time: 2 + 3 + 2 * 2 + 1 = 10).
// RUN: ds-interp %s --entry=pad_i32 --inputs=%S/Inputs/pad_i32.safetensors --compare=%S/Inputs/pad_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=PAD_I32
// PAD_I32: compare out with out: relative error {{.*}} ok
func.func @pad_i32(%x: tensor<?x2xi32> {ds.name = "x"}) -> (tensor<?x4xi32> {ds.name = "out"}) {
  %0 = ds.pad %x low = [2, 1] high = [1, 1] interior = [2, 0] : tensor<?x2xi32> -> tensor<?x4xi32>
  return %0 : tensor<?x4xi32>
}

// ds.scatter_add on axis 0 (the backward pass of an embedding lookup): [2,3]
// indices with 2 repeated three times; rows 1 and 3 stay zero. The sums are
// added in index order on both sides, so they agree exactly.
// RUN: ds-interp %s --entry=scatter_add_axis0_f64 --inputs=%S/Inputs/scatter_add_axis0_f64.safetensors --compare=%S/Inputs/scatter_add_axis0_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=SCATTER_ADD_AXIS0_F64
// SCATTER_ADD_AXIS0_F64: compare out with out: relative error {{.*}} ok
func.func @scatter_add_axis0_f64(%updates: tensor<2x3x4xf64> {ds.name = "updates"}, %idx: tensor<2x3xi32> {ds.name = "idx"}) -> (tensor<6x4xf64> {ds.name = "out"}) {
  %0 = ds.scatter_add %updates, %idx axis = 0 : (tensor<2x3x4xf64>, tensor<2x3xi32>) -> tensor<6x4xf64>
  return %0 : tensor<6x4xf64>
}

// ds.scatter_add on axis 1 of a rank-3 result with repeated i64 indices; the
// leading dimension is dynamic and comes from the updates.
// RUN: ds-interp %s --entry=scatter_add_axis1_f64 --inputs=%S/Inputs/scatter_add_axis1_f64.safetensors --compare=%S/Inputs/scatter_add_axis1_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=SCATTER_ADD_AXIS1_F64
// SCATTER_ADD_AXIS1_F64: compare out with out: relative error {{.*}} ok
func.func @scatter_add_axis1_f64(%updates: tensor<?x5x2xf64> {ds.name = "updates"}, %idx: tensor<5xi64> {ds.name = "idx"}) -> (tensor<?x6x2xf64> {ds.name = "out"}) {
  %0 = ds.scatter_add %updates, %idx axis = 1 : (tensor<?x5x2xf64>, tensor<5xi64>) -> tensor<?x6x2xf64>
  return %0 : tensor<?x6x2xf64>
}

// ds.scatter_add of integers: a rank-0 index (the updates are one row) and
// [3,1] indices on the last axis.
// RUN: ds-interp %s --entry=scatter_add_i32 --inputs=%S/Inputs/scatter_add_i32.safetensors --compare=%S/Inputs/scatter_add_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=SCATTER_ADD_I32
// SCATTER_ADD_I32: compare out with out: relative error {{.*}} ok
// SCATTER_ADD_I32: compare out2 with out2: relative error {{.*}} ok
func.func @scatter_add_i32(%updates: tensor<4xi32> {ds.name = "updates"}, %idx: tensor<i32> {ds.name = "idx"}, %updates2: tensor<4x3x1xi32> {ds.name = "updates2"}, %idx2: tensor<3x1xi64> {ds.name = "idx2"}) -> (tensor<3x4xi32> {ds.name = "out"}, tensor<4x2xi32> {ds.name = "out2"}) {
  %0 = ds.scatter_add %updates, %idx axis = 0 : (tensor<4xi32>, tensor<i32>) -> tensor<3x4xi32>
  %1 = ds.scatter_add %updates2, %idx2 axis = 1 : (tensor<4x3x1xi32>, tensor<3x1xi64>) -> tensor<4x2xi32>
  return %0, %1 : tensor<3x4xi32>, tensor<4x2xi32>
}

// ds.iota along dims 0, 1 and 2 in i32, f64 and i64; in bf16 and f8E4M3FN the
// index is stored rounded (257 -> 256 and 259 -> 260 in bf16, 17 -> 16 and
// 19 -> 20 in f8E4M3FN). No inputs.
// RUN: ds-interp %s --entry=iota --inputs=%S/Inputs/iota.safetensors --compare=%S/Inputs/iota.safetensors --rtol=0 | FileCheck %s --check-prefix=IOTA
// IOTA: compare i0 with i0: relative error {{.*}} ok
// IOTA: compare f1 with f1: relative error {{.*}} ok
// IOTA: compare l2 with l2: relative error {{.*}} ok
// IOTA: compare b1 with b1: relative error {{.*}} ok
// IOTA: compare e0 with e0: relative error {{.*}} ok
func.func @iota() -> (tensor<5xi32> {ds.name = "i0"}, tensor<2x3x4xf64> {ds.name = "f1"}, tensor<2x3x4xi64> {ds.name = "l2"}, tensor<2x260xbf16> {ds.name = "b1"}, tensor<20x1xf8E4M3FN> {ds.name = "e0"}) {
  %0 = ds.iota dim = 0 : tensor<5xi32>
  %1 = ds.iota dim = 1 : tensor<2x3x4xf64>
  %2 = ds.iota dim = 2 : tensor<2x3x4xi64>
  %3 = ds.iota dim = 1 : tensor<2x260xbf16>
  %4 = ds.iota dim = 0 : tensor<20x1xf8E4M3FN>
  return %0, %1, %2, %3, %4 : tensor<5xi32>, tensor<2x3x4xf64>, tensor<2x3x4xi64>, tensor<2x260xbf16>, tensor<20x1xf8E4M3FN>
}

// ds.dynamic_update_slice: two positions written into a [2, 5, 3] cache at 1,
// and at 4 and -2, which are clamped to 3 and 0 so the block fits.
// RUN: ds-interp %s --entry=dynamic_update_slice_f64 --inputs=%S/Inputs/dynamic_update_slice_f64.safetensors --compare=%S/Inputs/dynamic_update_slice_f64.safetensors --rtol=0 | FileCheck %s --check-prefix=DYNAMIC_UPDATE_SLICE_F64
// DYNAMIC_UPDATE_SLICE_F64: compare out with out: relative error {{.*}} ok
// DYNAMIC_UPDATE_SLICE_F64: compare out_high with out_high: relative error {{.*}} ok
// DYNAMIC_UPDATE_SLICE_F64: compare out_low with out_low: relative error {{.*}} ok
func.func @dynamic_update_slice_f64(%target: tensor<2x5x3xf64> {ds.name = "target"}, %update: tensor<2x2x3xf64> {ds.name = "update"}, %start: tensor<i32> {ds.name = "start"}, %high: tensor<i32> {ds.name = "high"}, %low: tensor<i32> {ds.name = "low"}) -> (tensor<2x5x3xf64> {ds.name = "out"}, tensor<2x5x3xf64> {ds.name = "out_high"}, tensor<2x5x3xf64> {ds.name = "out_low"}) {
  %0 = ds.dynamic_update_slice %target, %update, %start axis = 1 : (tensor<2x5x3xf64>, tensor<2x2x3xf64>, tensor<i32>) -> tensor<2x5x3xf64>
  %1 = ds.dynamic_update_slice %target, %update, %high axis = 1 : (tensor<2x5x3xf64>, tensor<2x2x3xf64>, tensor<i32>) -> tensor<2x5x3xf64>
  %2 = ds.dynamic_update_slice %target, %update, %low axis = 1 : (tensor<2x5x3xf64>, tensor<2x2x3xf64>, tensor<i32>) -> tensor<2x5x3xf64>
  return %0, %1, %2 : tensor<2x5x3xf64>, tensor<2x5x3xf64>, tensor<2x5x3xf64>
}

// Integers on axis 0 with an i64 start; an update as large as the target
// replaces all of it (the start clamps to 0).
// RUN: ds-interp %s --entry=dynamic_update_slice_i32 --inputs=%S/Inputs/dynamic_update_slice_i32.safetensors --compare=%S/Inputs/dynamic_update_slice_i32.safetensors --rtol=0 | FileCheck %s --check-prefix=DYNAMIC_UPDATE_SLICE_I32
// DYNAMIC_UPDATE_SLICE_I32: compare out with out: relative error {{.*}} ok
// DYNAMIC_UPDATE_SLICE_I32: compare out_whole with out_whole: relative error {{.*}} ok
func.func @dynamic_update_slice_i32(%target: tensor<4x3xi32> {ds.name = "target"}, %update: tensor<1x3xi32> {ds.name = "update"}, %whole: tensor<4x3xi32> {ds.name = "whole"}, %start: tensor<i64> {ds.name = "start"}) -> (tensor<4x3xi32> {ds.name = "out"}, tensor<4x3xi32> {ds.name = "out_whole"}) {
  %0 = ds.dynamic_update_slice %target, %update, %start axis = 0 : (tensor<4x3xi32>, tensor<1x3xi32>, tensor<i64>) -> tensor<4x3xi32>
  %1 = ds.dynamic_update_slice %target, %whole, %start axis = 0 : (tensor<4x3xi32>, tensor<4x3xi32>, tensor<i64>) -> tensor<4x3xi32>
  return %0, %1 : tensor<4x3xi32>, tensor<4x3xi32>
}
