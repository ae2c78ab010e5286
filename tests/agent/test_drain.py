#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""test_drain.py - admin state pushed through the agent, seen in traffic:
a draining backend keeps its dialogs while new dialogs go elsewhere.

usage: test_drain.py SIPEDGE [-v]

sipedge runs on net_pcap vdevs. The access port reads a FIFO, so the test
feeds it SIP in batches while sipedge runs, and pushes states through the
agent socket between batches; the core port writes what was forwarded to a
pcap file, read back at the end (stdlib only: frames are built and parsed
here, checksums included). Two backends, kam1 and kam2, equal weights;
24 Call-IDs spread over both by rendezvous hashing.

  batch 1  both enabled: an INVITE per Call-ID; where each goes is its
           backend (both backends must get some, or the test is not sharp)
  state 1  kam1 drain
  batch 2  per Call-ID: BYE with a To tag (no Route): its backend, kam1
           included; a new INVITE (no To tag), its CANCEL and its ACK (a
           To tag, no Route: a non-2xx ACK): kam2, always
  state 2  kam1 disabled
  batch 3  BYE with a To tag: kam2, always (disabled takes nothing)
  rollback back to state 1 (drain)
  batch 4  BYE: its backend again; new INVITE: kam2
  state 3  {} (the config: both enabled)
  batch 5  new INVITE: its backend of batch 1 again

Then every request forwarded is accounted for, and the backends' request
counters in the snapshot match the frames on the wire. Exit 77 (SKIP) when
the FIFO cannot be made.
"""
import os
import re
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agentlib import (Client, Group, Sipedge, cleanup, counters, on_signal,  # noqa: E402
                      summary, workdir)

A_IP, C_IP, CLI_IP = "10.77.1.1", "10.77.2.1", "10.77.1.2"
CLI_MAC = "02:00:00:00:01:02"
KAM = {"kam1": "10.77.2.2", "kam2": "10.77.2.3"}
N_CALLS = 24

CONFIG = """\
node: {{name: agt-drain}}
eal: {{hugepages: false, memory_mb: 256, file_prefix: {prefix}}}
workers: [1]
ports:
  - name: access0
    role: access
    vdev: "net_pcap0,rx_pcap={dir}/in_a.fifo,tx_pcap={dir}/out_a.pcap"
    ipv4: 10.77.1.1/24
    neighbours: [{{ip: 10.77.1.2, mac: "02:00:00:00:01:02"}}]
  - name: core0
    role: core
    vdev: "net_pcap1,rx_pcap={dir}/in_c.pcap,tx_pcap={dir}/out_c.pcap"
    ipv4: 10.77.2.1/24
    neighbours: [{{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}},
                 {{ip: 10.77.2.3, mac: "02:00:00:00:02:03"}}]
backends:
  - {{name: kam1, address: "10.77.2.2:5060"}}
  - {{name: kam2, address: "10.77.2.3:5060"}}
probe: {{interval_ms: 600000, timeout_ms: 60000}}
proxy: {{secret: "000102030405060708090a0b0c0d0e0f"}}
limits: {{mbufs: 4096, frag_flows: 16}}
agent: {{socket: "{dir}/drain.agent"}}
"""

PCAP_HDR = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


# ------------------------------------------------------------- frames

def _sum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _ip(a):
    return bytes(int(x) for x in a.split("."))


def _mac(m):
    return bytes(int(x, 16) for x in m.split(":"))


def frame(dst_mac, payload, sport=5062):
    """Ethernet/IPv4/UDP from the client to the access port, checksums
    computed."""
    src, dst = _ip(CLI_IP), _ip(A_IP)
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, 5060, ulen, 0) + payload
    ck = 0xFFFF - _sum16(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", 0xFFFF - _sum16(ip)) + ip[12:]
    return _mac(dst_mac) + _mac(CLI_MAC) + b"\x08\x00" + ip + udp


def pcap_record(fr):
    return struct.pack("<IIII", 1700000000, 0, len(fr), len(fr)) + fr


def read_pcap(path):
    data = open(path, "rb").read()
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def udp_payload(fr):
    """(destination IPv4, UDP payload) of an IPv4/UDP frame, else None."""
    if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
        return None
    ihl = (fr[14] & 15) * 4
    dst = ".".join(str(x) for x in fr[30:34])
    return dst, fr[14 + ihl + 8:]


# ---------------------------------------------------------------- SIP

def request(label, method, cid, to_tag=None, from_tag="a", cseq=1):
    """A request from the client; label goes in its Via branch, which the
    gateway copies, so each forwarded datagram says which request it is."""
    lines = [f"{method} sip:bob@example.com SIP/2.0",
             f"Via: SIP/2.0/UDP {CLI_IP}:5062;branch=z9hG4bK-{label};rport",
             "Max-Forwards: 70",
             f"From: <sip:alice@example.com>;tag={from_tag}-{cid}",
             "To: <sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else ""),
             f"Call-ID: {cid}",
             f"CSeq: {cseq} {method}"]
    if method == "INVITE":
        lines.append(f"Contact: <sip:alice@{CLI_IP}:5062>")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def cid(k):
    return f"drain-{k}@client.test"


LABEL_RE = re.compile(rb"branch=z9hG4bK-([A-Za-z0-9.-]+);rport")


# ------------------------------------------------------------- the run

BURST = 32	# DP_BURST: the frames a worker asks the port for at once
JUNK_MAC = "02:00:00:00:99:99"


class Feed:
    """The access port's FIFO: opened once sipedge reads it (the EAL opens
    it while probing the vdev, before anything else).

    net_pcap's receive reads the file until it has the burst asked for, and
    a FIFO's read waits for data: a batch that is not a whole number of
    bursts would sit in the worker until the next batch. Each batch is
    padded with frames for another MAC (dropped at once, l2_other_host)."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def open(self, se, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and se.alive():
            try:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                os.set_blocking(self.fd, True)
                os.write(self.fd, PCAP_HDR)
                return True
            except OSError:	# ENXIO: nobody reads it yet
                time.sleep(0.05)
        return False

    def send(self, frames):
        pad = -len(frames) % BURST
        junk = frame(JUNK_MAC, b"padding")
        os.write(self.fd, b"".join(pcap_record(fr) for fr in frames + [junk] * pad))

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def wait_forwarded(c, n, timeout=20):
    """Waits until the workers have forwarded n requests to the core in
    all; returns the last snapshot."""
    end = time.monotonic() + timeout
    s = None
    while time.monotonic() < end:
        s = c.call("snapshot")
        if counters(s, "ctr", "fwd_access_to_core") >= n:
            break
        time.sleep(0.02)
    return s


