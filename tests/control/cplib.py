# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""cplib.py - what the control plane's black-box tests share (stdlib only):
PASS/FAIL reporting, waiting, a raw control socket client, sipedgectl, a
sipedge-control daemon with its config and temporary directory, the real
dataplane (sipedge on net_null vdevs, started by tests/agent/agentlib.py)
and the fake agent (fake_agent.py, for failures the real one cannot be made
to show).

Every process started here is stopped by its PID; every sipedge gets its
own EAL file prefix, --no-huge and --no-pci (the config makes them).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "agent"))
import agentlib  # noqa: E402

SLOW = 1        # a multiplier of every timeout: 4 under valgrind


# ---------------------------------------------------------------- reporting

class Checks:
    passed = 0
    failed = 0


CHECKS = Checks()


def check(cond, what, detail=""):
    """One assertion: prints "ok   what" or "FAIL what: detail"."""
    if cond:
        CHECKS.passed += 1
        print("ok   " + what)
    else:
        CHECKS.failed += 1
        print("FAIL " + what + (": " + str(detail)[:1500] if detail != "" else ""))
    sys.stdout.flush()
    return cond


def summary():
    """Prints the closing line; returns the exit status."""
    print("%d passed, %d failed" % (CHECKS.passed, CHECKS.failed))
    return 1 if CHECKS.failed else 0


def wait_for(fn, timeout, what=None):
    """Polls fn until it returns something true, which it returns. On
    timeout: raises RuntimeError naming what, or returns None if what is
    None. fn raising OSError, ValueError, KeyError, IndexError or TypeError
    counts as not yet."""
    end = time.time() + timeout * SLOW
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError):
            pass
        time.sleep(0.05)
    if what is not None:
        raise RuntimeError("timed out waiting for: " + what)
    return None


def tcp_accepts(addr):
    """Whether (host, port) accepts a TCP connection (closed at once)."""
    with socket.create_connection(addr, timeout=1):
        return True


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# ---------------------------------------------------------- control socket

class Raw:
    """A raw control socket client: lines of bytes in, JSON out."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout * SLOW)
        self.s.connect(path)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def send_json(self, *objs):
        """Each object as one line, all in one write."""
        self.s.sendall(b"".join((json.dumps(o) + "\n").encode() for o in objs))

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


CTL = None      # sipedgectl's path: set by the test from its arguments


def ctl(sock, *args, user=None):
    """sipedgectl ARGS --socket SOCK (as USER, no groups, if given):
    (exit status, stdout, stderr)."""
    cmd = [CTL] + list(args) + ["--socket", sock]
    if user:
        cmd = ["setpriv", "--reuid=" + user, "--regid=65534", "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60 * SLOW)
    return p.returncode, p.stdout, p.stderr


def ctl_json(sock, *args):
    """sipedgectl ARGS --json: (exit status, the reply or None, stderr)."""
    rc, out, err = ctl(sock, *args, "--json")
    return rc, json.loads(out) if out.strip() else None, err


# ------------------------------------------------------------- dataplanes

# agentlib.Sipedge's format: {prefix} is filled in there, {{ }} are braces;
# @NAME@, @SOCK@, @PROBE_MS@ and @MORE@ (more backends) here.
DP_CONFIG = """\
node: {{name: @NAME@}}
eal: {{hugepages: false, memory_mb: 256, file_prefix: {prefix}}}
workers: [1]
ports:
  - {{name: access0, role: access, vdev: "net_null0,no-rx=1", ipv4: 10.77.1.1/24}}
  - {{name: core0, role: core, vdev: "net_null1,no-rx=1", ipv4: 10.77.2.1/24,
     neighbours: [{{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}},
                  {{ip: 10.77.2.3, mac: "02:00:00:00:02:03"}},
                  {{ip: 10.77.2.4, mac: "02:00:00:00:02:04"}}]}}
backends:
  - {{name: kam1, address: "10.77.2.2:5060", weight: 100}}
  - {{name: kam2, address: "10.77.2.3:5060", weight: 50}}
