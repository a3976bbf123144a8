//===- DsControlOps.td - repeated layers ---------------------------*- td -*-===//
//
// Control flow between layer functions. Kept apart from the tensor ops because
// it refers to functions by symbol and its verifier reads the module.
//
//===----------------------------------------------------------------------===//

#ifndef DS_CONTROL_OPS_TD
#define DS_CONTROL_OPS_TD

include "dialects/ds/DsBase.td"
include "mlir/IR/SymbolInterfaces.td"

def Ds_ScanOp : Ds_Op<"scan", [AttrSizedOperandSegments,
                                DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Applies a layer function once per layer of stacked parameters";
  let description = [{
    Runs `callee` once for each of `L` layers, threading a carried state
    through them, like JAX's `scan`. Every `stacked` operand has a leading
    dimension of size `L` (the same for all, at least one stacked operand);
    layer `i` receives slice `i` of each of them. `invariant` operands are
    passed unchanged to every layer.

    ```
    carry = carries
    for i in 0 .. L-1:
      carry..., y_i... = callee(carry..., invariant..., stacked[i]...)
    results = carry..., stack(y_0, …, y_{L-1})...
    ```

    With `reverse` the layers run from `L-1` down to `0` (layer `i` still
    receives slice `i`, and its outputs still land at index `i`), which is
    how the backward pass of a scan runs.

    The callee's signature is therefore
    `(carry types, invariant types, stacked types without their leading
    dimension) -> (carry types, per-layer output types)`, and the op's results
    are the final carries followed by the per-layer outputs stacked along a new
    leading dimension of size `L`.

    This is how a model with many identical layers stays one function and one
    op, whatever its depth: the parameters of all layers of one kind are
    stacked tensors (named with a layer range, e.g.
    `model.layers.[1:61].mlp.gate.weight`, see `#ds.param`), so the IR's size
    does not grow with the number of layers.

    ```mlir
    %h1 = ds.scan @moe_layer(%h0) invariant(%pos) stacked(%wq, %wkv) : (tensor<2x16x64xf32>, tensor<16xi32>, tensor<3x64x64xf32>, tensor<3x32x64xf32>) -> tensor<2x16x64xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Variadic<Ds_Tensor>:$carries,
                       Variadic<Ds_Tensor>:$invariants,
                       Variadic<Ds_Tensor>:$stacked, UnitAttr:$reverse);
  let results = (outs Variadic<Ds_Tensor>:$results);
  let assemblyFormat = [{
    $callee `(` $carries `)` (`invariant` `(` $invariants^ `)`)?
    `stacked` `(` $stacked `)` (`reverse` $reverse^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The number of layers: the leading dimension of the stacked operands
    /// (ShapedType::kDynamic when it is not static).
    int64_t getNumLayers();
  }];
}

#endif // DS_CONTROL_OPS_TD
