#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Black-box test of sipedge-control: the real daemon with a temporary
config and sockets, driven by sipedgectl and by a raw client, against fake
dataplane agents (fake_agent.py, the protocol of docs/agent.md).

    test_daemon.py SIPEDGE_CONTROL SIPEDGECTL [--valgrind]

Covers: status/nodes/stats/backends/watch through sipedgectl (tables and
--json); every bad request of docs/control.md asserted (malformed JSON,
not an object, bad id, missing/unknown cmd, wrong argument types and
ranges, unknown arguments, a 1 MiB line, an idle client, a slow client
cut mid-line, 300 clients at once, admin commands on the read-only
socket), and that the daemon answers afterwards; backend pushes
(prepare/commit seen by the agent), a refused prepare, a node that is
down (pending, pushed on reconnect); persistence across restarts of the
daemon and of the dataplane; config reload good and bad; /metrics.
With --valgrind the daemon runs under valgrind and the test fails on any
leak or error. Prints one line per check, then "N passed, N failed".
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DAEMON, CTL = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VALGRIND = "--valgrind" in sys.argv
SLOW = 4 if VALGRIND else 1

passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + str(detail)[:800] if detail else ""))
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cpt-ctl-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "run", "control.sock")
        self.ro = os.path.join(self.dir, "run", "ro.sock")
        self.state = os.path.join(self.dir, "state")
        self.cfg = os.path.join(self.dir, "control.yaml")
        self.port = free_port()
        self.daemon = None
        self.agents = {}
        self.vg_logs = []
        self.runs = 0

    def write_cfg(self, nodes, extra=""):
        with open(self.cfg, "w") as f:
            f.write("control:\n  socket: %s\n  readonly_socket: %s\n"
                    "  readonly_socket_mode: \"0666\"\n"
                    "  max_clients: 64\n  idle_timeout_ms: %d\n"
                    "state_dir: %s\ncollect_interval_ms: 200\n"
                    "metrics:\n  listen: 127.0.0.1:%d\n"
                    "agent:\n  reconnect_min_ms: 50\n  reconnect_max_ms: 300\n"
                    "  request_timeout_ms: %d\n"
                    % (self.sock, self.ro, 1000 * SLOW, self.state, self.port, 3000 * SLOW))
            f.write(extra)
            f.write("nodes:\n")
            for n in nodes:
                f.write("  - {name: %s, socket: %s}\n" % (n, self.agent_sock(n)))

    def agent_sock(self, n):
        return os.path.join(self.dir, n + ".agent")

    def agent_log(self, n):
        return os.path.join(self.dir, n + ".log")

    def start_agent(self, n, *args):
        if os.path.exists(self.agent_log(n)):
            os.unlink(self.agent_log(n))
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_agent.py"),
                              self.agent_sock(n), n, "--log", self.agent_log(n)] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        p.stdout.readline()  # "fake agent ... on ...": it listens
        self.agents[n] = p
        return p

    def stop_agent(self, n):
        p = self.agents.pop(n)
        p.send_signal(signal.SIGTERM)
        p.wait(10)

    def agent_requests(self, n):
        try:
            with open(self.agent_log(n)) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def start_daemon(self):
        self.runs += 1
        cmd = [DAEMON, "-c", self.cfg]
        if VALGRIND:
            log = os.path.join(self.dir, "valgrind.%d.log" % self.runs)
            self.vg_logs.append(log)
            cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "--soname-synonyms=somalloc=*jemalloc*", "--log-file=" + log] + cmd
        self.dlog = open(os.path.join(self.dir, "daemon.%d.log" % self.runs), "w")
        self.daemon = subprocess.Popen(cmd, stdout=self.dlog, stderr=subprocess.STDOUT)
        wait_for(lambda: raw_ok(self.sock), 20 * SLOW, "control socket answers")

    def stop_daemon(self, sig=signal.SIGTERM):
        self.daemon.send_signal(sig)
        rc = self.daemon.wait(60)
        self.daemon = None
        return rc

    def daemon_log(self):
        with open(self.dlog.name) as f:
            return f.read()

    def cleanup(self):
        if self.daemon:
            self.daemon.kill()
            self.daemon.wait()
        for n in list(self.agents):
            self.agents[n].kill()
            self.agents[n].wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(fn, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if fn():
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for: " + what)


class Raw:
    """A raw control socket client: lines of bytes in, JSON out."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout * SLOW)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        l, self.buf = self.buf.split(b"\n", 1)
        return json.loads(l)

    def call(self, obj):
        self.send((json.dumps(obj) + "\n").encode())
        return self.line()

    def eof(self):
        """True if the server closed the connection (after any lines)."""
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.s.close()


def raw_ok(path):
    c = Raw(path, 2)
    r = c.call({"id": 1, "cmd": "ping"})
    c.close()
    return r.get("ok") is True


def ctl(env, *args, sock=None, user=None):
    cmd = [CTL] + list(args) + ["--socket", sock or env.sock]
    if user:
        cmd = ["setpriv", "--reuid=" + user, "--regid=65534", "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60 * SLOW)
    return p.returncode, p.stdout, p.stderr


def ctl_json(env, *args):
    rc, out, err = ctl(env, *args, "--json")
    return rc, json.loads(out) if out.strip() else None, err


def node_up(env, name):
    rc, r, _ = ctl_json(env, "nodes")
    return any(n["name"] == name and n["link"] == "up" for n in r["nodes"])


def bad_count(env, reason):
    _, r, _ = ctl_json(env, "status")
    return r["control"]["bad_requests"][reason]


# ---------------------------------------------------------------- cases

def t_cli(env):
    rc, out, err = ctl(env, "status")
    check(rc == 0 and "sipedge-control" in out and "nodes: 1 of 1 up" in out,
          "status: table", out + err)
    rc, out, err = ctl(env, "nodes")
    check(rc == 0 and out.splitlines()[0].startswith("NODE") and "gw1" in out and " up " in out,
          "nodes: table with gw1 up", out + err)
    wait_for(lambda: ctl_json(env, "stats")[1]["nodes"][0]["rates"] is not None, 10 * SLOW,
             "rates")
    rc, r, err = ctl_json(env, "stats")
    n = r["nodes"][0]
    check(rc == 0 and n["counters"]["total"]["ctr"]["rx_pkts"] % 200 == 0
          and n["counters"]["total"]["ctr"]["rx_pkts"] > 0,
          "stats --json: rx_pkts summed over the 2 workers", n["counters"]["total"])
    check(n["rates"]["total"]["ctr"]["rx_pkts"] > 0 and
          "udp_port" in n["counters"]["workers"]["0"]["drop"] and
          n["counters"]["ports"]["access0"]["rx_pkts"] > 0 and
          n["counters"]["backends"]["kam1"]["requests"] > 0,
          "stats --json: rates, workers, reasons, ports, backends", n)
    rc, out, err = ctl(env, "stats")
    check(rc == 0 and all(h in out for h in ("EVENT", "PORT", "WORKER", "DROP REASON",
                                              "BACKEND", "udp_port", "access0", "kam1")),
          "stats: tables", out)
    rc, out, err = ctl(env, "watch", "--count", "2", "--interval-ms", "200")
    check(rc == 0 and out.count("sipedgectl watch: frame") == 2 and "frame 2" in out,
          "watch --count 2: two frames, exit 0", out + err)
    rc, out, err = ctl(env, "status", sock=os.path.join(env.dir, "nope.sock"))
    check(rc == 2 and "No such file or directory" in err and "is sipedge-control running" in err,
          "sipedgectl: missing socket is a clear error, status 2", err)
    if shutil.which("setpriv"):
        os.chmod(env.sock, 0o660)
        rc, out, err = ctl(env, "status", user="nobody")
        check(rc == 2 and "Permission denied" in err and "group" in err,
              "sipedgectl: permission denied is a clear error, status 2", (rc, err))
        rc, out, err = ctl(env, "status", sock=env.ro, user="nobody")
        check(rc == 0, "sipedgectl: the read-only socket (0666) serves nobody", err)
    else:
        check(False, "setpriv is needed for the permission test")
    rc, out, err = ctl(env, "rules", "list")
    check(rc == 1 and "not available yet" in err, "rules list: not available yet", err)
    rc, out, err = ctl(env, "bans", "add", "192.0.2.1")
    check(rc == 1 and "not available yet" in err, "bans add: not available yet", err)
    rc, out, err = ctl(env, "backends", "weight", "kam1", "0")
    check(rc == 2 and '"0"' in err, "backends weight 0: usage error quoting it", err)


def t_bad_requests(env):
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


def _send_quiet(c, data):
    try:
        c.send(data)
    except OSError:
        pass  # the server closed after its reply: expected


def t_many_clients(env):
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


def t_counters(env):
    _, r, _ = ctl_json(env, "status")
    bad = r["control"]["bad_requests"]
    want = ["malformed_json", "not_object", "bad_id", "no_cmd", "unknown_cmd", "bad_args",
            "access_denied", "line_too_long", "idle_timeout", "too_many_clients"]
    check(all(bad[k] >= 1 for k in want), "status: every bad request counted by reason", bad)
    check(env.daemon.poll() is None and raw_ok(env.sock), "the daemon still answers after it all")


def t_push(env):
    rc, out, err = ctl(env, "backends", "drain", "kam1")
    check(rc == 0 and "gw1: drain kam1: in force, state version 1" in out,
          "backends drain kam1: in force", out + err)
    reqs = env.agent_requests("gw1")
    prep = [q for q in reqs if q["cmd"] == "state.prepare"]
    com = [q for q in reqs if q["cmd"] == "state.commit"]
    check(prep and prep[-1]["version"] == 1 and
          prep[-1]["state"]["backends"]["kam1"]["admin"] == "drain" and
          com and com[-1]["version"] == 1, "agent saw state.prepare then state.commit v1", prep)
    with open(os.path.join(env.state, "state.json")) as f:
        st = json.load(f)
    check(st["nodes"]["gw1"]["version"] == 1 and
          st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain",
          "state.json holds version 1, kam1 drain", st)
    wait_for(lambda: any(b["name"] == "kam1" and b["admin"] == "drain"
                         for b in ctl_json(env, "backends")[1]["backends"]), 5 * SLOW,
             "kam1 drain seen in a snapshot")
    rc, out, err = ctl(env, "backends")
    check(rc == 0 and any("kam1" in l and "drain" in l for l in out.splitlines()),
          "backends: kam1 drain listed", out)
    rc, out, err = ctl(env, "backends", "weight", "kam2", "42")
    check(rc == 0 and "state version 2" in out, "backends weight kam2 42", out + err)
    rc, out, err = ctl(env, "backends", "drain", "nope")
    check(rc == 1 and 'backend "nope"' in err, "backends drain nope: refused, named", err)


def t_node_down(env):
    env.stop_agent("gw1")
    wait_for(lambda: not node_up(env, "gw1"), 10 * SLOW, "gw1 down")
    rc, r, _ = ctl_json(env, "nodes")
    check(r["nodes"][0]["link"] == "down" and r["nodes"][0]["last_error"],
          "nodes: gw1 down with its last error", r["nodes"][0])
    rc, out, err = ctl(env, "backends", "enable", "kam1")
    check(rc == 0 and "pending" in out, "enable kam1 while gw1 is down: pending", out + err)
    env.start_agent("gw1")  # a restarted dataplane: state version 0
    wait_for(lambda: node_up(env, "gw1"), 10 * SLOW, "gw1 up again")
    prep = [q for q in env.agent_requests("gw1") if q["cmd"] == "state.prepare"]
    check(prep and prep[-1]["state"]["backends"]["kam1"]["admin"] == "enabled" and
          prep[-1]["state"]["backends"]["kam2"]["weight"] == 42,
          "after reconnect the wanted state is pushed to the new dataplane", prep)
    rc, r, _ = ctl_json(env, "nodes")
    check(r["nodes"][0]["state"]["in_step"] is True and r["nodes"][0]["counters"]["resyncs"] >= 1,
          "nodes: in step again, resync counted", r["nodes"][0])


def t_persist(env):
    ctl(env, "backends", "drain", "kam1")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if VALGRIND and sig == signal.SIGKILL:
            continue  # valgrind cannot report on a killed process
        rc = env.stop_daemon(sig)
        with open(os.path.join(env.state, "state.json")) as f:
            st = json.load(f)
        check(st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain",
              "state file after %s: kam1 drain" % signal.Signals(sig).name, st)
        # restart the dataplane too: it comes back at state version 0
        env.stop_agent("gw1")
        env.start_agent("gw1")
        env.start_daemon()
        wait_for(lambda: node_up(env, "gw1"), 10 * SLOW, "gw1 up after restarts")
        prep = [q for q in env.agent_requests("gw1") if q["cmd"] == "state.prepare"]
        check(prep and prep[-1]["state"]["backends"]["kam1"]["admin"] == "drain",
              "after %s and a dataplane restart: drain pushed again" % signal.Signals(sig).name,
              env.agent_requests("gw1"))
    # a daemon restart with the dataplane still in step: nothing to push
    env.stop_daemon()
    before = len(env.agent_requests("gw1"))
    env.start_daemon()
    wait_for(lambda: node_up(env, "gw1"), 10 * SLOW, "gw1 up")
    new = [q["cmd"] for q in env.agent_requests("gw1")[before:]]
    check("state.get" in new and "state.prepare" not in new,
          "daemon restart, dataplane in step: state.get, no push", new)


def t_refused(env):
    env.write_cfg(["gw1", "gw2"])
    env.start_agent("gw2", "--refuse-prepare", "--backends", "kam1,kam3")
    rc, out, err = ctl(env, "config", "reload")
    check(rc == 0 and "reloaded" in out, "config reload adds gw2", out + err)
    wait_for(lambda: node_up(env, "gw2"), 10 * SLOW, "gw2 up")
    rc, out, err = ctl(env, "backends", "disable", "kam1")
    check(rc == 1 and "gw2" in err and "refused by --refuse-prepare" in err,
          "a refused prepare: exit 1, the node and its reason", (out, err))
    check("gw1: disable kam1: in force" in out, "... while gw1 took it", out)
    with open(os.path.join(env.state, "state.json")) as f:
        st = json.load(f)
    check("kam1" not in st["nodes"]["gw2"]["backends"] and
          st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "disabled",
          "the refused change is taken back for gw2 only", st)
    rc, out, err = ctl(env, "backends", "enable", "kam3", "--node", "gw1")
    check(rc == 1 and "node gw1 has no such backend" in err, "--node with a backend it lacks", err)
    # a bad config is refused, naming key and value; the running one stays
    good = open(env.cfg).read()
    with open(env.cfg, "w") as f:
        f.write(good.replace("collect_interval_ms: 200", "collect_interval_ms: fast"))
    rc, out, err = ctl(env, "config", "reload")
    check(rc == 1 and "collect_interval_ms" in err and '"fast"' in err,
          "config reload of a bad file: refused, key and value named", err)
    with open(env.cfg, "w") as f:
        f.write(good)
    check(raw_ok(env.sock) and node_up(env, "gw2"), "... and the daemon goes on as it was")


def t_metrics(env):
    wait_for(lambda: node_up(env, "gw1"), 10 * SLOW, "gw1 up")
    time.sleep(0.5)
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % env.port, timeout=10).read().decode()
    lines = body.splitlines()
    check('sipedge_up{node="gw1"} 1' in lines, "metrics: sipedge_up", body[:300])
    check(any(l.startswith('sipedge_rx_packets_total{node="gw1",worker="0"} ') for l in lines),
          "metrics: per-worker rx_packets_total")
    check(any(l.startswith('sipedge_drops_total{node="gw1",worker="1",reason="udp_port"} ')
              for l in lines), "metrics: drops_total by reason")
    check(any(l.startswith('sipedge_backend_requests_total{node="gw1",backend="kam1"} ')
              for l in lines), "metrics: backend requests")
    check('sipedge_backend_admin_state{node="gw1",backend="kam1",state="disabled"} 1' in lines,
          "metrics: backend admin state", [l for l in lines if "admin_state" in l])
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
    env = Env()
    try:
        env.write_cfg(["gw1"])
        env.start_agent("gw1")
        try:
            env.start_daemon()
            wait_for(lambda: node_up(env, "gw1"), 10 * SLOW, "gw1 up")
        except RuntimeError as e:
            check(False, "start-up: %s" % e, env.daemon_log()[-2000:])
            raise SystemExit(1)
        for t in (t_cli, t_bad_requests, t_many_clients, t_counters, t_push, t_node_down,
                  t_persist, t_refused, t_metrics):
            try:
                t(env)
            except Exception as e:  # a case that blows up is a failure, not a skip
                check(False, "%s raised %s: %s" % (t.__name__, type(e).__name__, e))
        rc = env.stop_daemon()
        check(rc == 0, "daemon exits 0 on SIGTERM (valgrind: no error, no leak)", rc)
        if VALGRIND:
            for log in env.vg_logs:
                text = open(log).read()
                check("ERROR SUMMARY: 0 errors" in text and "definitely lost: 0" not in text.replace(
                    "definitely lost: 0 bytes", "") , "valgrind %s: clean" % os.path.basename(log),
                      text[-1500:])
                print("  " + "\n  ".join(l for l in text.splitlines()
                                         if "lost:" in l or "ERROR SUMMARY" in l))
        if failed:
            print("daemon log:\n" + env.daemon_log()[-3000:])
    finally:
        env.cleanup()
        print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
