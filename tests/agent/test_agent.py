#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""test_agent.py - the real sipedge binary's agent socket (docs/agent.md),
driven by a stdlib-only client.

usage: test_agent.py SIPEDGE SOURCE_DIR [-v]

sipedge runs on two net_null vdevs (no-rx: no traffic), --no-huge, with its
agent socket in a temporary directory. The cases:

  files     the socket is a socket, mode 0660, group agent.group; a stale
            socket file left by a dead process is replaced at start; the
            file is removed at exit
  commands  hello (every field, the command list equals docs/agent.md's
            table), ping, state.get, snapshot (its counter names are
            docs/counters.md's)
  state     a pushed state changes state.get and snapshot (admin, weight,
            admin_changes, state_commits); rollback restores them; versions
            must grow and are never reused; commit of another version, a
            second rollback are refused
  bad input not JSON, non-objects, a missing/wrong id, an unknown cmd,
            unknown arguments, wrong types, a version not increasing, an
            unknown backend, a bad admin, weights 0, 70000, "100", 1.5,
            unknown keys, duplicate keys, bad UTF-8, NUL, a deep nest, an
            empty line; each answered with an error naming the field and
            quoting the value, the connection kept
  limits    a line of exactly 1 MiB is answered, one byte more (and a 2 MiB
            line) is refused and the connection closed; an idle client and
            one stuck mid-line while another works; max_clients + 1 clients;
            a client that floods requests and never reads is closed while
            the others are answered promptly; disconnects mid-line;
            half-close
  start     a second sipedge on a socket in use, a socket path that is a
            regular file, an unknown agent.group: each refuses to start,
            saying why
  end       after all of it sipedge is alive and answering, its counters
            add up, and SIGINT stops it with status 0

One PASS/FAIL line per group, "N passed, N failed" last; exit 1 on failure.
"""
import grp
import os
import re
import signal
import socket
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agentlib import (Client, Group, Sipedge, cleanup, counters, on_signal,  # noqa: E402
                      summary, workdir)

MAX_CLIENTS = 4
GROUP = "daemon"	# exists on Debian; the socket's group must become it

CONFIG = """\
node: {{name: agt-node}}
eal: {{hugepages: false, memory_mb: 256, file_prefix: {prefix}}}
workers: [1]
ports:
  - {{name: access0, role: access, vdev: "net_null0,no-rx=1", ipv4: 10.77.1.1/24}}
  - {{name: core0, role: core, vdev: "net_null1,no-rx=1", ipv4: 10.77.2.1/24,
     neighbours: [{{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}},
                  {{ip: 10.77.2.3, mac: "02:00:00:00:02:03"}}]}}
backends:
  - {{name: kam1, address: "10.77.2.2:5060", weight: 100}}
  - {{name: kam2, address: "10.77.2.3:5060", weight: 50, enabled: false}}
probe: {{interval_ms: 600000, timeout_ms: 60000}}
limits: {{mbufs: 4096, frag_flows: 16, max_line: 2000}}
proxy: {{reply_malformed: false}}
agent: {{socket: "{sock}", max_clients: %d%s}}
""" % (MAX_CLIENTS, "{group}")

LINE_MAX = 1 << 20


def config(sock, group=GROUP):
    g = f", group: {group}" if group else ""
    return CONFIG.replace("{sock}", sock).replace("{group}", g)


# ------------------------------------------------------------------ docs

def doc_commands(root):
    """The command names of docs/agent.md's table."""
    with open(os.path.join(root, "docs", "agent.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Commands\n", 1)[-1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z.]+)` \|", section, re.M)


def doc_counters(root):
    """docs/counters.md's names, as the snapshot nests them: {group: set}."""
    with open(os.path.join(root, "docs", "counters.md"), encoding="utf-8") as f:
        text = f.read()
    out = {"ctr": set(), "reply": set(), "drop": set(), "port": set(), "backend": set()}
    for name in re.findall(r"^\| `([^`]+)` \|", text, re.M):
        if name.startswith("reply_"):
            out["reply"].add(name[6:])
        elif name.startswith("drop_"):
            out["drop"].add(name[5:])
        elif name.startswith("port NAME "):
            out["port"].add(name[10:])
        elif name.startswith("backend NAME "):
            out["backend"].add(name[13:])
        elif " " not in name:
            out["ctr"].add(name)
    return out


# ----------------------------------------------------------------- cases

def case_files(se, sock):
    with Group("files: socket, mode 0660, group agent.group, stale file replaced") as g:
        st = os.lstat(sock)
        g.ok("a socket", stat.S_ISSOCK(st.st_mode))
        g.eq("mode", oct(stat.S_IMODE(st.st_mode)), oct(0o660))
        g.eq("group", st.st_gid, grp.getgrnam(GROUP).gr_gid)
        g.has("the stale socket file was replaced", se.log(),
              f'agent.socket "{sock}": replaced a stale socket')


def case_commands(c, root):
    with Group("hello: proto, node, version, pid, ports, backends, workers, commands") as g:
        r = c.call("hello", proto=1)
        g.eq("ok", r.get("ok"), True)
        g.eq("id echoed", r.get("id"), 1)
        g.eq("proto", r.get("proto"), 1)
        g.eq("node", r.get("node"), "agt-node")
        g.ok("version", isinstance(r.get("version"), str) and r["version"])
        g.ok("pid", isinstance(r.get("pid"), int) and r["pid"] > 1)
        g.ok("started: Unix seconds, recent", abs(r.get("started", 0) - time.time()) < 600)
        g.ok("tsc_hz", isinstance(r.get("tsc_hz"), int) and r["tsc_hz"] > 0)
        g.eq("workers", r.get("workers"), [{"id": 0, "lcore": 1}])
        g.eq("ports, with their addresses", r.get("ports"),
             [{"name": "access0", "role": "access", "ipv4": "10.77.1.1"},
              {"name": "core0", "role": "core", "ipv4": "10.77.2.1"}])
        # what explain parses and answers with: the config's, not defaults
        g.eq("limits", r.get("limits"),
             {"max_message": 16384, "max_headers": 64, "max_line": 2000})
        g.eq("proxy", r.get("proxy"), {"reply_malformed": False})
        g.eq("backends", r.get("backends"), ["kam1", "kam2"])
        g.eq("state_version", r.get("state_version"), 0)
        g.eq("commands = docs/agent.md's table", r.get("commands"), doc_commands(root))

    with Group("ping, state.get at start: version 0 is the config file") as g:
        g.eq("ping", c.call("ping"), {"id": 2, "ok": True})
        r = c.call("state.get")
        g.eq("state_version", r.get("state_version"), 0)
        g.eq("state", r.get("state"), {"backends": {
            "kam1": {"admin": "enabled", "weight": 100},
            "kam2": {"admin": "disabled", "weight": 50}}})
        g.eq("nothing staged", r.get("staged_version", "absent"), None)

    with Group("snapshot: per-worker blocks named as docs/counters.md, ports, backends, stages") as g:
        r = c.call("snapshot")
        g.eq("ok", r.get("ok"), True)
        g.ok("time_ns", abs(r.get("time_ns", 0) / 1e9 - time.time()) < 600)
        g.ok("tsc_hz", r.get("tsc_hz", 0) > 0)
        ws = r.get("workers", [])
        g.eq("blocks: one worker and the main lcore", [(w["id"], w["role"]) for w in ws],
             [(0, "worker"), (1, "main")])
        names = doc_counters(root)
        for w in ws:
            for grp_ in ("ctr", "reply", "drop"):
                g.eq(f"block {w['id']} {grp_} names", set(w[grp_]), names[grp_])
            g.eq(f"block {w['id']} ports", sorted(w["port"]), ["access0", "core0"])
            for p in w["port"].values():
                g.eq("port counter names", set(p), names["port"])
            g.eq(f"block {w['id']} backends", sorted(w["backend"]), ["kam1", "kam2"])
            for b in w["backend"].values():
                g.eq("backend counter names", set(b), names["backend"])
        ports = r.get("ports", [])
        g.eq("ports", [(p["name"], p["role"]) for p in ports], [("access0", "access"),
                                                              ("core0", "core")])
        for p in ports:
            for k in ("ipackets", "opackets", "ibytes", "obytes", "imissed", "ierrors",
                      "oerrors", "rx_nombuf", "link_up"):
                g.ok(f"port {p['name']} has {k}", k in p)
        bes = {b["name"]: b for b in r.get("backends", [])}
        g.eq("backends", sorted(bes), ["kam1", "kam2"])
        g.eq("kam1", {k: bes["kam1"].get(k) for k in ("address", "up", "admin", "weight")},
             {"address": "10.77.2.2:5060", "up": True, "admin": "enabled", "weight": 100})
        g.eq("kam2 disabled by the config", (bes["kam2"]["admin"], bes["kam2"]["weight"]),
             ("disabled", 50))
        g.ok("kam2, disabled, is still probed", bes["kam2"].get("probes_sent", 0) >= 1,
             bes["kam2"])
        st = r.get("stages", {})
        g.eq("stages: the loop's stages in order", st.get("names"),
             ["net", "early", "parse", "filter", "route", "dispatch"])
        g.eq("stages: histogram buckets", st.get("hist_buckets"), 20)
        for w in ws:
            stg = w.get("stage", {})
            g.eq(f"block {w['id']} stages", sorted(stg), sorted(st.get("names", [])))
            for name, e in stg.items():
                g.eq(f"block {w['id']} {name}: 20 buckets", len(e.get("hist", [])), 20)
                g.eq(f"block {w['id']} {name}: one bucket per burst", sum(e.get("hist", [])),
                     e.get("bursts"))
                g.ok(f"block {w['id']} {name}: cycles when it ran",
                     (e.get("cycles", 0) > 0) == (e.get("bursts", 0) > 0), e)
            g.eq(f"block {w['id']}: every stage saw the same packets",
                 len({e.get("pkts") for e in stg.values()}), 1)
        g.eq("the main lcore runs no stage",
             sum(e["bursts"] for e in ws[-1].get("stage", {}).values()), 0)
        g.ok("the agent's own requests are counted", counters(r, "ctr", "agent_requests") >= 4)


def backends_of(snap):
    return {b["name"]: (b["admin"], b["weight"]) for b in snap["backends"]}


def case_state(c):
    state1 = {"backends": {"kam1": {"admin": "drain", "weight": 7},
                           "kam2": {"admin": "enabled"}}}
    with Group("state.prepare validates and stages; nothing changes before commit") as g:
        r = c.call("state.prepare", version=1, state=state1)
        g.eq("reply", (r.get("ok"), r.get("version"), r.get("changes")), (True, 1, 2))
        r = c.call("state.get")
        g.eq("still version 0", r.get("state_version"), 0)
        g.eq("staged_version", r.get("staged_version"), 1)
        g.eq("snapshot unchanged", backends_of(c.call("snapshot")),
             {"kam1": ("enabled", 100), "kam2": ("disabled", 50)})

    with Group("state.commit: state.get and snapshot say the new state; counted") as g:
        r = c.call("state.commit", version=2)
        g.eq("another version refused", r.get("ok"), False)
        g.has("message", r.get("error"), "version", "2", "staged version 1")
        r = c.call("state.commit", version=1)
        g.eq("reply", (r.get("ok"), r.get("state_version"), r.get("changed")), (True, 1, 2))
        r = c.call("state.get")
        g.eq("state_version", r.get("state_version"), 1)
        g.eq("state in full", r.get("state"), {"backends": {
            "kam1": {"admin": "drain", "weight": 7},
            "kam2": {"admin": "enabled", "weight": 50}}})
        g.eq("nothing staged", r.get("staged_version"), None)
        s = c.call("snapshot")
        g.eq("snapshot backends", backends_of(s), {"kam1": ("drain", 7), "kam2": ("enabled", 50)})
        g.eq("snapshot state_version", s.get("state_version"), 1)
        g.eq("admin_changes", {b["name"]: b["admin_changes"] for b in s["backends"]},
             {"kam1": 1, "kam2": 1})
        g.eq("state_commits", counters(s, "ctr", "state_commits"), 1)
        g.eq("hello's state_version", c.call("hello", proto=1).get("state_version"), 1)
        r = c.call("state.commit", version=1)
        g.has("a second commit: nothing staged", r.get("error"), "version", "1",
              "nothing is (state.prepare first)")

    with Group("state.rollback restores the config's state; one level; versions never reused") as g:
        r = c.call("state.rollback")
        g.eq("reply", (r.get("ok"), r.get("state_version"), r.get("changed")), (True, 0, 2))
        r = c.call("state.get")
        g.eq("state", r.get("state"), {"backends": {
            "kam1": {"admin": "enabled", "weight": 100},
            "kam2": {"admin": "disabled", "weight": 50}}})
        s = c.call("snapshot")
        g.eq("snapshot backends", backends_of(s), {"kam1": ("enabled", 100), "kam2": ("disabled", 50)})
        g.eq("admin_changes", {b["name"]: b["admin_changes"] for b in s["backends"]},
             {"kam1": 2, "kam2": 2})
        g.eq("state_rollbacks", counters(s, "ctr", "state_rollbacks"), 1)
        r = c.call("state.rollback")
        g.has("second rollback refused", r.get("error"), "nothing to roll back to", "state 0")
        r = c.call("state.get")
        g.eq("highest_version after the rollback: above the one in force",
             (r.get("state_version"), r.get("highest_version")), (0, 1))
        g.eq("hello says it too", c.call("hello", proto=1).get("highest_version"), 1)
        r = c.call("state.prepare", version=1, state={})
        g.has("version 1 is not reused", r.get("error"), "version: 1 is not greater than 1",
              "highest committed")
        r = c.call("state.prepare", version=5, state={"backends": {"kam2": {"weight": 9}}})
        g.eq("prepare 5", (r.get("ok"), r.get("changes")), (True, 1))
        r = c.call("state.prepare", version=6, state={"backends": {"kam1": {"weight": 3}}})
        g.eq("a second prepare replaces the staged one", r.get("ok"), True)
        g.eq("staged", c.call("state.get").get("staged_version"), 6)
        r = c.call("state.prepare", version=7, state={"backends": {"kam9": {}}})
        g.eq("a refused prepare leaves the staged one", c.call("state.get").get("staged_version"), 6)
        g.eq("commit 6", c.call("state.commit", version=6).get("state_version"), 6)
        g.eq("weights", backends_of(c.call("snapshot")), {"kam1": ("enabled", 3),
                                                         "kam2": ("disabled", 50)})
        r = c.call("state.prepare", version=6, state={})
        g.has("version in force", r.get("error"), "version: 6 is not greater than 6",
              "the version in force")
        g.eq("prepare 8", c.call("state.prepare", version=8, state={}).get("ok"), True)
        g.eq("rollback", c.call("state.rollback").get("state_version"), 0)
        g.eq("rollback drops the staged state", c.call("state.get").get("staged_version"), None)
        g.eq("config weights back", backends_of(c.call("snapshot")),
             {"kam1": ("enabled", 100), "kam2": ("disabled", 50)})


# (request line, parts the error must hold)
BAD = [
    (b"hello", ["not JSON"]),
    (b"", ["not JSON"]),
    (b"   ", ["not JSON"]),
    (b'{"id": 1, "cmd": "ping"', ["not JSON"]),
    (b'{"id": 1, "cmd": "ping"} {}', ["not JSON"]),
    (b'[1, 2]', ["a request is a JSON object, not an array"]),
    (b'"ping"', ["not JSON"]),
    (b'42', ["not JSON"]),
    (b'{"cmd": "ping"}', ['missing "id"']),
    (b'{"id": "1", "cmd": "ping"}', ['id: expected an integer, found a string "1"']),
    (b'{"id": 1.5, "cmd": "ping"}', ["id: expected an integer, found a real number 1.5"]),
    (b'{"id": null, "cmd": "ping"}', ["id: expected an integer, found null"]),
    (b'{"id": 1}', ['missing "cmd"', "hello, ping, snapshot"]),
    (b'{"id": 1, "cmd": 5}', ["cmd: expected a string, found an integer 5"]),
    (b'{"id": 1, "cmd": "reboot"}', ['cmd: unknown command "reboot"', "state.prepare"]),
    (b'{"id": 1, "cmd": "PING"}', ['unknown command "PING"']),
    (b'{"id": 1, "cmd": "ping", "force": true}', ['ping: unknown argument "force"']),
    (b'{"id": 1, "cmd": "hello"}', ['hello: missing argument "proto" (an integer)']),
    (b'{"id": 1, "cmd": "hello", "proto": "1"}', ['proto: expected an integer, found a string "1"']),
    (b'{"id": 1, "cmd": "hello", "proto": 1.0}', ["proto: expected an integer, found a real number"]),
    (b'{"id": 1, "cmd": "hello", "proto": 2}', ["proto: 2 is not a version this dataplane speaks (1)"]),
    (b'{"id": 1, "cmd": "state.prepare", "state": {}}', ['missing argument "version"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9}', ['missing argument "state" (an object)']),
    (b'{"id": 1, "cmd": "state.prepare", "version": "9", "state": {}}',
     ['version: expected an integer, found a string "9"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": []}',
     ["state: expected an object, found an array"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 0, "state": {}}',
     ["version: 0 is not greater than 6"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": -5, "state": {}}',
     ["version: -5 is not greater than 6"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"rules": []}}',
     ['state: unknown key "rules"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": []}}',
     ["state.backends: expected an object, found an array"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam9": {}}}}',
     ['state.backends: unknown backend "kam9"', "kam1, kam2"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": "drain"}}}',
     ['state.backends.kam1: expected an object, found a string "drain"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"admin": "paused"}}}}',
     ['state.backends.kam1.admin: "paused" is not enabled, disabled or drain']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"admin": "Enabled"}}}}',
     ['state.backends.kam1.admin: "Enabled" is not']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"admin": 1}}}}',
     ["state.backends.kam1.admin: expected a string, found an integer 1"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"weight": 0}}}}',
     ["state.backends.kam1.weight: 0 out of range [1, 65535]"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"weight": 70000}}}}',
     ["state.backends.kam1.weight: 70000 out of range [1, 65535]"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam2": {"weight": -1}}}}',
     ["state.backends.kam2.weight: -1 out of range [1, 65535]"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"weight": "100"}}}}',
     ['state.backends.kam1.weight: expected an integer, found a string "100"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"weight": 1.5}}}}',
     ["state.backends.kam1.weight: expected an integer, found a real number 1.5"]),
    (b'{"id": 1, "cmd": "state.prepare", "version": 9, "state": {"backends": {"kam1": {"wieght": 5}}}}',
     ['state.backends.kam1: unknown key "wieght"']),
    (b'{"id": 1, "cmd": "state.prepare", "version": 99999999999999999999, "state": {}}',
     ["not JSON"]),
    (b'{"id": 1, "cmd": "state.commit", "version": 9}', ["version: 9 is not staged"]),
    (b'{"id": 1, "cmd": "state.commit"}', ['state.commit: missing argument "version"']),
    (b'{"id": 1, "cmd": "state.get", "version": 1}', ['state.get: unknown argument "version"']),
    (b'{"id": 1, "id": 2, "cmd": "ping"}', ["not JSON", "duplicate"]),
    (b'{"id": 1, "cmd": "ping\xff"}', ["not JSON"]),
    (b'{"id": 1, "cmd": "pi\\u0000ng"}', ["not JSON"]),
    (b'{"id": 1, "cmd": "pi\x00ng"}', ["not JSON"]),
    (b'\x00\x01\x02\xff\xfe', ["not JSON"]),
    (b'{"id": 1, "cmd": "\xc3\xa9"}', ['cmd: unknown command "\\u00E9"']),
    (b"[" * 100000 + b"]" * 100000, ["not JSON"]),
    (b'{"id": 1, "cmd": "' + b"x" * 5000 + b'"}', ['unknown command "xxxx', '..."']),
]


