#!/usr/bin/env python3
"""Sets fields of a JSON file in place, for malformed-input tests.

Usage: edit-json.py FILE PATH=VALUE...
  PATH   keys joined by '.', e.g. data.epoch; a number indexes a list
         (entries.0.arguments.1.shape)
  VALUE  JSON text (1, "512", 1e300, null), or the word DELETE to remove the
         key. Numbers are written as given (1e300 stays 1e300), so values no
         C++ integer holds reach the reader as they would from a hostile file.
"""
import json
import sys

path = sys.argv[1]
with open(path) as f:
    text = f.read()
document = json.loads(text)
raw = {}
for i, edit in enumerate(sys.argv[2:]):
    keys, value = edit.split("=", 1)
    *parents, last = keys.split(".")
    node = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        last = int(last)
    if value == "DELETE":
        del node[last]
    else:
        marker = "@@RAW%d@@" % i
        raw[marker] = value
        node[last] = marker
out = json.dumps(document, indent=2)
for marker, value in raw.items():
    out = out.replace('"%s"' % marker, value)
with open(path, "w") as f:
    f.write(out)
