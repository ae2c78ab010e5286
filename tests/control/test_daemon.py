#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Black-box test of sipedge-control: the real daemon with a temporary
config and sockets, driven by sipedgectl and by a raw client, managing the
real dataplane.

    test_daemon.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE [--valgrind]

Node gw1 is the real sipedge (net_null vdevs, --no-huge, --no-pci: see
cplib.Dataplane). Against it: status/nodes/stats/backends/watch through
sipedgectl (tables and --json), its counters summed and rated; every bad
request of docs/control.md asserted (malformed JSON, not an object, bad
id, missing/unknown cmd, wrong argument types and ranges, unknown
arguments, a 1 MiB line, an idle client, a slow client cut mid-line, 300
clients at once, admin commands on the read-only socket), and that the
daemon answers afterwards; pushes (the dataplane's own state.get,
snapshot, state_commits counter and log say what was committed); the
dataplane stopped (link down, a change pending) and restarted (pushed on
reconnect, a resync); the state file across SIGTERM and SIGKILL restarts
of the daemon and restarts of the dataplane; a daemon restart with the
dataplane in step pushes nothing; config reload good and bad; /metrics.

The fake agent (fake_agent.py) is kept for what the real dataplane cannot
be made to do, each a node added by config reload:
  gw2  refuses every prepare (control checks names, weights and versions
       before they reach a real dataplane, so none refuses a push control
       sends): the refusal reported, and the change, which gw1 committed,
       taken back on gw1 too (its state.rollback), so the nodes do not
       diverge (test_state.py tests the take-back further);
  gw3  never answers its first state.prepare (a dataplane that hangs
       mid-request): the operator hears "pending", the link is dropped
       after agent.request_timeout_ms, the daemon keeps answering others
       meanwhile, and the state goes in on reconnect;
  gw4  answers snapshots with a wrong id (replies out of order): the link
       is dropped, the error named and counted, and retried.

