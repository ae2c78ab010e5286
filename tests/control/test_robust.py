#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipedge-control's robustness against the real dataplane: re-entry, state
file failures, merged refused pushes, a flooding client, versions after a
rollback (docs/sipedge-control.md).

    test_robust.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE [--valgrind] [case_NAME...]

sipedge runs on two net_null vdevs with --no-huge and --no-pci
(cplib.Dataplane, with a third backend kam3); each case starts its
own sipedge-control against it, with MALLOC_CONF=junk:true so that
jemalloc fills freed memory. Before the fix the socket-change case crashed
any build; the node-removal case's use after free showed only with an ASan
build of the daemon (-Db_sanitize=address,undefined -Djemalloc=disabled)
or with --valgrind (which needs a build with -Dmarch=, not native). Cases:

- re-entry: one client sends a backend change and `config.reload` in one
  write, the reload removing the node or changing its socket: the reload
  must run once the change's reply is out, not from inside the agent reply
  that completed it (it freed the node, or the link's buffers, under it);
- a state file that cannot be written (a directory where its temporary
  file goes): the command fails, and a later push does not carry it;
- the directory's fsync failing after the rename (an LD_PRELOAD shim, built
  with $CC): the file holds the change, so the command succeeds, with a
  warning;
- two operators' changes to one backend merged into pushes that the
  dataplane refuses: each undoes only its own field, so the wanted state
  ends as it began;
- a client streaming requests as fast as it can: another client's `status`
  is still answered within a second or two;
- a rollback on the dataplane (another agent client): control's next push
  is above the highest version committed, not only the one in force.