def case_bad_input(c):
    with Group(f"bad input: {len(BAD)} malformed requests, each an error naming the field; "
               "the connection stays open") as g:
        for line, parts in BAD:
            r = c.raw(line)
            what = repr(line[:70])
            if r is None:
                g.errs.append(f"{what}: connection closed")
                return
            if g.eq(f"{what}: ok", r.get("ok"), False):
                g.has(what, r.get("error"), *parts)
            g.ok(f"{what}: error is printable ASCII",
                 all(32 <= ord(ch) < 127 for ch in r.get("error", "")), r.get("error"))
            if b'"id": 1,' in line and ("not JSON" not in parts[0]) and r.get("id") != 1:
                g.errs.append(f"{what}: id not echoed: {r}")
            if g.errs:
                break
        g.eq("still answering", c.call("ping").get("ok"), True)
        r = c.raw(b'{"id": 77, "cmd": "ping"}\r')
        g.eq("CRLF framing", r, {"id": 77, "ok": True})
        r = c.raw(b'{"id": 9223372036854775807, "cmd": "ping"}')
        g.eq("largest id echoed", r.get("id"), 9223372036854775807)


def case_long_lines(path):
    with Group("a line of exactly 1 MiB is answered; 1 MiB + 1 is refused and closed") as g:
        c = Client(path)
        head = b'{"id": 5, "cmd": "ping"'
        line = head + b" " * (LINE_MAX - len(head) - 1) + b"}"
        g.eq("length", len(line), LINE_MAX)
        g.eq("1 MiB answered", c.raw(line), {"id": 5, "ok": True})
        line = head + b" " * (LINE_MAX - len(head)) + b"}"
        c.send_raw(line + b"\n")
        r = c.read_reply()
        g.ok("an error", r is not None and r.get("ok") is False, r)
        g.has("message", (r or {}).get("error"), "longer than 1048576 bytes")
        g.ok("closed", c.at_eof())
        c.close()

    with Group("a 2 MiB line: error reply, connection closed, nothing else read") as g:
        c = Client(path)
        try:
            c.send_raw(b'{"id": 1, "cmd": "ping", "x": "' + b"a" * (2 << 20) + b'"}\n')
        except OSError:
            pass	# closed under us once the first MiB was in: fine
        r = c.read_reply()
        g.has("error", (r or {}).get("error"), "longer than 1048576 bytes")
        g.ok("closed", c.at_eof())
        c.close()