With --valgrind the daemon runs under valgrind and the test fails on any
leak or error. Prints one line per check, then "N passed, N failed".
Needs root (the dataplane's EAL runtime directory).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import cplib
from cplib import Raw, check, raw_ok, wait_for

DAEMON, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
VALGRIND = "--valgrind" in sys.argv
cplib.CTL = CTL
cplib.SLOW = 4 if VALGRIND else 1
SLOW = cplib.SLOW


def bad_count(env, reason):
    _, r, _ = env.ctl_json("status")
    return r["control"]["bad_requests"][reason]


def dp_state(dp):
    """The dataplane's own word: (state_version, {backend: (admin, weight)})."""
    r = dp.call("state.get")
    return r["state_version"], {k: (v["admin"], v["weight"])
                                for k, v in r["state"]["backends"].items()}


# ---------------------------------------------------------------- cases

def t_cli(env, dp):
    rc, out, err = env.ctl("status")
    check(rc == 0 and "sipedge-control" in out and "nodes: 1 of 1 up" in out,
          "status: table", out + err)
    rc, out, err = env.ctl("nodes")
    check(rc == 0 and out.splitlines()[0].startswith("NODE") and "gw1" in out and " up " in out
          and str(dp.pid) in out, "nodes: table with gw1 up and the dataplane's pid", out + err)
    wait_for(lambda: env.ctl_json("stats")[1]["nodes"][0]["rates"] is not None, 10, "rates")
    rc, r, err = env.ctl_json("stats")
    n = r["nodes"][0]
    snap = dp.call("snapshot")
    main = [w for w in snap["workers"] if w["role"] == "main"][0]
    c = n["counters"]
    check(rc == 0 and [w["id"] for w in n["workers"]] == [w["id"] for w in snap["workers"]] and
          {p["name"] for p in n["ports"]} == {"access0", "core0"},
          "stats --json: the real dataplane's workers (and main lcore) and ports", n)
    check(0 < c["workers"][str(main["id"])]["ctr"]["agent_requests"] <=
          main["ctr"]["agent_requests"] and
          c["total"]["ctr"]["agent_requests"] == c["workers"][str(main["id"])]["ctr"]["agent_requests"],
          "stats --json: counters summed over the blocks (agent_requests: only the main lcore's)",
          (c["total"]["ctr"].get("agent_requests"), main["ctr"]["agent_requests"]))
    check(n["rates"]["total"]["ctr"]["agent_requests"] > 0,
          "stats --json: rates (agent_requests, one snapshot an interval)", n["rates"]["total"]["ctr"])
    check("udp_port" in c["workers"]["0"]["drop"] and "400" in c["total"]["reply"],
          "stats --json: every drop reason and reply, zero or not", c["workers"]["0"])
    check(c["ports"]["core0"]["tx_pkts"] > 0 and "ipackets" in c["ports"]["access0"] and
          "link_speed_mbps" not in c["ports"]["access0"],
          "stats --json: ports: the workers' per-port counters (core0 sent the probes) and the NIC's",
          c["ports"])
    check(c["backends"]["kam1"]["probes_sent"] > 0 and "requests" in c["backends"]["kam2"],
          "stats --json: backends' counters (kam1's probes)", c["backends"])
    rc, out, err = env.ctl("stats", "--all")
    check(rc == 0 and all(h in out for h in ("EVENT", "PORT", "WORKER", "DROP REASON",
                                              "BACKEND", "udp_port", "access0", "kam1")),
          "stats --all: tables", out)
    core0 = [l for l in out.splitlines() if l.startswith("core0")]
    check(core0 and core0[0].split()[4] not in ("-", "0"),
          "stats: the PORT table has core0's tx packets", core0)
    rc, out, err = env.ctl("watch", "--count", "2", "--interval-ms", "200")
    check(rc == 0 and out.count("sipedgectl watch: frame") == 2 and "frame 2" in out,
          "watch --count 2: two frames, exit 0", out + err)
    rc, out, err = cplib.ctl(os.path.join(env.dir, "nope.sock"), "status")
    check(rc == 2 and "No such file or directory" in err and "is sipedge-control running" in err,
          "sipedgectl: missing socket is a clear error, status 2", err)
    if shutil.which("setpriv"):
        os.chmod(env.sock, 0o660)
        rc, out, err = env.ctl("status", user="nobody")
        check(rc == 2 and "Permission denied" in err and "group" in err,
              "sipedgectl: permission denied is a clear error, status 2", (rc, err))
        rc, out, err = cplib.ctl(env.ro, "status", user="nobody")
        check(rc == 0, "sipedgectl: the read-only socket (0666) serves nobody", err)
    else:
        check(False, "setpriv is needed for the permission test")
    rc, out, err = env.ctl("rules", "list")
    check(rc == 0 and out.startswith("VERSION") and "gw1" in out,
          "rules list: no version yet, gw1 listed", out + err)
    # the remote options before the command, as other CLIs take them
    for args, want_rc, want in (
            (["--socket", env.sock, "rules", "list"], 0, "VERSION"),
            (["--json", "--socket=" + env.sock, "--timeout", "5", "status"], 0, '"ok":true'),
            (["--socket", env.sock], 2, "no command after the options"),
            (["--socket"], 2, "no command after the options"),
            (["--socketx", env.sock, "status"], 2, 'unknown option "--socketx"'),
            (["--socket", env.sock, "inspect", "x"], 2, 'inspect: unknown option "--socket"')):
        p = subprocess.run([cplib.CTL] + args, capture_output=True, text=True, timeout=30)
        check(p.returncode == want_rc and want in p.stdout + p.stderr,
              "sipedgectl %s: status %d, %s" % (" ".join(args).replace(env.sock, "SOCK"),
                                                 want_rc, want), (p.returncode, p.stdout[-300:],
                                                                  p.stderr[-300:]))
    rc, out, err = env.ctl("bans", "add", "192.0.2.1/24")
    check(rc == 1 and "host bits are set" in err, "bans add with host bits: refused", err)
    rc, out, err = env.ctl("backends", "weight", "kam1", "0")
    check(rc == 2 and '"0"' in err, "backends weight 0: usage error quoting it", err)


def t_bad_requests(env, dp):
    c = Raw(env.sock)
    r = c.call({"id": 1, "cmd": "ping"})
    check(r == {"id": 1, "ok": True}, "raw: ping", r)
    c.send(b'{"id": 2, "cmd": \n')
    r = c.line()
    check(r["ok"] is False and r["id"] is None and "malformed JSON" in r["error"],
          "raw: malformed JSON is an error", r)
    c.send(b'\xff\xfe garbage\n')
    r = c.line()
    check(r["ok"] is False and "malformed JSON" in r["error"], "raw: binary garbage", r)
    r = c.call([1, 2])
    check(r["ok"] is False and "JSON object" in r["error"], "raw: not an object", r)
    r = c.call({"id": 3})
    check(r["ok"] is False and r["id"] == 3 and '"cmd" is missing' in r["error"],
          "raw: missing cmd", r)
    r = c.call({"id": 4, "cmd": 7})
    check(r["ok"] is False and "expected a string, got 7" in r["error"], "raw: cmd not a string", r)
    r = c.call({"id": 5, "cmd": "frobnicate"})
    check(r["ok"] is False and r["id"] == 5 and 'unknown command "frobnicate"' in r["error"],
          "raw: unknown command named", r)
    r = c.call({"id": [1], "cmd": "ping"})
    check(r["ok"] is False and r["id"] is None and '"id"' in r["error"], "raw: bad id type", r)
    r = c.call({"id": 6, "cmd": "backend.weight", "name": "kam1", "weight": "heavy"})
    check(r["ok"] is False and 'argument "weight"' in r["error"] and '"heavy"' in r["error"],
          "raw: wrong argument type names it and quotes the value", r)
    r = c.call({"id": 7, "cmd": "backend.weight", "name": "kam1", "weight": 70000})
    check(r["ok"] is False and "[1, 65535]" in r["error"] and "70000" in r["error"],
          "raw: argument out of range", r)
    r = c.call({"id": 8, "cmd": "backend.drain", "name": 5})
    check(r["ok"] is False and 'argument "name"' in r["error"], "raw: name not a string", r)
    r = c.call({"id": 9, "cmd": "backend.drain"})
    check(r["ok"] is False and 'argument "name"' in r["error"] and "required" in r["error"],
          "raw: missing required argument", r)
    r = c.call({"id": 10, "cmd": "status", "verbose": True})
    check(r["ok"] is False and 'unknown argument "verbose"' in r["error"], "raw: unknown argument", r)
    r = c.call({"id": 11, "cmd": "nodes", "node": "gwX"})
    check(r["ok"] is False and 'node "gwX"' in r["error"], "raw: unknown node named", r)
    r = c.call({"id": "s-12", "cmd": "ping"})
    check(r == {"id": "s-12", "ok": True}, "raw: string id echoed; connection still fine", r)
    c.send(b'{"id":13,"cmd":"ping"}\n{"id":14,"cmd":"ping"}\n\n')
    r1, r2 = c.line(), c.line()
    check(r1["id"] == 13 and r2["id"] == 14, "raw: two requests in one write, answered in order")
    c.close()
    r = Raw(env.sock).call({"id": 1, "cmd": "help"})
    names = {x["name"]: x["access"] for x in r["commands"]}
    check(names.get("status") == "read" and names.get("backend.drain") == "admin"
          and "rules.list" in names, "raw: help lists the table with access levels", names)

    # a 1 MiB line: an error, then the connection is closed
    c = Raw(env.sock)
    big = b'{"cmd":"ping","pad":"' + b"x" * (1 << 20) + b'"}\n'
    t = threading.Thread(target=lambda: _send_quiet(c, big))
    t.start()
    r = c.line()
    t.join()
    check(r["ok"] is False and "over 65536 bytes" in r["error"], "raw: 1 MiB line refused", r)
    check(c.eof(), "raw: and the client is closed")
    c.close()
    # a line of exactly 65536 bytes is still read (and is bad JSON here)
    c = Raw(env.sock)
    r = c.call({"id": 1, "cmd": "ping", "pad": "y" * (65536 - 40)})
    check(r["ok"] is False and "unknown argument" in r["error"], "raw: a 64 KiB line is read whole", r)
    c.close()

    # idle: says nothing; slow: half a line and nothing more
    t0 = time.time()
    idle, slow = Raw(env.sock, 20), Raw(env.sock, 20)
    slow.send(b'{"cmd":"pi')
    r1, r2 = idle.line(), slow.line()
    dt = time.time() - t0
    check(r1["ok"] is False and "idle timeout" in r1["error"] and idle.eof(),
          "raw: idle client told and closed", r1)
    check(r2["ok"] is False and "idle timeout" in r2["error"] and slow.eof(),
          "raw: half a line then silence: closed too", r2)
    check(0.9 * SLOW <= dt < 5 * SLOW, "raw: after control.idle_timeout_ms (%.2fs)" % dt)
    idle.close()
    slow.close()

    # read-only socket
    c = Raw(env.ro)
    r = c.call({"id": 1, "cmd": "backend.drain", "name": "kam1"})
    check(r["ok"] is False and "needs the admin socket" in r["error"],
          "raw: read-only socket refuses an admin command", r)
    r = c.call({"id": 2, "cmd": "config.reload"})
    check(r["ok"] is False and "admin" in r["error"], "raw: read-only socket refuses config.reload", r)
    r = c.call({"id": 3, "cmd": "stats"})
    check(r["ok"] is True, "raw: read-only socket serves stats", r.get("error"))
    c.close()
    check(dp_state(dp)[0] == 0, "none of it reached the dataplane: still at state version 0",
          dp_state(dp))


def _send_quiet(c, data):
    try:
        c.send(data)
    except OSError:
        pass  # the server closed after its reply: expected


def t_many_clients(env, dp):
    clients, replies = [], []
    for i in range(300):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(20 * SLOW)
        c.connect(env.sock)
        clients.append(c)
    for c in clients:
        try:
            c.sendall(b'{"id":1,"cmd":"ping"}\n')
        except OSError:
            pass
    for c in clients:
        buf = b""
        try:
            while b"\n" not in buf:
                d = c.recv(4096)
                if not d:
                    break
                buf += d
        except OSError:
            pass
        replies.append(json.loads(buf.split(b"\n")[0]) if b"\n" in buf else None)
    ok = sum(1 for r in replies if r and r.get("ok") is True)
    busy = sum(1 for r in replies if r and r.get("ok") is False and "too many clients" in r["error"])
    check(ok + busy == 300, "300 clients: each served or told 'too many clients' (%d + %d)" % (ok, busy))
    check(1 <= ok <= 64, "300 clients: at most control.max_clients (64) served at once (%d)" % ok)
    for c in clients:
        c.close()
    check(bad_count(env, "too_many_clients") >= busy, "300 clients: counted as too_many_clients")


def t_counters(env, dp):
    _, r, _ = env.ctl_json("status")
    bad = r["control"]["bad_requests"]
    want = ["malformed_json", "not_object", "bad_id", "no_cmd", "unknown_cmd", "bad_args",
            "access_denied", "line_too_long", "idle_timeout", "too_many_clients"]
    check(all(bad[k] >= 1 for k in want), "status: every bad request counted by reason", bad)
    check(env.p.poll() is None and raw_ok(env.sock), "the daemon still answers after it all")
    check(env.node_up("gw1"), "... and its link to the dataplane stayed up")


def t_push(env, dp):
    commits0 = dp.counter("ctr", "state_commits")
    rc, out, err = env.ctl("backends", "drain", "kam1")
    check(rc == 0 and "gw1: drain kam1: in force, state version 1" in out,
          "backends drain kam1: in force", out + err)
    v, bes = dp_state(dp)
    check(v == 1 and bes["kam1"] == ("drain", 100) and bes["kam2"] == ("enabled", 50),
          "the dataplane's state.get: version 1, kam1 drain, kam2 as its config says", (v, bes))
    check(dp.counter("ctr", "state_commits") == commits0 + 1 and
          "agent: state 1 committed (was 0)" in dp.log(),
          "the dataplane counted and logged one commit", dp.log()[-800:])
    st = env.state_file()
    check(st["nodes"]["gw1"]["version"] == 1 and
          st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain",
          "state.json holds version 1, kam1 drain", st)
    wait_for(lambda: env.admin("gw1", "kam1") == "drain", 5, "kam1 drain seen in a snapshot")
    rc, out, err = env.ctl("backends")
    check(rc == 0 and any("kam1" in l and "drain" in l for l in out.splitlines()),
          "backends: kam1 drain listed", out)
    rc, out, err = env.ctl("backends", "weight", "kam2", "42")
    check(rc == 0 and "state version 2" in out, "backends weight kam2 42", out + err)
    check(dp_state(dp) == (2, {"kam1": ("drain", 100), "kam2": ("enabled", 42)}),
          "the dataplane's state.get: version 2, kam2 weight 42", dp_state(dp))
    rc, out, err = env.ctl("backends", "drain", "nope")
    check(rc == 1 and 'backend "nope"' in err, "backends drain nope: refused, named", err)


def t_node_down(env, dp):
    check(dp.stop() == 0, "the dataplane stops on SIGINT")
    wait_for(lambda: not env.node_up("gw1"), 10, "gw1 down")
    n = env.node("gw1")
    check(n["link"] == "down" and n["last_error"],
          "nodes: gw1 down with its last error", n)
    rc, out, err = env.ctl("backends", "enable", "kam1")
    check(rc == 0 and "pending" in out, "enable kam1 while gw1 is down: pending", out + err)
    check(dp.start(), "the dataplane starts again (state version 0, its config)", dp.log()[-800:])
    wait_for(lambda: env.node_up("gw1") and env.node("gw1")["state"]["in_step"], 10,
             "gw1 up and in step again")
    v, bes = dp_state(dp)
    check(v >= 1 and bes == {"kam1": ("enabled", 100), "kam2": ("enabled", 42)},
          "after reconnect the wanted state is in the new dataplane (kam1 enabled, kam2 42)",
          (v, bes))
    n = env.node("gw1")
    check(n["counters"]["resyncs"] >= 1 and n["dataplane"]["pid"] == dp.pid,
          "nodes: the new dataplane's pid, resync counted", n)


def t_persist(env, dp):
    env.ctl("backends", "drain", "kam1")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if VALGRIND and sig == signal.SIGKILL:
            continue  # valgrind cannot report on a killed process
        name = signal.Signals(sig).name
        env.stop(sig)
        st = env.state_file()
        check(st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain",
              "state file after %s: kam1 drain" % name, st)
        check(dp.alive() and dp_state(dp)[1]["kam1"][0] == "drain",
              "control gone (%s): the dataplane keeps kam1 drain (fail-static)" % name)
        # restart the dataplane too: it comes back at state version 0
        dp.stop()
        check(dp.start(), "the dataplane restarted")
        check(dp_state(dp) == (0, {"kam1": ("enabled", 100), "kam2": ("enabled", 50)}),
              "the restarted dataplane is at its config's state", dp_state(dp))
        env.start()
        wait_for(lambda: env.node_up("gw1"), 10, "gw1 up after restarts")
        v, bes = dp_state(dp)
        check(bes["kam1"][0] == "drain" and bes["kam2"][1] == 42 and v >= 1,
              "after %s and a dataplane restart: the state file's state pushed again" % name,
              (v, bes))
    # a daemon restart with the dataplane in step: nothing to push
    env.stop()
    commits = dp.counter("ctr", "state_commits")
    env.start()
    wait_for(lambda: env.node_up("gw1"), 10, "gw1 up")
    n = env.node("gw1")
    check(dp.counter("ctr", "state_commits") == commits and n["counters"]["resyncs"] == 0 and
          n["state"]["in_step"],
          "daemon restart, dataplane in step: nothing pushed (no commit, no resync)", n)


def t_refused(env, dp):
    env.fake("gw2", "--refuse-prepare", "--backends", "kam1,kam3")
    nodes = [("gw1", dp.sock), ("gw2", env.fakes[-1].sock)]
    env.write_cfg(nodes)
    rc, out, err = env.ctl("config", "reload")
    check(rc == 0 and "reloaded" in out, "config reload adds gw2 (fake)", out + err)
    wait_for(lambda: env.node_up("gw2"), 10, "gw2 up")
    was = dp_state(dp)[1]["kam1"][0]
    rc, out, err = env.ctl("backends", "disable", "kam1")
    check(rc == 1 and "gw2" in err and "refused by --refuse-prepare" in err,
          "a refused prepare: exit 1, the node and its reason", (out, err))
    check("gw1: disable kam1: in force" in out and "gw1: disable kam1: taken back" in out and
          dp_state(dp)[1]["kam1"][0] == was,
          "... while gw1, the real dataplane, took it, then had it taken back (%s again)" % was,
          out)
    st = env.state_file()
    check("kam1" not in st["nodes"]["gw2"]["backends"] and
          st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == was,
          "the refused change is taken back on both nodes", st)
    rc, out, err = env.ctl("backends", "enable", "kam3", "--node", "gw1")
    check(rc == 1 and "node gw1 has no such backend" in err, "--node with a backend it lacks", err)
    # a bad config is refused, naming key and value; the running one stays
    good = open(env.cfg).read()
    with open(env.cfg, "w") as f:
        f.write(good.replace("collect_interval_ms: 200", "collect_interval_ms: fast"))
    rc, out, err = env.ctl("config", "reload")
    check(rc == 1 and "collect_interval_ms" in err and '"fast"' in err,
          "config reload of a bad file: refused, key and value named", err)
    with open(env.cfg, "w") as f:
        f.write(good)
    check(raw_ok(env.sock) and env.node_up("gw2") and env.node_up("gw1"),
          "... and the daemon goes on as it was")


def t_faults(env, dp):
    g3 = env.fake("gw3", "--stall", "state.prepare", "--stall-count", "1")
    g4 = env.fake("gw4", "--bad-id", "snapshot")
    env.write_cfg([("gw1", dp.sock), ("gw2", env.fakes[0].sock), ("gw3", g3.sock),
                   ("gw4", g4.sock)])
    rc, out, err = env.ctl("config", "reload")
    check(rc == 0, "config reload adds gw3 and gw4 (fakes)", out + err)
    wait_for(lambda: env.node_up("gw3"), 10, "gw3 up")
    # gw3 hangs in the middle of the push: the command waits for it, but
    # the daemon keeps serving everyone else meanwhile
    res = {}
    t = threading.Thread(target=lambda: res.update(r=env.ctl("backends", "weight", "kam2", "7",
                                                             "--node", "gw3")))
    t0 = time.time()
    t.start()
    time.sleep(0.3)
    t1 = time.time()
    ok = raw_ok(env.sock)
    check(ok and time.time() - t1 < 1.0 * SLOW,
          "gw3 hangs mid-push: the daemon still answers others at once (%.2fs)" % (time.time() - t1))
    t.join(30 * SLOW)
    rc, out, err = res.get("r", (None, "", ""))
    dt = time.time() - t0
    check(rc == 0 and "pending" in out and 2.5 * SLOW <= dt < 10 * SLOW,
          "gw3: the operator hears 'pending' once agent.request_timeout_ms (3 s) is over "
          "(%.1fs)" % dt, (rc, out, err))
    n = wait_for(lambda: env.node("gw3") if env.node("gw3")["counters"]["disconnects"] >= 1
                 else None, 10, "gw3 disconnect counted")
    check("node gw3: %s: request timed out (agent.request_timeout_ms)" % g3.sock in env.log(),
          "gw3: the link was dropped for the timeout, and the log says so",
          [l for l in env.log().splitlines() if "gw3" in l])
    wait_for(lambda: env.node_up("gw3") and env.node("gw3")["state"]["in_step"], 10,
             "gw3 in step after reconnect")
    prep = [q for q in g3.requests() if q["cmd"] == "state.prepare"]
    com = [q for q in g3.requests() if q["cmd"] == "state.commit"]
    check(len(prep) == 2 and prep[-1]["state"]["backends"]["kam2"]["weight"] == 7 and
          com and com[-1]["version"] == prep[-1]["version"],
          "gw3: on reconnect the weight went in (the second prepare, then commit)", g3.requests())
    # gw4 answers snapshots out of order
    n = wait_for(lambda: env.node("gw4") if "out of step" in env.node("gw4")["last_error"]
                 else None, 10)
    check(n is not None and n["counters"]["agent_errors"] + n["counters"]["disconnects"] >= 1,
          "gw4: a reply out of order drops the link, named and counted", env.node("gw4"))
    wait_for(lambda: env.node("gw4")["counters"]["connects"] >= 2, 10, "gw4 retried")
    check(env.node("gw4")["counters"]["connects"] >= 2, "gw4: and the link is retried",
          env.node("gw4"))
    check(env.node_up("gw1") and dp_state(dp)[1]["kam2"][1] == 42,
          "gw1, the real dataplane, untouched by the others' faults", dp_state(dp))
    for fa in (g3, g4):
        fa.stop()
    env.write_cfg([("gw1", dp.sock), ("gw2", env.fakes[0].sock)])
    env.ctl("config", "reload")


def t_metrics(env, dp):
    wait_for(lambda: env.node_up("gw1"), 10, "gw1 up")
    time.sleep(0.5)
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % env.port,
                                  timeout=10).read().decode()
    lines = body.splitlines()
    check('sipedge_up{node="gw1"} 1' in lines, "metrics: sipedge_up", body[:300])
    check(any(l.startswith('sipedge_rx_packets_total{node="gw1",worker="0"} ') for l in lines),
          "metrics: per-worker rx_packets_total")
    check(any(l.startswith('sipedge_drops_total{node="gw1",worker="1",reason="udp_port"} ')
              for l in lines), "metrics: drops_total by reason (the main lcore's block too)")
    tx = [l for l in lines if l.startswith('sipedge_port_tx_packets_total{node="gw1",port="core0"} ')]
    check(tx and float(tx[0].split()[-1]) > 0, "metrics: core0's tx packets (the probes)", tx)
    check(any(l.startswith('sipedge_backend_probes_sent_total{node="gw1",backend="kam1"} ')
              for l in lines), "metrics: backend counters")
    check('sipedge_backend_admin_state{node="gw1",backend="kam1",state="%s"} 1'
          % dp_state(dp)[1]["kam1"][0] in lines,
          "metrics: backend admin state", [l for l in lines if "admin_state" in l])
    check(not any("link_speed" in l for l in lines), "metrics: no link speed as a counter")
    check(any(l.startswith('sipedge_control_bad_requests_total{reason="malformed_json"} ')
              for l in lines), "metrics: daemon bad requests by reason")
    types = [l for l in lines if l.startswith("# TYPE")]
    check(len(types) == len(set(types)) and
          all(not l.split()[2].endswith("_total") or l.split()[3] == "counter" for l in types),
          "metrics: each family once; *_total are counters")
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/nope" % env.port, timeout=10)
        check(False, "metrics: unknown path is 404")
    except urllib.error.HTTPError as e:
        check(e.code == 404, "metrics: unknown path is 404")


