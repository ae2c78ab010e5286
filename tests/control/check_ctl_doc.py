#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/sipedgectl.md covers what `sipedgectl help` lists: a row of the
command table per command, and every option of every command.

    check_ctl_doc.py SIPEDGECTL DOC
"""
import re
import subprocess
import sys

ctl, doc = sys.argv[1], open(sys.argv[2]).read()
out = subprocess.run([ctl, "help"], capture_output=True, text=True, check=True).stdout
cmds = [l.split()[0] for l in out.split("commands:\n")[1].split("\n\n")[0].splitlines()]
bad = 0
for c in cmds:
    if not re.search(r"^\| `%s` \|" % re.escape(c), doc, re.M):
        print("FAIL %s: no row in the command table" % c)
        bad += 1
    h = subprocess.run([ctl, "help", c], capture_output=True, text=True, check=True).stdout
    for o in re.findall(r"^  (--[a-z-]+)", h, re.M):
        if "`" + o not in doc:
            print("FAIL %s: option %s not documented" % (c, o))
            bad += 1
print("%d commands checked" % len(cmds))
print("%d passed, %d failed" % (len(cmds) - min(bad, len(cmds)), bad))
sys.exit(1 if bad else 0)
