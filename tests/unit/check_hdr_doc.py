#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""Check that docs/parser.md holds the header table of sip_hdr.def verbatim.

  check_hdr_doc.py SOURCE_ROOT

sip_hdr.def is the one list of known headers (STYLE.md: one table per list);
gen_hdr.py --markdown renders it, and the rendering must appear unchanged in
docs/parser.md, so that adding a header without regenerating the doc fails
the build's tests rather than leaving the doc quietly stale.
"""
import os
import subprocess
import sys


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    root = argv[1]
    gen = os.path.join(root, "dataplane", "sip", "gen_hdr.py")
    table = os.path.join(root, "dataplane", "sip", "sip_hdr.def")
    doc = os.path.join(root, "docs", "parser.md")

    out = subprocess.run([sys.executable, gen, "--markdown", table],
                         check=True, capture_output=True, text=True).stdout
    if not out.strip():
        print(f"{gen} --markdown printed nothing")
        return 1
    try:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        print(f"{doc}: {e.strerror}: the header table has nowhere to be")
        return 1
    if out in text:
        print(f"{doc}: header table matches sip_hdr.def ({out.count(chr(10)) - 2} headers)")
        return 0
    # Name the first line that is missing, so the fix is obvious.
    lines = text.splitlines()
    for line in out.splitlines():
        if line not in lines:
            print(f'{doc}: line "{line}" of the generated table is missing or different')
            break
    else:
        print(f"{doc}: every line is there, but not as one contiguous block in this order")
    print(f"regenerate it: python3 dataplane/sip/gen_hdr.py --markdown dataplane/sip/sip_hdr.def")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
