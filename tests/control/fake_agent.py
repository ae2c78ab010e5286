#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for the dataplane's agent socket (docs/agent.md), for the
failures of a dataplane that the real sipedge cannot be made to show:
every other test of sipedge-control runs against the real binary (project
rule: no mock where the real thing can run; docs/testing.md). It speaks
the documented protocol: hello, ping, snapshot, state.prepare/commit/
rollback/get, JSON lines, in order, and then misbehaves as told:

    fake_agent.py SOCKET NAME [--backends kam1,kam2] [--log FILE]
                  [--refuse-prepare] [--state-version N]
                  [--stall CMD [--stall-count N]] [--bad-id CMD]

  --refuse-prepare  every state.prepare is refused ("refused by
                    --refuse-prepare"): a refusal for a reason control's
                    own checks cannot let through to the real dataplane
  --stall CMD       reads CMD and never answers it (nor anything after it
                    on that connection): a dataplane that hangs
                    mid-request; only the first N times with --stall-count
  --bad-id CMD      answers CMD with an id that is not the request's: a
                    reply out of order

Counters grow on every snapshot (rx_pkts by 100 per worker). Every request
is appended to --log as one JSON line, so a test can assert what control
sent. SIGTERM stops it.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import sys
import time


class Agent:
    def __init__(self, a):
        self.a = a
        self.node = a.name
        self.started = int(time.time())
        self.backends = {b: {"admin": "enabled", "weight": 100}
                         for b in a.backends.split(",") if b}
        self.version = a.state_version
        self.history = []          # committed states, for rollback
        self.staged = None
        self.snaps = 0
        self.log = open(a.log, "a") if a.log else None

    def state(self):
        return {"backends": json.loads(json.dumps(self.backends))}

    def snapshot(self):
        self.snaps += 1
        k = self.snaps
        workers = []
        for w in range(2):
            workers.append({
                "id": w, "lcore": w + 1,
                "ctr": {"rx_pkts": 100 * k, "tx_pkts": 90 * k, "rx_bytes": 50000 * k,
                        "sip_requests": 80 * k},
                "drop": {"udp_port": 3 * k, "sip_malformed": k},
                "reply": {"400": k, "503": 0},
                "backend": {b: {"requests": 10 * k, "probes_sent": k}
                            for b in self.backends},
            })
        return {"time_ns": time.time_ns(), "tsc_hz": 2000000000, "workers": workers,
                "ports": [{"name": "access0", "role": "access", "rx_pkts": 150 * k,
                           "tx_pkts": 140 * k, "rx_bytes": 1000 * k},
                          {"name": "core0", "role": "core", "rx_pkts": 50 * k,
                           "tx_pkts": 40 * k, "rx_bytes": 900 * k}],
                "backends": [{"name": b, "up": True, "admin": v["admin"],
                              "weight": v.get("weight", 100)}
                             for b, v in self.backends.items()]}

    def check_state(self, st):
        if not isinstance(st, dict) or not isinstance(st.get("backends", {}), dict):
            return "state: expected an object with a backends object"
        for name, be in st.get("backends", {}).items():
            if name not in self.backends:
                return 'state.backends: unknown backend "%s"' % name
            if "admin" in be and be["admin"] not in ("enabled", "disabled", "drain"):
                return 'state.backends.%s.admin: "%s"' % (name, be["admin"])
            w = be.get("weight", 1)
            if not isinstance(w, int) or not 1 <= w <= 65535:
                return "state.backends.%s.weight: %r" % (name, w)
        return None

    def handle(self, req):
        cmd = req.get("cmd")
        rid = req.get("id")
        r = {"id": rid, "ok": True}
        if cmd == "hello":
            r.update(proto=1, node=self.node, version="fake", pid=os.getpid(),
                     started=self.started, tsc_hz=2000000000, workers=2,
                     ports=[{"name": "access0", "role": "access"},
                            {"name": "core0", "role": "core"}],
                     backends=list(self.backends), state_version=self.version)
        elif cmd == "ping":
            pass
        elif cmd == "snapshot":
            r.update(self.snapshot())
        elif cmd == "state.get":
            r.update(state_version=self.version, state=self.state())
        elif cmd == "state.prepare":
            v = req.get("version")
            err = None
            if not isinstance(v, int) or v <= self.version:
                err = 'version: %r is not above %d' % (v, self.version)
            elif self.a.refuse_prepare:
                err = "refused by --refuse-prepare"
            else:
                err = self.check_state(req.get("state"))
            if err:
                r = {"id": rid, "ok": False, "error": err}
            else:
                self.staged = (v, req["state"])
                r.update(version=v)
        elif cmd == "state.commit":
            v = req.get("version")
            if self.staged is None or self.staged[0] != v:
                r = {"id": rid, "ok": False, "error": "version: %r is not staged" % v}
            else:
                self.history.append((self.version, self.state()))
                for name, be in self.staged[1].get("backends", {}).items():
                    self.backends[name].update(be)
                self.version = v
                self.staged = None
                r.update(state_version=v)
        elif cmd == "state.rollback":
            if not self.history:
                r = {"id": rid, "ok": False, "error": "nothing to roll back to"}
            else:
                self.version, st = self.history.pop()
                self.backends = st["backends"]
                r.update(state_version=self.version)
        else:
            r = {"id": rid, "ok": False, "error": 'cmd: unknown "%s"' % cmd}
        return r


def main(agent_cls=None, add_args=None):
    """agent_cls and add_args let fake_agent_rules.py add commands and
    options to the same loop."""
    p = argparse.ArgumentParser()
    p.add_argument("socket")
    p.add_argument("name")
    p.add_argument("--backends", default="kam1,kam2")
    p.add_argument("--log")
    p.add_argument("--refuse-prepare", action="store_true")
    p.add_argument("--state-version", type=int, default=0)
    p.add_argument("--stall")
    p.add_argument("--stall-count", type=int, default=-1)
    p.add_argument("--bad-id")
    if add_args is not None:
        add_args(p)
    a = p.parse_args()
    ag = (agent_cls or Agent)(a)
    if os.path.exists(a.socket):
        os.unlink(a.socket)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(a.socket)
    ls.listen(8)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    bufs = {}
    stalled, stalls = set(), 0
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
    print("fake agent %s on %s" % (a.name, a.socket), flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if s is ls:
                c, _ = ls.accept()
                c.setblocking(True)
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ)
                continue
            data = s.recv(65536)
            if s in stalled:
                if not data:
                    sel.unregister(s)
                    s.close()
                    stalled.discard(s)
                continue        # hung: reads, never answers
            if not data:
                sel.unregister(s)
                s.close()
                del bufs[s]
                continue
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                try:
                    req = json.loads(line)
                except ValueError:
                    s.sendall(b'{"id":null,"ok":false,"error":"not JSON"}\n')
                    continue
                if ag.log:
                    ag.log.write(json.dumps(req) + "\n")
                    ag.log.flush()
                if req.get("cmd") == a.stall and (a.stall_count < 0 or stalls < a.stall_count):
                    stalls += 1
                    stalled.add(s)
                    del bufs[s]
                    break
                r = ag.handle(req)
                if r.get("close"):      # the handler says: hang up, answer nothing
                    sel.unregister(s)
                    s.close()
                    del bufs[s]
                    break
                if req.get("cmd") == a.bad_id and isinstance(r.get("id"), int):
                    r["id"] += 1000
                s.sendall((json.dumps(r) + "\n").encode())


if __name__ == "__main__":
    main()
