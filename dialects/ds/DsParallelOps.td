//===- DsParallelOps.td - ops of per-rank programs ---------------*- td -*-===//
//
// Ops that only --ds-shard writes, into the per-rank (SPMD) program, where
// upstream's shard dialect has no collective for the job: expert
// parallelism's all-to-all-v token exchange, whose sizes depend on the
// routing and so are only known at run time. They name their grid and
// axes as shard's collectives do, and carry a `ds.reason`.
//
//===----------------------------------------------------------------------===//

#ifndef DS_PARALLEL_OPS_TD
#define DS_PARALLEL_OPS_TD

include "dialects/ds/DsBase.td"
include "mlir/IR/SymbolInterfaces.td"

class Ds_ExpertExchangeOp<string mnemonic>
    : Ds_Op<mnemonic, [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  dag exchangeArgs = (ins FlatSymbolRefAttr:$grid,
                          DenseI16ArrayAttr:$grid_axes,
                          ConfinedAttr<I64Attr, [IntPositive]>:$experts_per_rank);
  let hasVerifier = 1;
}

def Ds_ExpertPlanOp : Ds_ExpertExchangeOp<"expert_plan"> {
  let summary = "How many tokens each rank sends to each rank's experts";
  let description = [{
    Expert parallelism's exchange plan. The ranks of `grid` along
    `grid_axes` (a group of `G`, numbered row-major by their coordinates
    along those axes) each hold `experts_per_rank` consecutive routed
    experts: group rank `r` holds the experts numbered
    `[r·experts_per_rank, (r+1)·experts_per_rank)`. `indices` `[T, K]` are
    this rank's tokens' chosen experts (global numbers; -1: none). A token
    goes to every rank that holds at least one of its experts, once.

    The result `[G, G]` (`i64`) is the same on every rank of the group:
    element `[s, r]` is the number of tokens rank `s` sends to rank `r`
    (each rank counts its own, then the counts are all-gathered: `G` `i64`
    per rank). `ds.expert_dispatch` and `ds.expert_combine` move rows by
    it. An index outside `[-1, G·experts_per_rank)` is a run-time error.

    ```mlir
    %plan = ds.expert_plan %idx on @grid grid_axes = [0] experts_per_rank = 4 : (tensor<32x2xi64>) -> tensor<2x2xi64>
    ```
  }];
  let arguments = !con((ins Ds_IndexTensor:$indices), exchangeArgs);
  let results = (outs TensorOf<[I64]>:$counts);
  let assemblyFormat = [{
    $indices `on` $grid `grid_axes` `=` $grid_axes
    `experts_per_rank` `=` $experts_per_rank attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_ExpertDispatchOp : Ds_ExpertExchangeOp<"expert_dispatch"> {
  let summary = "Sends each token to the ranks that hold its experts (all-to-all-v)";
  let description = [{
    `counts` `[G, G]` from `ds.expert_plan` of the same `indices` `[T, K]`;
    each of `inputs` has `T` rows (`[T, …]`). One all-to-all-v per input:
    the rows of the tokens that chose an expert of rank `r` go to rank `r`,
    in token order. Each result is `[G·T, …]`: the rows rank `s` sent are
    rows `[s·T, s·T + counts[s, rank])`, the others are zero. Nothing is
    dropped and there is no capacity factor: a result can hold every token
    of the group, and only the rows sent move and are computed on.

    The last result, `local_indices` `[G·T, K]`, is the received tokens'
    `indices` as this rank numbers its experts (`e − rank·experts_per_rank`),
    with -1 for experts of other ranks and for the unused rows: what
    `ds.moe_ffn` and `ds.moe_ffn_grad` take (they skip -1).

    ```mlir
    %rx, %rw, %ridx = ds.expert_dispatch %plan, %idx, %x, %w on @grid grid_axes = [0] experts_per_rank = 4 : (tensor<2x2xi64>, tensor<32x2xi64>, tensor<32x64xf32>, tensor<32x2xf32>) -> (tensor<64x64xf32>, tensor<64x2xf32>, tensor<64x2xi64>)
    ```
  }];
  let arguments = !con((ins TensorOf<[I64]>:$counts, Ds_IndexTensor:$indices,
                            Variadic<AnyRankedTensor>:$inputs), exchangeArgs);
  let results = (outs Variadic<AnyRankedTensor>:$outputs,
                      Ds_IndexTensor:$local_indices);
  let assemblyFormat = [{
    $counts `,` $indices (`,` $inputs^)? `on` $grid `grid_axes` `=` $grid_axes
    `experts_per_rank` `=` $experts_per_rank attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_ExpertCombineOp : Ds_ExpertExchangeOp<"expert_combine"> {
  let summary = "Returns and sums what each token's experts computed (all-to-all-v)";
  let description = [{
    The reverse of `ds.expert_dispatch` with the same `counts` and
    `indices` `[T, K]`: each of `inputs` is `[G·T, …]`, laid out as the
    dispatch's results; rows `[s·T, s·T + counts[s, rank])` go back to rank
    `s`. Each result `[T, …]` is, for every token, the sum of the rows the
    ranks it was sent to returned for it, added in rank order (a token
    sent nowhere gets zero). The backward of the dispatch, and how the
    experts' partial outputs become each token's output.

    ```mlir
    %y = ds.expert_combine %plan, %idx, %ry on @grid grid_axes = [0] experts_per_rank = 4 : (tensor<2x2xi64>, tensor<32x2xi64>, tensor<64x64xf32>) -> tensor<32x64xf32>
    ```
  }];
  let arguments = !con((ins TensorOf<[I64]>:$counts, Ds_IndexTensor:$indices,
                            Variadic<Ds_FloatTensor>:$inputs), exchangeArgs);
  let results = (outs Variadic<Ds_FloatTensor>:$outputs);
  let assemblyFormat = [{
    $counts `,` $indices `,` $inputs `on` $grid `grid_axes` `=` $grid_axes
    `experts_per_rank` `=` $experts_per_rank attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // DS_PARALLEL_OPS_TD
