#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
"""e2e_tool.py - what the end-to-end cases read and ask, in one place
(stdlib python only; tests/e2e/lib.sh calls it).

    e2e_tool.py json EXPR [FILE]          EXPR over the JSON object r (stdin or FILE)
    e2e_tool.py sipp-counts OUT           a sipp run's final message table:
                                          "SENT RECEIVED", each with retransmissions
    e2e_tool.py sipp-sent MSG METHOD [--after T] [--before T]
                                          the Call-IDs of the METHOD requests a
                                          sipp run sent (its -trace_msg file), first
                                          sendings only, between Unix times T
    e2e_tool.py kam LOG TAG [METHOD]      Call-IDs (with TAG in them) of the
                                          requests Kamailio logged from the
                                          gateway's core addresses, one a line
    e2e_tool.py tel PREFIX COMMAND        one DPDK telemetry command, its reply
    e2e_tool.py agent SOCKET CMD          one request on sipedge's agent socket
    e2e_tool.py prom PORT QUERY           a Prometheus instant query: the first
                                          sample's value, or "none"
    e2e_tool.py free-port                 a TCP port of 127.0.0.1 that is free now

Every answer goes to stdout; a failure exits 1 with its reason on stderr.
"""
import datetime
import json
import re
import socket
import sys
import urllib.parse
import urllib.request

GW_CORE = ("10.77.2.1", "fd00:77:2::1")   # deploy/lab's GW_CORE4, GW_CORE6


def die(msg):
    print("e2e_tool: " + msg, file=sys.stderr)
    sys.exit(1)


def out(v):
    print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)


def cmd_json(expr, path=None):
    text = open(path).read() if path else sys.stdin.read()
    r = json.loads(text)
    out(eval(expr, {"r": r, "sum": sum, "len": len}))


ROW = re.compile(r"^\s*(\S+)\s+(---------->|<----------)\s+(?:\S*RTD\S*\s+)?(\d+)\s+(\d+)")


def cmd_sipp_counts(path):
    """sipp redraws its screen: the last message table is the final one.
    A row is 'INVITE ---------->  N  RETRANS ...' or '200 <----------
    [E-RTD1] N RETRANS ...'."""
    tables, cur = [], None
    for line in open(path, errors="replace"):
        if "Messages  Retrans" in line:
            cur = []
            tables.append(cur)
            continue
        m = ROW.match(line)
        if m and cur is not None:
            cur.append((m.group(1), m.group(2), int(m.group(3)), int(m.group(4))))
    if not tables or not tables[-1]:
        die("%s: no message table" % path)
    sent = sum(n + r for _, d, n, r in tables[-1] if d.startswith("-"))
    recv = sum(n + r for _, d, n, r in tables[-1] if d.startswith("<"))
    print(sent, recv)


STAMP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d)[ \t](\d\d:\d\d:\d\d\.\d+)")


def cmd_sipp_sent(path, method, after=None, before=None):
    """-trace_msg writes '----- DATE TIME' (local time), then 'UDP message
    sent (N bytes):', a blank line and the message."""
    seen, t, state, start = set(), None, None, None
    for line in open(path, errors="replace"):
        m = STAMP.match(line)
        if m:
            t = datetime.datetime.strptime(m.group(1) + " " + m.group(2),
                                           "%Y-%m-%d %H:%M:%S.%f").timestamp()
            state = None
            continue
        if line.startswith("UDP message sent"):
            state, start = "sent", None
            continue
        if state == "sent" and start is None and line.strip():
            start = line.split(" ", 1)[0]
            continue
        if state == "sent" and start == method and line.lower().startswith("call-id:"):
            cid = line.split(":", 1)[1].strip()
            state = None
            if cid in seen:
                continue        # a retransmission
            seen.add(cid)
            if (after is None or t >= after) and (before is None or t < before):
                print(cid)


KAM = re.compile(r"rx (\S+) \S+ from (\S+):\d+ cid=(\S+)")


def cmd_kam(path, tag, method=None):
    for line in open(path, errors="replace"):
        m = KAM.search(line)
        if not m or tag not in m.group(3) or m.group(2) not in GW_CORE:
            continue
        if method is None or m.group(1) == method:
            print(m.group(3))


def cmd_tel(prefix, command):
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    json.loads(s.recv(16384))
    s.send(command.encode())
    print(s.recv(1 << 20).decode())


def cmd_agent(path, cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall((json.dumps({"id": 1, "cmd": cmd}) + "\n").encode())
    buf = b""
    while b"\n" not in buf:
        d = s.recv(1 << 20)
        if not d:
            die("%s: closed before replying" % path)
        buf += d
    print(buf.split(b"\n", 1)[0].decode())


def cmd_prom(port, query):
    url = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": query}))
    try:
        with urllib.request.urlopen(url, timeout=5) as f:
            r = json.loads(f.read())
    except OSError as e:
        die("%s: %s" % (url, e))
    res = r.get("data", {}).get("result") if r.get("status") == "success" else None
    if not res:
        print("none")
        return
    v = float(res[0]["value"][1])
    print(int(v) if v.is_integer() else v)


def cmd_free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def opt(args, name):
    if name in args:
        i = args.index(name)
        v = float(args[i + 1])
        del args[i:i + 2]
        return v
    return None


def main():
    a = sys.argv[1:]
    if not a:
        die("usage: see the docstring")
    c, a = a[0], a[1:]
    try:
        if c == "json" and len(a) in (1, 2):
            cmd_json(*a)
        elif c == "sipp-counts" and len(a) == 1:
            cmd_sipp_counts(a[0])
        elif c == "sipp-sent" and len(a) >= 2:
            after, before = opt(a, "--after"), opt(a, "--before")
            cmd_sipp_sent(a[0], a[1], after, before)
        elif c == "kam" and len(a) in (2, 3):
            cmd_kam(*a)
        elif c == "tel" and len(a) == 2:
            cmd_tel(*a)
        elif c == "agent" and len(a) == 2:
            cmd_agent(*a)
        elif c == "prom" and len(a) == 2:
            cmd_prom(*a)
        elif c == "free-port" and not a:
            cmd_free_port()
        else:
            die("unknown command or arguments: %s" % " ".join(sys.argv[1:]))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
        die("%s: %s: %s" % (c, type(e).__name__, e))


if __name__ == "__main__":
    main()
