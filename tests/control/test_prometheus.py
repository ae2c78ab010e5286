#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A real Prometheus scrapes sipedge-control's /metrics.

    test_prometheus.py SIPEDGE_CONTROL

Starts a fake dataplane agent (fake_agent.py), sipedge-control with
metrics on a free port, and /usr/bin/prometheus with its own config and
storage in a temporary directory, scraping every second. Asserts through
Prometheus's query API that the scrape succeeds (up == 1, so the
exposition format parsed), that sipedge series carry the values the
daemon has (sipedge_up, a backend's admin state after a drain pushed
through the control socket, rx packets growing), then stops everything by
PID. A missing prometheus binary is a failure, not a skip.
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
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DAEMON = os.path.abspath(sys.argv[1])
PROMETHEUS = os.environ.get("PROMETHEUS", "/usr/bin/prometheus")
passed = failed = 0


def check(cond, what, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + str(detail)[:1000] if detail != "" else ""))
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


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


def control(sock, obj):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock)
    s.sendall((json.dumps(obj) + "\n").encode())
    buf = b""
    while b"\n" not in buf:
        buf += s.recv(65536)
    s.close()
    return json.loads(buf)


def main():
    d = tempfile.mkdtemp(prefix="cpt-prom-")
    procs = []
    try:
        if not check(os.access(PROMETHEUS, os.X_OK), "prometheus binary %s exists" % PROMETHEUS):
            return
        mport, pport = free_port(), free_port()
        agent_sock, ctl_sock = os.path.join(d, "gw1.agent"), os.path.join(d, "ctl.sock")
        with open(os.path.join(d, "control.yaml"), "w") as f:
            f.write("control: {socket: %s}\nstate_dir: %s/state\ncollect_interval_ms: 200\n"
                    "metrics: {listen: \"127.0.0.1:%d\"}\n"
                    "nodes:\n  - {name: gw1, socket: %s}\n" % (ctl_sock, d, mport, agent_sock))
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                    "scrape_configs:\n  - job_name: sipedge\n"
                    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % mport)
        agent = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_agent.py"),
                                  agent_sock, "gw1"], stdout=subprocess.PIPE)
        procs.append(agent)
        agent.stdout.readline()
        dlog = open(os.path.join(d, "daemon.log"), "w")
        procs.append(subprocess.Popen([DAEMON, "-c", os.path.join(d, "control.yaml")],
                                      stdout=dlog, stderr=subprocess.STDOUT))
        plog = open(os.path.join(d, "prometheus.log"), "w")
        procs.append(subprocess.Popen([PROMETHEUS, "--config.file=" + os.path.join(d, "prometheus.yml"),
                                       "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
                                       "--web.listen-address=127.0.0.1:%d" % pport],
                                      stdout=plog, stderr=subprocess.STDOUT))
        res = wait_value(pport, 'up{job="sipedge"}', lambda v: v == 1)
        check(res and float(res[0]["value"][1]) == 1,
              "prometheus scraped /metrics: up{job=\"sipedge\"} == 1", res)
        res = wait_value(pport, 'sipedge_up{node="gw1"}', lambda v: v == 1)
        check(res and res[0]["metric"]["node"] == "gw1" and res[0]["value"][1] == "1",
              "sipedge_up{node=\"gw1\"} is 1 in prometheus", res)
        r = control(ctl_sock, {"id": 1, "cmd": "backend.drain", "name": "kam1"})
        check(r.get("ok") is True, "drain kam1 through the control socket", r)
        res = wait_value(pport, 'sipedge_backend_admin_state{node="gw1",backend="kam1",state="drain"}',
                         lambda v: v == 1)
        check(res and res[0]["value"][1] == "1",
              "prometheus sees kam1's admin state drain == 1", res)
        res = wait_value(pport, 'sum(sipedge_rx_packets_total{node="gw1"})', lambda v: v >= 200)
        check(res and float(res[0]["value"][1]) >= 200,
              "sum of sipedge_rx_packets_total over workers grows", res)
        res = wait_value(pport, 'sipedge_control_state_writes_total{result="ok"}', lambda v: v >= 1)
        check(res and float(res[0]["value"][1]) >= 1, "daemon counter: state writes", res)
        meta = http_json("http://127.0.0.1:%d/api/v1/metadata?metric=sipedge_drops_total" % pport)
        check(meta["data"].get("sipedge_drops_total", [{}])[0].get("type") == "counter",
              "metadata: sipedge_drops_total is a counter", meta)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if failed:
            for n in ("daemon.log", "prometheus.log"):
                try:
                    print("---- " + n + "\n" + open(os.path.join(d, n)).read()[-2000:])
                except OSError:
                    pass
        shutil.rmtree(d, ignore_errors=True)
        print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
