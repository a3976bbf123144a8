// RUN: ds-opt %s --verify-diagnostics --ds-print-communication="entry=dynamic" -o /dev/null

// The table needs static shapes to size what moves.

shard.grid @grid(shape = 2)

func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{moves a tensor of dynamic shape}}
  %0 = shard.all_reduce %x on @grid grid_axes = [0] : tensor<?xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
