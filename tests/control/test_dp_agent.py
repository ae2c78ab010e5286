#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipedge-control against the real dataplane's agent socket
(dataplane/agent.c, docs/agent.md).

    test_dp_agent.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE

sipedge runs on two net_null vdevs (no traffic) with --no-huge and
--no-pci (the config says so), its own EAL file prefix "cpt-..." and an
agent socket in a temporary directory; sipedge-control links to it.
Asserts: hello answered (node up, the dataplane's pid), a snapshot summed
(workers and ports of the real binary), a drain pushed and seen in the
dataplane's own snapshot; sipedge-control killed by PID and restarted:
the dataplane kept the state (fail-static) and nothing is pushed again;
the dataplane restarted: its state is back to its config, and control
pushes the drain again. Needs root (the EAL's runtime directory). A
sipedge that is not built or does not answer hello is a failure.
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

CONTROL, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
passed = failed = 0

DP_CONFIG = """\
node: {{name: cpt-gw1}}
eal: {{hugepages: false, memory_mb: 256, file_prefix: {prefix}}}
workers: [1]
ports:
  - {{name: access0, role: access, vdev: "net_null0,no-rx=1", ipv4: 10.77.1.1/24}}
  - {{name: core0, role: core, vdev: "net_null1,no-rx=1", ipv4: 10.77.2.1/24,
     neighbours: [{{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}},
                  {{ip: 10.77.2.3, mac: "02:00:00:00:02:03"}}]}}
backends:
  - {{name: kam1, address: "10.77.2.2:5060", weight: 100}}
  - {{name: kam2, address: "10.77.2.3:5060", weight: 50}}
probe: {{interval_ms: 600000, timeout_ms: 60000}}
limits: {{mbufs: 4096, frag_flows: 16}}
agent: {{socket: "{sock}"}}
"""


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + str(detail)[:1500] if detail != "" else ""))
    return cond


def wait_for(fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            pass
        time.sleep(0.1)
    return None


def ctl(sock, *args):
    p = subprocess.run([CTL] + list(args) + ["--socket", sock, "--json"], capture_output=True,
                       text=True, timeout=60)
    return json.loads(p.stdout) if p.stdout.strip() else {"ok": False, "error": p.stderr}


class Proc:
    def __init__(self, argv, log):
        self.log = log
        self.f = open(log, "ab")
        self.p = subprocess.Popen(argv, stdout=self.f, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)

    def stop(self, sig=signal.SIGINT):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                return self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        return self.p.returncode

    def text(self):
        self.f.flush()
        return open(self.log, errors="replace").read()


def main():
    d = tempfile.mkdtemp(prefix="cpt-dp-")
    prefix = "cpt-%d" % os.getpid()
    agent_sock, ctl_sock = os.path.join(d, "gw1.agent"), os.path.join(d, "ctl.sock")
    procs = []

    def start_dp():
        p = Proc([SIPEDGE, "-c", os.path.join(d, "sipedge.yaml")], os.path.join(d, "sipedge.log"))
        procs.append(p)
        return p

    def start_cp():
        p = Proc([CONTROL, "-c", os.path.join(d, "control.yaml")], os.path.join(d, "control.log"))
        procs.append(p)
        wait_for(lambda: os.path.exists(ctl_sock) and ctl(ctl_sock, "status")["ok"], 20)
        return p

    def node():
        r = ctl(ctl_sock, "nodes")
        return r["nodes"][0] if r.get("ok") else None

    def admin_seen(name):
        r = ctl(ctl_sock, "backends")
        return {b["name"]: b["admin"] for b in r.get("backends", [])}.get(name)

    try:
        if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
            return
        with open(os.path.join(d, "sipedge.yaml"), "w") as f:
            f.write(DP_CONFIG.format(prefix=prefix, sock=agent_sock))
        with open(os.path.join(d, "control.yaml"), "w") as f:
            f.write("control: {socket: %s}\nstate_dir: %s/state\ncollect_interval_ms: 300\n"
                    "metrics: {listen: \"\"}\nagent: {reconnect_min_ms: 100, reconnect_max_ms: 500}\n"
                    "nodes:\n  - {name: gw1, socket: %s}\n" % (ctl_sock, d, agent_sock))
        dp = start_dp()
        if not check(wait_for(lambda: os.path.exists(agent_sock), 60) is not None,
                     "sipedge creates its agent socket", dp.text()[-2000:]):
            return
        cp = start_cp()
        n = wait_for(lambda: node() if node()["link"] == "up" else None, 30)
        if not check(n is not None, "hello answered: node gw1 up",
                     (node(), cp.text()[-1500:], dp.text()[-1500:])):
            return
        check(n["dataplane"]["pid"] == dp.p.pid and n["dataplane"]["state_version"] == 0,
              "hello: the dataplane's pid, state version 0", n["dataplane"])
        s = wait_for(lambda: ctl(ctl_sock, "stats")["nodes"][0] if
                     ctl(ctl_sock, "stats")["nodes"][0]["counters"] else None, 20)
        check(s and len(s["workers"]) >= 1 and {p["name"] for p in s["ports"]} >= {"access0", "core0"}
              and "rx_pkts" in s["counters"]["total"]["ctr"],
              "snapshot of the real dataplane summed: workers, ports, counters", s)
        r = ctl(ctl_sock, "backends", "drain", "kam1")
        check(r.get("ok") and r["results"][0].get("state_version") == 1,
              "drain kam1 pushed: state version 1 in force", r)
        check(wait_for(lambda: admin_seen("kam1") == "drain", 10) is not None,
              "the dataplane's own snapshot says kam1 drain", ctl(ctl_sock, "backends"))
        # control dies; the dataplane goes on with its state (fail-static)
        cp.p.kill()
        cp.p.wait()
        check(dp.p.poll() is None, "sipedge keeps running when control is killed")
        st = json.load(open(os.path.join(d, "state", "state.json")))
        check(st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain",
              "state file: kam1 drain", st)
        cp = start_cp()
        n = wait_for(lambda: node() if node()["link"] == "up" else None, 30)
        check(n and n["state"]["in_step"] and n["state"]["dataplane_version"] == 1 and
              n["counters"]["resyncs"] == 0,
              "control restarted: the dataplane still at version 1, nothing re-pushed", n)
        # the dataplane restarts: back to its config; control pushes again
        check(dp.stop() == 0, "sipedge stops cleanly on SIGINT", dp.text()[-1000:])
        wait_for(lambda: node()["link"] != "up", 20)
        dp = start_dp()
        n = wait_for(lambda: node() if node()["link"] == "up" and node()["counters"]["resyncs"] >= 1
                     else None, 60)
        check(n is not None and n["state"]["in_step"],
              "sipedge restarted: control resynced it", (node(), cp.text()[-1500:]))
        check(wait_for(lambda: admin_seen("kam1") == "drain", 15) is not None,
              "after the dataplane's restart kam1 is drain again", ctl(ctl_sock, "backends"))
        check(cp.stop(signal.SIGTERM) == 0, "sipedge-control exits 0 on SIGTERM")
    finally:
        for p in reversed(procs):
            p.stop()
        if failed:
            for n in ("sipedge.log", "control.log"):
                try:
                    print("---- %s\n%s" % (n, open(os.path.join(d, n), errors="replace").read()[-3000:]))
                except OSError:
                    pass
        for base in ("/var/run/dpdk", "/run/dpdk"):
            shutil.rmtree(os.path.join(base, prefix), ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
        print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
