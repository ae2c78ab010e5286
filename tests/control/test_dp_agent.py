#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipedge-control against the real dataplane's agent socket
(dataplane/agent.c, docs/agent.md): the link's life cycle, in one short
story.

    test_dp_agent.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE

sipedge runs on two net_null vdevs (no traffic) with --no-huge and
--no-pci (cplib.Dataplane), its own EAL file prefix and an agent socket in
a temporary directory; sipedge-control links to it. Asserts: hello
answered (node up, the dataplane's pid), a snapshot summed (workers and
ports of the real binary), a drain pushed and seen in the dataplane's own
snapshot; sipedge-control killed by PID and restarted: the dataplane kept
the state (fail-static) and nothing is pushed again; the dataplane
restarted: its state is back to its config, and control pushes the drain
again. Needs root (the EAL's runtime directory). A sipedge that is not
built or does not answer hello is a failure.
"""
import os
import signal
import sys

import cplib
from cplib import check, wait_for

CONTROL, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
cplib.CTL = CTL


def main():
    return cplib.run_test(CONTROL, "cpt-dp-", run)


def run(env):
    if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
        return
    dp = env.dataplane(SIPEDGE, "gw1", probe_ms=600000)
    if not check(dp.start(), "sipedge creates its agent socket", dp.log()[-2000:]):
        return
    env.write_cfg([("gw1", dp.sock)], metrics=False, collect_ms=300)
    env.start()
    n = wait_for(lambda: env.node("gw1") if env.node_up("gw1") else None, 30)
    if not check(n is not None, "hello answered: node gw1 up",
                 (env.node("gw1"), env.log()[-1500:], dp.log()[-1500:])):
        return
    check(n["dataplane"]["pid"] == dp.pid and n["dataplane"]["state_version"] == 0,
          "hello: the dataplane's pid, state version 0", n["dataplane"])
    s = wait_for(lambda: env.ctl_json("stats")[1]["nodes"][0] if
                 env.ctl_json("stats")[1]["nodes"][0]["counters"] else None, 20)
    check(s and len(s["workers"]) >= 1 and {p["name"] for p in s["ports"]} >= {"access0", "core0"}
          and "rx_pkts" in s["counters"]["total"]["ctr"]
          and "rx_pkts" in s["counters"]["ports"]["access0"],
          "snapshot of the real dataplane summed: workers, ports, counters", s)
    _, r, _ = env.ctl_json("backends", "drain", "kam1")
    check(r.get("ok") and r["results"][0].get("state_version") == 1,
          "drain kam1 pushed: state version 1 in force", r)
    check(wait_for(lambda: env.admin("gw1", "kam1") == "drain", 10) is not None,
          "the dataplane's own snapshot says kam1 drain", env.ctl_json("backends"))
    # control dies; the dataplane goes on with its state (fail-static)
    env.stop(signal.SIGKILL)
    check(dp.alive() and dp.call("state.get")["state"]["backends"]["kam1"]["admin"] == "drain",
          "sipedge keeps running, kam1 drain, when control is killed")
    st = env.state_file()
    check(st["nodes"]["gw1"]["backends"]["kam1"]["admin"] == "drain", "state file: kam1 drain", st)
    env.start()
    n = wait_for(lambda: env.node("gw1") if env.node_up("gw1") else None, 30)
    check(n and n["state"]["in_step"] and n["state"]["dataplane_version"] == 1 and
          n["counters"]["resyncs"] == 0,
          "control restarted: the dataplane still at version 1, nothing re-pushed", n)
    # the dataplane restarts: back to its config; control pushes again
    check(dp.stop() == 0, "sipedge stops cleanly on SIGINT", dp.log()[-1000:])
    wait_for(lambda: not env.node_up("gw1"), 20)
    check(dp.start(), "sipedge starts again", dp.log()[-1000:])
    n = wait_for(lambda: env.node("gw1") if env.node_up("gw1") and
                 env.node("gw1")["counters"]["resyncs"] >= 1 else None, 60)
    check(n is not None and n["state"]["in_step"],
          "sipedge restarted: control resynced it", (env.node("gw1"), env.log()[-1500:]))
    check(wait_for(lambda: env.admin("gw1", "kam1") == "drain", 15) is not None,
          "after the dataplane's restart kam1 is drain again", env.ctl_json("backends"))
    check(env.stop(signal.SIGTERM) == 0, "sipedge-control exits 0 on SIGTERM")
    if cplib.CHECKS.failed:
        print("---- control log\n" + env.log()[-3000:])


if __name__ == "__main__":
    sys.exit(main())
