//===- Passes.td - DS's passes --------------------------------*- tablegen -*-===//
//
// Every DS pass is declared here; docs/passes.md is generated from this file.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PASSES_TD
#define DS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DsAutodiffPass : Pass<"ds-autodiff", "::mlir::ModuleOp"> {
  let summary = "Builds the gradient function of a loss (reverse-mode autodiff)";
  let description = [{
    From the function `entry` (default `@loss`), whose first result is a
    rank-0 float loss, builds `@<entry>_grad`: the same arguments, the same
    results, then the gradient of the loss with respect to every parameter
    (every float argument with a `ds.param` attribute, in argument order),
    named `grad.<parameter name>` by `ds.name`. Other results (for example
    per-expert load statistics) pass through without a gradient.

    Every op on the path from a parameter to the loss must implement
    `VjpOpInterface`; any other op is reported with the reason. Integer
    values (token ids, expert indices) carry no gradient.

    Layer functions are differentiated once per callee, not once per call:
    `@f` becomes `@f_fwd`, which returns `@f`'s results followed by the
    activations its backward pass needs (its *residuals*), and `@f_bwd`,
    which takes `@f`'s arguments, the cotangents of its float results and the
    residuals, and returns the gradients of its float arguments. A `ds.scan`
    over `@f` becomes a forward scan that stacks each layer's residuals and a
    `reverse` scan over them. Every activation kept for the backward pass is
    therefore an explicit value, which activation checkpointing can choose to
    recompute instead.

    With `seed-argument`, the cotangent of the loss is an extra last argument
    (`ds.name = "loss_seed"`) instead of 1, which dynamic loss scaling uses.

    ```
    ds-opt model.mlir --ds-autodiff
    ds-opt model.mlir --ds-autodiff="entry=loss seed-argument=true"
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"loss\"",
           "The function to differentiate (its first result is the loss)">,
    Option<"allFloatArguments", "all-float-arguments", "bool",
           /*default=*/"false",
           "Differentiate with respect to every float argument, not only "
           "parameters">,
    Option<"seedArgument", "seed-argument", "bool", /*default=*/"false",
           "Take the loss cotangent as a trailing argument">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def DsOptimizerPass : Pass<"ds-optimizer", "::mlir::ModuleOp"> {
  let summary = "Builds @train_step: AdamW, clipping, schedule, accumulation";
  let description = [{
    From the gradient function built by `--ds-autodiff` (`grad-function`,
    default `@loss_grad`), builds `@train_step`, one whole optimizer step with
    every piece of state an explicit argument and result:

    * Arguments: `step` (`tensor<i64>`, the number of steps taken so far),
      with `schedule-argument` then `total_steps` (`tensor<i64>`), the
      gradient function's inputs (`tokens`, `targets`; with
      `micro-batches = A > 1` each gets a leading dimension of `A`), the
      parameters, then `exp_avg.<param>` and `exp_avg_sq.<param>` for every
      parameter AdamW updates, then, with `loss-scaling`, `loss_scale`
      (`tensor<f32>`) and `good_steps` (`tensor<i64>`).
    * Results: `loss` (the mean over micro-batches), the gradient function's
      other results summed over micro-batches (per-expert load), `grad_norm`
      (the global L2 norm before clipping), `lr`, then the new values of the
      state, each named like the argument it replaces: `step`, every
      parameter, `exp_avg.*`, `exp_avg_sq.*` (and `loss_scale`,
      `good_steps`, `update_skipped`).

    A step: gradients are averaged over the micro-batches (a `ds.scan` over
    them), unscaled, clipped to a global norm of `clip-norm` (0 disables), and
    applied by AdamW as PyTorch defines it, with bias correction and decoupled
    weight decay (`p ← p·(1 − lr·wd)`), which parameters whose name contains one of
    `no-decay` (default: norm, bias, embed, wte, wpe, ln_) skip. The learning
    rate warms up linearly over `warmup-steps` and then follows a cosine down
    to `min-lr-ratio · lr` at `total-steps` (constant after warm-up when
    `total-steps` is 0): with `t = step + 1`, `lr_t = lr · t / warmup` while
    `t ≤ warmup`, else `lr_min + (lr − lr_min) · (1 + cos(π · min(1, (t −
    warmup) / (total − warmup)))) / 2`. With `schedule-argument`,
    `total` is not compiled in: @train_step takes it as the argument
    `total_steps` (`tensor<i64>`, after `step`; values `≤ warmup` mean no
    decay), and ds-train sets it to the run's length, which with
    `--time-limit` is the number of steps the time allows.

    MoE load balancing without an auxiliary loss: a gradient-function result
    with a `ds.balances = "<bias parameter>"` attribute is that parameter's
    per-expert load; the bias is not trained by AdamW but moved by
    `bias-update-speed` (γ) toward balance, `b ← b + γ · sign(mean(load) −
    load)` per layer, after the step's forward passes.

    Dynamic loss scaling (`loss-scaling`, for fp16): the gradient function must
    take its seed as an argument (`--ds-autodiff=seed-argument=true`); the loss
    is scaled by `loss_scale`, the gradients unscaled; a step whose gradients
    are not finite changes nothing but halves the scale, and
    `growth-interval` finite steps in a row double it.
  }];
  let options = [
    Option<"gradFunction", "grad-function", "std::string",
           /*default=*/"\"loss_grad\"", "The gradient function to step with">,
    Option<"lr", "lr", "double", /*default=*/"1e-3", "Peak learning rate">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "AdamW β1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.95", "AdamW β2">,
    Option<"epsilon", "eps", "double", /*default=*/"1e-8", "AdamW ε">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.1",
           "Decoupled weight decay">,
    ListOption<"noDecay", "no-decay", "std::string",
               "Parameters whose name contains one of these substrings are "
               "not decayed ('none' for no exception; default: norm, bias, "
               "embed, wte, wpe, ln_)">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"1.0",
           "Global gradient-norm clipping threshold (0 disables)">,
    Option<"warmupSteps", "warmup-steps", "int64_t", /*default=*/"0",
           "Linear warm-up steps">,
    Option<"totalSteps", "total-steps", "int64_t", /*default=*/"0",
           "Step at which the cosine decay reaches its floor (0: no decay)">,
    Option<"scheduleArgument", "schedule-argument", "bool",
           /*default=*/"false",
           "Take the schedule's length as the argument `total_steps` instead "
           "of total-steps, so that the runtime sizes it to the run">,
    Option<"minLrRatio", "min-lr-ratio", "double", /*default=*/"0.1",
           "The floor of the decay as a fraction of lr">,
    Option<"microBatches", "micro-batches", "int64_t", /*default=*/"1",
           "Micro-batches whose gradients each step averages">,
    Option<"lossScaling", "loss-scaling", "bool", /*default=*/"false",
           "Dynamic loss scaling (fp16)">,
    Option<"growthInterval", "growth-interval", "int64_t", /*default=*/"2000",
           "Finite steps before the loss scale doubles">,
    Option<"biasUpdateSpeed", "bias-update-speed", "double",
           /*default=*/"1e-3",
           "γ of auxiliary-loss-free load balancing">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def DsAutocastPass : Pass<"ds-autocast", "::mlir::ModuleOp"> {
  let summary = "Mixed precision: bf16 products with f32 accumulation, f32 master weights";
  let description = [{
    Runs on the forward model, before `--ds-autodiff`. The products read
    low-precision copies of their f32 operands, as PyTorch's autocast and
    Megatron do:

    * `ds.matmul`: both operands cast to `compute`; the result stays f32
      (the products are accumulated in f32 and rounded once);
    * `ds.attention`: query, key and value cast; the scores and softmax are
      computed in f32 (the op's rule), the output cast back to f32;
    * `ds.moe_ffn`: the tokens, routing weights and expert weights cast,
      the output cast back to f32.

    Everything else stays f32: norms, softmax, the loss and the residual
    stream, and the parameters themselves, which are the master weights.
    `--ds-autodiff` then differentiates through the casts (a cast's VJP is
    the cast back), so the gradients that reach the parameters, the
    optimizer step and AdamW's moments are f32, while the products' own
    gradients are computed in `compute` too. The module records
    `ds.autocast = {compute, products}` (the products cast).

    With `compute=f16`, use `--ds-optimizer{loss-scaling}`: f16 gradients
    underflow without it.

    ```
    ds-opt model.mlir --ds-autocast --ds-autodiff --ds-optimizer
    ds-compile model.mlir --train --autocast=bf16 -o art/
    ```
  }];
  let options = [
    Option<"compute", "compute", "std::string", /*default=*/"\"bf16\"",
           "The products' operand type: bf16 or f16">,
  ];
  let dependentDialects = ["::mlir::ds::DsDialect"];
}

def DsRematPass : Pass<"ds-remat", "::mlir::ModuleOp"> {
  let summary = "Activation checkpointing: which forward values the backward "
                "pass saves and which it recomputes";
  let description = [{
    Runs after `--ds-autodiff` (and `--ds-optimizer`), before `--ds-shard`.
    The residuals of every differentiated function (what `@f_fwd` returns
    to `@f_bwd`, stacked per layer by the scans) are the activations a
    training step keeps from its forward to its backward pass. This pass
    rebuilds each gradient function (those carrying `ds.gradient`, with the
    same name and signature) choosing, per function, which of those values
    to save and which to recompute in the backward pass from values it has:

    * `policy=none`: save every value the backward pass reads, except those
      free to rebuild (also the rule of every other policy): reshapes,
      transposes and broadcasts of arguments or of saved values, constants
      and iotas.
    * `policy=full`: every layer (the body of a `ds.scan`) keeps only its
      input; its backward pass first runs the layer's forward again.
    * `policy=selective`: keep the products of GEMMs, attention and the
      expert FFNs; recompute the elementwise, normalisation, rope, softmax
      and routing values that can be rebuilt from values kept anyway (so
      the saved set only shrinks).

    Each recomputed op in a backward function carries
    `ds.remat = {bytes, flops, why}`: the bytes of its results that are no
    longer saved, its cost, and the rule that chose it; its location is the
    forward op's. Recomputation repeats deterministic ops on the same
    inputs, so gradients are bitwise those of `policy=none`.

    ```
    ds-opt model.mlir --ds-autodiff --ds-optimizer --ds-remat=policy=full
    ds-compile model.mlir --train --passes='ds-remat{policy=selective}' -o art/
    ```
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"selective\"",
           "none, full, selective or budget">,
    Option<"budget", "budget", "std::string", /*default=*/"\"\"",
           "The most bytes the step's peak memory may take (policy budget): "
           "a number, optionally with K, M, G, T, KiB, MiB, GiB or TiB">,
    Option<"peak", "peak", "std::string", /*default=*/"\"plan\"",
           "How policy budget measures the peak: plan (the CPU memory plan "
           "of a copy of the module: what ds-compile allocates) or estimate "
           "(from the ds IR, without lowering: for steps too large to lower "
           "quickly, or a target with another memory plan)">,
  ];
  // Policy budget lowers copies of the module to read their memory plan.
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// CPU code generation
//===----------------------------------------------------------------------===//

def DsShardPass : Pass<"ds-shard", "::mlir::ModuleOp"> {
  let summary = "Makes @train_step a per-rank program over a grid of ranks";
  let description = [{
    Runs after `--ds-optimizer`. Creates the grid `@ds_grid` and rewrites
    `@train_step` into the program every rank runs (SPMD), with the
    collectives it needs in upstream MLIR's `shard` dialect:

    * `dp = N` (data parallel): `tokens` and `targets` are split along their
      batch dimension; parameters and optimizer state are whole on every
      rank. Each rank computes on its part of the batch; a gradient, a
      weight summed over the batch, is partial on every rank and is summed
      over the grid (`shard.all_reduce`) where the op that computes it is
      partitioned; the loss is the count-weighted mean over ranks; the
      optimizer then runs identically on every rank.
    * `zero = 1` (with `dp`, ZeRO stage 1): AdamW's moments are split over
      the ranks (each along its first dimension the ranks divide; a tensor
      with none stays whole); each rank receives its shard of every such
      gradient (`shard.reduce_scatter` instead of an all_reduce), updates
      its shard of the weights and moments (the gradient norm is summed
      from the shards), and the updated weights are gathered
      (`shard.all_gather`). Per rank, the moments take 1/N of their bytes;
      the bytes sent per step are those of data parallelism (reduce-scatter
      plus all-gather = all-reduce). `train_step`'s moment arguments and
      results become the rank's shards, marked `ds.split_dim`.
    * `zero = 3` (ZeRO stage 3): the weights are split like their moments,
      at rest; the functions the step calls pass them on split and gather
      each inside the layer that uses it, just before its first use, in the
      forward and in the backward pass.
    * `tp = N` (tensor parallel, Megatron): every rank sees the whole batch;
      the projections into heads or hidden units (q/k/v, MLA's q_b and
      kv_b, gate and up) are split by output, the projections back (o,
      down) by input, so attention runs by head and each MLP and expert
      computes on its share of hidden units, with one all_reduce of each
      block's output; the embedding table and the LM head are split by
      vocabulary, with a vocabulary-parallel lookup and cross-entropy (the
      logits are never gathered). The weights and moments stay split. With `dp`,
      a 2-D grid `[dp, tp]`: the batch is split over `dp`, the weights over
      `tp`.
    * `ep = N` (expert parallel): the routed experts of every MoE layer are
      split over the `ep` ranks, which also read their own part of the
      batch (with `dp`, the grid is `[dp, ep]` and the batch is split over
      both). Each MoE layer sends each token only to the ranks that hold
      its experts (`ds.expert_plan` counts them, `ds.expert_dispatch` is an
      all-to-all-v), runs its own experts on the tokens it received, and
      sends the results back to be summed on the tokens' ranks
      (`ds.expert_combine`); nothing is dropped (no capacity factor). With
      `ep-dispatch=all-gather` it gathers every token of its `ep` peers
      instead and reduce-scatters the outputs back. The shared experts and
      everything else are replicated. The experts' gradients are summed
      over `dp` only.

    * `zero` with `tp` or `ep` (a `[dp, tp]` or `[dp, ep]` grid): ZeRO
      splits over `dp` the weights the other axis leaves whole, and each
      tensor- or expert-parallel block further along its own dimension
      (`ds.split_axes = [tp, dp]`, major to minor) when that divides; under
      `zero = 3` such a block is gathered over `dp` alone before use, back
      to the block the rank computes on.

    * `tp` with `ep` (a `[tp, ep]` grid, or `[dp, tp, ep]`): the batch is
      split over `dp` and `ep`, the routed experts over `[ep, tp]` (each
      `tp` rank holds its share of its `ep` rank's experts), everything
      else tensor-parallel; tokens are exchanged over `ep` and the experts'
      outputs summed over `tp`.

    A split that does not divide what it splits (the batch, heads, hidden
    units, vocabulary or experts) is an error that names it. `zero` needs
    `dp`.

    Gradients are then summed in few large collectives, not one per weight
    and layer: partial contributions to one gradient are added before they
    are summed, sums move out of the layer functions to the step (after a
    scan, one sum covers every layer's gradient), and there they are
    concatenated into buckets of at most `bucket-bytes` (0: no buckets).

    The rewrite walks the step forward from its arguments' shardings,
    across calls and layer scans (each callee is partitioned for the
    shardings it is called with: `block_bwd.part0`), using each ds op's
    ShardingInterface (dialects/ds/DsSharding.h); docs/distributed.md says
    what comes from upstream and what DS adds. Other entry points are left
    as they are. A batch the grid does not divide is an error naming the
    argument and its dimension.

    ```
    ds-opt model.mlir --ds-autodiff --ds-optimizer --ds-shard="dp=2"
    ```
  }];
  let options = [
    Option<"dp", "dp", "int64_t", /*default=*/"1",
           "Data-parallel ranks: the batch is split this many ways">,
    Option<"bucketBytes", "bucket-bytes", "int64_t",
           /*default=*/"25 << 20",
           "Largest bucket of gradients summed by one all_reduce (PyTorch "
           "DDP's default, 25 MiB); 0 sums each gradient on its own">,
    Option<"zero", "zero", "int64_t", /*default=*/"0",
           "ZeRO stage: 0 (optimizer state whole on every rank), 1 "
           "(AdamW's moments and the update split over the dp ranks) or 3 "
           "(the weights too, gathered inside each layer before use)">,
    Option<"tp", "tp", "int64_t", /*default=*/"1",
           "Tensor-parallel ranks (Megatron): attention by heads, MLPs and "
           "experts column then row; with dp, a [dp, tp] grid">,
    Option<"ep", "ep", "int64_t", /*default=*/"1",
           "Expert-parallel ranks: the routed experts split over them, "
           "tokens dispatched and combined; with dp, a [dp, ep] grid">,
    Option<"epDispatch", "ep-dispatch", "std::string",
           /*default=*/"\"all-to-all\"",
           "How expert-parallel layers move tokens: all-to-all (each token "
           "to its experts' ranks only) or all-gather (every token to every "
           "ep rank, outputs reduce-scattered back)">,
  ];
  let dependentDialects = ["::mlir::shard::ShardDialect",
                           "::mlir::func::FuncDialect"];
}

def DsPrintCommunicationPass
    : Pass<"ds-print-communication", "::mlir::ModuleOp"> {
  let summary = "Prints what a sharded entry point sends per call, per rank";
  let description = [{
    Counts every `shard` collective the entry point runs per call (through
    calls, and once per layer through layer scans), groups them by
    collective, grid axes and purpose (the `<what>` of each collective's
    `ds.reason`), and prints, to standard error, the count, the bytes moved
    (Ψ: the full tensor) and the bytes each rank sends by the ring
    algorithms: 2Ψ(N−1)/N for an all_reduce over N ranks, Ψ(N−1)/N for a
    reduce_scatter, all_gather or all_to_all. `ds-compile` prints the same
    table for each sharded entry. The IR is unchanged.

    ```
    ds-opt model.mlir --ds-autodiff --ds-optimizer --ds-shard="dp=2" \
        --ds-print-communication -o /dev/null
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"train_step\"",
           "The entry point whose communication is counted">,
  ];
}