def push(c, version, state):
    r1 = c.call("state.prepare", version=version, state=state)
    r2 = c.call("state.commit", version=version)
    return r1.get("ok") and r2.get("ok"), (r1, r2)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("-")]
    if len(args) != 1:
        print(__doc__)
        return 2
    binary = os.path.abspath(args[0])
    if os.geteuid() != 0:
        print("SKIP: needs root (the EAL's runtime directory, the socket's group)")
        return 77
    signal.signal(signal.SIGTERM, on_signal)
    wd = workdir()
    d = os.path.join(wd, "drain")
    os.makedirs(d)
    try:
        os.mkfifo(os.path.join(d, "in_a.fifo"))
    except OSError as e:
        print(f"SKIP: cannot make a FIFO: {e}")
        return 77
    with open(os.path.join(d, "in_c.pcap"), "wb") as f:
        f.write(PCAP_HDR)
    feed = Feed(os.path.join(d, "in_a.fifo"))
    try:
        return run(binary, wd, d, feed)
    except KeyboardInterrupt as e:
        print(f"FAIL interrupted ({e})")
        return 1
    finally:
        feed.close()
        cleanup()
        import shutil
        shutil.rmtree(wd, ignore_errors=True)


def run(binary, wd, d, feed):
    se = Sipedge(binary, wd, "drain", CONFIG)
    sock = os.path.join(d, "drain.agent")
    with Group("sipedge starts on net_pcap with a FIFO on its access port") as g:
        g.ok("the FIFO is read", feed.open(se), se.log()[-2000:])
        if not g.ok("the agent answers", se.wait_socket(sock), se.log()[-2000:]):
            return summary()
        m = re.search(r"port access0 \(net_pcap0\): ethdev \d+, MAC ([0-9A-Fa-f:]{17})", se.log())
        if not g.ok("the access port's MAC is in the log", m, se.log()[-2000:]):
            return summary()
    mac = m.group(1)
    c = Client(sock)
    sent = 0
    expect = {}		# label -> backend name, or ("as", k): Call-ID k's backend

    def batch(reqs):
        nonlocal sent
        feed.send([frame(mac, request(*r)) for r in reqs])
        sent += len(reqs)
        return wait_forwarded(c, sent)

    # batch 1: both enabled
    b1 = [(f"b1-inv-{k}", "INVITE", cid(k)) for k in range(N_CALLS)]
    batch(b1)
    for r in b1:
        expect[r[0]] = None	# learnt from the wire

    with Group("state 1: kam1 drain") as g:
        ok, rs = push(c, 1, {"backends": {"kam1": {"admin": "drain"}}})
        g.ok("pushed", ok, rs)
    b2 = []
    for k in range(N_CALLS):
        b2 += [(f"b2-bye-{k}", "BYE", cid(k), "t1", "a", 2),
               (f"b2-inv-{k}", "INVITE", cid(k), None, "n2", 1),
               (f"b2-can-{k}", "CANCEL", cid(k), None, "n2", 1),
               (f"b2-ack-{k}", "ACK", cid(k), "t9", "n2", 1)]
    batch(b2)
    for r in b2:
        # the dialog of batch 1 keeps its backend; the INVITE made during
        # the drain, its CANCEL and its (non-2xx, Route-less) ACK go to kam2
        expect[r[0]] = ("as", r[0].rsplit("-", 1)[1]) if "-bye-" in r[0] else "kam2"

    with Group("state 2: kam1 disabled") as g:
        ok, rs = push(c, 2, {"backends": {"kam1": {"admin": "disabled"}}})
        g.ok("pushed", ok, rs)
    b3 = [(f"b3-bye-{k}", "BYE", cid(k), "t1", "a", 3) for k in range(N_CALLS)]
    batch(b3)
    for r in b3:
        expect[r[0]] = "kam2"

    with Group("rollback: state 1 (kam1 drain) again") as g:
        r = c.call("state.rollback")
        g.eq("state_version", r.get("state_version"), 1)
    b4 = []
    for k in range(N_CALLS):
        b4 += [(f"b4-bye-{k}", "BYE", cid(k), "t1", "a", 4),
               (f"b4-inv-{k}", "INVITE", cid(k), None, "n4", 1)]
    batch(b4)
    for r in b4:
        expect[r[0]] = "kam2" if "-inv-" in r[0] else ("as", r[0].rsplit("-", 1)[1])

    with Group("state 3: the config's state (both enabled)") as g:
        ok, rs = push(c, 3, {})
        g.ok("pushed", ok, rs)
    b5 = [(f"b5-inv-{k}", "INVITE", cid(k), None, "n5", 1) for k in range(N_CALLS)]
    batch(b5)
    for r in b5:
        expect[r[0]] = ("as", r[0].rsplit("-", 1)[1])

    feed.close()	# EOF: the worker's reads return at once again
    snap = wait_forwarded(c, sent)
    c.close()
    rc = se.stop()
    check(se, rc, d, expect, sent, snap)
    return summary()


