// RUN: ds-opt %s --ds-parallelize-loops | FileCheck %s
// RUN: ds-opt %s --ds-parallelize-loops=min-work=0 | FileCheck %s --check-prefix=ALL

// A small loop (4 x 8 elements) is not worth a fork/join: it becomes
// sequential. With min-work=0 it stays parallel, both dimensions (4 alone
// is fewer than the 16 iterations a split needs).
// CHECK-LABEL: func.func @small(
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.addf
// ALL-LABEL: func.func @small(
// ALL: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c4, %c8)
// ALL-NOT: scf.for
// ALL: arith.addf
func.func @small(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<4x8xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %b[%i, %j] : memref<4x8xf32>
  }
  return
}

// A large loop keeps its leading dimensions parallel, just enough of them
// for 16 iterations (8 x 4 here), and runs the innermost one sequentially,
// so that it vectorizes; the parallel loop nested inside becomes sequential.
// CHECK-LABEL: func.func @large(
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%c0, %c0) to (%c8, %c128) step (%c1, %c1)
// CHECK-NOT: scf.parallel
// CHECK: scf.for %[[K:.*]] = %c0 to %c512 step %c1
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]], %[[K]]]
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @large(%a: memref<8x128x512xf32>, %b: memref<8x128x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c8, %c128, %c512) step (%c1, %c1, %c1) {
    %x = memref.load %a[%i, %j, %k] : memref<8x128x512xf32>
    scf.parallel (%l) = (%c0) to (%c2) step (%c1) {
      %y = arith.mulf %x, %x : f32
      memref.store %y, %b[%i, %j, %k] : memref<8x128x512xf32>
    }
  }
  return
}
