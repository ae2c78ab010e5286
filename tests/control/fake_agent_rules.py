#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""fake_agent.py with the ruleset commands of docs/agent.md (rules.begin,
rules.chunk, rules.load, rules.commit, rules.abort, rules.clear,
rules.get) and "rules"/"hyperscan" in hello: for the refusals a real
dataplane cannot be made to show (a node that refuses to load a ruleset
control compiled correctly, a node on another Hyperscan platform). Every
other rules test runs against the real sipedge.

    fake_agent_rules.py SOCKET NAME [fake_agent.py's options]
        [--refuse-rules-load] [--hs-version V] [--cpu-features N] [--tune N]

  --refuse-rules-load  every rules.load is refused ("refused by
                       --refuse-rules-load") after the blob came in whole
                       and its digest matched: the refusal of a dataplane
                       whose CPU or Hyperscan cannot take it
  --hs-version etc.    what hello says of its Hyperscan (default: nothing,
                       as a dataplane before rules)

The blob is reassembled from the chunks and checked (size, offsets in
order, base64, SHA-256) exactly as the protocol says; a digest that does
not match is refused. It is not loaded: its bytes are kept and its digest
reported by rules.get and hello.
"""
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_agent  # noqa: E402

MAX_BLOB = 256 << 20
CHUNK_MAX = 768 << 10


class RulesAgent(fake_agent.Agent):
    def __init__(self, a):
        super().__init__(a)
        self.slots = {"live": None, "shadow": None}
        # {slot, version, size, buf, loaded}; not "staged", fake_agent.Agent's
        # staged state (a state pushed beside a ruleset broke the other)
        self.upload = None
        self.staged_rules = None

    def hello_extra(self, r):
        r["rules"] = {k: (dict(v) if v else None) for k, v in self.slots.items()}
        if self.a.hs_version:
            r["hyperscan"] = {"version": self.a.hs_version,
                              "cpu_features": self.a.cpu_features, "tune": self.a.tune}

    def rules(self, req):
        cmd, rid = req.get("cmd"), req.get("id")

        def err(msg):
            return {"id": rid, "ok": False, "error": msg}

        st = self.upload
        if cmd == "rules.begin":
            slot, v, size = req.get("slot"), req.get("version"), req.get("size")
            if slot not in ("live", "shadow"):
                return err('slot: "%s" is not live or shadow' % slot)
            if not isinstance(v, int) or v < 1:
                return err("version: %r" % v)
            if not isinstance(size, int) or not 1 <= size <= MAX_BLOB:
                return err("size: %r out of range" % size)
            self.upload = {"slot": slot, "version": v, "size": size, "buf": bytearray(),
                           "loaded": False}
            return {"id": rid, "ok": True}
        if cmd == "rules.chunk":
            if st is None or req.get("version") != st["version"]:
                return err("version: %r is not begun" % req.get("version"))
            if req.get("off") != len(st["buf"]):
                return err("off: %r, expected %d" % (req.get("off"), len(st["buf"])))
            try:
                data = base64.b64decode(req.get("data", ""), validate=True)
            except ValueError:
                return err("data: not base64")
            if len(data) > CHUNK_MAX or len(st["buf"]) + len(data) > st["size"]:
                return err("data: %d bytes past the size" % len(data))
            st["buf"] += data
            return {"id": rid, "ok": True, "have": len(st["buf"])}
        if cmd == "rules.load":
            if st is None or req.get("version") != st["version"]:
                return err("version: %r is not begun" % req.get("version"))
            if len(st["buf"]) != st["size"]:
                return err("have %d of %d bytes" % (len(st["buf"]), st["size"]))
            sha = hashlib.sha256(bytes(st["buf"])).hexdigest()
            if req.get("sha256") != sha:
                return err("sha256: %r, the blob's is %s" % (req.get("sha256"), sha))
            if self.a.refuse_rules_load:
                return err("refused by --refuse-rules-load")
            st["loaded"] = True
            st["sha256"] = sha
            return {"id": rid, "ok": True, "n_rules": 0, "load_ms": 1}
        if cmd == "rules.commit":
            if st is None or not st["loaded"] or req.get("version") != st["version"]:
                return err("version: %r is not loaded" % req.get("version"))
            prev = self.slots[st["slot"]]
            self.slots[st["slot"]] = {"version": st["version"], "sha256": st["sha256"],
                                      "n_rules": 0}
            self.upload = None
            return {"id": rid, "ok": True, "slot": st["slot"], "version": st["version"],
                    "previous": prev["version"] if prev else None}
        if cmd == "rules.abort":
            self.upload = None
            return {"id": rid, "ok": True}
        if cmd == "rules.clear":
            if req.get("slot") not in self.slots:
                return err("slot: %r" % req.get("slot"))
            self.slots[req["slot"]] = None
            return {"id": rid, "ok": True}
        if cmd == "rules.get":
            return {"id": rid, "ok": True, "live": self.slots["live"],
                    "shadow": self.slots["shadow"]}
        return None

    def bans_list(self, req):
        """bans.list in pages of 100 "slots", one ban each, misbehaving as
        --bans-pages says: fail2 (page 2 refused), drop2 (the link cut
        instead of page 2), stuck (next_cursor never moves), endless (it
        never says null); or old: a dataplane from before pages (no
        next_cursor), 5 bans listed of 1000 in force."""
        mode, cur, rid = self.a.bans_pages, req.get("cursor", 0), req.get("id")
        if mode == "old":
            return {"id": rid, "ok": True, "dynamic_total": 1000, "manual": [],
                    "manual_total": 0, "state_version": self.version,
                    "dynamic": [{"ip": "10.8.0.%d" % i, "worker": 0, "rule": 7,
                                 "expires_in_s": 60} for i in range(5)]}
        if mode == "drop2" and cur == 100:
            return {"close": True}
        if mode == "fail2" and cur == 100:
            return {"id": rid, "ok": False, "error": "cursor: 100: page 2 refused by --bans-pages"}
        dyn = [] if mode == "endless" else [{"ip": "10.9.%d.%d" % (cur // 25600, cur // 100 % 256),
                                             "worker": 0, "rule": 7, "expires_in_s": 60}]
        return {"id": rid, "ok": True, "dynamic": dyn, "dynamic_total": 1000,
                "next_cursor": cur if mode == "stuck" and cur > 0 else cur + 100,
                "manual": [], "manual_total": 0, "state_version": self.version}

    def handle(self, req):
        if str(req.get("cmd", "")).startswith("rules."):
            return self.rules(req)
        if req.get("cmd") == "bans.list" and self.a.bans_pages:
            return self.bans_list(req)
        r = super().handle(req)
        if req.get("cmd") == "hello" and r.get("ok"):
            self.hello_extra(r)
        return r


def add_args(p):
    p.add_argument("--refuse-rules-load", action="store_true")
    p.add_argument("--hs-version")
    p.add_argument("--cpu-features", type=int, default=0)
    p.add_argument("--tune", type=int, default=0)
    p.add_argument("--bans-pages", choices=("fail2", "drop2", "stuck", "endless", "old"))


if __name__ == "__main__":
    fake_agent.main(RulesAgent, add_args)
