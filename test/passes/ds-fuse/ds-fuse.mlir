// RUN: ds-opt %s --ds-fuse -split-input-file | FileCheck %s
// RUN: ds-opt %s --ds-fuse=row-groups=false -split-input-file | FileCheck %s --check-prefix=NOROWS
// RUN: ds-opt %s --ds-fuse=siblings=false -split-input-file | FileCheck %s --check-prefix=NOSIBLINGS

// RMSNorm: the fill, the sum of squares and the normalisation become one
// loop over the rows. Before: 3 kernels, moving 32 (fill) + 2048 + 32 + 32
// (sum: x, its accumulator, its result) + 2048 + 32 + 256 + 2048 (scale: x,
// the sums, w, y) bytes; after: one kernel reading x and w and writing y.
// A row's sum lives in the loop (the backend gives each row its own).

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: ds.fusion = {bytes_after = 4352 : i64, bytes_before = 6528 : i64, kernels_after = 1 : i64, kernels_before = 3 : i64, library_bytes = 0 : i64, library_calls = 0 : i64}
// CHECK:      %[[Y:.*]] = scf.forall (%[[I:.*]]) in (8) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<8x64xf32>)
// CHECK:        %[[X:.*]] = tensor.extract_slice %arg0[%[[I]], 0] [1, 64] [1, 1]
// CHECK:        %[[INIT:.*]] = linalg.fill
// CHECK:        %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<1x64xf32>) outs(%[[INIT]] : tensor<1xf32>)
// CHECK:        %[[ROW:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[SUM]], %arg1 : tensor<1x64xf32>, tensor<1xf32>, tensor<64xf32>)
// CHECK:          math.rsqrt
// CHECK:        scf.forall.in_parallel
// CHECK-NEXT:     tensor.parallel_insert_slice %[[ROW]]
// CHECK:      } {ds.kernel = {id = 0 : i64, kind = "row", ops = 3 : i64}}
// CHECK-NOT:  linalg.
// CHECK:      return %[[Y]]
// NOROWS-LABEL: func.func @rms_norm
// NOROWS-SAME:  kernels_after = 3 : i64, kernels_before = 3 : i64
// NOROWS-NOT:   scf.forall
// NOROWS:       linalg.fill {ds.kernel = {id = 0 : i64, kind = "fill", ops = 1 : i64}}
// NOROWS:       ds.kernel = {id = 1 : i64, kind = "reduction", ops = 1 : i64}
// NOROWS:       ds.kernel = {id = 2 : i64, kind = "elementwise", ops = 1 : i64}
func.func @rms_norm(%x: tensor<8x64xf32>, %w: tensor<64xf32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %n = arith.constant 64.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x64xf32>) outs(%f : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.mulf %in, %in : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<8x64xf32>
  %y = linalg.generic {indexing_maps = [#rows, #row, #col, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s, %w : tensor<8x64xf32>, tensor<8xf32>, tensor<64xf32>) outs(%e2 : tensor<8x64xf32>) {
  ^bb0(%in: f32, %ss: f32, %ww: f32, %out: f32):
    %0 = arith.divf %ss, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.rsqrt %1 : f32
    %3 = arith.mulf %in, %2 : f32
    %4 = arith.mulf %3, %ww : f32
    linalg.yield %4 : f32
  } -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// LayerNorm: the variance reads the mean; both reductions join the group,
// and the mean, also used after it (a statistic kept for the backward
// pass), is one of its results. The mean, fused once for the variance and
// once for the normalisation, is computed once.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:  kernels_after = 1 : i64, kernels_before = 4 : i64
// CHECK:       %[[G:.*]]:2 = scf.forall (%[[I:.*]]) in (4) shared_outs({{.*}}) -> (tensor<4x32xf32>, tensor<4xf32>)
// CHECK:         %[[X:.*]] = tensor.extract_slice %arg0[%[[I]], 0] [1, 32] [1, 1]
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}}"reduction"]} ins(%[[X]] : tensor<1x32xf32>)
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}}"reduction"]} ins(%[[X]], %[[MEAN]] : tensor<1x32xf32>, tensor<1xf32>)
// CHECK:         %[[ROW:.*]] = linalg.generic {{.*}}"parallel"]} ins(%[[X]], %[[MEAN]], %[[VAR]] :
// CHECK:         scf.forall.in_parallel
// CHECK-NEXT:      tensor.parallel_insert_slice %[[ROW]]
// CHECK-NEXT:      tensor.parallel_insert_slice %[[MEAN]]
// CHECK:       } {ds.kernel = {id = 0 : i64, kind = "row", ops = 4 : i64}}
// CHECK:       return %[[G]]#0, %[[G]]#1
func.func @layer_norm(%x: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 32.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %var = linalg.generic {indexing_maps = [#rows, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %sum : tensor<4x32xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %s: f32, %acc: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %d2 = arith.mulf %d, %d : f32
    %0 = arith.addf %acc, %d2 : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %y = linalg.generic {indexing_maps = [#rows, #row, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum, %var : tensor<4x32xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %out: f32):
    %m = arith.divf %s, %n : f32
    %d = arith.subf %in, %m : f32
    %vn = arith.divf %v, %n : f32
    %r = math.rsqrt %vn : f32
    %0 = arith.mulf %d, %r : f32
    linalg.yield %0 : f32
  } -> tensor<4x32xf32>
  return %y, %sum : tensor<4x32xf32>, tensor<4xf32>
}

// -----

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// A reduction used before its consumer joins the earlier consumer's group
// (which yields it) and the later one reads the result; a reduction over
// the rows (a weight gradient), which a loop over rows would recompute
// whole for every row, stays a kernel of its own, like its consumer.
// CHECK-LABEL: func.func @not_fused
// CHECK-SAME:  kernels_after = 5 : i64, kernels_before = 7 : i64
// CHECK:       %[[G:.*]]:2 = scf.forall
// CHECK:       } {ds.kernel = {id = 0 : i64, kind = "row", ops = 3 : i64}}
// CHECK:       %[[Y:.*]] = linalg.generic {{.*}} ins(%arg0, %[[G]]#1 : {{.*}}) {{.*}}kind = "elementwise"
// CHECK:       linalg.fill {ds.kernel = {id = 2 : i64, kind = "fill", ops = 1 : i64}}
// CHECK:       %[[COLS:.*]] = linalg.generic {{.*}}kind = "reduction"
// CHECK:       %[[Z:.*]] = linalg.generic {{.*}} ins(%arg0, %[[COLS]] : {{.*}}) {{.*}}kind = "elementwise"
// CHECK:       return %[[G]]#0, %[[Y]], %[[Z]]
func.func @not_fused(%x: tensor<4x32xf32>) -> (tensor<4xf32>, tensor<4x32xf32>, tensor<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %early = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%sum : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %y = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<4x32xf32>, tensor<4xf32>) outs(%e2 : tensor<4x32xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %0 = arith.subf %in, %s : f32
    linalg.yield %0 : f32
  } -> tensor<4x32xf32>
  %ec = tensor.empty() : tensor<32xf32>
  %fc = linalg.fill ins(%zero : f32) outs(%ec : tensor<32xf32>) -> tensor<32xf32>
  %colsum = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%fc : tensor<32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  } -> tensor<32xf32>
  %z = linalg.generic {indexing_maps = [#rows, #col, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %colsum : tensor<4x32xf32>, tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) {
  ^bb0(%in: f32, %c: f32, %out: f32):
    %0 = arith.mulf %in, %c : f32
    linalg.yield %0 : f32
  } -> tensor<4x32xf32>
  return %early, %y, %z : tensor<4xf32>, tensor<4x32xf32>, tensor<4x32xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>

// AdamW's update of one tensor: the new moments are results and inputs of
// the parameter's update; with the gradient they share, the three become
// one kernel with three results. Without sibling fusion the moments fuse
// into the update but stay kernels of their own for their results.
// CHECK-LABEL: func.func @adamw
// CHECK-SAME:  kernels_after = 1 : i64, kernels_before = 3 : i64
// CHECK:       %[[U:.*]]:3 = linalg.generic {{.*}} ins(%arg2, %arg1, %arg0, %arg3, %arg4 : {{.*}}) {{.*}}kind = "elementwise"
// CHECK:         math.sqrt
// CHECK-NOT:     math.sqrt
// CHECK:       return %[[U]]#1, %[[U]]#0, %[[U]]#2
// NOSIBLINGS-LABEL: func.func @adamw
// NOSIBLINGS-SAME:  kernels_after = 3 : i64, kernels_before = 3 : i64
// NOSIBLINGS-COUNT-3: kind = "elementwise"
func.func @adamw(%p: tensor<16xf32>, %g: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>, %lr: tensor<f32>)
    -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %b1 = arith.constant 0.9 : f32
  %c1 = arith.constant 0.1 : f32
  %b2 = arith.constant 0.999 : f32
  %c2 = arith.constant 0.001 : f32
  %eps = arith.constant 1.0e-8 : f32
  %e = tensor.empty() : tensor<16xf32>
  %m2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%m, %g : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%mm: f32, %gg: f32, %out: f32):
    %0 = arith.mulf %mm, %b1 : f32
    %1 = arith.mulf %gg, %c1 : f32
    %2 = arith.addf %0, %1 : f32
    linalg.yield %2 : f32
  } -> tensor<16xf32>
  %v2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%v, %g : tensor<16xf32>, tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%vv: f32, %gg: f32, %out: f32):
    %0 = arith.mulf %vv, %b2 : f32
    %1 = arith.mulf %gg, %gg : f32
    %2 = arith.mulf %1, %c2 : f32
    %3 = arith.addf %0, %2 : f32
    linalg.yield %3 : f32
  } -> tensor<16xf32>
  %p2 = linalg.generic {indexing_maps = [#id, #id, #id, #scalar, #id], iterator_types = ["parallel"]}
      ins(%p, %m2, %v2, %lr : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<f32>) outs(%e : tensor<16xf32>) {
  ^bb0(%pp: f32, %mm: f32, %vv: f32, %l: f32, %out: f32):
    %0 = math.sqrt %vv : f32
    %1 = arith.addf %0, %eps : f32
    %2 = arith.divf %mm, %1 : f32
    %3 = arith.mulf %2, %l : f32
    %4 = arith.subf %pp, %3 : f32
    linalg.yield %4 : f32
  } -> tensor<16xf32>
  return %p2, %m2, %v2 : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
#c = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0) -> (d0)>

// LayerNorm as the lowering writes it: the mean and the reciprocal of the
// deviation are elementwise ops on the rows' statistics, between the
// reductions. They join the group (elementwise producers used only inside
// it), so LayerNorm is one kernel.
// CHECK-LABEL: func.func @layer_norm_lowered
// CHECK-SAME:  kernels_after = 1 : i64, kernels_before = 6 : i64
// CHECK:       scf.forall
// CHECK:       } {ds.kernel = {id = 0 : i64, kind = "row", ops = 5 : i64}}
// CHECK-NOT:   linalg.
func.func @layer_norm_lowered(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 32.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x32xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%sum : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%s: f32, %o: f32):
    %0 = arith.divf %s, %n : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %var = linalg.generic {indexing_maps = [#x, #r, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x, %mean : tensor<4x32xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %0 = arith.subf %in, %m : f32
    %1 = arith.mulf %0, %0 : f32
    %2 = arith.addf %acc, %1 : f32
    linalg.yield %2 : f32
  } -> tensor<4xf32>
  %rstd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%var : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %0 = arith.divf %v, %n : f32
    %1 = math.rsqrt %0 : f32
    linalg.yield %1 : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x32xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #r, #c, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean, %rstd, %w : tensor<4x32xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>) outs(%e2 : tensor<4x32xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %ww: f32, %o: f32):
    %0 = arith.subf %in, %m : f32
    %1 = arith.mulf %0, %s : f32
    %2 = arith.mulf %1, %ww : f32
    linalg.yield %2 : f32
  } -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}
