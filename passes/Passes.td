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

#endif // DS_PASSES_TD
