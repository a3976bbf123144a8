// A dense array of index elements: MLIR 22 crashes parsing it.
func.func @f() attributes {perm = array<index: 1, 0>} {
  return
}
