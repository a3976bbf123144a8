// Upstream MLIR's sharding-propagation and shard-partition on ds ops, through
// their ShardingInterface models (dialects/ds/DsSharding.h): the per-rank
// program keeps the ds ops on local shapes and adds exactly the collectives
// the math needs.
// RUN: ds-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition),canonicalize)' | FileCheck %s

// Megatron MLP on 2 ranks: W1 (and its bias) split by columns, W2 by rows.
// The first product, the bias and gelu are local; the second product sums
// over the split dimension: one all_reduce, at the end.
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[W1:.*]]: tensor<8x8xf32>, %[[B1:.*]]: tensor<8xf32>, %[[W2:.*]]: tensor<8x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[H:.*]] = ds.matmul %[[X]], %[[W1]] : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[HB:.*]] = ds.add %[[H]], %[[B1]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[G:.*]] = ds.gelu %[[HB]] : tensor<4x8xf32>
// CHECK-NEXT: %[[Y:.*]] = ds.matmul %[[G]], %[[W2]] : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: %[[R:.*]] = shard.all_reduce %[[Y]] on @grid grid_axes = [0] {ds.reason = "partial sum: ds.matmul result #0 reduces over a loop split across the ranks"} : tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: return %[[R]]
shard.grid @grid(shape = 2)
func.func @mlp(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %b1: tensor<16xf32>, %w2: tensor<16x8xf32>) -> tensor<4x8xf32> {
  %col = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %w1s = shard.shard %w1 to %col : tensor<8x16xf32>
  %bias = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %b1s = shard.shard %b1 to %bias : tensor<16xf32>
  %row = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %w2s = shard.shard %w2 to %row : tensor<16x8xf32>
  %h = ds.matmul %x, %w1s : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %hb = ds.add %h, %b1s : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %g = ds.gelu %hb : tensor<4x16xf32>
  %y = ds.matmul %g, %w2s : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Data parallel: the batch split, weights replicated. Everything is local
// down to the mean over the batch, which is the mean of the ranks' means:
// an all_reduce (sum) scaled by 1/2. A [4, 1] operand broadcasting along
// dim 1 splits with the batch; reduce_max over the unsplit dim 1 is local.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%{{.*}}: tensor<2x8xf32>, %{{.*}}: tensor<8x8xf32>, %{{.*}}: tensor<2x1xf32>) -> tensor<f32>
// CHECK-DAG: %[[HALF:.*]] = ds.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: ds.matmul {{.*}} : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
// CHECK: ds.reduce_max {{.*}} axes = [1] keep_dims : tensor<2x8xf32> -> tensor<2x1xf32>
// CHECK: %[[MEAN:.*]] = ds.reduce_mean {{.*}} axes = [0, 1] : tensor<2x8xf32> -> tensor<f32>
// CHECK-NEXT: %[[SUM:.*]] = shard.all_reduce %[[MEAN]] on @grid grid_axes = [0] {ds.reason = "partial sum: {{.*}}"} : tensor<f32> -> tensor<f32>
// CHECK-NEXT: %[[LOSS:.*]] = ds.mul %[[SUM]], %[[HALF]] : tensor<f32>
// CHECK-NEXT: return %[[LOSS]]
shard.grid @grid(shape = 2)
func.func @loss(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %scale: tensor<4x1xf32>) -> tensor<f32> {
  %batch = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %batch : tensor<4x8xf32>
  %ss = shard.shard %scale to %batch : tensor<4x1xf32>
  %y = ds.matmul %xs, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %z = ds.mul %y, %ss : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %m = ds.reduce_max %z axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  %d = ds.sub %z, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %l = ds.reduce_mean %d axes = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A 2x2 grid: batch over axis 0, the contraction (K) over axis 1. The
// product is partial over axis 1 only: an all_reduce there; the batch
// stays split in the result.
// CHECK-LABEL: func.func @scores
// CHECK-SAME: (%{{.*}}: tensor<1x4x4xf32>, %{{.*}}: tensor<4x6xf32>) -> tensor<1x4x1xf32>
// CHECK-NEXT: %[[P:.*]] = ds.matmul {{.*}} -> tensor<1x4x6xf32>
// CHECK-NEXT: %[[S:.*]] = shard.all_reduce %[[P]] on @grid grid_axes = [1] {ds.reason = "partial sum: {{.*}}"} : tensor<1x4x6xf32> -> tensor<1x4x6xf32>
// CHECK-NEXT: ds.reduce_max %[[S]] axes = [2] keep_dims : tensor<1x4x6xf32> -> tensor<1x4x1xf32>
shard.grid @grid(shape = 2x2)
func.func @scores(%x: tensor<2x4x8xf32>, %w: tensor<8x6xf32>) -> tensor<2x4x1xf32> {
  %s = shard.sharding @grid split_axes = [[0], [], [1]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<2x4x8xf32>
  %ws = shard.sharding @grid split_axes = [[1]] : !shard.sharding
  %wss = shard.shard %w to %ws : tensor<8x6xf32>
  %y = ds.matmul %xs, %wss : (tensor<2x4x8xf32>, tensor<8x6xf32>) -> tensor<2x4x6xf32>
  %m = ds.reduce_max %y axes = [2] keep_dims : tensor<2x4x6xf32> -> tensor<2x4x1xf32>
  return %m : tensor<2x4x1xf32>
}

// -----

// A size-1 dimension that broadcasts is never split: with the columns of
// %x split, the [4, 1] operand is used whole on every rank, and the sum
// over the split columns is partial: all_reduce.
// CHECK-LABEL: func.func @centered_sum
// CHECK-SAME: (%[[X:.*]]: tensor<4x4xf32>, %[[ROW:.*]]: tensor<4x1xf32>) -> tensor<4x1xf32>
// CHECK-NEXT: %[[D:.*]] = ds.sub %[[X]], %[[ROW]] : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
// CHECK-NEXT: %[[S:.*]] = ds.reduce_sum %[[D]] axes = [1] keep_dims : tensor<4x4xf32> -> tensor<4x1xf32>
// CHECK-NEXT: shard.all_reduce %[[S]] on @grid grid_axes = [0] {ds.reason = "partial sum: {{.*}}"} : tensor<4x1xf32> -> tensor<4x1xf32>
shard.grid @grid(shape = 2)
func.func @centered_sum(%x: tensor<4x8xf32>, %row: tensor<4x1xf32>) -> tensor<4x1xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %cols : tensor<4x8xf32>
  %y = ds.sub %xs, %row : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %s = ds.reduce_sum %y axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
  return %s : tensor<4x1xf32>
}

// -----

// Norms and softmax work along one axis and keep it: with the batch split
// they are local; transpose moves the split with its dimension.
// CHECK-LABEL: func.func @rowwise
// CHECK-SAME: (%{{.*}}: tensor<2x8xf32>, %{{.*}}: tensor<8xf32>) -> tensor<8x2xf32>
// CHECK-NEXT: ds.rms_norm {{.*}} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: ds.softmax {{.*}} axis = 1 : tensor<2x8xf32>
// CHECK-NEXT: ds.transpose {{.*}} permutation = [1, 0] : tensor<2x8xf32> -> tensor<8x2xf32>
// CHECK-NEXT: return
shard.grid @grid(shape = 2)
func.func @rowwise(%x: tensor<4x8xf32>, %w: tensor<8xf32>) -> tensor<8x4xf32> {
  %batch = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %batch : tensor<4x8xf32>
  %n = ds.rms_norm %xs, %w epsilon = 1.0e-6 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %p = ds.softmax %n axis = 1 : tensor<4x8xf32>
  %t = ds.transpose %p permutation = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %t : tensor<8x4xf32>
}

// -----

// Attention by head (tensor parallel), with grouped KV heads: 4 query heads
// over 2 KV heads split 2 ways keep each query head with its KV head. Rope
// and attention are local; no collective.
// CHECK-LABEL: func.func @heads
// CHECK-SAME: (%{{.*}}: tensor<2x16x2x32xf32>, %{{.*}}: tensor<2x16x1x32xf32>, %{{.*}}: tensor<2x16x1x32xf32>, %{{.*}}: tensor<16xi32>) -> tensor<2x16x2x32xf32>
// CHECK-NEXT: ds.rope {{.*}} : (tensor<2x16x2x32xf32>, tensor<16xi32>) -> tensor<2x16x2x32xf32>
// CHECK-NEXT: ds.attention {{.*}} causal : (tensor<2x16x2x32xf32>, tensor<2x16x1x32xf32>, tensor<2x16x1x32xf32>) -> tensor<2x16x2x32xf32>
// CHECK-NEXT: return
shard.grid @grid(shape = 2)
func.func @heads(%q: tensor<2x16x4x32xf32>, %k: tensor<2x16x2x32xf32>, %v: tensor<2x16x2x32xf32>, %pos: tensor<16xi32>) -> tensor<2x16x4x32xf32> {
  %s = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %qs = shard.shard %q to %s : tensor<2x16x4x32xf32>
  %ks = shard.shard %k to %s : tensor<2x16x2x32xf32>
  %vs = shard.shard %v to %s : tensor<2x16x2x32xf32>
  %qr = ds.rope %qs, %pos style = half theta = 1.0e+04 offset = 0 dim = 32 : (tensor<2x16x4x32xf32>, tensor<16xi32>) -> tensor<2x16x4x32xf32>
  %o = ds.attention %qr, %ks, %vs causal : (tensor<2x16x4x32xf32>, tensor<2x16x2x32xf32>, tensor<2x16x2x32xf32>) -> tensor<2x16x4x32xf32>
  return %o : tensor<2x16x4x32xf32>
}

// -----

// A language-model loss, data parallel: embedding lookup and LM head are
// local. Ranks may hold different numbers of valid targets (ignore_index),
// so the loss is the sum of loss x count over the sum of counts, not a
// mean of means: two all_reduces.
// CHECK-LABEL: func.func @lm_loss
// CHECK-SAME: (%{{.*}}: tensor<64x8xf32>, %[[TOKENS:.*]]: tensor<2x5xi32>, %[[TARGETS:.*]]: tensor<2x5xi32>, %{{.*}}: tensor<8x64xf32>) -> tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = ds.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG: %[[IGNORE:.*]] = ds.constant dense<-100> : tensor<i32>
// CHECK: ds.gather {{.*}}, %[[TOKENS]] axis = 0 : (tensor<64x8xf32>, tensor<2x5xi32>) -> tensor<2x5x8xf32>
// CHECK: %[[LOCAL:.*]] = ds.cross_entropy {{.*}}, %[[TARGETS]] : (tensor<2x5x64xf32>, tensor<2x5xi32>) -> tensor<f32>
// CHECK-NEXT: %[[VALID:.*]] = ds.compare ne, %[[TARGETS]], %[[IGNORE]]
// CHECK-NEXT: %[[FLOAT:.*]] = ds.cast %[[VALID]] : tensor<2x5xi1> to tensor<2x5xf32>
// CHECK-NEXT: %[[COUNT:.*]] = ds.reduce_sum %[[FLOAT]] axes = [0, 1]
// CHECK-NEXT: %[[SUM:.*]] = ds.mul %[[LOCAL]], %[[COUNT]] : tensor<f32>
// CHECK-NEXT: %[[TSUM:.*]] = shard.all_reduce %[[SUM]] on @grid grid_axes = [0]
// CHECK-NEXT: %[[TCOUNT:.*]] = shard.all_reduce %[[COUNT]] on @grid grid_axes = [0]
// CHECK-NEXT: %[[DEN:.*]] = ds.max %[[TCOUNT]], %[[ONE]] : tensor<f32>
// CHECK-NEXT: %[[LOSS:.*]] = ds.div %[[TSUM]], %[[DEN]] : tensor<f32>
// CHECK-NEXT: return %[[LOSS]]
shard.grid @grid(shape = 2)
func.func @lm_loss(%wte: tensor<64x8xf32>, %tokens: tensor<4x5xi32>, %targets: tensor<4x5xi32>, %head: tensor<8x64xf32>) -> tensor<f32> {
  %batch = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %ts = shard.shard %tokens to %batch : tensor<4x5xi32>
  %gs = shard.shard %targets to %batch : tensor<4x5xi32>
  %h = ds.gather %wte, %ts axis = 0 : (tensor<64x8xf32>, tensor<4x5xi32>) -> tensor<4x5x8xf32>
  %logits = ds.matmul %h, %head : (tensor<4x5x8xf32>, tensor<8x64xf32>) -> tensor<4x5x64xf32>
  %l = ds.cross_entropy %logits, %gs : (tensor<4x5x64xf32>, tensor<4x5xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The same loss with the vocabulary split (tensor parallel): the table and
// the head hold 32 of the 64 classes each. The lookup maps the tokens to
// this rank's rows (its first row: its slice of an iota), zeros the rows it
// does not hold and sums over the ranks; the loss reduces the maximum, the
// sum of exponentials and the target's logit over the ranks, and counts
// the targets other than ignore_index (-100, a negative attribute value
// carried exactly) as valid.
// CHECK-LABEL: func.func @lm_loss_vocabulary_parallel
// CHECK-SAME: (%[[WTE:.*]]: tensor<32x8xf32>, %[[TOKENS:.*]]: tensor<4x5xi32>, %[[TARGETS:.*]]: tensor<4x5xi32>, %[[HEAD:.*]]: tensor<8x32xf32>) -> tensor<f32>
// CHECK-DAG: ds.constant dense<-100> : tensor<i32>
// CHECK: shard.all_slice {{.*}} {ds.reason = "vocabulary parallel: the rows of this rank's block of the table"} : tensor<64xi32> -> tensor<32xi32>
// CHECK: %[[ROWS:.*]] = ds.gather %[[WTE]], %{{.*}} axis = 0 : (tensor<32x8xf32>, tensor<4x5xi32>) -> tensor<4x5x8xf32>
// CHECK: %[[MASKED:.*]] = ds.select %{{.*}}, %[[ROWS]], %{{.*}} : (tensor<4x5x1xi1>, tensor<4x5x8xf32>, tensor<f32>) -> tensor<4x5x8xf32>
// CHECK-NEXT: shard.all_reduce %[[MASKED]] on @grid grid_axes = [0] {ds.reason = "vocabulary parallel: each row from the rank whose block of the table holds it"}
// CHECK: ds.matmul {{.*}}, %[[HEAD]] : (tensor<4x5x8xf32>, tensor<8x32xf32>) -> tensor<4x5x32xf32>
// CHECK: shard.all_reduce {{.*}} reduction = max {ds.reason = "vocabulary parallel: the maximum of ds.cross_entropy's logits over the split axis"}
// CHECK: shard.all_reduce {{.*}} {ds.reason = "vocabulary parallel: the sum of exponentials of ds.cross_entropy's logits over the split axis"}
// CHECK: shard.all_reduce {{.*}} {ds.reason = "vocabulary parallel: the target's logit, from the rank holding its class"}
// CHECK: ds.compare ne, %[[TARGETS]], %{{.*}} : (tensor<4x5xi32>, tensor<i32>) -> tensor<4x5xi1>
// CHECK-NOT: shard.all_gather
shard.grid @grid(shape = 2)
func.func @lm_loss_vocabulary_parallel(%wte: tensor<64x8xf32>, %tokens: tensor<4x5xi32>, %targets: tensor<4x5xi32>, %head: tensor<8x64xf32>) -> tensor<f32> {
  %rows = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %ws = shard.shard %wte to %rows : tensor<64x8xf32>
  %hs = shard.shard %head to %cols : tensor<8x64xf32>
  %h = ds.gather %ws, %tokens axis = 0 : (tensor<64x8xf32>, tensor<4x5xi32>) -> tensor<4x5x8xf32>
  %logits = ds.matmul %h, %hs : (tensor<4x5x8xf32>, tensor<8x64xf32>) -> tensor<4x5x64xf32>
  %l = ds.cross_entropy %logits, %targets : (tensor<4x5x64xf32>, tensor<4x5xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tensor-parallel routed experts: gate and up split by rows, down by
// columns. Routing is replicated (every rank routes every token alike), each
// rank computes its half of every expert's hidden channels, and the output
// is summed: one all_reduce.
// CHECK-LABEL: func.func @experts
// CHECK-SAME: %{{.*}}: tensor<4x16x16xf32>, %{{.*}}: tensor<4x16x16xf32>, %{{.*}}: tensor<4x16x16xf32>) -> tensor<8x16xf32>
// CHECK-NEXT: %[[W:.*]], %[[I:.*]] = ds.moe_route {{.*}} : (tensor<8x4xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
// CHECK-NEXT: %[[Y:.*]] = ds.moe_ffn {{.*}}, %[[W]], %[[I]], {{.*}} : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x16x16xf32>, tensor<4x16x16xf32>, tensor<4x16x16xf32>) -> tensor<8x16xf32>
// CHECK-NEXT: shard.all_reduce %[[Y]] on @grid grid_axes = [0] {ds.reason = "partial sum: {{.*}}"} : tensor<8x16xf32> -> tensor<8x16xf32>
shard.grid @grid(shape = 2)
func.func @experts(%x: tensor<8x16xf32>, %logits: tensor<8x4xf32>, %gate: tensor<4x32x16xf32>, %up: tensor<4x32x16xf32>, %down: tensor<4x16x32xf32>) -> tensor<8x16xf32> {
  %rows = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %gs = shard.shard %gate to %rows : tensor<4x32x16xf32>
  %us = shard.shard %up to %rows : tensor<4x32x16xf32>
  %cols = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %ds = shard.shard %down to %cols : tensor<4x16x32xf32>
  %w, %idx = ds.moe_route %logits scoring = sigmoid top_k = 2 n_group = 1 topk_group = 1 group_score = max norm_topk_prob routed_scaling_factor = 1.0 : (tensor<8x4xf32>) -> (tensor<8x2xf32>, tensor<8x2xi32>)
  %y = ds.moe_ffn %x, %w, %idx, %gs, %us, %ds : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// Shape ops with the batch split: split, concat and slice work along other
// axes and stay local (the slice's limit on the split axis becomes the
// local size); the embedding gradient scatters each rank's tokens into a
// partial table: one all_reduce.
// CHECK-LABEL: func.func @qkv
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x24xf32>, %[[T:.*]]: tensor<2x8xi32>) -> (tensor<2x8x16xf32>, tensor<64x8xf32>, tensor<2x8x4xf32>)
// CHECK-NEXT: %[[P:.*]]:3 = ds.split %[[X]] axis = 2 sizes = [8, 8, 8] : tensor<2x8x24xf32> -> tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>
// CHECK-NEXT: %[[QK:.*]] = ds.concat %[[P]]#0, %[[P]]#1 axis = 2 : (tensor<2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<2x8x16xf32>
// CHECK-NEXT: %[[S:.*]] = ds.slice %[[P]]#2 starts = [0, 0, 4] limits = [2, 8, 8] : tensor<2x8x8xf32> -> tensor<2x8x4xf32>
// CHECK-NEXT: %[[G:.*]] = ds.scatter_add %[[P]]#2, %[[T]] axis = 0 : (tensor<2x8x8xf32>, tensor<2x8xi32>) -> tensor<64x8xf32>
// CHECK-NEXT: %[[R:.*]] = shard.all_reduce %[[G]] on @grid grid_axes = [0] {ds.reason = "partial sum: {{.*}}"} : tensor<64x8xf32> -> tensor<64x8xf32>
// CHECK-NEXT: return %[[QK]], %[[R]], %[[S]]
shard.grid @grid(shape = 2)
func.func @qkv(%x: tensor<4x8x24xf32>, %tokens: tensor<4x8xi32>) -> (tensor<4x8x16xf32>, tensor<64x8xf32>, tensor<4x8x4xf32>) {
  %batch = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %batch : tensor<4x8x24xf32>
  %ts = shard.shard %tokens to %batch : tensor<4x8xi32>
  %q, %k, %v = ds.split %xs axis = 2 sizes = [8, 8, 8] : tensor<4x8x24xf32> -> tensor<4x8x8xf32>, tensor<4x8x8xf32>, tensor<4x8x8xf32>
  %qk = ds.concat %q, %k axis = 2 : (tensor<4x8x8xf32>, tensor<4x8x8xf32>) -> tensor<4x8x16xf32>
  %s = ds.slice %v starts = [0, 0, 4] limits = [4, 8, 8] : tensor<4x8x8xf32> -> tensor<4x8x4xf32>
  %g = ds.scatter_add %v, %ts axis = 0 : (tensor<4x8x8xf32>, tensor<4x8xi32>) -> tensor<64x8xf32>
  return %qk, %g, %s : tensor<4x8x16xf32>, tensor<64x8xf32>, tensor<4x8x4xf32>
}

// -----

// An op with per-token and summed results: with the tokens split, the
// experts' weight gradients (sums over tokens) are partial and all_reduced;
// the per-token input and routing-weight gradients stay split, untouched.
// CHECK-LABEL: func.func @grads
// CHECK-NEXT: %[[DX:.*]], %[[DW:.*]], %[[DG:.*]], %[[DU:.*]], %[[DD:.*]] = ds.moe_ffn_grad {{.*}} -> (tensor<4x16xf32>, tensor<4x2xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>)
// CHECK-NEXT: %[[RG:.*]] = shard.all_reduce %[[DG]] on @grid grid_axes = [0]
// CHECK-NEXT: %[[RU:.*]] = shard.all_reduce %[[DU]] on @grid grid_axes = [0]
// CHECK-NEXT: %[[RD:.*]] = shard.all_reduce %[[DD]] on @grid grid_axes = [0]
// CHECK-NEXT: return %[[DX]], %[[DW]], %[[RG]], %[[RU]], %[[RD]]
shard.grid @grid(shape = 2)
func.func @grads(%x: tensor<8x16xf32>, %w: tensor<8x2xf32>, %idx: tensor<8x2xi32>, %gate: tensor<4x32x16xf32>, %up: tensor<4x32x16xf32>, %down: tensor<4x16x32xf32>, %dy: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x2xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) {
  %tok = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %tok : tensor<8x16xf32>
  %ws = shard.shard %w to %tok : tensor<8x2xf32>
  %is = shard.shard %idx to %tok : tensor<8x2xi32>
  %dys = shard.shard %dy to %tok : tensor<8x16xf32>
  %dx, %dw, %dg, %du, %dd = ds.moe_ffn_grad %xs, %ws, %is, %gate, %up, %down, %dys : (tensor<8x16xf32>, tensor<8x2xf32>, tensor<8x2xi32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>, tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x2xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>)
  return %dx, %dw, %dg, %du, %dd : tensor<8x16xf32>, tensor<8x2xf32>, tensor<4x32x16xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>
}