def case_idle_and_max(path, c):
    with Group(f"idle and mid-line clients hold no one up; client {MAX_CLIENTS + 1} refused") as g:
        idle = Client(path)
        mid = Client(path)
        mid.send_raw(b'{"id": 1, "cmd": "pi')
        t0 = time.monotonic()
        for _ in range(20):
            g.eq("ping while others idle", c.call("ping").get("ok"), True)
        g.ok("snapshot while others idle", c.call("snapshot").get("ok"))
        g.ok("20 pings within 2 s", time.monotonic() - t0 < 2, time.monotonic() - t0)
        fourth = Client(path)	# c, idle, mid, fourth: MAX_CLIENTS
        g.eq("the 4th is served", fourth.call("ping").get("ok"), True)
        extra = Client(path)
        r = extra.read_reply()
        g.eq("the 5th is refused", (r or {}).get("ok"), False)
        g.has("saying why", (r or {}).get("error"), "too many agent connections",
              f"agent.max_clients is {MAX_CLIENTS}")
        g.ok("and closed", extra.at_eof())
        extra.close()
        mid.send_raw(b'ng"}\n')
        g.eq("the mid-line client's request, completed, is answered", mid.read_reply(),
             {"id": 1, "ok": True})
        fourth.close()
        again = served_client(path)
        g.ok("a slot freed is taken again", again is not None)
        for x in (idle, mid, again):
            if x is not None:
                x.close()


