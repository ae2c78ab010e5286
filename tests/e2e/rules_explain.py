#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
"""rules_explain.py - `sipedgectl explain` against what the dataplane did,
message by message (tests/e2e/t_rules.sh runs it in the client namespace).

For each message file: ask explain (--json, --from SRC:PORT) what the gateway
would do; send the message from SRC:PORT to the gateway over UDP (a fresh
source port each, so a ban or a reply of one cannot touch the next); wait for
a snapshot taken after it; then compare:
  - the rule hits that moved (sipedgectl rules stats) = the rules explain
    says are counted;
  - the verdict counter that moved (rules_dropped, rules_rejected,
    rules_banned, rules_allowed; none for forward) = explain's action;
  - reject: the sender received a response with explain's code;
    drop and ban: it received nothing; forward: the request was forwarded
    (fwd_access_to_core moved).
Prints one PASS/FAIL line per message and exits 1 if any failed, 2 if
the harness itself failed (sipedgectl, no snapshot).

Usage: rules_explain.py SIPEDGECTL CTL-SOCKET SRC-IP GW-IP:PORT FIRST-PORT FILE...
A file named *.noua.sip is made from the file without .noua, its User-Agent
line removed (the fingerprints that survive a changed User-Agent).
"""
import json
import os
import socket
import subprocess
import sys
import time

VERDICT_CTR = {"drop": "rules_dropped", "reject": "rules_rejected", "ban": "rules_banned",
               "allow": "rules_allowed"}


def ctl(args):
    out = subprocess.run([CTL] + args + ["--socket", SOCK], capture_output=True, text=True,
                         timeout=20)
    if out.returncode != 0:
        raise RuntimeError(f"sipedgectl {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def snapshot_after(t_ns):
    """Counters and rule hits of a snapshot taken after t_ns."""
    for _ in range(100):
        st = ctl(["stats", "--json"])
        node = st["nodes"][0]
        if (node.get("time_ns") or 0) > t_ns:
            rs = ctl(["rules", "stats", "--json"])["nodes"][0]
            hits = {}
            for slot in ("live", "shadow"):
                for r in (rs.get(slot) or {}).get("rules", []):
                    hits[(slot, r["id"])] = r["hits"]
            return node["counters"]["total"]["ctr"], hits
        time.sleep(0.1)
    raise RuntimeError("no fresh snapshot within 10 s")


def load(path):
    if path.endswith(".noua.sip"):
        data = open(path[:-len(".noua.sip")] + ".sip", "rb").read()
        lines = data.split(b"\r\n")
        data = b"\r\n".join(l for l in lines if not l.lower().startswith(b"user-agent:"))
        return data
    return open(path, "rb").read()


def send(data, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((SRC, port))
    s.settimeout(0.3)
    s.sendto(data, GW)
    codes = []
    end = time.time() + 0.6
    while time.time() < end:
        try:
            r, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        if r.startswith(b"SIP/2.0 "):
            codes.append(int(r[8:11]))
    s.close()
    return codes


def main():
    global CTL, SOCK, SRC, GW
    CTL, SOCK, SRC, gw = sys.argv[1:5]
    host, port = gw.rsplit(":", 1)
    GW = (host, int(port))
    first_port = int(sys.argv[5])
    files = sys.argv[6:]
    fails = 0
    c0, h0 = snapshot_after(time.time_ns())
    for k, path in enumerate(files):
        name = os.path.basename(path)
        data = load(path)
        sport = first_port + k
        tmp = f"/tmp/rules_explain.{os.getpid()}.sip"
        with open(tmp, "wb") as f:
            f.write(data)
        try:
            ex = ctl(["explain", "--json", "--from", f"{SRC}:{sport}", tmp])
        finally:
            os.unlink(tmp)
        codes = send(data, sport)
        c1, h1 = snapshot_after(time.time_ns())
        moved = {k: h1[k] - h0.get(k, 0) for k in h1 if h1[k] != h0.get(k, 0)}
        want = {(m["slot"], m["id"]): 1 for m in ex["matched"] if m.get("counted")}
        act = ex["action"]
        why = []
        if moved != want:
            why.append(f"hits moved {sorted(moved.items())}, explain counted {sorted(want)}")
        for a, ctr in VERDICT_CTR.items():
            d = c1.get(ctr, 0) - c0.get(ctr, 0)
            exp = 1 if a == act or (a == "allow" and act == "forward" and ex.get("rule")) else 0
            if d != exp:
                why.append(f"{ctr} +{d}, want +{exp}")
        fwd = c1.get("fwd_access_to_core", 0) - c0.get("fwd_access_to_core", 0)
        if act == "reject" and ex.get("code") not in codes:
            why.append(f"reject {ex.get('code')}: received {codes}")
        if act in ("drop", "ban") and codes:
            why.append(f"{act}: yet received {codes}")
        if act == "forward" and not ex.get("parse_error") and fwd != 1:
            why.append(f"forward: fwd_access_to_core +{fwd}, want +1")
        rule = ex.get("rule")
        print(f"{'FAIL' if why else 'PASS'}: explain {name}: {act}"
              f"{' ' + str(ex.get('code')) if act == 'reject' else ''}"
              f"{' (rule ' + str(rule) + ')' if rule else ''}, "
              f"{len(want)} counted{': ' + '; '.join(why) if why else ''}")
        fails += bool(why)
        c0, h0 = c1, h1
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a broken harness is not a failed comparison
        print(f"rules_explain: {e}")
        sys.exit(2)
