#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The agent link over TCP with TLS 1.3 and a pre-shared key
(dataplane/agent_tls.c, control/cp_tls.c, docs/agent.md "TCP with TLS"):
the real dataplane listening on 127.0.0.1 with no Unix socket at all, the
real sipedge-control linked to it with the right key, and the bad input
either end must refuse.

    test_tls.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE

Asserts, in order:
- start-up refusals, both daemons: a key file of mode 0644 and one holding
  a 16-byte key, each refused with a message naming the file and its mode
  or the key's length (sipedge exits non-zero; sipedge-control and its
  --check-config exit 1);
- the good link: hello answered over TLS (node up, the dataplane's pid), a
  backend disable pushed and in force (the dataplane's own snapshot says
  so), counters flowing (agent_tls_handshakes among them, summed by
  control), no socket file made;
- bad input tried on the TLS port, each refused and counted by the
  dataplane (read through control's stats): a node with the wrong key
  (agent_tls_bad_key) and one with an identity the dataplane does not know
  (agent_tls_bad_identity), each shown in `sipedgectl nodes` with "TLS
  handshake: bad PSK or identity" and retried with backoff while the daemon
  keeps answering and the good node stays up; a node whose address has no
  listener ("connect: Connection refused"); a node's attempts that fail
  before hello (no listener, a refused handshake) count connect_failures,
  never disconnects, and are logged once, not once per retry;
- a new key for a node put in force by a config reload (the key file is
  read again): the wrong-key node comes up once its file holds the key
  (the unknown identity's node is removed by the same reload);
- a TLS context that sipedge-control could not make at start-up (a
  second daemon with an LD_PRELOAD shim failing SSL_CTX_new once): one
  failed attempt, logged, then made again and the node up;
- more bad input on the TLS port: a client speaking JSON in clear
  (no reply, cut off: agent_tls_not_tls); a client that connects and sends
  nothing (cut off after agent.handshake_timeout_ms, 1 s:
  agent_tls_timeout); a client that sends the first two bytes of a TLS
  record and stops (the same);
- `openssl s_client -psk` as a foreign TLS peer: with the key and identity
  it gets an answer to hello, with another key it is refused
  (agent_tls_bad_key once more) and gets none;
- handshake slots (a second sipedge, gw2, with its socket and TLS, a 60 s
  handshake timeout): 6 then 4 more silent TCP clients held open never
  lock the control plane out: handshakes are capped at 2 of the 4 slots,
  the oldest cut off (agent_tls_evicted 4, then 9), a client of the socket
  still gets hello, one more takes the last handshake's slot with every
  slot taken, the three clients of the socket are never cut off, and a
  TLS client with the key gets hello (each silent client from an address
  of its own);
- one address cannot cut off another's handshake (gw3): with a silent
  client of 127.0.0.51 under way, six from 127.0.0.50 each cut off the one
  before it (agent_tls_replaced 5, agent_tls_evicted 0), 127.0.0.51's
  stays open, and the log says why;
- the key changed with no restart (SIGHUP: sipedge reads agent.psk_file
  again): files refused on SIGHUP (mode 0644, a 16-byte key, no hex, no
  file), each counted (agent_tls_key_reload_failed) and logged with the
  file and the reason while the key in force still opens sessions; the
  same key again changes nothing and counts nothing; a new key counts
  agent_tls_key_reloads, opens a session while the old one is refused
  (agent_tls_bad_key), and control's link stays up through it on its
  session (no connect, no disconnect); control's config reload then reads
  the new key and relinks, with no refused handshake and no resync;
- both stop cleanly: sipedge on SIGINT with exit 0, control on SIGTERM.

Processes are started and stopped by PID; sipedge gets --no-huge, --no-pci,
its own file prefix; traffic only on 127.0.0.1. Needs root (the EAL's
runtime directory) and the openssl tool.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import cplib
from cplib import agentlib, check, wait_for

CONTROL, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
cplib.CTL = CTL

HS_MS = 1000  # the dataplane's agent.handshake_timeout_ms here


def main():
    return cplib.run_test(CONTROL, "cpt-tls-", run)


def key_file(env, name, hexkey, mode=0o600):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write(hexkey + "\n")
    os.chmod(path, mode)
    return path


def tls_agent(port, key, unix=False):
    """The dataplane's agent keys for a TLS listener on 127.0.0.1:port.
    max_clients 8: gw1's dataplane has three nodes of control (gw1,
    gw1-wrongkey, gw1-who) knocking at once, and a cap of 2 handshakes
    (4 / 2) would cut one off mid-way at times (that cap is
    handshake_slots')."""
    return (', listen: "127.0.0.1:%d", psk_file: "%s", handshake_timeout_ms: %d, '
            'max_clients: 8%s' % (port, key, HS_MS, "" if unix else ", unix_socket: false"))


def ctr(env, node, name):
    """A counter of node's dataplane as control summed it (None: not yet)."""
    _, r, _ = env.ctl_json("stats", "--node", node)
    try:
        return r["nodes"][0]["counters"]["total"]["ctr"][name]
    except (TypeError, KeyError, IndexError):
        return None


def ctr_rises(env, name, above, what):
    """Waits until gw1's counter name is over above; checks it."""
    v = wait_for(lambda: (ctr(env, "gw1", name) or 0) > above, 10)
    check(v is not None, what, "%s = %s" % (name, ctr(env, "gw1", name)))


def startup_refusals(env, good_hex):
    """A key its group or others may read, and one of 16 bytes: neither
    daemon starts."""
    port = cplib.free_port()
    for label, name, text, mode, want in (
            ("mode 0644", "open.psk", good_hex, 0o644,
             "mode 0644 lets its group or others read the key; refused (chmod 600 it)"),
            ("a 16-byte key", "short.psk", good_hex[:32], 0o600,
             "the key is 16 bytes; 32 to 256 are needed")):
        path = key_file(env, name, text, mode)
        dp = env.dataplane(SIPEDGE, "bad" + name.split(".")[0], agent=tls_agent(port, path),
                           tcp=("127.0.0.1", port))
        started = dp.start()
        rc = dp.sp.wait_exit(30 * cplib.SLOW)
        log = dp.log()
        check(not started and rc not in (None, 0) and
              ('agent.psk_file "%s": %s' % (path, want)) in log,
              "sipedge refuses to start with %s, naming the file (exit %s)" % (label, rc),
              log[-1500:])
        env.write_cfg([("gw1", {"address": "127.0.0.1:%d" % port, "psk_file": path})],
                      metrics=False)
        p = subprocess.run([CONTROL, "-c", env.cfg], capture_output=True, text=True,
                           timeout=30)
        msg = 'nodes[0].psk_file "%s": %s' % (path, want)
        check(p.returncode == 1 and msg in p.stderr,
              "sipedge-control refuses to start with %s, naming the file" % label,
              (p.returncode, p.stderr))
        p = subprocess.run([CONTROL, "--check-config", env.cfg], capture_output=True,
                           text=True, timeout=30)
        check(p.returncode == 1 and msg in p.stderr,
              "sipedge-control --check-config says so too (%s)" % label,
              (p.returncode, p.stderr))


def raw_client(port, data, timeout):
    """Connects, sends data (maybe nothing), reads until the dataplane
    closes: (bytes received, seconds until the close, closed?)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    got, closed = b"", False
    s.settimeout(timeout)
    try:
        if data:
            s.sendall(data)
        while True:
            d = s.recv(4096)
            if not d:
                closed = True
                break
            got += d
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        pass
    finally:
        s.close()
    return got, time.monotonic() - t0, closed


def s_client(port, hexkey, identity, line):
    """openssl s_client as a foreign TLS 1.3 PSK peer: sends line, keeps
    the connection 1.5 s for the answer. (exit status, stdout+stderr)."""
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-tls1_3", "-psk",
           hexkey, "-psk_identity", identity, "-quiet", "-no_ign_eof"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        p.stdin.write(line.encode())
        p.stdin.flush()
        time.sleep(1.5 * cplib.SLOW)
        out, _ = p.communicate(timeout=10)  # closes stdin: s_client ends
    except (subprocess.TimeoutExpired, BrokenPipeError):
        p.kill()
        out, _ = p.communicate()
    return p.returncode, out.decode(errors="replace")


def bad_clients(env, port):
    """Clients that are not TLS, or say nothing: cut off and counted."""
    base = ctr(env, "gw1", "agent_tls_not_tls") or 0
    got, _, closed = raw_client(port, b'{"id":1,"cmd":"hello","proto":1}\n', 10)
    check(closed and got == b"", "a client speaking JSON in clear gets no reply and is cut off",
          (got, closed))
    ctr_rises(env, "agent_tls_not_tls", base, "counted: agent_tls_not_tls")
    for label, data in (("sends nothing", b""), ("sends 2 bytes of a TLS record", b"\x16\x03")):
        base = ctr(env, "gw1", "agent_tls_timeout") or 0
        got, secs, closed = raw_client(port, data, 10)
        check(closed and got == b"" and 0.8 * HS_MS / 1000 <= secs <= 4 * cplib.SLOW,
              "a client that %s is cut off after agent.handshake_timeout_ms (%.1f s)"
              % (label, secs), (got, secs, closed))
        ctr_rises(env, "agent_tls_timeout", base, "counted: agent_tls_timeout (%s)" % label)


def foreign_peer(env, port, good_hex, wrong_hex):
    if not check(shutil.which("openssl") is not None, "the openssl tool is installed"):
        return
    rc, out = s_client(port, good_hex, "gw1", '{"id":7,"cmd":"hello","proto":1}\n')
    reply = next((json.loads(l) for l in out.splitlines() if l.startswith("{")), None)
    check(reply is not None and reply.get("id") == 7 and reply.get("ok") is True and
          reply.get("node") == "gw1",
          "openssl s_client -psk with the key and identity: hello answered", out[-1500:])
    base = ctr(env, "gw1", "agent_tls_bad_key") or 0
    rc, out = s_client(port, wrong_hex, "gw1", '{"id":8,"cmd":"hello","proto":1}\n')
    check('"id":8' not in out and "alert" in out,
          "openssl s_client -psk with another key: refused, no answer", out[-1500:])
    ctr_rises(env, "agent_tls_bad_key", base, "counted: agent_tls_bad_key (s_client)")


def key_rotation(env, dp, port, tls, old_hex):
    """The key changed with no restart: SIGHUP makes the dataplane read
    agent.psk_file again. Refused files first (mode 0644, 16 bytes, not
    hex, gone): counted, said, and the key in force stays. Then the same
    key (nothing changes), then a new one: in force for new handshakes while
    control's link, past its handshake, stays up on its session; then
    control's reload reads the new key and relinks."""
    path = tls["psk_file"]
    hello = '{"id":9,"cmd":"hello","proto":1}\n'
    new_hex = os.urandom(32).hex()
    n0 = env.node("gw1")["counters"]

    def put(text, mode):
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, mode)

    def hup(counter, what):
        base = ctr(env, "gw1", counter) or 0
        os.kill(dp.pid, signal.SIGHUP)
        ctr_rises(env, counter, base, what)

    for label, text, mode, want in (
            ("mode 0644", new_hex, 0o644, "mode 0644 lets its group or others read the key"),
            ("a 16-byte key", new_hex[:32], 0o600, "16 bytes"),
            ("no hex", "zz" * 32, 0o600, "hex"),
            ("no file", None, 0, "No such file")):
        if text is None:
            os.unlink(path)
        else:
            put(text, mode)
        hup("agent_tls_key_reload_failed",
            "SIGHUP with %s in agent.psk_file: refused, agent_tls_key_reload_failed" % label)
        line = [l for l in dp.log().splitlines() if "agent: SIGHUP:" in l][-1:]
        check(line and want in line[0] and path in line[0] and "the key in force stays" in line[0],
              "  the log names the file and says why (%s)" % want, line)
    rc, out = s_client(port, old_hex, "gw1", hello)
    check('"id":9' in out, "after the refused files, the key in force still opens a session",
          out[-800:])
    put(old_hex, 0o600)
    reloads = ctr(env, "gw1", "agent_tls_key_reloads") or 0
    os.kill(dp.pid, signal.SIGHUP)
    check(wait_for(lambda: "holds the key in force" in dp.log(), 10) is not None and
          (ctr(env, "gw1", "agent_tls_key_reloads") or 0) == reloads,
          "SIGHUP with the same key: nothing changes, nothing counted", dp.log()[-600:])

    put(new_hex, 0o600)
    hup("agent_tls_key_reloads", "SIGHUP with a new key: agent_tls_key_reloads")
    rc, out = s_client(port, new_hex, "gw1", hello)
    check('"id":9' in out, "the new key opens a session", out[-800:])
    bad = ctr(env, "gw1", "agent_tls_bad_key") or 0
    rc, out = s_client(port, old_hex, "gw1", hello)
    check('"id":9' not in out, "the old key is refused", out[-800:])
    ctr_rises(env, "agent_tls_bad_key", bad, "  counted: agent_tls_bad_key")
    n1 = env.node("gw1")["counters"]
    check(env.node_up("gw1") and n1["connects"] == n0["connects"] and
          n1["disconnects"] == n0["disconnects"],
          "control's link stayed up through the change, on its session (connects %d, "
          "disconnects %d)" % (n1["connects"], n1["disconnects"]), (n0, n1))
    bad = ctr(env, "gw1", "agent_tls_bad_key") or 0
    env.write_cfg([("gw1", tls)], metrics=False, collect_ms=200)
    rc, out, err = env.ctl("config", "reload")
    check(rc == 0, "config reload: control reads the new key", err)
    check(wait_for(lambda: env.node_up("gw1") and
                   env.node("gw1")["counters"]["connects"] > n0["connects"], 20) is not None,
          "control relinks gw1 with the new key", env.node("gw1"))
    check((ctr(env, "gw1", "agent_tls_bad_key") or 0) == bad,
          "  and no handshake of control's was refused on the way", bad)
    check(env.node("gw1")["counters"]["resyncs"] == n0["resyncs"],
          "  and nothing pushed again: the dataplane kept its state (resyncs %d)"
          % n0["resyncs"], env.node("gw1")["counters"])
    check(dp.alive(), "sipedge alive through every SIGHUP")


# SSL_CTX_new fails its first SHIM_CTX_FAILS calls (LD_PRELOAD): a TLS
# context that cannot be made, as when memory is short
CTX_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
struct ssl_ctx_st;
struct ssl_method_st;
struct ssl_ctx_st *SSL_CTX_new(const struct ssl_method_st *m)
{
	static struct ssl_ctx_st *(*real)(const struct ssl_method_st *);
	static int fails = -1;

	if (fails < 0)
		fails = getenv("SHIM_CTX_FAILS") ? atoi(getenv("SHIM_CTX_FAILS")) : 0;
	if (fails > 0) {
		fails--;
		return NULL;
	}
	if (real == NULL)
		real = (struct ssl_ctx_st *(*)(const struct ssl_method_st *))dlsym(RTLD_NEXT,
										"SSL_CTX_new");
	return real(m);
}
"""


def ctx_retry(tls):
    """The node's TLS context cannot be made at start-up (SSL_CTX_new fails
    once): it is made again on the next attempt and the link comes up
    (found by review: it was made only at start, and every retry went on
    with none, "TLS: out of memory" for ever)."""
    env2 = cplib.Control(CONTROL, prefix="cpt-tlsctx-")
    try:
        src, so = os.path.join(env2.dir, "ctx_shim.c"), os.path.join(env2.dir, "ctx_shim.so")
        with open(src, "w") as f:
            f.write(CTX_SHIM)
        cc = os.environ.get("CC", "cc").split()
        p = subprocess.run(cc + ["-shared", "-fPIC", "-o", so, src, "-ldl"],
                           capture_output=True, text=True)
        if not check(p.returncode == 0, "SSL_CTX_new shim built (%s)" % " ".join(cc), p.stderr):
            return
        env2.write_cfg([("gw1", tls)], metrics=False)
        asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"),
                                    "verify_asan_link_order=0") if o)
        env2.start(env={"LD_PRELOAD": so, "SHIM_CTX_FAILS": "1", "ASAN_OPTIONS": asan})
        n = wait_for(lambda: env2.node("gw1") if env2.node_up("gw1") else None, 20)
        lines = [l for l in env2.log().splitlines() if "node gw1:" in l and "TLS set-up" in l]
        check(n is not None and n["counters"]["connect_failures"] == 1 and len(lines) == 1,
              "a TLS context that could not be made at start: one failed attempt, logged, "
              "then made again and the node up", (env2.node("gw1"), env2.log()[-1500:]))
        check(env2.stop() == 0, "that sipedge-control exits 0 on SIGTERM", env2.log()[-1500:])
        check("Sanitizer" not in env2.log() and "runtime error:" not in env2.log(),
              "no sanitizer report from it", env2.log()[-1500:])
    finally:
        # not stop_all: it would stop every sipedge this test started
        if env2.p is not None:
            env2.stop(signal.SIGKILL)
        shutil.rmtree(env2.dir, ignore_errors=True)


def slow_handshake_dp(env, name, good):
    """A sipedge named name with its socket and a TLS listener whose
    handshakes may last 60 s (silent clients are never cut off by time
    here), agent.max_clients 4: (port, the dataplane), or (port, None)
    when it did not start."""
    port = cplib.free_port()
    dp = env.dataplane(SIPEDGE, name, probe_ms=600000, tcp=("127.0.0.1", port),
                       agent=', listen: "127.0.0.1:%d", psk_file: "%s", psk_identity: %s, '
                       'handshake_timeout_ms: 60000' % (port, good, name))
    ok = check(dp.start(), "%s: sipedge with its socket and TLS, agent.max_clients 4" % name,
               dp.log()[-2000:])
    return port, dp if ok else None


def ctrs(obs, *names):
    """Counters of one snapshot, each summed over its blocks."""
    snap = obs.call("snapshot")
    return {c: agentlib.counters(snap, "ctr", c) for c in names}


def knock(obs, port, socks, srcs):
    """A silent TCP client from each address of srcs, into socks, once the
    dataplane has taken or refused each."""
    def knocked():
        c = ctrs(obs, "agent_accepted", "agent_refused")
        return c["agent_accepted"] + c["agent_refused"]
    base = knocked()
    socks.extend(socket.create_connection(("127.0.0.1", port), timeout=5,
                                          source_address=(src, 0)) for src in srcs)
    wait_for(lambda: knocked() >= base + len(srcs), 10,
             "%d silent clients accepted" % len(srcs))


def handshake_slots(env, good_hex, good):
    """Clients that open TCP connections and never start a handshake,
    held open (agent.handshake_timeout_ms 60 s: never cut off by time
    here), must not lock the control plane out: handshakes under way are
    capped at agent.max_clients / 2 (4: 2), a newer one cuts off the
    oldest, and a client of the socket arriving with every slot taken
    takes the place of a handshake, never of a client past its own."""
    port, dp = slow_handshake_dp(env, "gw2", good)
    if dp is None:
        return
    obs = agentlib.Client(dp.sock)
    silent = []

    def evicted():
        return ctrs(obs, "agent_tls_evicted")["agent_tls_evicted"]

    def silent_open(k):
        """k more silent TCP clients, each from an address of its own
        (127.0.0.11, .12, ...: an address displaces its own handshakes,
        see handshake_per_address)."""
        knock(obs, port, silent, ["127.0.0.%d" % (11 + len(silent) + i) for i in range(k)])

    try:
        silent_open(6)
        check(evicted() == 4,
              "6 silent TCP clients held open: 4 cut off mid-handshake (agent_tls_evicted), "
              "2 handshakes left", evicted())
        try:
            a = agentlib.Client(dp.sock)
            r = a.call("hello", proto=1)
        except OSError as x:
            a, r = None, repr(x)
        check(isinstance(r, dict) and r.get("ok") is True and r.get("node") == "gw2",
              "a client of the socket still gets hello (1 socket + 2 handshakes of 4 slots)", r)
        try:
            b = agentlib.Client(dp.sock)
            r = b.call("hello", proto=1)
        except OSError as x:
            b, r = None, repr(x)
        check(isinstance(r, dict) and r.get("ok") is True and evicted() == 5,
              "every slot taken: one more client of the socket takes the place of the oldest "
              "handshake (agent_tls_evicted 5)", (r, evicted()))
        silent_open(4)
        check(evicted() == 9, "4 more silent TCP clients: each cuts off a handshake, no "
              "other client (agent_tls_evicted 9)", evicted())
        pings = [c.call("ping") if c else None for c in (obs, a, b)]
        check(all(isinstance(p, dict) and p.get("ok") is True for p in pings),
              "the 3 clients of the socket were never cut off: each answers ping", pings)
        rc, out = s_client(port, good_hex, "gw2", '{"id":9,"cmd":"hello","proto":1}\n')
        reply = next((json.loads(l) for l in out.splitlines() if l.startswith("{")), None)
        check(reply is not None and reply.get("id") == 9 and reply.get("node") == "gw2",
              "a TLS client with the key, with every slot taken, still gets hello", out[-1500:])
        for c in (a, b):
            if c:
                c.close()
    finally:
        for s in silent:
            s.close()
        obs.close()
    check(dp.stop() == 0, "gw2: sipedge exits 0 on SIGINT", dp.log()[-1500:])


def handshake_per_address(env, good):
    """At the cap of handshakes (2 of 4 slots), silent TCP clients from one
    address, however many, displace only their own address's handshakes,
    each newer one cutting off the one before it (agent_tls_replaced),
    never the handshake of a client from another address (control's)."""
    port, dp = slow_handshake_dp(env, "gw3", good)
    if dp is None:
        return
    obs = agentlib.Client(dp.sock)
    socks = []

    def is_open(s):
        s.setblocking(False)
        try:
            return s.recv(1) != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    try:
        knock(obs, port, socks, ["127.0.0.51"])  # another host's handshake, under way
        for _ in range(6):
            knock(obs, port, socks, ["127.0.0.50"])
        c = ctrs(obs, "agent_tls_replaced", "agent_tls_evicted")
        check(c["agent_tls_replaced"] == 5 and c["agent_tls_evicted"] == 0,
              "6 silent clients from 127.0.0.50: each newer one cut off the one before it "
              "(agent_tls_replaced 5), no handshake evicted by the cap", c)
        time.sleep(0.2)
        check(is_open(socks[0]) and is_open(socks[-1]) and not any(is_open(s) for s in socks[1:-1]),
              "127.0.0.51's handshake and 127.0.0.50's newest still open, the 5 replaced closed",
              [is_open(s) for s in socks])
        line = [l for l in dp.log().splitlines() if "same address" in l][:1]
        check(line and "127.0.0.50:" in line[0],
              "the log says why: a newer one came from the same address", line)
    finally:
        for s in socks:
            s.close()
        obs.close()
    check(dp.stop() == 0, "gw3: sipedge exits 0 on SIGINT", dp.log()[-1500:])


def run(env):
    if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
        return
    good_hex = os.urandom(32).hex()
    wrong_hex = os.urandom(32).hex()
    startup_refusals(env, good_hex)
    good = key_file(env, "gw1.psk", good_hex)
    wrong = key_file(env, "wrong.psk", wrong_hex)
    port, dead = cplib.free_port(), cplib.free_port()
    dp = env.dataplane(SIPEDGE, "gw1", probe_ms=600000, agent=tls_agent(port, good),
                       tcp=("127.0.0.1", port))
    if not check(dp.start(), "sipedge listens on 127.0.0.1 with TLS only", dp.log()[-2000:]):
        return
    check(not os.path.exists(dp.sock), "agent.unix_socket false: no socket file")
    tls = {"address": "127.0.0.1:%d" % port, "psk_file": good}
    env.write_cfg([("gw1", tls),
                   ("gw1-wrongkey", {"address": "127.0.0.1:%d" % port, "psk_file": wrong,
                                     "psk_identity": "gw1"}),
                   ("gw1-who", {"address": "127.0.0.1:%d" % port, "psk_file": good,
                                "psk_identity": "nobody"}),
                   ("nolistener", {"address": "127.0.0.1:%d" % dead, "psk_file": good})],
                  metrics=False, collect_ms=200)
    env.start()
    n = wait_for(lambda: env.node("gw1") if env.node_up("gw1") else None, 30)
    if not check(n is not None, "hello over TLS: node gw1 up",
                 (env.node("gw1"), env.log()[-1500:], dp.log()[-1500:])):
        return
    check(n["dataplane"]["pid"] == dp.pid and n["address"] == tls["address"] and
          n["socket"] == "", "nodes: the dataplane's pid, its address, no socket", n)
    _, r, _ = env.ctl_json("backends", "--node", "gw1", "disable", "kam2")
    check(r is not None and r.get("ok") and r["results"][0].get("state_version") == 1,
          "disable kam2 pushed over TLS: state version 1 in force", r)
    check(wait_for(lambda: env.admin("gw1", "kam2") == "disabled", 10) is not None,
          "the dataplane's own snapshot says kam2 disabled", env.ctl_json("backends"))
    ctr_rises(env, "agent_tls_handshakes", 0, "stats flow over TLS: agent_tls_handshakes counted")
    s1 = ctr(env, "gw1", "agent_requests")
    time.sleep(1)
    check((ctr(env, "gw1", "agent_requests") or 0) > (s1 or 0),
          "snapshots keep coming: agent_requests grows", (s1, ctr(env, "gw1", "agent_requests")))

    # the wrong key, an unknown identity, nobody listening: refused, said
    # why, retried; the good node stays up
    for node, counter in (("gw1-wrongkey", "agent_tls_bad_key"),
                          ("gw1-who", "agent_tls_bad_identity")):
        w = wait_for(lambda: env.node(node) if env.node(node)["counters"]["connect_failures"]
                     >= 3 else None, 20)
        check(w is not None and w["link"] != "up" and
              w["last_error"].startswith("TLS handshake: bad PSK or identity"),
              "%s: refused, retried with backoff (connect_failures >= 3), nodes says why"
              % node, env.node(node))
        ctr_rises(env, counter, 1, "counted by the dataplane: %s" % counter)
    rc, out, _ = env.ctl("nodes")
    check(rc == 0 and "TLS handshake: bad PSK or identity" in out,
          "sipedgectl nodes shows the handshake's failure", out)
    w = wait_for(lambda: env.node("nolistener") if "Connection refused" in
                 env.node("nolistener")["last_error"] else None, 10)
    check(w is not None and w["last_error"] == "connect: Connection refused",
          "a node with no listener: connect: Connection refused", env.node("nolistener"))
    # a link is up only once hello is answered: attempts that fail before
    # are connect failures, logged when the reason changes, not each time
    time.sleep(2)
    w = env.node("nolistener")
    lines = [l for l in env.log().splitlines() if "node nolistener:" in l]
    check(w["counters"]["connect_failures"] >= 5 and w["counters"]["disconnects"] == 0 and
          w["counters"]["connects"] == 0,
          "no listener: every attempt a connect failure (%d), none a disconnect"
          % w["counters"]["connect_failures"], w["counters"])
    check(len(lines) == 1 and "warning" not in lines[0],
          "no listener: logged once, not once per attempt", lines[:12])
    for node in ("gw1-wrongkey", "gw1-who"):
        lines = [l for l in env.log().splitlines() if "node %s:" % node in l]
        check(env.node(node)["counters"]["disconnects"] == 0 and len(lines) == 1,
              "%s: refused handshakes are failed attempts, logged once" % node,
              (env.node(node)["counters"], lines[:12]))
    check(env.node_up("gw1") and cplib.raw_ok(env.sock),
          "the daemon keeps answering, gw1 stays up", env.node("gw1"))

    # a new key through a reload: the file is read again. gw1-who goes:
    # from here on no node retries a handshake there, whose attempts
    # would take the place of the silent clients below (agent_tls_evicted)
    shutil.copyfile(good, wrong)
    env.write_cfg([("gw1", tls),
                   ("gw1-wrongkey", {"address": "127.0.0.1:%d" % port, "psk_file": wrong,
                                     "psk_identity": "gw1"}),
                   ("nolistener", {"address": "127.0.0.1:%d" % dead, "psk_file": good})],
                  metrics=False, collect_ms=200)
    rc, out, err = env.ctl("config", "reload")
    check(rc == 0, "config reload with the wrong-key node's file now holding the key", err)
    check(wait_for(lambda: env.node_up("gw1-wrongkey"), 20) is not None,
          "the node comes up with the key the reload read", env.node("gw1-wrongkey"))
    check(env.node_up("gw1") and dp.alive(), "gw1 still up, sipedge alive", env.node("gw1"))

    ctx_retry(tls)
    bad_clients(env, port)
    foreign_peer(env, port, good_hex, wrong_hex)
    handshake_slots(env, good_hex, good)
    handshake_per_address(env, good)
    key_rotation(env, dp, port, tls, good_hex)
    check(env.stop() == 0, "sipedge-control exits 0 on SIGTERM", env.log()[-1500:])
    check(dp.stop() == 0, "sipedge exits 0 on SIGINT", dp.log()[-1500:])
    # a sanitizer build (-Db_sanitize) reports what it found in the logs
    reports = [r for d in env.dataplanes for r in d.sp.sanitizer_reports()]
    reports += [l for l in env.log().splitlines() if "Sanitizer" in l or "runtime error:" in l]
    check(not reports, "no sanitizer report from either daemon", reports[:5])
    if cplib.CHECKS.failed:
        print("---- control log\n" + env.log()[-3000:])
        print("---- sipedge log\n" + dp.log()[-3000:])


if __name__ == "__main__":
    sys.exit(main())
