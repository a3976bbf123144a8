// RUN: ds-opt %s --ds-cpu-pipeline | FileCheck %s
// RUN: ds-opt %s --ds-cpu-pipeline="stop-after=planned" | FileCheck %s --check-prefix=PLANNED
// RUN: ds-opt %s --ds-cpu-pipeline="stop-after=loops parallel=false" | FileCheck %s --check-prefix=LOOPS
// RUN: ds-opt %s --ds-cpu-pipeline="stop-after=loops parallel=true min-parallel-work=0" | FileCheck %s --check-prefix=OMP
// RUN: ds-opt %s --ds-cpu-pipeline="stop-after=loops approximate-math=false" | FileCheck %s --check-prefix=LIBM

// The whole CPU pipeline: ds → linalg → bufferized, planned memrefs → loops
// → the LLVM dialect with the runtime's entry ABI (docs/artifact.md).

// After bufferization the result is an out-parameter the caller provides,
// computed in place; the matmul's temporary lives in the workspace.
// PLANNED-LABEL: func.func @f(
// PLANNED-SAME: %{{.*}}: !llvm.ptr {ds.name = "status"}, %{{.*}}: memref<4x8xf32> {ds.name = "a"}, %{{.*}}: memref<8xf32> {ds.name = "b"}, %[[OUT:.*]]: memref<4x8xf32> {ds.name = "out"}, %[[WS:.*]]: memref<{{[0-9]+}}xi8> {ds.name = "workspace"})
// PLANNED-SAME: ds.workspace_bytes =
// PLANNED: linalg.generic {{.*}} outs(%[[OUT]] : memref<4x8xf32>)
// PLANNED: memref.view %[[WS]]
// PLANNED: call @ds_matmul_f32
// PLANNED-NOT: memref.alloc

// The f32 exponential is a polynomial (ds-approximate-math), unless
// approximate-math=false keeps the libm call.
// LOOPS-LABEL: func.func @f(
// LOOPS: scf.for
// LOOPS-NOT: math.exp
// LOOPS-NOT: linalg.
// LIBM-LABEL: func.func @f(
// LIBM: math.exp
// OMP-LABEL: func.func @f(
// OMP: omp.parallel
// OMP: omp.wsloop

// The entry point is internal; its wrapper unpacks the buffer array.
// CHECK-LABEL: llvm.func internal @f(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.call @ds_matmul_f32
// CHECK-LABEL: llvm.func @ds_entry_f(
// CHECK-SAME: %[[STATUS:.*]]: !llvm.ptr, %[[BUFFERS:.*]]: !llvm.ptr, %[[WS:.*]]: !llvm.ptr)
// CHECK: %[[P0:.*]] = llvm.getelementptr %[[BUFFERS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[A:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[P2:.*]] = llvm.getelementptr %[[BUFFERS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[R:.*]] = llvm.load %[[P2]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @f(%[[STATUS]], %[[A]], %{{.*}}, %[[R]], %[[WS]])
// CHECK: llvm.return
func.func @f(%a: tensor<4x8xf32> {ds.name = "a"}, %b: tensor<8xf32> {ds.name = "b"}) -> (tensor<4x8xf32> {ds.name = "out"}) {
  %0 = ds.add %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = ds.exp %0 : tensor<4x8xf32>
  %2 = ds.matmul %1, %a transpose_rhs : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
  %3 = ds.reduce_sum %2 axes = [1] keep_dims : tensor<4x4xf32> -> tensor<4x1xf32>
  %4 = ds.mul %1, %3 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  return %4 : tensor<4x8xf32>
}
