"""Golden data for the reference interpreter's per-op lit tests.

Used by ../make_op_goldens.py (the entry point; see ../README.md):

    common          SEED and the short dtype names (F64, BF16, E4M3, I32, ...)
    safetensors_io  the safetensors writer (fixed byte layout)
    rounding        exact round-to-nearest-even to the narrow formats (round_to),
                    low-precision arithmetic (lowp), their self-check
    registry        the @case registry (CASES), per-case generators (rng_for)
                    and random-data helpers

Case families, one module per lit test file (importing a module registers
its cases):

    elementwise     elementwise.mlir
    casts           casts.mlir, low_precision.mlir
    shape           shape.mlir
    reduce          reduce.mlir
    model           model.mlir: matmul, norms, rope, attention
    moe_loss        model.mlir: moe_route, moe_ffn, cross_entropy
    grad            grad.mlir: attention_grad, moe_route_grad, moe_ffn_grad
    scan            scan.mlir
    errors          errors.mlir
"""
