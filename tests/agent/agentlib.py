# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""agentlib.py - what the agent tests share (stdlib only): starting the real
sipedge binary on virtual devices and stopping it, a line-oriented client of
its agent socket (docs/agent.md), and PASS/FAIL reporting by assertion
group.

Every sipedge started here gets its own EAL file prefix, its own socket path
in a temporary directory, --no-huge and --no-pci (the config makes them), and
is stopped by PID (SIGINT, then SIGKILL after a grace period).
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
import traceback

VERBOSE = "-v" in sys.argv


# -------------------------------------------------------------- reporting

class Report:
    passed = 0
    failed = 0


REPORT = Report()


class Group:
    """One assertion group: collects failures, prints PASS or FAIL once. An
    exception inside fails the group (and is shown) but not the run."""

    def __init__(self, name):
        self.name = name
        self.errs = []

    def __enter__(self):
        return self

    def ok(self, what, cond, detail=""):
        if not cond:
            self.errs.append(what + (": " + str(detail) if detail != "" else ""))
        return bool(cond)

    def eq(self, what, got, exp):
        if got != exp:
            self.errs.append(f"{what}: expected {exp!r}, got {got!r}")
            return False
        return True

    def has(self, what, text, *parts):
        """text (an error message) holds every one of parts."""
        missing = [p for p in parts if p not in (text or "")]
        if missing:
            self.errs.append(f"{what}: {text!r} lacks {missing!r}")
            return False
        return True

    def __exit__(self, et, ev, tb):
        if et is not None and et not in (KeyboardInterrupt, SystemExit):
            self.errs.append("exception: " + "".join(
                traceback.format_exception_only(et, ev)).strip())
            if VERBOSE:
                traceback.print_exception(et, ev, tb)
        if self.errs:
            REPORT.failed += 1
            print(f"FAIL {self.name}")
            for e in self.errs:
                print(f"     {e}")
        else:
            REPORT.passed += 1
            print(f"PASS {self.name}")
        sys.stdout.flush()
        return et is not None and et not in (KeyboardInterrupt, SystemExit)


def summary():
    print(f"{REPORT.passed} passed, {REPORT.failed} failed")
    return 1 if REPORT.failed else 0


# ------------------------------------------------------------ the process

class Sipedge:
    """One sipedge process: started from a config text, its output kept in
    files of its directory."""

    def __init__(self, binary, workdir, tag, config, extra_args=()):
        self.dir = os.path.join(workdir, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.prefix = f"agt-{tag}-{os.getpid()}"
        self.cfg = os.path.join(self.dir, "sipedge.yaml")
        with open(self.cfg, "w") as f:
            f.write(config.format(prefix=self.prefix, dir=self.dir))
        self.out = open(os.path.join(self.dir, "stdout"), "wb")
        self.err = open(os.path.join(self.dir, "stderr"), "wb")
        self.p = subprocess.Popen([binary, "-c", self.cfg, *extra_args],
                                  stdout=self.out, stderr=self.err,
                                  stdin=subprocess.DEVNULL)
        LIVE.append(self)

    def alive(self):
        return self.p.poll() is None

    def log(self):
        self.out.flush()
        self.err.flush()
        parts = []
        for n in ("stdout", "stderr"):
            with open(os.path.join(self.dir, n), "rb") as f:
                parts.append(f.read().decode(errors="replace"))
        return "\n".join(parts)

    def sanitizer_reports(self):
        """Lines of the log where ASan, LSan or UBSan (a build with
        -Db_sanitize) reported something; empty otherwise. UBSan's
        misaligned loads inside DPDK's own headers (rte_hash_crc reads 8
        bytes at a time at any address, by design on x86) are not ours and
        are left out."""
        return [ln for ln in self.log().splitlines()
                if ("Sanitizer" in ln or "runtime error:" in ln) and
                not ("/include/dpdk/" in ln and "misaligned address" in ln)][:5]

    def wait_socket(self, path, timeout=60):
        """Waits until path accepts a connection; False if the process
        exits or time runs out."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive():
                return False
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                s.close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def wait_exit(self, timeout=60):
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=30):
        """SIGINT (the orderly stop), SIGKILL if it does not exit. Returns
        the exit status (None if it had to be killed)."""
        if self.alive():
            self.p.send_signal(signal.SIGINT)
            rc = self.wait_exit(timeout)
            if rc is None:
                self.p.kill()
                self.p.wait()
                return None
        return self.p.returncode


LIVE = []


def cleanup():
    for s in LIVE:
        if s.alive():
            s.p.kill()		# by PID: only the processes we started
            try:
                s.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for base in ("/var/run/dpdk", os.path.join(
                os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "dpdk")):
            d = os.path.join(base, s.prefix)
            if os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)
    LIVE.clear()


def workdir():
    return tempfile.mkdtemp(prefix="sipedge-agent-")


def on_signal(sig, frame):
    raise KeyboardInterrupt(f"signal {sig}")


# ------------------------------------------------------------- the client

class Client:
    """A client of the agent socket: one JSON object per line each way."""

    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.next_id = 1

    def send_raw(self, data):
        self.s.sendall(data)

    def read_line(self):
        """The next line (bytes, without '\\n'), or None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def read_reply(self):
        line = self.read_line()
        return None if line is None else json.loads(line)

    def call(self, cmd, **args):
        """Sends {"id": n, "cmd": cmd, ...args} and returns the reply."""
        req = {"id": self.next_id, "cmd": cmd}
        req.update(args)
        self.next_id += 1
        self.send_raw((json.dumps(req) + "\n").encode())
        return self.read_reply()

    def raw(self, data):
        """Sends one raw line (bytes, '\\n' added) and returns the reply."""
        self.send_raw(data + b"\n")
        return self.read_reply()

    def at_eof(self, timeout=5):
        """Whether the dataplane has closed the connection (remaining lines
        are read and dropped)."""
        self.s.settimeout(timeout)
        try:
            while True:
                chunk = self.s.recv(1 << 16)
                if not chunk:
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def counters(snap, group, name):
    """A counter summed over every block of a snapshot."""
    return sum(w[group][name] for w in snap["workers"])