def main():
    env = cplib.Control(DAEMON, prefix="cpt-ctl-", valgrind=VALGRIND)
    try:
        run(env)
    finally:
        env.cleanup()
    return cplib.summary()


def run(env):
    if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
        return
    dp = env.dataplane(SIPEDGE, "gw1")
    if not check(dp.start(), "the dataplane gw1 starts", dp.log()[-2000:]):
        return
    env.write_cfg([("gw1", dp.sock)])
    try:
        env.start()
        wait_for(lambda: env.node_up("gw1"), 10, "gw1 up")
    except RuntimeError as e:
        check(False, "start-up: %s" % e, env.log()[-2000:])
        return
    for t in (t_cli, t_bad_requests, t_many_clients, t_counters, t_push, t_node_down,
              t_persist, t_refused, t_faults, t_metrics):
        try:
            t(env, dp)
        except Exception as e:  # a case that blows up is a failure, not a skip
            check(False, "%s raised %s: %s" % (t.__name__, type(e).__name__, e))
    rc = env.stop()
    check(rc == 0, "daemon exits 0 on SIGTERM (valgrind: no error, no leak)", rc)
    if VALGRIND:
        for log in env.vg_logs:
            text = open(log).read()
            check("ERROR SUMMARY: 0 errors" in text and "definitely lost: 0" not in text.replace(
                "definitely lost: 0 bytes", ""), "valgrind %s: clean" % os.path.basename(log),
                  text[-1500:])
            print("  " + "\n  ".join(l for l in text.splitlines()
                                     if "lost:" in l or "ERROR SUMMARY" in l))
    if cplib.CHECKS.failed:
        print("daemon log:\n" + env.log()[-3000:])


if __name__ == "__main__":
    sys.exit(main())
