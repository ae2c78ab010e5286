#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""Render the counter table of docs/counters.md from stats.def.

  gen_stats_doc.py stats.def            print the tables (markdown)
  gen_stats_doc.py --check stats.def DOC  exit 1 unless DOC holds them verbatim

stats.def is the one list of counters (STYLE.md: one table per list); the
enums, the names printed on exit and in telemetry, and this doc all come
from it, so a counter added without its doc line fails the tests.
"""
import re
import sys

ROW = re.compile(r'^(DROP|REPLY|CTR|PORT|BE|STAGE)\(\s*([A-Za-z0-9_]+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)\s*$')

SECTIONS = [
    ("CTR", "Events (per worker, summed)", "{}"),
    ("REPLY", "Replies the gateway sends itself", "reply_{}"),
    ("DROP", "Drop reasons", "drop_{}"),
    ("PORT", "Per port", "port NAME {}"),
    ("BE", "Per backend", "backend NAME {}"),
    ("STAGE", "Stages of the worker loop (TSC cycles per packet, histograms)", "stage {}"),
]


def parse(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not re.match(r"^(DROP|REPLY|CTR|PORT|BE|STAGE)\(", s):
                continue
            m = ROW.match(s)
            if not m:
                sys.exit(f"{path}:{n}: cannot read this counter line: {s}")
            rows.append((m.group(1), m.group(2), m.group(3)))
    if not rows:
        sys.exit(f"{path}: no counters")
    return rows


def render(rows):
    out = []
    for kind, title, fmt in SECTIONS:
        out.append(f"### {title}\n")
        out.append("| counter | meaning |")
        out.append("| --- | --- |")
        for k, name, text in rows:
            if k == kind:
                out.append(f"| `{fmt.format(name)}` | {text} |")
        out.append("")
    return "\n".join(out)


def main(argv):
    if len(argv) == 2:
        print(render(parse(argv[1])), end="")
        return 0
    if len(argv) == 4 and argv[1] == "--check":
        table = render(parse(argv[2]))
        try:
            with open(argv[3], encoding="utf-8") as f:
                doc = f.read()
        except OSError as e:
            print(f"{argv[3]}: {e.strerror}")
            return 1
        if table in doc:
            print(f"{argv[3]}: counter tables match {argv[2]}")
            return 0
        for line in table.splitlines():
            if line and line not in doc.splitlines():
                print(f'{argv[3]}: line "{line}" is missing or different')
                break
        print("regenerate: python3 dataplane/gen_stats_doc.py dataplane/stats.def")
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
