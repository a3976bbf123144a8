//===- DsShapeOps.td - reductions, softmax and shape ops ---------*- td -*-===//

#ifndef DS_SHAPE_OPS_TD
#define DS_SHAPE_OPS_TD

include "dialects/ds/DsBase.td"

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

class Ds_ReduceOp<string mnemonic, Type type, string what>
    : Ds_InferredOp<mnemonic, [Ds_HasVjp]> {
  let summary = "The " # what # " over the given axes";
  let description = [{
    Reduces `input` over `axes` (unique, in `[0, rank)`, in any order, at least
    one) to their }] # what # [{. Without `keep_dims` the reduced dimensions
    are removed; with it they are kept with size 1. Floating-point sums and
    means accumulate in at least `f32`.

    ```mlir
    %0 = ds.}] # mnemonic # [{ %x axes = [1] : tensor<4x8xf32> -> tensor<4xf32>
    %1 = ds.}] # mnemonic # [{ %x axes = [1] keep_dims : tensor<4x8xf32> -> tensor<4x1xf32>
    ```
  }];
  let arguments = (ins type:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keep_dims);
  let results = (outs type:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keep_dims` $keep_dims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &results) {
      return inferReduction(loc, getOperationName(), adaptor.getInput(),
                            adaptor.getAxes(), adaptor.getKeepDims(), results);
    }
  }];
}

def Ds_ReduceSumOp : Ds_ReduceOp<"reduce_sum", Ds_NumericTensor, "sum">;
def Ds_ReduceMeanOp : Ds_ReduceOp<"reduce_mean", Ds_FloatTensor, "mean">;
def Ds_ReduceMaxOp : Ds_ReduceOp<"reduce_max", Ds_NumericTensor,
                                 "maximum (NaN if any element is NaN)">;

class Ds_SoftmaxOp<string mnemonic, string formula>
    : Ds_Op<mnemonic, [SameOperandsAndResultType, Ds_HasVjp]> {
  let summary = formula # " along one axis";
  let description = [{
    Computes `}] # formula # [{` along `axis`, subtracting the maximum along
    the axis first so that large inputs do not overflow.

    ```mlir
    %p = ds.}] # mnemonic # [{ %scores axis = 1 : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Ds_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Ds_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Ds_SoftmaxOp : Ds_SoftmaxOp<"softmax", "softmax(x)_i = e^(x_i) / Σ_j e^(x_j)">;
def Ds_LogSoftmaxOp
    : Ds_SoftmaxOp<"log_softmax", "log_softmax(x)_i = x_i - ln Σ_j e^(x_j)">;

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def Ds_ReshapeOp : Ds_Op<"reshape", [Ds_HasVjp]> {
  let summary = "Same elements, new shape";
  let description = [{
    Reinterprets the elements of `input`, in row-major order, with the result's
    shape. Both have the same element type and, where all dimensions are
    static, the same number of elements. At most one result dimension is
    dynamic; its size is the input's element count divided by the product of
    the others.

    ```mlir
    %0 = ds.reshape %x : tensor<4x8xf32> -> tensor<4x2x4xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ds_TransposeOp : Ds_InferredOp<"transpose", [Ds_HasVjp]> {
  let summary = "Permutes dimensions";
  let description = [{
    `result.shape[i] = input.shape[permutation[i]]` and
    `result[j0, …, jn] = input[i0, …, in]` with `i_permutation[k] = jk`.
    `permutation` is a permutation of `[0, rank)`.

    ```mlir
    %0 = ds.transpose %x permutation = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Ds_BroadcastOp : Ds_Op<"broadcast", [Ds_HasVjp]> {
  let summary = "NumPy broadcast to a larger shape";
  let description = [{
    Broadcasts `input` to the result shape by NumPy's rules: the shapes are
    aligned at the trailing dimension; each input dimension equals the result's
    or is 1 (then repeated); the result may have more leading dimensions. The
    element type is unchanged.

    ```mlir
    %0 = ds.broadcast %bias : tensor<8xf32> -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Ds_SliceOp : Ds_InferredOp<"slice", [Ds_HasVjp]> {
  let summary = "A strided box of a tensor";
  let description = [{
    Takes, in every dimension `d`, the indices `starts[d], starts[d] +
    strides[d], …` below `limits[d]`, so `result.shape[d] = ceil((limits[d] -
    starts[d]) / strides[d])`. Requires `0 ≤ starts[d] ≤ limits[d] ≤
    input.shape[d]` and `strides[d] ≥ 1`; `strides` defaults to all ones.

    ```mlir
    %0 = ds.slice %x starts = [0, 64] limits = [16, 128] : tensor<16x128xf32> -> tensor<16x64xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$limits,
                       OptionalAttr<DenseI64ArrayAttr>:$strides);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $input `starts` `=` $starts `limits` `=` $limits
    (`strides` `=` $strides^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
}

def Ds_ConcatOp : Ds_InferredOp<"concat", [Ds_HasVjp]> {
  let summary = "Joins tensors along one axis";
  let description = [{
    Concatenates one or more tensors of equal rank and element type along
    `axis`; all other dimensions agree.

    ```mlir
    %q = ds.concat %q_nope, %q_pe axis = 3 : (tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>) -> tensor<2x16x4x192xf32>
    ```
  }];
  let arguments = (ins Variadic<Ds_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` functional-type($inputs, $result)
  }];
  let hasFolder = 1;
}

def Ds_SplitOp : Ds_InferredOp<"split", [Ds_HasVjp]> {
  let summary = "Cuts a tensor into consecutive pieces along one axis";
  let description = [{
    Cuts `input` along `axis` into pieces of the given `sizes` (each ≥ 0, with
    the input's size along the axis as their sum); result `i` holds the
    `i`-th piece.

    ```mlir
    %nope, %pe = ds.split %q axis = 3 sizes = [128, 64] : tensor<2x16x4x192xf32> -> tensor<2x16x4x128xf32>, tensor<2x16x4x64xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input, I64Attr:$axis,
                       DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Ds_Tensor>:$results);
  let assemblyFormat = [{
    $input `axis` `=` $axis `sizes` `=` $sizes attr-dict `:` type($input) `->`
    type($results)
  }];
  let hasFolder = 1;
}

def Ds_GatherOp : Ds_InferredOp<"gather", [Ds_HasVjp]> {
  let summary = "Takes slices along one axis by index (embedding lookup)";
  let description = [{
    NumPy's `take(input, indices, axis)`:
    `result[a…, i…, b…] = input[a…, indices[i…], b…]`, so the result shape is
    `input.shape[:axis] + indices.shape + input.shape[axis+1:]`. An embedding
    lookup is a gather on axis 0 of the table. Every index must lie in
    `[0, input.shape[axis])`; an index outside it is a run-time error.

    ```mlir
    %h = ds.gather %wte, %tokens axis = 0 : (tensor<1000x64xf32>, tensor<2x16xi32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input, Ds_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $indices `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

def Ds_PadOp : Ds_InferredOp<"pad", [Ds_HasVjp]> {
  let summary = "Surrounds and interleaves a tensor with zeros";
  let description = [{
    Places the elements of `input` in a zero tensor: in every dimension `d`,
    `low[d]` zeros come first, then the elements with `interior[d]` zeros
    between neighbours, then `high[d]` zeros, so `result.shape[d] = low[d] +
    input.shape[d] + max(input.shape[d] − 1, 0) · interior[d] + high[d]`.
    All paddings are ≥ 0; `interior` defaults to all zeros. It is the
    transpose of `ds.slice` (with `starts = low` and `strides = interior + 1`),
    which is how the backward pass of a slice uses it.
    ```mlir
    %0 = ds.pad %x low = [0, 64] high = [0, 0] : tensor<16x64xf32> -> tensor<16x128xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high,
                       OptionalAttr<DenseI64ArrayAttr>:$interior);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $input `low` `=` $low `high` `=` $high (`interior` `=` $interior^)?
    attr-dict `:` type($input) `->` type($result)
  }];
}

def Ds_ScatterAddOp : Ds_Op<"scatter_add", [Ds_HasVjp]> {
  let summary = "Adds slices into a zero tensor at indices along one axis";
  let description = [{
    The transpose of `ds.gather`: starting from zeros of the result type,
    `result[a…, indices[i…], b…] += updates[a…, i…, b…]` for every index, so
    `updates.shape = result.shape[:axis] + indices.shape +
    result.shape[axis+1:]`. Repeated indices add up. Every index must lie in
    `[0, result.shape[axis])`; an index outside it is a run-time error. It is
    the backward pass of an embedding lookup.
    ```mlir
    %dwte = ds.scatter_add %dh, %tokens axis = 0 : (tensor<2x16x64xf32>, tensor<2x16xi32>) -> tensor<1000x64xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$updates, Ds_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $updates `,` $indices `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ds_DynamicUpdateSliceOp : Ds_InferredOp<"dynamic_update_slice"> {
  let summary = "Writes a block into a tensor at a run-time offset on one axis";
  let description = [{
    `result` is `target` with the block `update` written at offset `start`
    along `axis`: `result[…, start + i, …] = update[…, i, …]` for
    `i < update.shape[axis]`, every other element copied from `target`.
    `update` has the rank and element type of `target` and the same size in
    every dimension but `axis`, where it is not larger. `start` is a rank-0
    integer tensor, clamped to `[0, target.shape[axis] − update.shape[axis]]`
    as StableHLO's `dynamic_update_slice` does, so no offset writes out of
    bounds. Writing one new position into a KV cache is one such op.

    It has no gradient (it serves inference): `--ds-autodiff` reports it
    when the loss depends on it.

    ```mlir
    %c1 = ds.dynamic_update_slice %cache, %new, %pos axis = 1 : (tensor<2x64x32xf32>, tensor<2x1x32xf32>, tensor<i32>) -> tensor<2x64x32xf32>
    ```
  }];
  let arguments = (ins Ds_Tensor:$target, Ds_Tensor:$update,
                       Ds_IndexTensor:$start, I64Attr:$axis);
  let results = (outs Ds_Tensor:$result);
  let assemblyFormat = [{
    $target `,` $update `,` $start `axis` `=` $axis attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // DS_SHAPE_OPS_TD
