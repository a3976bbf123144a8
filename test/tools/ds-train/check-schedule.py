#!/usr/bin/env python3
"""Checks a run whose schedule ds-train sized to --time-limit (metrics.jsonl).

Usage: check-schedule.py RUN_DIR TIME_LIMIT PEAK_LR MIN_LR_RATIO

Timing on a shared machine varies, so this checks the rule, not the number:
the run recorded the schedule it chose (a step count that, at the measured
speed, fits the time, re-estimated as the run went), never went past the
last one, and if it reached it the learning rate was at its floor there.
Prints one line; exits 1 on a failure.
"""
import json
import sys

run, limit, peak, ratio = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
records = [json.loads(line) for line in open(run + "/metrics.jsonl")]
schedules = [r for r in records if "schedule_steps" in r]
steps = [r for r in records if "loss" in r]
if not schedules:
    sys.exit("no schedule record")
first = schedules[0]
if first["schedule_steps"] * first["ms_per_step"] / 1e3 > limit:
    sys.exit("the schedule (%d steps at %.2f ms) does not fit in %g s"
             % (first["schedule_steps"], first["ms_per_step"], limit))
planned = schedules[-1]["schedule_steps"]
last = steps[-1]
if last["step"] > planned:
    sys.exit("ran %d steps, past the schedule's %d" % (last["step"], planned))
floor = peak * ratio
if last["step"] == planned and abs(last["lr"] - floor) > 1e-6 * peak:
    sys.exit("the last step's learning rate is %g, not the floor %g" % (last["lr"], floor))
print("schedule sized to the time limit: ok")