def check(se, rc, d, expect, sent, snap):
    with Group("sipedge exits 0 and wrote the core port's pcap") as g:
        g.eq("exit status", rc, 0)
        g.eq("sanitizer reports", se.sanitizer_reports(), [])
        g.ok("out_c.pcap", os.path.exists(os.path.join(d, "out_c.pcap")))
    where = {}		# label -> backend name
    extra = []
    by_ip = {ip: name for name, ip in KAM.items()}
    for fr in read_pcap(os.path.join(d, "out_c.pcap")):
        u = udp_payload(fr)
        if u is None:
            continue
        m = LABEL_RE.search(u[1])
        if m is None:
            continue		# a probe
        label = m.group(1).decode()
        if label in where:
            extra.append(label)
        where[label] = by_ip.get(u[0], u[0])
    base = {str(k): where.get(f"b1-inv-{k}") for k in range(N_CALLS)}

    def want(label):
        e = expect[label]
        return base.get(e[1]) if isinstance(e, tuple) else e

    with Group("every request forwarded once, none lost or doubled") as g:
        g.eq("forwarded", sorted(where), sorted(expect))
        g.eq("duplicates", extra, [])
        g.eq("requests sent", len(expect), sent)
    with Group("batch 1 (both enabled): the Call-IDs spread over both backends") as g:
        n1 = sum(1 for b in base.values() if b == "kam1")
        g.ok("kam1 has some", n1 > 0, base)
        g.ok("kam2 has some", sum(1 for b in base.values() if b == "kam2") > 0, base)
    for prefix, title in (("b2-", "batch 2 (kam1 drain): BYE to its backend; new INVITEs, their "
                                  "CANCEL and ACK to kam2"),
                          ("b3-", "batch 3 (kam1 disabled): BYE to kam2"),
                          ("b4-", "batch 4 (rolled back to drain): BYE to its backend; "
                                  "new INVITEs to kam2"),
                          ("b5-", "batch 5 (enabled again): new INVITEs to their backend of "
                                  "batch 1")):
        with Group(title) as g:
            bad = {lab: (where.get(lab), want(lab)) for lab in expect
                   if lab.startswith(prefix) and where.get(lab) != want(lab)}
            g.eq("requests not where they belong (got, want)", bad, {})
            if prefix in ("b2-", "b4-"):
                kept = [lab for lab in expect if lab.startswith(prefix) and "-inv-" not in lab
                        and want(lab) == "kam1" and where.get(lab) == "kam1"]
                g.ok("the draining kam1 still got in-dialog requests", kept)
    with Group("the snapshot's per-backend request counters match the wire") as g:
        if g.ok("snapshot", snap and snap.get("ok"), snap):
            bes = {b["name"]: b for b in snap["backends"]}
            for name in KAM:
                g.eq(f"{name} requests", bes[name]["requests"],
                     sum(1 for b in where.values() if b == name))
            g.eq("admin_changes of kam1 (drain, disabled, drain, enabled)",
                 bes["kam1"]["admin_changes"], 4)
            g.eq("kam1 back to enabled", bes["kam1"]["admin"], "enabled")


VERBOSE = "-v" in sys.argv

if __name__ == "__main__":
    sys.exit(main(sys.argv))