def case_flood(path, c):
    with Group("a client that floods snapshot requests and never reads is closed; "
               "the others stay served") as g:
        f = served_client(path)
        if not g.ok("the flooder is accepted", f is not None):
            return
        f = f.s
        f.setblocking(False)
        stop = threading.Event()
        sent = [0, None]

        def flood():
            req = b'{"id": 1, "cmd": "snapshot"}\n' * 64
            while not stop.is_set():
                try:
                    sent[0] += f.send(req)
                except BlockingIOError:
                    time.sleep(0.001)
                except OSError as e:
                    sent[1] = e
                    return
        t = threading.Thread(target=flood, daemon=True)
        t.start()
        worst = 0.0
        end = time.monotonic() + 20
        closed = False
        while time.monotonic() < end:
            t0 = time.monotonic()
            ok = c.call("ping").get("ok")
            worst = max(worst, time.monotonic() - t0)
            if not ok:
                g.errs.append("ping failed during the flood")
                break
            s = c.call("snapshot")
            if counters(s, "ctr", "agent_closed_overflow") >= 1:
                closed = True
                break
        stop.set()
        t.join(5)
        g.ok("the flooder was closed (agent_closed_overflow)", closed)
        g.ok("the flooder sees its connection closed", sent[1] is not None or _eof(f), sent)
        g.ok("pings answered within 1 s throughout", worst < 1.0, f"worst {worst:.3f} s")
        f.close()


