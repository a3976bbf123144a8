#!/usr/bin/env python3
"""Kills ds-train at random moments, over and over, mostly while it writes
checkpoints (one every step), and checks after each kill that the newest
checkpoint is intact and resumes; at the end, the state equals that of a run
that was never interrupted, byte for byte.

    kill-resume.py DS_TRAIN ARTIFACT DATA WORKDIR [--kills=N] [--steps=N]
                   [--launcher="mpirun -np 2"]

With --launcher, every run goes through it (a sharded artifact under
mpirun), and a kill hits one rank chosen at random, not the launcher: the
launcher must then end the job (bounded by --timeout) and the checkpoints
the other ranks took part in must still be whole.
"""
import argparse
import filecmp
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import time


def descendants(pid):
    """The processes below `pid` (from /proc), as (pid, command name)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append((int(entry), name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def kill_one(process, launched, rng):
    """SIGKILL the process, or with a launcher one of its ds-train ranks.
    Returns whether something was killed."""
    if process.poll() is not None:
        return False
    if not launched:
        process.send_signal(signal.SIGKILL)
        return True
    ranks = [pid for pid, name in descendants(process.pid) if name == "ds-train"]
    if not ranks:
        return False
    try:
        os.kill(rng.choice(ranks), signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def main():
    parser = argparse.ArgumentParser()
    for name in ("ds_train", "artifact", "data", "workdir"):
        parser.add_argument(name)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--launcher", default="")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    launcher = shlex.split(args.launcher)
    common = launcher + [args.ds_train, args.artifact, "--data=" + args.data,
                         "--eval-every=0", "--steps=%d" % args.steps, "--quiet"]
    straight = os.path.join(args.workdir, "straight")
    subprocess.run(common + ["--run=" + straight, "--checkpoint-every=0"], check=True)

    killed = os.path.join(args.workdir, "killed")
    rng = random.Random(1)
    kills = 0
    reached = []
    for attempt in range(args.kills):
        process = subprocess.Popen(common + ["--run=" + killed, "--resume",
                                             "--checkpoint-every=1", "--keep=2"],
                                   stderr=subprocess.PIPE, text=True)
        # (mpirun takes about a second to start its ranks.)
        time.sleep(rng.uniform(0.05, 0.6) + (1.0 if launcher else 0))
        killed_one = kill_one(process, bool(launcher), rng)
        kills += killed_one
        try:
            _, stderr = process.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            print("the job did not end within %.0f s of a rank's kill"
                  % args.timeout, file=sys.stderr)
            return 1
        # Without a launcher a kill ends ds-train with SIGKILL; with one,
        # the launcher ends the job with an error of its own.
        if process.returncode != 0 and not killed_one:
            print("ds-train failed without a kill:\n" + stderr, file=sys.stderr)
            return 1
        if not launcher and process.returncode not in (0, -signal.SIGKILL):
            print("ds-train failed after a kill:\n" + stderr, file=sys.stderr)
            return 1
        checkpoints = os.path.join(killed, "checkpoints")
        steps = sorted(int(d[5:]) for d in os.listdir(checkpoints)
                       if d.startswith("step-") and d[5:].isdigit()) \
            if os.path.isdir(checkpoints) else []
        reached.append(steps[-1] if steps else 0)
        if "skipping" in stderr:
            print("a damaged checkpoint was found after a kill:\n" + stderr,
                  file=sys.stderr)
            return 1
    # Finish the run, then compare with the uninterrupted one.
    finish = subprocess.run(common + ["--run=" + killed, "--resume",
                                      "--checkpoint-every=0"],
                            capture_output=True, text=True)
    if finish.returncode != 0 or "skipping" in finish.stderr:
        print("resuming after the kills failed:\n" + finish.stderr, file=sys.stderr)
        return 1
    # Every tensor file of the final checkpoint (the state file, and each
    # rank's shard file when the state is split) must be the same bytes.
    step = "step-%08d" % args.steps
    files = sorted(f for f in os.listdir(os.path.join(straight, "checkpoints", step))
                   if f.endswith(".safetensors"))
    same = files == sorted(
        f for f in os.listdir(os.path.join(killed, "checkpoints", step))
        if f.endswith(".safetensors")) and all(
        filecmp.cmp(os.path.join(straight, "checkpoints", step, f),
                    os.path.join(killed, "checkpoints", step, f), shallow=False)
        for f in files)
    print("%d kills; newest checkpoint after each: %s" % (kills, reached))
    print("final state %s the uninterrupted run's"
          % ("equals" if same else "DIFFERS FROM"))
    return 0 if same and kills > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
