#!/usr/bin/env python3
"""Kills ds-train at random moments, over and over, mostly while it writes
checkpoints (one every step), and checks after each kill that the newest
checkpoint is intact and resumes; at the end, the state equals that of a run
that was never interrupted, byte for byte.

    kill-resume.py DS_TRAIN ARTIFACT DATA WORKDIR [--kills=N] [--steps=N]
"""
import argparse
import filecmp
import os
import random
import shutil
import signal
import subprocess
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    for name in ("ds_train", "artifact", "data", "workdir"):
        parser.add_argument(name)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    common = [args.ds_train, args.artifact, "--data=" + args.data, "--eval-every=0",
              "--steps=%d" % args.steps, "--quiet"]
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
        time.sleep(rng.uniform(0.05, 0.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        _, stderr = process.communicate()
        if process.returncode not in (0, -signal.SIGKILL):
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
    name = "step-%08d/state.safetensors" % args.steps
    same = filecmp.cmp(os.path.join(straight, "checkpoints", name),
                       os.path.join(killed, "checkpoints", name), shallow=False)
    print("%d kills; newest checkpoint after each: %s" % (kills, reached))
    print("final state %s the uninterrupted run's"
          % ("equals" if same else "DIFFERS FROM"))
    return 0 if same and kills > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
