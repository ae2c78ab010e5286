#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A real Prometheus scrapes sipedge-control's /metrics, sipedge-control
managing the real dataplane.

    test_prometheus.py SIPEDGE_CONTROL SIPEDGE

Starts sipedge (net_null vdevs, --no-huge, --no-pci: cplib.Dataplane),
sipedge-control with metrics on a free port, and /usr/bin/prometheus with
its own config and storage in a temporary directory, scraping every
second. Asserts through Prometheus's query API that the scrape succeeds
(up == 1, so the exposition format parsed), that sipedge series carry the
values the daemon has (sipedge_up, a backend's admin state after a drain
pushed through the control socket, the dataplane's probes and core0's tx
packets growing, its state version), a daemon counter, and counter
metadata; then stops everything by PID. A missing prometheus binary is a
failure, not a skip. Needs root (the dataplane's EAL runtime directory).
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import cplib
from cplib import Raw, check

DAEMON, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:3])
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")


def http_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def query(pport, q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (pport, urllib.parse.urlencode({"query": q}))
    r = http_json(url)
    return r["data"]["result"] if r.get("status") == "success" else None


def wait_value(pport, q, pred, timeout=40):
    """Polls q until its first sample's value satisfies pred; returns the
    last result (or None)."""
    end, res = time.time() + timeout, None
    while time.time() < end:
        try:
            res = query(pport, q)
            if res and pred(float(res[0]["value"][1])):
                return res
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    return res


def value(res):
    return float(res[0]["value"][1]) if res else None


def main():
    env = cplib.Control(DAEMON, prefix="cpt-prom-")
    prom = None
    try:
        if not check(os.access(PROMETHEUS, os.X_OK), "prometheus binary %s exists" % PROMETHEUS):
            return
        if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
            return
        dp = env.dataplane(SIPEDGE, "gw1", probe_ms=200)
        if not check(dp.start(), "the dataplane gw1 starts", dp.log()[-2000:]):
            return
        env.write_cfg([("gw1", dp.sock)])
        env.start()
        pport = cplib.free_port()
        with open(os.path.join(env.dir, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    "scrape_configs:\n  - job_name: sipedge\n"
                    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % env.port)
        plog = open(os.path.join(env.dir, "prometheus.log"), "w")
        prom = subprocess.Popen([PROMETHEUS,
                                 "--config.file=" + os.path.join(env.dir, "prometheus.yml"),
                                 "--storage.tsdb.path=" + os.path.join(env.dir, "tsdb"),
                                 "--web.listen-address=127.0.0.1:%d" % pport],
                                stdout=plog, stderr=subprocess.STDOUT)
        res = wait_value(pport, 'up{job="sipedge"}', lambda v: v == 1)
        check(value(res) == 1, "prometheus scraped /metrics: up{job=\"sipedge\"} == 1", res)
        res = wait_value(pport, 'sipedge_up{node="gw1"}', lambda v: v == 1)
        check(res and res[0]["metric"]["node"] == "gw1" and res[0]["value"][1] == "1",
              "sipedge_up{node=\"gw1\"} is 1 in prometheus", res)
        c = Raw(env.sock)
        r = c.call({"id": 1, "cmd": "backend.drain", "name": "kam1"})
        c.close()
        check(r.get("ok") is True, "drain kam1 through the control socket", r)
        res = wait_value(pport, 'sipedge_backend_admin_state{node="gw1",backend="kam1",state="drain"}',
                         lambda v: v == 1)
        check(value(res) == 1, "prometheus sees kam1's admin state drain == 1", res)
        res = wait_value(pport, 'sipedge_state_version{node="gw1"}', lambda v: v == 1)
        check(value(res) == 1 and dp.call("state.get")["state_version"] == 1,
              "sipedge_state_version is the dataplane's own, 1", res)
        q = 'sipedge_backend_probes_sent_total{node="gw1",backend="kam2"}'
        first = value(wait_value(pport, q, lambda v: v >= 1))
        res = wait_value(pport, q, lambda v: first is not None and v >= first + 3)
        check(first is not None and value(res) >= first + 3,
              "the dataplane's probes to kam2 grow in prometheus (%s -> %s)" % (first, value(res)))
        res = wait_value(pport, 'sum(sipedge_port_tx_packets_total{node="gw1",port="core0"})',
                         lambda v: v >= 3)
        check(value(res) is not None and value(res) >= 3,
              "core0's tx packets (the probes) in prometheus", res)
        res = wait_value(pport, 'sipedge_control_state_writes_total{result="ok"}', lambda v: v >= 1)
        check(value(res) is not None and value(res) >= 1, "daemon counter: state writes", res)
        meta = http_json("http://127.0.0.1:%d/api/v1/metadata?metric=sipedge_drops_total" % pport)
        check(meta["data"].get("sipedge_drops_total", [{}])[0].get("type") == "counter",
              "metadata: sipedge_drops_total is a counter", meta)
    finally:
        if prom is not None and prom.poll() is None:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(20)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
        if cplib.CHECKS.failed:
            for n in ("daemon.1.log", "prometheus.log"):
                try:
                    print("---- " + n + "\n" + open(os.path.join(env.dir, n)).read()[-2000:])
                except OSError:
                    pass
        if env.p is not None:
            env.stop()
        env.cleanup()
    return 0


if __name__ == "__main__":
    main()
    sys.exit(cplib.summary())