Needs root (the EAL's runtime directory). Prints one line per check, then
"N passed, N failed".
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import cplib
from cplib import CHECKS, Raw, check, wait_for

CONTROL, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
VALGRIND = "--valgrind" in sys.argv
cplib.SLOW = 4 if VALGRIND else 1
SLOW = cplib.SLOW

# Fails fsync(2) on directories with EIO: the state file's rename has
# happened, its durability is in doubt.
FSYNC_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
int fsync(int fd)
{
	static int (*real)(int);
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EIO;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}
"""


class Proc:
    def __init__(self, argv, log, env=None):
        self.log = log
        self.f = open(log, "ab")
        self.p = subprocess.Popen(argv, stdout=self.f, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env)

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                return self.p.wait(30 * SLOW)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def text(self):
        self.f.flush()
        with open(self.log, errors="replace") as f:
            return f.read()


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fix-robust-")
        self.agent = os.path.join(self.dir, "gw1.agent")    # cplib.Dataplane's
        self.nowhere = os.path.join(self.dir, "nowhere.agent")
        self.alias = os.path.join(self.dir, "alias.agent")  # a symlink to agent
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.cfg = os.path.join(self.dir, "control.yaml")
        self.dp = None
        self.cp = None
        self.runs = 0
        self.procs = []

    def start_dp(self):
        self.dp = cplib.Dataplane(SIPEDGE, self.dir, "gw1", probe_ms=600000, kam3=True)
        if not os.path.lexists(self.alias):
            os.symlink(self.agent, self.alias)
        return self.dp.start()

    def write_cfg(self, nodes, state="state", extra=""):
        with open(self.cfg, "w") as f:
            f.write("control: {socket: %s, idle_timeout_ms: 60000}\nstate_dir: %s\n"
                    "collect_interval_ms: 200\nmetrics: {listen: \"\"}\n"
                    "agent: {reconnect_min_ms: 50, reconnect_max_ms: 300, "
                    "request_timeout_ms: %d}\n%snodes:\n"
                    % (self.sock, os.path.join(self.dir, state), 15000 * SLOW, extra))
            for name, sock in nodes:
                f.write("  - {name: %s, socket: %s}\n" % (name, sock))

    def start_cp(self, env_extra=None):
        """A fresh sipedge-control; True once its socket answers."""
        self.runs += 1
        env = dict(os.environ, MALLOC_CONF="junk:true")
        env.update(env_extra or {})
        argv = [CONTROL, "-c", self.cfg]
        if VALGRIND:
            argv = ["valgrind", "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite",
                    "--soname-synonyms=somalloc=*jemalloc*"] + argv
        self.cp = Proc(argv, os.path.join(self.dir, "control.%d.log" % self.runs), env)
        self.procs.append(self.cp)
        return wait_for(lambda: self.ctl({"cmd": "status"})["ok"], 20) is not None

    def stop_cp(self, what):
        """Stops the daemon: exit 0, no sanitizer or valgrind report."""
        alive = self.cp.p.poll() is None
        rc = self.cp.stop()
        text = self.cp.text()
        bad = [l for l in text.splitlines()
               if "Sanitizer" in l or "runtime error:" in l or "Invalid read" in l
               or "Invalid write" in l or "ERROR SUMMARY: " in l and "ERROR SUMMARY: 0 " not in l]
        check(alive and rc == 0 and not bad,
              "%s: the daemon ran to the end and exited 0, no memory error reported" % what,
              "alive %s, exit %s, %s" % (alive, rc, "\n".join(bad[:5]) or text[-1500:]))

    def ctl(self, req):
        c = Raw(self.sock, 5)
        try:
            return c.call(req)
        finally:
            c.close()

    def node(self, name="gw1"):
        for n in self.ctl({"cmd": "nodes"})["nodes"]:
            if n["name"] == name:
                return n
        return None

    def backend(self, name):
        """The row of `backends` for gw1's backend: admin/weight as the
        dataplane's last snapshot says, and control's wanted entry."""
        for b in self.ctl({"cmd": "backends", "node": "gw1"})["backends"]:
            if b["name"] == name:
                return b
        return None

    def fresh_snapshot(self):
        """Waits until a snapshot taken after now has been summed."""
        n0 = self.node()["counters"]["snapshots"]
        return wait_for(lambda: self.node()["counters"]["snapshots"] >= n0 + 2, 10)

    def up(self):
        return wait_for(lambda: self.node()["link"] == "up", 30) is not None

    def state_file(self, state="state"):
        with open(os.path.join(self.dir, state, "state.json")) as f:
            return json.load(f)

    def cleanup(self):
        for p in reversed(self.procs):
            if p.p.poll() is None:
                p.p.kill()
                p.p.wait()
        if CHECKS.failed:
            for p in self.procs:
                print("---- %s\n%s" % (p.log, p.text()[-3000:]))
            if self.dp is not None:
                print("---- sipedge\n%s" % self.dp.log()[-3000:])
        cplib.agentlib.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)


def case_reentry_relinked(e):
    """A change and a reload that changes the node's socket, in one write."""
    e.write_cfg([("gw1", e.agent)])
    if not check(e.start_cp() and e.up(), "re-entry (socket changed): gw1 up",
                 e.cp.text()[-1500:]):
        return
    # the reload changes gw1's socket: its link is closed and opened again,
    # its buffers freed, while the commit's reply is being read
    e.write_cfg([("gw1", e.alias)])
    c = Raw(e.sock)
    try:
        c.send_json({"id": 1, "cmd": "backend.drain", "name": "kam1"}, {"id": 2, "cmd": "config.reload"})
        r1, r2 = c.line(), c.line()
    except (OSError, EOFError, ValueError) as x:
        r1 = r2 = {"error": repr(x)}
    c.close()
    check(r1.get("id") == 1 and r1.get("ok") and r1["results"][0].get("state_version", 0) >= 1,
          "re-entry (socket changed): the drain is in force, answered first", r1)
    check(r2.get("id") == 2 and r2.get("ok"), "re-entry (socket changed): the reload answered",
          r2)
    n = wait_for(e.node, 5)
    check(n is not None and n["socket"] == e.alias and
          wait_for(lambda: e.node()["link"] == "up", 10) is not None,
          "re-entry (socket changed): the daemon runs on, gw1 relinked on the new socket",
          (n, e.cp.text()[-1500:]))
    # back to the real socket: linked again, the drain in force
    e.write_cfg([("gw1", e.agent)])
    r = wait_for(lambda: e.ctl({"cmd": "config.reload"}), 5)
    check(r is not None and r["ok"] and e.up() and
          wait_for(lambda: e.backend("kam1")["admin"] == "drain", 10) is not None,
          "re-entry: gw1 back on its socket, kam1 drain in force", (r, e.cp.text()[-800:]))

    e.stop_cp("re-entry (socket changed)")


def case_reentry_removed(e):
    """A change and a reload that takes the node out, in one write."""
    e.write_cfg([("gw1", e.agent)])
    if not check(e.start_cp() and e.up(), "re-entry (node removed): gw1 up",
                 e.cp.text()[-1500:]):
        return
    # the reload takes gw1 out of the config: the node is freed while the
    # commit that answered the change is still on the stack
    e.write_cfg([("gw2", e.nowhere)])
    c = Raw(e.sock)
    try:
        c.send_json({"id": 3, "cmd": "backend.enable", "name": "kam1"},
               {"id": 4, "cmd": "config.reload"}, {"id": 5, "cmd": "nodes"})
        r3, r4, r5 = c.line(), c.line(), c.line()
    except (OSError, EOFError, ValueError) as x:
        r3 = r4 = r5 = {"error": repr(x)}
    c.close()
    check(r3.get("id") == 3 and r3.get("ok") and r3["results"][0].get("state_version", 0) >= 1,
          "re-entry (node removed): the enable is in force, answered first", r3)
    check(r4.get("id") == 4 and r4.get("ok") and r5.get("id") == 5 and
          [n["name"] for n in r5.get("nodes", [])] == ["gw2"],
          "re-entry (node removed): the reload answered, gw1 gone", (r4, r5))
    st = wait_for(lambda: e.state_file(), 5)
    check(st and st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "enabled",
          "re-entry (node removed): gw1's wanted state kept in the state file", st)
    e.write_cfg([("gw1", e.agent)])
    r = wait_for(lambda: e.ctl({"cmd": "config.reload"}), 5)
    # the link comes back and a snapshot is taken after the reload, not in it
    back = wait_for(lambda: e.up() and e.node()["state"]["in_step"] and
                    e.backend("kam1")["admin"] == "enabled", 5)
    check(r is not None and r["ok"] and back,
          "re-entry: gw1 back in the config, in step, kam1 enabled", (r, e.node()))
    e.stop_cp("re-entry (node removed)")


def case_state_write_fails(e):
    """The state file cannot be written: nothing is pushed, then or later."""
    e.write_cfg([("gw1", e.agent)])
    if not check(e.start_cp() and e.up(), "state write fails: gw1 up"):
        return
    tmp = os.path.join(e.dir, "state", "state.json.tmp")
    os.makedirs(tmp, exist_ok=True)  # open(O_WRONLY) on it: EISDIR
    r = e.ctl({"cmd": "backend.drain", "name": "kam2"})
    check(not r["ok"] and "state file not written" in r.get("error", ""),
          "state write fails: backend.drain refused, nothing pushed", r)
    b = e.backend("kam2")
    check(b is not None and b["wanted"].get("admin") != "drain",
          "state write fails: the refused drain is not wanted in memory either", b)
    os.rmdir(tmp)
    r = e.ctl({"cmd": "backend.weight", "name": "kam1", "weight": 77})
    check(r["ok"], "state write fails: a later unrelated push (kam1 weight 77) succeeds", r)
    e.fresh_snapshot()
    b1, b2 = e.backend("kam1"), e.backend("kam2")
    check(b1["weight"] == 77 and b2["admin"] == "enabled" and
          b2["wanted"].get("admin") != "drain",
          "state write fails: the dataplane has kam1 weight 77, and kam2 not drained", (b1, b2))
    st = e.state_file()
    check(st["nodes"]["gw1"]["backends"].get("kam2", {}).get("admin") != "drain",
          "state write fails: the state file does not have the refused drain", st)
    e.stop_cp("state write fails")


def build_shim(e):
    cc = os.environ.get("CC", "cc").split()
    src, so = os.path.join(e.dir, "fsync_shim.c"), os.path.join(e.dir, "fsync_shim.so")
    with open(src, "w") as f:
        f.write(FSYNC_SHIM)
    p = subprocess.run(cc + ["-shared", "-fPIC", "-o", so, src, "-ldl"],
                       capture_output=True, text=True)
    return so if check(p.returncode == 0, "fsync shim built (%s)" % " ".join(cc), p.stderr) else None


def case_fsync_dir_fails(e):
    """The directory's fsync fails after the rename: the file holds the
    change, so the command is not told "not written"."""
    so = build_shim(e)
    if so is None:
        return
    e.write_cfg([("gw1", e.agent)])
    env = {"LD_PRELOAD": so, "ASAN_OPTIONS": "verify_asan_link_order=0"}
    if not check(e.start_cp(env) and e.up(), "fsync fails: gw1 up", e.cp.text()[-1500:]):
        return
    r = e.ctl({"cmd": "backend.drain", "name": "kam3"})
    check(r["ok"] and r["results"][0].get("state_version", 0) >= 1,
          "fsync of the directory fails: backend.drain in force all the same", r)
    st = e.state_file()
    check(st["nodes"]["gw1"]["backends"]["kam3"]["admin"] == "drain",
          "fsync of the directory fails: the state file has the drain", st)
    check("fsync" in e.cp.text() and "warning" in e.cp.text(),
          "fsync of the directory fails: logged as a warning", e.cp.text()[-1000:])
    st = e.ctl({"cmd": "status"})["control"]
    check(st.get("state_write_errors", 0) == 0 and st.get("state_writes", 0) >= 1,
          "fsync of the directory fails: counted as a write, not a write error", st)
    r = e.ctl({"cmd": "backend.enable", "name": "kam3"})
    check(r["ok"], "fsync fails: kam3 enabled again", r)
    e.stop_cp("fsync fails")


def case_merged_refusal(e):
    """Two operators change one backend while a push is in flight; the
    dataplane refuses both pushes. Each op takes back only its own field."""
    os.makedirs(os.path.join(e.dir, "state-merge"), exist_ok=True)
    with open(os.path.join(e.dir, "state-merge", "state.json"), "w") as f:
        json.dump({"format": 1, "nodes": {"gw1": {"version": 0, "backends":
                                                  {"kam9": {"weight": 10}}}}}, f)
    e.write_cfg([("gw1", e.agent)], state="state-merge")
    if not check(e.start_cp() and e.up(), "merged refusal: gw1 up (its state refused)"):
        return
    a, b = Raw(e.sock, 30), Raw(e.sock, 30)
    e.dp.signal(signal.SIGSTOP)  # the dataplane answers nothing meanwhile
    try:
        a.send_json({"id": "a", "cmd": "backend.drain", "name": "kam9"})
        pushing = wait_for(lambda: e.node()["state"]["pushing"], 5)
        b.send_json({"id": "b", "cmd": "backend.weight", "name": "kam9", "weight": 20})
        wait_for(lambda: e.ctl({"cmd": "ping"})["ok"], 5)
    finally:
        e.dp.signal(signal.SIGCONT)
    try:
        ra, rb = a.line(), b.line()
    except (OSError, EOFError, ValueError) as x:
        ra = rb = {"error": repr(x)}
    a.close()
    b.close()
    check(pushing and ra.get("ok") is False and rb.get("ok") is False and
          "unknown backend" in ra.get("error", "") and "unknown backend" in rb.get("error", ""),
          "merged refusal: both changes refused by the dataplane", (pushing, ra, rb))
    want = e.backend("kam9")
    check(want is not None and want["wanted"] == {"weight": 10},
          "merged refusal: kam9's wanted entry is back to {weight: 10}", want)
    st = e.state_file("state-merge")
    check(st["nodes"]["gw1"]["backends"].get("kam9") == {"weight": 10},
          "merged refusal: the state file says so too", st)
    e.stop_cp("merged refusal")


def case_flood(e):
    """A client that streams requests does not keep another from being
    answered."""
    e.write_cfg([("gw1", e.agent)])
    if not check(e.start_cp(), "flood: daemon up"):
        return
    stop = threading.Event()
    fl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fl.connect(e.sock)
    block = b"\n" * (1 << 20)  # blank lines: work for the daemon, no reply
    sent = [0]

    def writer():
        while not stop.is_set():
            try:
                fl.sendall(block)
                sent[0] += len(block)
            except OSError:
                return

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(1)
        worst = 0.0
        for _ in range(3):
            t0 = time.time()
            try:
                r = Raw(e.sock, 5).call({"cmd": "status"})
            except (OSError, EOFError, ValueError):
                r = {}
            dt = time.time() - t0 if r.get("ok") else 99.0
            worst = max(worst, dt)
            time.sleep(0.2)
        check(worst < 2.0 * SLOW and t.is_alive(),
              "flood: another client's status answered in %.2f s (< 2 s) while one streams"
              % worst, (worst, sent[0]))
    finally:
        stop.set()
        fl.shutdown(socket.SHUT_RDWR)
        t.join(10)
        fl.close()
    check(e.ctl({"cmd": "status"})["ok"], "flood: the daemon answers after the flood")
    e.stop_cp("flood")


def case_rollback_version(e):
    """The dataplane rolled back (another agent client): the version in
    force is below the highest committed, which the next push must pass."""
    ag = Raw(e.agent)
    r = ag.call({"id": 1, "cmd": "state.get"})
    base = max(r.get("state_version", 0), r.get("highest_version", 0))
    steps = []
    for i, w in ((1, 60), (2, 61)):
        steps.append(ag.call({"id": 10 + i, "cmd": "state.prepare", "version": base + i,
                              "state": {"backends": {"kam2": {"weight": w}}}}))
        steps.append(ag.call({"id": 20 + i, "cmd": "state.commit", "version": base + i}))
    steps.append(ag.call({"id": 30, "cmd": "state.rollback"}))
    ag.close()
    if not check(all(s.get("ok") for s in steps) and steps[-1]["state_version"] == base + 1,
                 "rollback: the dataplane at %d, %d committed before" % (base + 1, base + 2),
                 steps):
        return
    # a fresh control (no state file): nothing pushed at connect
    e.write_cfg([("gw1", e.agent)], state="state-rollback")
    if not check(e.start_cp() and e.up(), "rollback: gw1 up"):
        return
    n = e.node()
    check(n["dataplane"].get("highest_version") == base + 2,
          "rollback: hello says highest_version %d" % (base + 2), n["dataplane"])
    r = e.ctl({"cmd": "backend.drain", "name": "kam1"})
    check(r["ok"] and r["results"][0].get("state_version") == base + 3,
          "rollback: the drain pushed as version %d, above the highest committed" % (base + 3),
          r)
    r = e.ctl({"cmd": "backend.enable", "name": "kam1"})
    check(r["ok"] and r["results"][0].get("state_version") == base + 4,
          "rollback: the next push is %d" % (base + 4), r)
    e.stop_cp("rollback")


def main():
    e = Env()
    try:
        if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
            return
        if not check(e.start_dp(), "sipedge creates its agent socket", e.dp.log()[-2000:]):
            return
        only = [a for a in sys.argv[4:] if a.startswith("case_")]
        for case in (case_reentry_relinked, case_reentry_removed, case_state_write_fails, case_fsync_dir_fails,
                     case_merged_refusal, case_flood, case_rollback_version):
            if only and case.__name__ not in only:
                continue
            if e.cp is not None and e.cp.p.poll() is None:
                e.cp.stop()
            try:
                case(e)
            except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as x:
                check(False, "%s: ran to the end" % case.__name__, repr(x))
        check(e.dp.stop() == 0, "sipedge stops cleanly", e.dp.log()[-1000:])
    finally:
        e.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(cplib.summary())
