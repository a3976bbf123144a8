// RUN: ds-opt %s --ds-gpu-kernels -split-input-file -verify-diagnostics | FileCheck %s
// RUN: ds-opt %s --ds-gpu-kernels=block-size=128 -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=B128
// RUN: ds-opt %s --ds-gpu-kernels -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=NAMES

#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#cols = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0) -> (d0)>

// A row group: one block per row; the sum of squares split among the
// block's threads and combined by gpu.all_reduce, folded into the output
// by thread 0; a barrier before the normalisation reads it. Rows of 64
// floats are read 16 bytes at a time where the buffers are aligned (a
// run-time check, uniform across the block), one float at a time if not.
// Each kernel is named after its function, in order, in a module of the
// same name (outlining would give every kernel of a function one name).
// NAMES: module(@rms_norm_kernel_0) function(@rms_norm_kernel_0)
// CHECK-LABEL: func.func @rms_norm
// CHECK:       gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c8, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%[[NT:.*]] = %c256, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK:         %[[X:.*]] = memref.subview %arg0[%[[B]], 0] [1, 64] [1, 1]
// CHECK:         scf.for %{{.*}} = %[[T]] to %c1{{.*}} step %[[NT]]
// CHECK:           memref.store %cst
// CHECK:         gpu.barrier
// CHECK:         memref.extract_aligned_pointer_as_index %[[X]]
// CHECK:         %[[ALIGNED:.*]] = arith.andi
// CHECK:         %[[PART:.*]] = scf.if %[[ALIGNED]] -> (f32) {
// CHECK:           scf.for %{{.*}} = %[[T]] to %c16{{.*}} step %[[NT]] iter_args
// CHECK:             vector.load %[[X]][%c0{{.*}}, %{{.*}}] {alignment = 16 : i64} : {{.*}}, vector<4xf32>
// CHECK-COUNT-4:     arith.mulf
// CHECK:           } else {
// CHECK:           scf.for %[[J:.*]] = %[[T]] to %c64{{.*}} step %[[NT]] iter_args(%[[ACC:.*]] = %cst{{.*}}) -> (f32)
// CHECK:             %[[V:.*]] = memref.load %[[X]][%c0{{.*}}, %[[J]]]
// CHECK:             %[[SQ:.*]] = arith.mulf %[[V]], %[[V]]
// CHECK:             arith.addf %[[ACC]], %[[SQ]]
// CHECK:         %[[TOTAL:.*]] = gpu.all_reduce add %[[PART]] uniform
// CHECK:         %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %c0
// CHECK:         scf.if %[[FIRST]]
// CHECK:           %[[OLD:.*]] = memref.load
// CHECK:           arith.addf %[[OLD]], %[[TOTAL]]
// CHECK:         gpu.barrier
// CHECK:         scf.if
// CHECK:           scf.for %{{.*}} = %[[T]] to %c16{{.*}} step %[[NT]]
// CHECK:             %[[ROOT:.*]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK:             arith.divf %{{.*}}, %[[ROOT]]
// CHECK:             vector.store {{.*}} {alignment = 16 : i64} : {{.*}}, vector<4xf32>
// CHECK:         } else {
// CHECK:           scf.for %{{.*}} = %[[T]] to %c64{{.*}} step %[[NT]]
// CHECK:             llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
// CHECK:         gpu.terminator
// CHECK:       } {ds.kernel = {id = 0 : i64, kind = "row", ops = 3 : i64}}
// CHECK-NOT:   linalg.
// CHECK-NOT:   math.rsqrt
// B128-LABEL:  func.func @rms_norm
// B128:        threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c128
func.func @rms_norm(%x: memref<8x64xf32>, %w: memref<64xf32>, %y: memref<8x64xf32>, %sums: memref<8x1xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  scf.forall (%i) in (8) {
    %xi = memref.subview %x[%i, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
    %si = memref.subview %sums[%i, 0] [1, 1] [1, 1] : memref<8x1xf32> to memref<1xf32, strided<[1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%si : memref<1xf32, strided<[1], offset: ?>>)
    linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%xi : memref<1x64xf32, strided<[64, 1], offset: ?>>) outs(%si : memref<1xf32, strided<[1], offset: ?>>) {
    ^bb0(%a: f32, %acc: f32):
      %0 = arith.mulf %a, %a : f32
      %1 = arith.addf %acc, %0 : f32
      linalg.yield %1 : f32
    }
    %yi = memref.subview %y[%i, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<1x64xf32, strided<[64, 1], offset: ?>>
    linalg.generic {indexing_maps = [#rows, #row, #col, #rows], iterator_types = ["parallel", "parallel"]} ins(%xi, %si, %w : memref<1x64xf32, strided<[64, 1], offset: ?>>, memref<1xf32, strided<[1], offset: ?>>, memref<64xf32>) outs(%yi : memref<1x64xf32, strided<[64, 1], offset: ?>>) {
    ^bb0(%a: f32, %s: f32, %ww: f32, %o: f32):
      %0 = arith.divf %s, %n : f32
      %1 = math.rsqrt %0 : f32
      %2 = arith.mulf %a, %1 : f32
      %3 = arith.mulf %2, %ww : f32
      linalg.yield %3 : f32
    }
  } {ds.kernel = {id = 0 : i64, kind = "row", ops = 3 : i64}}
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#bcast = affine_map<(d0, d1) -> (d1)>

// An elementwise op over rows of 100 floats: a grid of threads that take
// four elements each where the buffers are aligned, ceil(3000 / 1024) = 3
// blocks, grid-strided; one element at a time otherwise.
// CHECK-LABEL: func.func @elementwise
// CHECK:       gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%[[NB:.*]] = %c3, {{.*}} threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%[[NT:.*]] = %c256
// CHECK:         %[[BASE:.*]] = arith.muli %[[B]], %[[NT]]
// CHECK:         %[[FIRST:.*]] = arith.addi %[[BASE]], %[[T]]
// CHECK:         %[[STRIDE:.*]] = arith.muli %[[NB]], %[[NT]]
// CHECK:         scf.if
// CHECK:           scf.for %[[G:.*]] = %[[FIRST]] to %c750 step %[[STRIDE]]
// CHECK:             %[[COL4:.*]] = arith.remui %[[G]], %c25
// CHECK:             %[[ROW:.*]] = arith.divui %[[G]], %c25
// CHECK:             %[[COL:.*]] = arith.muli %[[COL4]], %c4
// CHECK:             vector.load %arg0[%[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<30x100xf32>, vector<4xf32>
// CHECK:             vector.load %arg1[%[[COL]]] {alignment = 16 : i64} : memref<100xf32>, vector<4xf32>
// CHECK-COUNT-4:     math.tanh
// CHECK:             %[[OUT:.*]] = vector.from_elements
// CHECK:             vector.store %[[OUT]], %arg2[%[[ROW]], %[[COL]]] {alignment = 16 : i64}
// CHECK:         } else {
// CHECK:           scf.for %[[I:.*]] = %[[FIRST]] to %c3000 step %[[STRIDE]]
// CHECK:             %[[C:.*]] = arith.remui %[[I]], %c100
// CHECK:             %[[R:.*]] = arith.divui %[[I]], %c100
// CHECK:             memref.load %arg0[%[[R]], %[[C]]]
// CHECK:             memref.load %arg1[%[[C]]]
// CHECK:             math.tanh
// CHECK:             memref.store %{{.*}}, %arg2[%[[R]], %[[C]]]
// CHECK-NOT:   gpu.all_reduce

func.func @elementwise(%x: memref<30x100xf32>, %b: memref<100xf32>, %y: memref<30x100xf32>) {
  linalg.generic {indexing_maps = [#id, #bcast, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : memref<30x100xf32>, memref<100xf32>) outs(%y : memref<30x100xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %0 = arith.addf %a, %c : f32
    %1 = math.tanh %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d1, d0)>
#out = affine_map<(d0, d1) -> (d0)>

// A column sum over many columns (a bias's gradient: 256 rows into 4096
// outputs): one thread per output, each reducing its column in order;
// consecutive threads read consecutive elements.
// CHECK-LABEL: func.func @column_sum
// CHECK:       gpu.launch blocks({{.*}}) in (%{{.*}} = %c16, {{.*}}) threads
// CHECK:         scf.for %[[OUT:.*]] = %{{.*}} to %c4096 step
// CHECK:           %[[INIT:.*]] = memref.load %arg1[%[[OUT]]]
// CHECK:           %[[SUM:.*]] = scf.for %[[R:.*]] = %c0{{.*}} to %c256{{.*}} step %c1{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]])
// CHECK:             memref.load %arg0[%[[R]], %[[OUT]]]
// CHECK:           memref.store %[[SUM]], %arg1[%[[OUT]]]
// CHECK-NOT:   gpu.all_reduce
func.func @column_sum(%x: memref<256x4096xf32>, %s: memref<4096xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<256x4096xf32>) outs(%s : memref<4096xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d1, d0)>
#out = affine_map<(d0, d1) -> (d0)>

// Few outputs, each long (64 columns of 4096 rows): one block per output,
// its threads sharing the column.
// CHECK-LABEL: func.func @few_long_sums
// CHECK:       gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c64, {{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in
// CHECK:         %[[PART:.*]] = scf.for %[[R:.*]] = %[[T]] to %c4096
// CHECK:           memref.load %arg0[%[[R]], %[[B]]]
// CHECK:         gpu.all_reduce add %[[PART]] uniform
func.func @few_long_sums(%x: memref<4096x64xf32>, %s: memref<64xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<4096x64xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> ()>

// A full reduction (a gradient's sum of squares for the global norm), a
// maximum too: one block, all threads, one gpu.all_reduce per result.
// CHECK-LABEL: func.func @full_reduction
// CHECK:       gpu.launch blocks({{.*}}) in (%{{.*}} = %c1{{.*}}, {{.*}}) threads
// CHECK:         %[[PART:.*]]:2 = scf.if %{{.*}} -> (f32, f32)
// CHECK:           scf.for {{.*}} to %c25000 step {{.*}} iter_args(%{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32)
// CHECK:           scf.for {{.*}} to %c100000 step {{.*}} iter_args(%{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}) -> (f32, f32)
// CHECK-DAG:     gpu.all_reduce add %[[PART]]#0 uniform
// CHECK-DAG:     gpu.all_reduce maximumf %[[PART]]#1 uniform
func.func @full_reduction(%x: memref<100x1000xf32>, %sum: memref<f32>, %max: memref<f32>) {
  linalg.generic {indexing_maps = [#in, #out, #out], iterator_types = ["reduction", "reduction"]} ins(%x : memref<100x1000xf32>) outs(%sum, %max : memref<f32>, memref<f32>) {
  ^bb0(%a: f32, %s: f32, %m: f32):
    %0 = arith.mulf %a, %a : f32
    %1 = arith.addf %s, %0 : f32
    %2 = arith.maximumf %m, %a : f32
    linalg.yield %1, %2 : f32, f32
  }
  return
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>

// A reduction whose payload is not `out ⊕ x` (a running value that reads
// the output twice): one thread per output, in order, whatever its length.
// CHECK-LABEL: func.func @not_splittable
// CHECK-NOT:   gpu.all_reduce
// CHECK:       scf.for {{.*}} to %c4096 step %c1{{.*}} iter_args
func.func @not_splittable(%x: memref<2x4096xf32>, %s: memref<2xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<2x4096xf32>) outs(%s : memref<2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.mulf %acc, %acc : f32
    %1 = arith.addf %0, %a : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// What the host cannot do on a GPU target is an error at its place.
func.func @host_load(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @below {{runs on the host of a GPU target and touches device memory: memref.load}}
  %0 = memref.load %x[%c0] : memref<4xf32>
  return %0 : f32
}

// -----

#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>

// A fill that sets up a reduction's output just before it is folded into
// the reduction's kernel, which starts from the filled value: one launch.
// CHECK-LABEL: func.func @fill_folded
// CHECK:       %[[START:.*]] = arith.constant 2.5
// CHECK:       gpu.launch
// CHECK-NOT:   linalg.
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[START]]) -> (f32)
// CHECK:           memref.store %[[SUM]]
// CHECK-NOT:   gpu.launch
// CHECK:       return
func.func @fill_folded(%x: memref<4096x3xf32>, %s: memref<4096xf32>) {
  %start = arith.constant 2.5 : f32
  linalg.fill ins(%start : f32) outs(%s : memref<4096xf32>)
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]} ins(%x : memref<4096x3xf32>) outs(%s : memref<4096xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %0 = arith.addf %acc, %a : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Library calls go to the kernels' CUDA twins, declaration and calls alike.
// CHECK-LABEL: func.func private @ds_cuda_rope_f32
// CHECK-LABEL: func.func @library_call
// CHECK:         call @ds_cuda_rope_f32(
// CHECK-NOT:     call @ds_rope_f32
func.func private @ds_rope_f32(memref<2x4x1x8xf32>, memref<4xi64>, memref<2x4x1x8xf32>, i64, i64, i64, i64, i64, i64, i32, i32, memref<4xf64>, f64, i32)
func.func @library_call(%x: memref<2x4x1x8xf32>, %p: memref<4xi64>, %y: memref<2x4x1x8xf32>, %f: memref<4xf64>) {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c4 = arith.constant 4 : i64
  %c8 = arith.constant 8 : i64
  %z = arith.constant 0 : i32
  %one = arith.constant 1.0 : f64
  call @ds_rope_f32(%x, %p, %y, %c2, %c4, %c1, %c8, %c0, %c8, %z, %z, %f, %one, %z) : (memref<2x4x1x8xf32>, memref<4xi64>, memref<2x4x1x8xf32>, i64, i64, i64, i64, i64, i64, i32, i32, memref<4xf64>, f64, i32) -> ()
  return
}

// -----

// A kernel without a CUDA twin is an error at its call.
func.func private @ds_expert_plan(memref<1xi64>, i32, memref<4xi64>, memref<4xi64>, i64, i64, i64, i64, i64)
func.func @collective(%s: memref<1xi64>, %a: memref<4xi64>, %b: memref<4xi64>) {
  %c0 = arith.constant 0 : i64
  %z = arith.constant 0 : i32
  // expected-error @+1 {{calls ds_expert_plan, which has no CUDA kernel (sharded and expert-parallel code cannot target CUDA yet)}}
  call @ds_expert_plan(%s, %z, %a, %b, %c0, %c0, %c0, %c0, %c0) : (memref<1xi64>, i32, memref<4xi64>, memref<4xi64>, i64, i64, i64, i64, i64) -> ()
  return
}

// -----

// A scalar the host needs from device memory (decoding's position) is read
// through the runtime, which waits for the kernels before it.
// CHECK-LABEL: func.func private @ds_cuda_read_i32(!llvm.ptr) -> i32
// CHECK-LABEL: func.func @position
// CHECK:         %[[P:.*]] = llvm.inttoptr
// CHECK:         %[[V:.*]] = call @ds_cuda_read_i32(%[[P]]) : (!llvm.ptr) -> i32
// CHECK:         return %[[V]]
func.func @position(%p: memref<i32>) -> i32 {
  %v = memref.load %p[] : memref<i32>
  return %v : i32
}