def served_client(path, timeout=5):
    """A client the dataplane serves: the clients closed just before may
    still hold their slots until its next turn, so a refused one retries."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        x = Client(path)
        try:
            r = x.call("ping")
        except OSError:  # refused and closed before our ping went out: EPIPE
            r = None
        if r and r.get("ok"):
            return x
        x.close()
        time.sleep(0.05)
    return None


def _eof(sock):
    sock.setblocking(True)
    sock.settimeout(5)
    try:
        while True:
            d = sock.recv(1 << 20)
            if not d:
                return True
    except OSError:
        return True


def case_disconnects(path, c):
    with Group("disconnects mid-line, mid-long-line, after requests; half-close gets replies") as g:
        for data in (b'{"id": 1, "cmd": "pi', b'{"id": 1, "x": "' + b"y" * 700000,
                     b'{"id": 1, "cmd": "snapshot"}\n' * 50):
            x = Client(path)
            x.send_raw(data)
            x.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            x.close()	# linger 0: a reset, not a close
            g.eq("still answering", c.call("ping").get("ok"), True)
        x = Client(path)
        x.send_raw(b'{"id": 1, "cmd": "ping"}\n{"id": 2, "cmd": "state.get"}\n{"id": 3, "cm')
        x.s.shutdown(socket.SHUT_WR)
        g.eq("first reply after half-close", x.read_reply(), {"id": 1, "ok": True})
        g.eq("second reply", (x.read_reply() or {}).get("id"), 2)
        g.ok("then closed (the partial line dropped)", x.at_eof())
        x.close()


def case_evict(binary, wd):
    with Group("every slot taken: the longest-silent connection (agent.idle_evict_s) gives "
               "its slot; an active one never does") as g:
        sock = os.path.join(wd, "evict.agent")
        cfg = config(sock).replace("max_clients: %d" % MAX_CLIENTS,
                                   "max_clients: 2, idle_evict_s: 1")
        se = Sipedge(binary, wd, "evict", cfg)
        try:
            if not g.ok("socket answers", se.wait_socket(sock), se.log()[-2000:]):
                return
            silent = Client(sock)	# one request, then nothing
            g.eq("silent, first and last request", silent.call("ping").get("ok"), True)
            active = Client(sock)
            g.eq("active", active.call("ping").get("ok"), True)
            third = Client(sock)	# both asked within 1 s: refused
            r = third.read_reply()
            g.has("refused while no one is silent for 1 s", (r or {}).get("error"),
                  "too many agent connections")
            third.close()
            for _ in range(8):		# 1.6 s: active keeps asking, silent says nothing
                g.eq("active answered", active.call("ping").get("ok"), True)
                time.sleep(0.2)
            fourth = Client(sock)
            g.eq("the newcomer is served", fourth.call("ping").get("ok"), True)
            g.ok("the silent one was closed", silent.at_eof())
            g.eq("the active one stays", active.call("ping").get("ok"), True)
            s = fourth.call("snapshot")
            g.eq("agent_evicted", counters(s, "ctr", "agent_evicted"), 1)
            g.eq("agent_refused", counters(s, "ctr", "agent_refused"), 1)
            for x in (silent, active, fourth):
                x.close()
        finally:
            se.stop()


def case_start_refusals(binary, wd, sock):
    with Group("start-up refusals: socket in use, path a regular file, unknown group") as g:
        runs = [("inuse", sock, GROUP, "in use by a running process"),
                ("regular", os.path.join(wd, "regular.agent"), GROUP,
                 "exists and is not a socket; not removed"),
                ("badgroup", os.path.join(wd, "bg.agent"), "nosuchgroup7",
                 'agent.group "nosuchgroup7": no such group on this host')]
        with open(os.path.join(wd, "regular.agent"), "w") as f:
            f.write("not a socket\n")
        for tag, path, group, msg in runs:
            p = Sipedge(binary, wd, tag, config(path, group))
            rc = p.wait_exit(60)
            g.eq(f"{tag}: exit status", rc, 1)
            g.has(f"{tag}: says why", p.log(), msg)
            g.eq(f"{tag}: sanitizer reports", p.sanitizer_reports(), [])
        g.ok("the regular file is left alone", open(os.path.join(wd, "regular.agent")).read()
             == "not a socket\n")
        g.ok("no socket left by the group failure", not os.path.exists(os.path.join(wd, "bg.agent")))


def case_end(se, c, sock):
    with Group("after all of it: alive, answering, counters add up; SIGINT exits 0, socket removed") as g:
        g.ok("alive", se.alive())
        g.eq("ping", c.call("ping").get("ok"), True)
        s = c.call("snapshot")
        main = s["workers"][-1]["ctr"]
        g.ok("agent_accepted", main["agent_accepted"] >= 10, main["agent_accepted"])
        g.ok("agent_refused", main["agent_refused"] >= 1)
        g.eq("agent_closed_long_line", main["agent_closed_long_line"], 2)
        g.ok("agent_closed_overflow", main["agent_closed_overflow"] >= 1)
        g.ok("agent_errors", main["agent_errors"] >= len(BAD), main["agent_errors"])
        g.ok("agent_requests > errors", main["agent_requests"] > main["agent_errors"])
        g.eq("only the main lcore counts agent work", counters(s, "ctr", "agent_requests"),
             main["agent_requests"])
        c.close()
        idle = Client(sock)	# left open: sipedge closes it on its way out
        idle.send_raw(b'{"id": 1, "cmd": "pi')
        rc = se.stop()
        idle.close()
        g.eq("exit status", rc, 0)
        g.ok("socket file removed", not os.path.exists(sock))
        g.eq("sanitizer reports", se.sanitizer_reports(), [])
        log = se.log()
        g.has("state changes logged", log, "agent: state 1 committed (was 0)",
              "backend kam1 (10.77.2.2:5060): admin enabled -> drain, weight 100 -> 7 (state 1)",
              "agent: state rolled back from 1 to 0")


def stale_socket(path):
    """A socket file nobody listens on, as a killed process leaves it."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("-")]
    if len(args) != 2:
        print(__doc__)
        return 2
    binary, root = os.path.abspath(args[0]), os.path.abspath(args[1])
    if os.geteuid() != 0:
        print("SKIP: needs root (the EAL's runtime directory, the socket's group)")
        return 77
    signal.signal(signal.SIGTERM, on_signal)
    wd = workdir()
    sock = os.path.join(wd, "node.agent")
    try:
        stale_socket(sock)
        se = Sipedge(binary, wd, "main", config(sock))
        with Group("sipedge starts and listens") as g:
            if not g.ok("socket answers", se.wait_socket(sock), se.log()[-3000:]):
                return summary()
        case_files(se, sock)
        c = Client(sock)
        case_commands(c, root)
        case_state(c)
        case_bad_input(c)
        case_long_lines(sock)
        case_idle_and_max(sock, c)
        case_flood(sock, c)
        case_disconnects(sock, c)
        case_evict(binary, wd)
        case_start_refusals(binary, wd, sock)
        case_end(se, c, sock)
        if VERBOSE:
            print(se.log())
    except KeyboardInterrupt as e:
        print(f"FAIL interrupted ({e})")
    finally:
        cleanup()
        import shutil
        shutil.rmtree(wd, ignore_errors=True)
    return summary()


VERBOSE = "-v" in sys.argv

if __name__ == "__main__":
    sys.exit(main(sys.argv))
