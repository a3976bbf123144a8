// RUN: ds-opt %s --ds-plan-memory -split-input-file | FileCheck %s
// RUN: ds-opt %s --ds-plan-memory="share=false" -split-input-file | FileCheck %s --check-prefix=SEPARATE

#map = affine_map<(d0) -> (d0)>

// %t1 dies when %t2 is written, so %t3 takes its bytes; %t2 and %t3 are
// alive together and do not overlap. 3 buffers of 4 KiB, 8 KiB planned.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: %[[WS:[^:]*]]: memref<8192xi8> {ds.name = "workspace"})
// CHECK-SAME: ds.buffers = 3 : i64, ds.unplanned_bytes = 12288 : i64, ds.workspace_bytes = 8192 : i64
// CHECK: %[[T1:.*]] = memref.view %[[WS]][%[[C0:.*]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK: %[[T2:.*]] = memref.view %[[WS]][%[[C4096:.*]]][] : memref<8192xi8> to memref<1024xf32>
// CHECK: %[[T3:.*]] = memref.view %[[WS]][%[[C0B:.*]]][] : memref<8192xi8> to memref<1024xf32>
// SEPARATE-LABEL: func.func @chain(
// SEPARATE-SAME: memref<12288xi8>
// SEPARATE-SAME: ds.workspace_bytes = 12288 : i64
func.func @chain(%in: memref<1024xf32>, %out: memref<1024xf32>) {
  %t1 = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%in : memref<1024xf32>) outs(%t1 : memref<1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  %t2 = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%t1 : memref<1024xf32>) outs(%t2 : memref<1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  %t3 = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%t2 : memref<1024xf32>) outs(%t3 : memref<1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]} ins(%t2, %t3 : memref<1024xf32>, memref<1024xf32>) outs(%out : memref<1024xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#map = affine_map<(d0) -> (d0)>

// A buffer a loop carries (bufferization yields a new one per iteration)
// gets two slots, used by alternate iterations; the loop's result reads the
// slot the last iteration wrote.
// CHECK-LABEL: func.func @carried(
// CHECK-SAME: %[[WS:[^:]*]]: memref<{{[0-9]+}}xi8> {ds.name = "workspace"})
// CHECK: %[[A:.*]] = memref.view %[[WS]]{{.*}} to memref<16xf32>
// CHECK: %[[B:.*]] = memref.view %[[WS]]{{.*}} to memref<16xf32>
// CHECK: scf.for %[[I:.*]] = %[[LB:.*]] to %{{.*}} step %[[STEP:.*]] iter_args
// CHECK: %[[K:.*]] = arith.subi %[[I]], %[[LB]]
// CHECK: %[[N:.*]] = arith.divui %[[K]], %[[STEP]]
// CHECK: %[[P:.*]] = arith.remui %[[N]], %{{.*}}
// CHECK: %[[EVEN:.*]] = arith.cmpi eq, %[[P]], %{{.*}}
// CHECK: %[[SLOT:.*]] = arith.select %[[EVEN]], %[[A]], %[[B]] : memref<16xf32>
// CHECK: linalg.generic {{.*}} outs(%[[SLOT]] : memref<16xf32>)
// CHECK: scf.yield %[[SLOT]]
func.func @carried(%in: memref<16xf32>, %out: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %in) -> (memref<16xf32>) {
    %next = memref.alloc() : memref<16xf32>
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%h : memref<16xf32>) outs(%next : memref<16xf32>) {
    ^bb0(%a: f32, %b: f32):
      %e = math.exp %a : f32
      linalg.yield %e : f32
    }
    scf.yield %next : memref<16xf32>
  }
  memref.copy %r, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A buffer allocated inside a parallel loop (a fused group's per-row sum)
// belongs to each iteration: it becomes one buffer outside the loop with
// the loop's iterations as leading dimension, of which each row uses its
// own element; a loop cannot share one slot between rows running at once.
// CHECK-LABEL: func.func @per_row(
// CHECK-SAME: ds.buffers = 1 : i64, ds.unplanned_bytes = 64 : i64, ds.workspace_bytes = 64 : i64
// CHECK: %[[ROWS:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<64xi8> to memref<8x1xf32>
// CHECK: scf.forall (%[[I:.*]]) in (8)
// CHECK:   %[[MINE:.*]] = memref.subview %[[ROWS]][%[[I]], 0] [1, 1] [1, 1] : memref<8x1xf32> to memref<1xf32, strided<[1], offset: ?>>
// CHECK:   linalg.fill ins(%{{.*}} : f32) outs(%[[MINE]] :
func.func @per_row(%x: memref<8x64xf32>, %y: memref<8x64xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (8) {
    %xi = memref.subview %x[%i, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
    %yi = memref.subview %y[%i, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
    %sum = memref.alloc() : memref<1xf32>
    linalg.fill ins(%zero : f32) outs(%sum : memref<1xf32>)
    linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%xi : memref<1x64xf32, strided<[64, 1], offset: ?>>) outs(%sum : memref<1xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %0 = arith.addf %acc, %a : f32
      linalg.yield %0 : f32
    }
    linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]} ins(%xi, %sum : memref<1x64xf32, strided<[64, 1], offset: ?>>, memref<1xf32>) outs(%yi : memref<1x64xf32, strided<[64, 1], offset: ?>>) {
    ^bb0(%a: f32, %s: f32, %o: f32):
      %0 = arith.subf %a, %s : f32
      linalg.yield %0 : f32
    }
  }
  return
}
