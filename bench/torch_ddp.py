#!/usr/bin/env python3
"""PyTorch's data parallelism on the CPU, the reference for
bench/distributed.py: the same model and step as bench/torch_models.py
(the one bench/train_step.py times against DS), run by 1 process or by N
processes over gloo, each rank on its share of the global batch, the
gradients averaged with one flattened all_reduce per step (DDP's buckets;
tiny-moe's gradients fit one 25 MB bucket) and the MoE load summed over the
ranks before the bias update, as DS's --ds-shard=dp does.

    .bench-venv/bin/python bench/torch_ddp.py WEIGHTS CONFIG_JSON
        --batch B --seq T --ranks N --steps S --skip K

Prints one line: the median ms per step over steps K..S of rank 0 (each
step timed to the loss on the host), with min and max.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors  # noqa: E402

import common  # noqa: E402
import torch_models  # noqa: E402


def worker(rank, args, threads, init_file, out):
    torch.set_num_threads(threads)
    world = args.ranks
    if world > 1:
        dist.init_process_group("gloo", init_method="file://" + init_file,
                                rank=rank, world_size=world)
    cfg = json.load(open(args.config))
    weights = common.read_safetensors(args.weights)
    model = "tiny-moe" if "n_routed_experts" in cfg else "tiny-dense"
    step = torch_models.make_step(model, cfg, weights, optimizer_impl="fused",
                                  moe_impl="grouped_mm")
    rows = args.batch // world
    generator = torch.Generator().manual_seed(1)
    vocab = cfg["vocab_size"]
    tokens = torch.randint(0, vocab, (args.batch, args.seq), generator=generator)
    targets = torch.randint(0, vocab, (args.batch, args.seq), generator=generator)
    tokens, targets = (t[rank * rows:(rank + 1) * rows] for t in (tokens, targets))

    def train_step():
        step.optimizer.zero_grad(set_to_none=True)
        loss, loads = step.loss_fn(step.params, tokens, targets)
        loss.backward()
        if world > 1:
            grads = [p.grad for p in step.trainable if p.grad is not None]
            flat = _flatten_dense_tensors(grads)
            dist.all_reduce(flat)
            flat /= world
            for grad, summed in zip(grads, _unflatten_dense_tensors(flat, grads)):
                grad.copy_(summed)
            if loads is not None:
                dist.all_reduce(loads)
        step.update(loads)
        return loss.detach()

    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        float(train_step())
        if i >= args.skip:
            times.append((time.perf_counter() - start) * 1000.0)
    if rank == 0:
        with open(out, "w") as f:
            json.dump(times, f)
    if world > 1:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("weights")
    parser.add_argument("config")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--skip", type=int, default=10)
    args = parser.parse_args()
    cores = os.cpu_count()
    threads = max(1, cores // args.ranks)
    work = tempfile.mkdtemp(prefix="ds-torch-ddp-")
    init_file, out = os.path.join(work, "init"), os.path.join(work, "times.json")
    if args.ranks == 1:
        worker(0, args, threads, init_file, out)
    else:
        mp.spawn(worker, args=(args, threads, init_file, out), nprocs=args.ranks)
    times = json.load(open(out))
    print("%.2f %.2f %.2f" % (statistics.median(times), min(times), max(times)))


if __name__ == "__main__":
    main()
