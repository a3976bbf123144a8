//===- DsInterfaces.td - op interfaces of the ds dialect --------*- td -*-===//
//
// The interfaces ds ops implement for the compiler's transformations. Kept
// apart from the ops so a pass can include them without every op.
//
//===----------------------------------------------------------------------===//

#ifndef DS_INTERFACES_TD
#define DS_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Ds_VjpOpInterface : OpInterface<"VjpOpInterface"> {
  let cppNamespace = "::mlir::ds";
  let description = [{
    An op that states its vector–Jacobian product (VJP), which is what
    reverse-mode differentiation (`--ds-autodiff`) needs: given the
    cotangents of the op's results, the cotangents of its operands.

    The op builds its VJP out of ds ops through a `VjpBuilder`
    (dialects/ds/Vjp.h). The builder hands out the op's forward values as they
    are seen from the backward pass (`primal`), which makes every activation the
    backward pass reads an explicit value, and collects operand gradients
    (`addGradient`), summing contributions. An op only builds gradients for
    operands that `needsGradient` reports; integer operands never get one.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the gradients of this op's operands from the cotangents of its
        results. Returns failure after emitting a diagnostic when the VJP
        cannot be formed (for example, a dynamic shape it needs is unknown).
      }],
      "::llvm::LogicalResult", "buildVjp",
      (ins "::mlir::ds::VjpBuilder &":$vjp)>,
  ];
}

#endif // DS_INTERFACES_TD