@MORE@probe: {{interval_ms: @PROBE_MS@, timeout_ms: 100, down_after: 100, up_after: 1}}
limits: {{mbufs: 4096, frag_flows: 16}}
agent: {{socket: "@SOCK@"@AGENT@}}
"""


class Dataplane:
    """The real sipedge on two net_null ports that receive nothing, with
    backends kam1 (weight 100) and kam2 (weight 50), and kam3 (10.77.2.4,
    weight 50) if kam3=True, behind static neighbours. Its health probes (every probe_ms, never answered, never
    enough misses to mark a backend down) are what moves its counters:
    tx_pkts, core0's tx_pkts, each backend's probes_sent; its agent
    socket's own work moves the main lcore's agent_requests."""

    def __init__(self, binary, workdir, name, probe_ms=1000, kam3=False, agent="",
                 tcp=None):
        """agent: more keys of its agent mapping (", listen: ..."); tcp:
        (host, port) of its TLS listener, waited for instead of the
        socket when it has none (agent.unix_socket false)."""
        self.binary, self.workdir, self.name = binary, workdir, name
        self.sock = os.path.join(workdir, name + ".agent")
        self.tcp = tcp
        more = '  - {{name: kam3, address: "10.77.2.4:5060", weight: 50}}\n' if kam3 else ""
        self.config = (DP_CONFIG.replace("@NAME@", name).replace("@SOCK@", self.sock)
                       .replace("@PROBE_MS@", str(probe_ms)).replace("@MORE@", more)
                       .replace("@AGENT@", agent.replace("{", "{{").replace("}", "}}")))
        self.sp = None

    def start(self, timeout=60):
        """Starts it; returns True once its agent socket (or its TLS
        listener, without a socket) accepts."""
        self.sp = agentlib.Sipedge(self.binary, self.workdir, self.name, self.config)
        if self.tcp is None or "unix_socket: false" not in self.config:
            return self.sp.wait_socket(self.sock, timeout * SLOW)
        end = time.monotonic() + timeout * SLOW
        while time.monotonic() < end and self.sp.alive():
            try:
                return tcp_accepts(self.tcp)
            except OSError:
                time.sleep(0.1)
        return False

    @property
    def pid(self):
        return self.sp.p.pid

    def alive(self):
        return self.sp is not None and self.sp.alive()

    def stop(self):
        """SIGINT, its orderly stop; the exit status (None: it was killed)."""
        return self.sp.stop()

    def signal(self, sig):
        """Sends sig to it (SIGSTOP: a dataplane that answers nothing)."""
        self.sp.p.send_signal(sig)

    def call(self, cmd, **args):
        """One request on a connection of our own; the reply."""
        c = agentlib.Client(self.sock, 10 * SLOW)
        try:
            return c.call(cmd, **args)
        finally:
            c.close()

    def counter(self, group, name):
        """A counter of the main lcore's and workers' blocks, summed."""
        return agentlib.counters(self.call("snapshot"), group, name)

    def log(self):
        return self.sp.log() if self.sp else ""


class FakeAgent:
    """fake_agent.py (or script: fake_agent_rules.py) on a socket of its
    own: failure injection only."""

    def __init__(self, workdir, name, *args, script="fake_agent.py"):
        self.sock = os.path.join(workdir, name + ".agent")
        self.logf = os.path.join(workdir, name + ".fake.log")
        if os.path.exists(self.logf):
            os.unlink(self.logf)
        self.p = subprocess.Popen([sys.executable, os.path.join(HERE, script),
                                   self.sock, name, "--log", self.logf] + list(args),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.p.stdout.readline()  # "fake agent ... on ...": it listens

    def requests(self):
        """Every request it got, in order."""
        try:
            with open(self.logf) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait(10)


# ---------------------------------------------------------------- control

class Control:
    """sipedge-control with a config of its own in a temporary directory:
    sockets, state directory, /metrics on a free port (or none)."""

    def __init__(self, binary, prefix="cpt-", valgrind=False):
        self.binary, self.valgrind = binary, valgrind
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "run", "control.sock")
        self.ro = os.path.join(self.dir, "run", "ro.sock")
        self.state = os.path.join(self.dir, "state")
        self.cfg = os.path.join(self.dir, "control.yaml")
        self.port = free_port()
        self.p = None
        self.runs = 0
        self.vg_logs = []
        self.dataplanes = []
        self.fakes = []

    def write_cfg(self, nodes, metrics=True, collect_ms=200, idle_ms=1000,
                  request_timeout_ms=3000, extra=""):
        """nodes: [(name, agent socket)] or, for a TLS node, [(name,
        {"address": ..., "psk_file": ...})], in order; extra: more
        top-level YAML (a rules: section)."""
        with open(self.cfg, "w") as f:
            f.write("control:\n  socket: %s\n  readonly_socket: %s\n"
                    "  readonly_socket_mode: \"0666\"\n"
                    "  max_clients: 64\n  idle_timeout_ms: %d\n"
                    "state_dir: %s\ncollect_interval_ms: %d\n"
                    "metrics:\n  listen: \"%s\"\n"
                    "agent:\n  reconnect_min_ms: 50\n  reconnect_max_ms: 300\n"
                    "  request_timeout_ms: %d\n"
                    % (self.sock, self.ro, idle_ms * SLOW, self.state, collect_ms,
                       "127.0.0.1:%d" % self.port if metrics else "",
                       request_timeout_ms * SLOW))
            f.write(extra)
            f.write("nodes:\n")
            for name, sock in nodes:
                if isinstance(sock, dict):
                    f.write("  - {name: %s, %s}\n" % (name, ", ".join(
                        "%s: %s" % (k, json.dumps(v)) for k, v in sock.items())))
                else:
                    f.write("  - {name: %s, socket: %s}\n" % (name, sock))

    def dataplane(self, sipedge, name, **kw):
        dp = Dataplane(sipedge, self.dir, name, **kw)
        self.dataplanes.append(dp)
        return dp

    def fake(self, name, *args, script="fake_agent.py"):
        fa = FakeAgent(self.dir, name, *args, script=script)
        self.fakes.append(fa)
        return fa

    def start(self, env=None):
        """Starts the daemon (env: more environment variables); waits
        until its control socket answers."""
        self.runs += 1
        cmd = [self.binary, "-c", self.cfg]
        if self.valgrind:
            log = os.path.join(self.dir, "valgrind.%d.log" % self.runs)
            self.vg_logs.append(log)
            cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                   "--soname-synonyms=somalloc=*jemalloc*", "--log-file=" + log] + cmd
        self.dlog = open(os.path.join(self.dir, "daemon.%d.log" % self.runs), "w")
        self.p = subprocess.Popen(cmd, stdout=self.dlog, stderr=subprocess.STDOUT,
                                  env=dict(os.environ, **env) if env else None)
        wait_for(lambda: raw_ok(self.sock), 20, "control socket answers")

    def stop(self, sig=signal.SIGTERM):
        """Signals the daemon by its PID; returns its exit status."""
        self.p.send_signal(sig)
        rc = self.p.wait(60 * SLOW)
        self.p = None
        return rc

    def log(self):
        with open(self.dlog.name) as f:
            return f.read()

    def ctl(self, *args, **kw):
        return ctl(self.sock, *args, **kw)

    def ctl_json(self, *args):
        return ctl_json(self.sock, *args)

    def node(self, name):
        """The node's object of `nodes`, or None."""
        _, r, _ = self.ctl_json("nodes")
        return next((n for n in (r or {}).get("nodes", []) if n["name"] == name), None)

    def node_up(self, name):
        n = self.node(name)
        return n is not None and n["link"] == "up"

    def admin(self, node, backend):
        """The admin state in force on the node, from its last snapshot."""
        _, r, _ = self.ctl_json("backends")
        return next((b["admin"] for b in r["backends"]
                     if b["node"] == node and b["name"] == backend), None)

    def state_file(self):
        with open(os.path.join(self.state, "state.json")) as f:
            return json.load(f)

    def cleanup(self, keep_logs_on_failure=True):
        if self.p is not None and self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for fa in self.fakes:
            if fa.p.poll() is None:
                fa.p.kill()
                fa.p.wait()
        if CHECKS.failed and keep_logs_on_failure:
            for dp in self.dataplanes:
                if dp.sp is not None:
                    print("---- sipedge %s\n%s" % (dp.name, dp.log()[-2000:]))
        agentlib.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_all(env):
    """Every process env started stopped by PID (the daemon killed, the
    dataplanes stopped), and its directory removed."""
    if env.p is not None:
        env.stop(signal.SIGKILL)
    for dp in env.dataplanes:
        if dp.alive():
            dp.stop()
    env.cleanup()


def run_test(binary, prefix, body):
    """A test's main: a Control in a fresh directory, body(env), then every
    process it started stopped by PID and the directory removed; returns
    the exit status."""
    env = Control(binary, prefix=prefix)
    try:
        body(env)
    finally:
        stop_all(env)
    return summary()