def DsLowerToLinalgPass : Pass<"ds-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers every ds op to linalg, tensor, arith, math, scf and kernel calls";
  let description = [{
    The first step of code generation. Every ds op, forward, backward and
    optimizer alike, becomes upstream MLIR on tensors:

    * elementwise ops, casts, iota, broadcasts, reductions, softmax and the
      norms become `linalg.generic` ops (broadcasting by indexing maps, so
      nothing is materialised and elementwise fusion can merge them);
    * shape ops become `tensor` slices, inserts and reshapes (views after
      bufferization) or `linalg.transpose`;
    * `ds.matmul` calls BLAS through `ds_matmul_*`; attention, MoE routing and
      experts, rotary embedding, cross-entropy, gather and scatter-add call
      the kernels of `kernels/cpu` on the tensors' buffers
      (`bufferization.to_buffer` / `to_tensor`);
    * `ds.scan` becomes an `scf.for` over the layers that slices the stacked
      operands and inserts the per-layer results.

    Every function gets a leading `!llvm.ptr` argument, the run-time status
    (`kernels/cpu/Status.h`), which kernels and checked integer division use
    to report an index out of range or a division by zero; the module's
    `ds.sites` attribute lists the location of each op that can report one.
    Entry points (`entries`, by default every function no other function
    calls) keep public visibility and read-only arguments; every other
    function becomes private, to be inlined.

    Entry points must have static shapes. fp8 operands of kernel-backed ops
    are rejected with a diagnostic.

    ```
    ds-opt model.mlir --ds-lower-to-linalg
    ```
  }];
  let options = [
    ListOption<"entries", "entries", "std::string",
               "Functions to compile (default: those no function calls)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def DsFusePass : Pass<"ds-fuse", "::mlir::ModuleOp"> {
  let summary = "Groups lowered code into kernels: elementwise chains and row reductions with their consumers";
  let description = [{
    Runs on linalg on tensors, after `--ds-lower-to-linalg` and inlining. It
    decides which work runs as one kernel, on the CPU (one loop nest) and on
    the GPU (one launch) alike:

    * chains of elementwise ops merge into one `linalg.generic`, also into
      the reduction that consumes them (upstream elementwise fusion, for
      producers with one use);
    * elementwise ops over the same loops that read a common input merge
      into one op with the outputs of both (sibling fusion, as XLA's
      multi-output fusion), which reads that input once: AdamW's update of
      one tensor, its parameter and both moments, becomes one kernel;
    * a row reduction (parallel loops, then reduction loops; one result per
      row: a norm's sum of squares, a mean, a variance) and the elementwise
      op that consumes it per row become one `scf.forall` over the rows,
      tiled by one row, with the reduction's fill and any further row
      reductions it needs fused in (`scf::tileConsumerAndFuseProducers`).
      A reduction also used after the group (a statistic saved for the
      backward pass) is yielded by the loop; one used before it is not
      fused. Producers that would be recomputed whole for every row (a
      reduction over the rows themselves, such as a weight's gradient) stay
      kernels of their own.

    Every kernel then carries `ds.kernel = {id, kind, ops}` (kind `row` for
    a group, `elementwise`, `reduction`, or a named op such as `fill` or
    `transpose`), and every function
    `ds.fusion = {kernels_before, kernels_after, bytes_before, bytes_after,
    library_calls, library_bytes}`: generated kernels per run (an op in a
    loop over layers counts once per layer) and the bytes they read and
    write, before and after the pass, plus the library calls and the bytes
    of their buffers, which fusion does not change.

    ```
    ds-opt model.mlir --ds-autodiff --ds-optimizer --ds-lower-to-linalg \
        --inline --ds-fuse
    ```
  }];
  let options = [
    Option<"siblings", "siblings", "bool", /*default=*/"true",
           "Merge elementwise ops over the same loops that share an input">,
    Option<"rowGroups", "row-groups", "bool", /*default=*/"true",
           "Fuse row reductions with their consumers (false: elementwise "
           "fusion only)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def DsApproximateMathPass : Pass<"ds-approximate-math"> {
  let summary = "Replaces f32 transcendental functions by polynomial approximations";
  let description = [{
    Rewrites the chosen `math` functions on `f32` (scalars and vectors) into
    MLIR's polynomial approximations: arithmetic that LLVM vectorizes, where
    a libm call per element would keep the surrounding loop scalar. Other
    element types keep their libm calls. The approximations are within a few
    ulp of libm over the whole range; the compiled models stay within 1e-5
    relative of the reference interpreter (test/codegen).

    ```mlir
    %y = math.tanh %x : f32
    // becomes a clamp, two polynomials and a division, all in arith
    ```
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "The math functions to approximate, by mnemonic">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def DsParallelizeLoopsPass : Pass<"ds-parallelize-loops"> {
  let summary = "Keeps only the parallel loops worth a thread fork/join";
  let description = [{
    Runs on the `scf.parallel` loops that `convert-linalg-to-parallel-loops`
    produced, before `convert-scf-to-openmp`. An outermost parallel loop
    stays parallel when it has at least two iterations and its estimated
    work (operations per iteration, nested loops counted once per trip,
    times its iterations) is at least `min-work`; every other parallel loop,
    and every parallel loop nested in one that stays, becomes a nest of
    sequential `scf.for` loops. Thread start-up then happens only where it
    pays, and never nested.

    ```mlir
    scf.parallel (%i) = (%c0) to (%c4) step (%c1) { ... }   // small: scf.for
    scf.parallel (%i) = (%c0) to (%c4096) step (%c1) { ... } // kept
    ```
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"1 << 16",
           "Least estimated work (operations) of a loop that runs in parallel">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def DsDistinctResultsPass : Pass<"ds-distinct-results", "::mlir::ModuleOp"> {
  let summary = "Gives every memref result of an entry point a buffer of its own";
  let description = [{
    Runs after bufferization, before `buffer-results-to-out-params`. Every
    result of a public function becomes a separate caller-provided output
    buffer, so each returned memref must be a distinct `memref.alloc` of the
    function: a result that is returned twice (after CSE merged two equal
    values), that is an argument, or that is a view or a global is copied
    into a fresh buffer. Then `hoist-static-allocs` can make every result be
    computed directly in the caller's buffer.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def DsPlanMemoryPass : Pass<"ds-plan-memory", "::mlir::ModuleOp"> {
  let summary = "Places every buffer of an entry point in one workspace, sharing bytes by liveness";
  let description = [{
    After bufferization, every `memref.alloc` of a public function (all of
    static shape) is replaced by a `memref.view` into a single workspace, a
    new last argument `memref<Nxi8>` the runtime allocates once. Buffers
    whose lifetimes do not overlap share bytes: a buffer lives from its
    allocation to the last use of it or of any view of it, measured in the
    block that allocates it (a use inside a loop keeps it alive for the whole
    loop). Buffers allocated inside a loop body are planned within the body
    and the body's plan is reserved for the whole loop. Offsets are chosen
    greedily, largest buffer first, 64-byte aligned. A buffer a loop carries
    from one iteration to the next (a layer's output, the next layer's
    input) gets two slots around the loop, used by alternate iterations.
    A buffer allocated inside a parallel loop (`scf.forall`: a fused
    group's per-row statistics) belongs to each iteration: it becomes one
    buffer before the loop with the loop's iteration space as leading
    dimensions, and each iteration uses its own slice.

    Each entry records `ds.workspace_bytes` (the planned peak),
    `ds.unplanned_bytes` (the sum of all buffers) and `ds.buffers`. Copies
    (`memref.copy`) become `linalg.copy` so that they compile to loops like
    everything else.

    ```
    ds-opt lowered.mlir --one-shot-bufferize=... --ds-plan-memory
    ```
  }];
  let options = [
    Option<"share", "share", "bool", /*default=*/"true",
           "Let buffers with disjoint lifetimes share bytes (false: every "
           "buffer gets its own, to check a miscompile against the plan)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def DsGpuKernelsPass : Pass<"ds-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Turns each kernel of planned code into a gpu.launch, with parallel reductions";
  let description = [{
    Runs after `--ds-plan-memory` (memrefs, static shapes) for the GPU
    targets. Each kernel `--ds-fuse` formed becomes one `gpu.launch`:

    * a row group (`scf.forall` over rows) runs one block per row; the
      block's threads share each op of the group in turn (a thread takes
      iterations t, t + blockDim, ...), with a `gpu.barrier` between ops.
      A reduction over the row is split among the threads, each combining
      its share in a register, and `gpu.all_reduce` combines the threads'
      values (warp shuffles, then shared memory across warps); thread 0
      folds the total into the output;
    * an elementwise op runs one thread per iteration over a grid of
      blocks;
    * a reduction outside a group runs one block per output, as above,
      when it has one output, or fewer than 2048 each reduced over at least
      512 iterations; otherwise one thread per output, each reducing in
      order (a column sum over many columns: consecutive threads read
      consecutive elements).

    Where the layout allows (32-bit elements; an innermost loop whose size
    is a multiple of four and along which every operand is contiguous or
    constant), a thread takes four consecutive iterations at a time with
    one 16-byte `vector.load` per operand and one `vector.store` per
    result, elementwise ops and reductions alike, behind a run-time check
    (uniform across the kernel) that the buffers are 16-byte aligned; one
    element at a time otherwise.

    Square roots (`math.sqrt`, `math.rsqrt` on f32) become the NVPTX
    intrinsic for the round-to-nearest square root (`sqrt.rn.f32`, as the
    CPU computes it) instead of libdevice's approximations.

    A fill that sets up a reduction's output right before it (the same
    buffer, nothing touching memory between) is folded into the
    reduction's kernel, which starts from the filled value: one launch
    instead of two.

    A reduction is split among threads only when each of its results is
    `out ⊕ x` with ⊕ an operation `gpu.all_reduce` knows (add, mul, min,
    max, and, or, xor) and `x` independent of the outputs; others run one
    thread per output. Named linalg ops are generalized first. Code left on
    the host may only compute addresses, loop over layers and call library
    kernels; a scalar it loads from a 0-d buffer (decoding's position) is
    read through the runtime (`ds_cuda_read_i32`, ...), which waits for the
    kernels before it. Anything else that touches memory is reported as an
    error.
    Each kernel is named after its function, in order
    (`train_step_kernel_0`, ...), in a module of the same name, so that
    outlined kernels have distinct names (the manifest maps each to its
    source location for the runtime's messages).
    Library calls go to the kernels' CUDA twins (`ds_matmul_f32` becomes
    `ds_cuda_matmul_f32`, kernels/cuda/CudaKernels.h); a kernel without
    one (the collectives, the expert exchange) is an error at its call.

    ```
    ds-opt model.mlir --ds-cpu-pipeline=stop-after=planned --ds-gpu-kernels
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (a multiple of 32, at most 1024)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def DsEmitEntryAbiPass : Pass<"ds-emit-entry-abi", "::mlir::ModuleOp"> {
  let summary = "Wraps each entry point in the runtime's C calling convention";
  let description = [{
    Runs on the LLVM dialect, after `convert-func-to-llvm` with bare-pointer
    memrefs. For every public function `@f(status, buffers..., workspace)` it
    adds `void ds_entry_f(ds_status *status, void **buffers, void *workspace)`
    (docs/artifact.md), which loads the argument and result pointers from the
    array and calls `@f`; `@f` itself becomes internal so LLVM may inline it.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // DS_PASSES_TD
