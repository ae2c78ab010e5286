#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""test_agent_rules.py - rulesets and bans through the agent socket of the
real sipedge, seen on the wire (docs/agent.md "Rulesets", "Bans";
docs/dataplane.md "Rules and bans").

usage: test_agent_rules.py SIPEDGE RULES_BLOB [-v]

RULES_BLOB is tests/agent/rules_blob: a rule file parsed and compiled for
this host by the rules library, as sipedge-control does. sipedge runs on
net_pcap vdevs, as in test_drain.py: the access port reads a FIFO (SIP is
fed in batches between pushes), both ports write pcap files read back at
the end. One worker, one backend. The cases:

  upload     every bad input of rules.begin/.chunk/.load/.commit/.abort/
             .clear with its exact message: bad slot, version (0, -1, not
             above the committed one, of another upload), size (0, over
             rules.max_blob_bytes), chunks out of order (ahead, overlapping,
             negative), base64 (a bad character, a length not a multiple of
             4, padding inside), a chunk past the size, a chunk over the
             largest (and the largest taken), load before all bytes, a
             digest that does not match (and one that is not hex), a corrupt
             blob (random bytes, a real blob truncated, one byte flipped),
             commit without load and of another version, abort of nothing,
             clear of an empty slot; wrong types and missing arguments
  conns      an upload belongs to its connection: a connection closed
             mid-upload leaves nothing behind; two connections upload two
             rulesets at once, interleaved, and both commit
  verdicts   a live ruleset (drop, reject with and without a reason, ban,
             allow, count, reject of an ACK) and a shadow one: what reaches
             the backend, what the client gets back (code and reason
             phrase), the counters, the hits per rule id, rules.get, hello
  bans       a ban rule bans its source: its next requests are dropped
             before parsing, bans.list shows it (worker, rule, time),
             bans.lift lifts it; 80 bans read in pages (scan 64, limit
             3, limit 7) from cursor 0 to a null next_cursor: each once,
             the union equal to one whole-table call, cursors increasing,
             limit kept; manual bans by prefix in the state drop their
             sources and go with a state without them; every bad
             state.bans and bans.* input with its message (cursor negative,
             past the workers, past the table, not an integer; scan 0,
             negative, over 262144, not an integer)
  swap       under continuous traffic, 20 commits alternate two rulesets
             (rule 31 drops MESSAGE, then only counts it): every request
             sent is forwarded or counted dropped, none lost; rule 31's hits
             never go back and end equal to the MESSAGEs sent
  end        sipedge exits 0, no sanitizer report

One PASS/FAIL line per group, "N passed, N failed" last; exit 1 on failure,
77 (SKIP) when not root or no FIFO.
"""
import base64
import hashlib
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agentlib import (Client, Group, Sipedge, cleanup, counters, on_signal,  # noqa: E402
                      summary, workdir)
import test_drain  # noqa: E402
from test_drain import PCAP_HDR, BURST, JUNK_MAC, _mac, _sum16, read_pcap  # noqa: E402

A_IP, C_IP, KAM = "10.77.1.1", "10.77.2.1", "10.77.2.2"
CLEAN, BANNED, DENIED1, DENIED2 = "10.77.1.2", "10.77.1.3", "10.77.1.4", "10.77.1.5"
CLI_MACS = {ip: "02:00:00:00:01:%02x" % int(ip.rsplit(".", 1)[1])
            for ip in (CLEAN, BANNED, DENIED1, DENIED2)}
MAX_BLOB = 2 << 20
CHUNK_MAX = 784896	# docs/agent.md: decoded bytes of one rules.chunk

def pcap_config(node, sock, clients, extra="", limits=""):
    """The config of a sipedge whose access port reads in_a.fifo and writes
    out_a.pcap, with kam1 (10.77.2.2) behind core0: what this test and
    tests/control/test_rules.py run. clients: last octets of the access
    side's neighbours 10.77.1.x; extra: more top-level YAML; limits: more
    keys of limits (", max_line: 1500"). The text keeps
    {prefix} and {dir} for agentlib.Sipedge to fill."""
    neigh = ",\n                 ".join(
        '{{ip: 10.77.1.%d, mac: "02:00:00:00:01:%02x"}}' % (c, c) for c in clients)
    return """\
node: {{name: %s}}
eal: {{hugepages: false, memory_mb: 256, file_prefix: {prefix}}}
workers: [1]
ports:
  - name: access0
    role: access
    vdev: "net_pcap0,rx_pcap={dir}/in_a.fifo,tx_pcap={dir}/out_a.pcap"
    ipv4: 10.77.1.1/24
    neighbours: [%s]
  - name: core0
    role: core
    vdev: "net_pcap1,rx_pcap={dir}/in_c.pcap,tx_pcap={dir}/out_c.pcap"
    ipv4: 10.77.2.1/24
    neighbours: [{{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}}]
backends:
  - {{name: kam1, address: "10.77.2.2:5060"}}
probe: {{interval_ms: 600000, timeout_ms: 60000}}
proxy: {{secret: "000102030405060708090a0b0c0d0e0f"}}
limits: {{mbufs: 4096, frag_flows: 16%s}}
%sagent: {{socket: "{dir}/%s"}}
""" % (node, neigh, limits, extra, sock)


CONFIG = pcap_config("agt-rules", "rules.agent", (2, 3, 4, 5),
                     "rules: {{ban_table_size: 1024, max_blob_bytes: %d}}\n" % MAX_BLOB)

# The live ruleset of the verdicts case, rule by rule (rules/README.md's
# syntax); each rule is about one method, so every request says which
# rule it meets.
LIVE_V1 = """\
# what the verdicts case expects of each method
drop id:11 method == "MESSAGE" msg:"no instant messages here"
reject 403 "Go Away" id:12 method == "SUBSCRIBE"
ban 60 id:13 method == "PUBLISH"
allow id:14 method == "INFO"
count id:15 method == "OPTIONS"
reject 488 id:16 method == "NOTIFY"
reject 403 "Never For ACK" id:17 method == "ACK"
"""
SHADOW_V1 = """\
drop id:21 method == "INVITE" msg:"what if INVITEs were dropped"
"""
SWAP_DROP = 'drop id:31 method == "MESSAGE"\n'
SWAP_COUNT = 'count id:31 method == "MESSAGE"\nallow id:32 method == "REFER"\n'

VERBOSE = "-v" in sys.argv


# ------------------------------------------------------------- frames

def frame(dst_mac, src_ip, payload, sport=5062):
    """Ethernet/IPv4/UDP from src_ip to the access port, checksums made."""
    src = bytes(int(x) for x in src_ip.split("."))
    dst = bytes(int(x) for x in A_IP.split("."))
    ulen = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, 5060, ulen, 0) + payload
    ck = 0xFFFF - _sum16(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", 0xFFFF - _sum16(ip)) + ip[12:]
    return _mac(dst_mac) + _mac(CLI_MACS.get(src_ip, "02:00:00:00:01:fe")) + b"\x08\x00" + ip + udp


def request(label, method, src_ip=CLEAN):
    """A request whose Via branch carries label: the gateway copies the
    Via into what it forwards and into what it answers. JUNK: not SIP."""
    if method == "JUNK":
        return b"this is not SIP at all " + label.encode()
    lines = [f"{method} sip:bob@example.com SIP/2.0",
             f"Via: SIP/2.0/UDP {src_ip}:5062;branch=z9hG4bK-{label};rport",
             "Max-Forwards: 70",
             f"From: <sip:alice@example.com>;tag=f-{label}",
             "To: <sip:bob@example.com>" + (";tag=t1" if method == "ACK" else ""),
             f"Call-ID: {label}@client.test",
             f"CSeq: 1 {method}",
             "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


LABEL_RE = re.compile(rb"branch=z9hG4bK-([A-Za-z0-9.-]+);rport")


def wire(path):
    """{label: [first line, ...]} of the SIP datagrams in a pcap file."""
    out = {}
    for fr in read_pcap(path):
        if len(fr) < 42 or fr[12:14] != b"\x08\x00" or fr[23] != 17:
            continue
        ihl = (fr[14] & 15) * 4
        sip = fr[14 + ihl + 8:]
        m = LABEL_RE.search(sip)
        if m:
            out.setdefault(m.group(1).decode(), []).append(sip.split(b"\r\n", 1)[0].decode())
    return out


class Feed(test_drain.Feed):
    """The access port's FIFO, as test_drain.py feeds it, with requests from
    sources of our own."""

    mac = None

    def send(self, reqs):
        """reqs: (label, method, src_ip); padded to whole bursts (a kick
        alone when there are none). Returns the frames written."""
        frames = [frame(self.mac, src, request(lab, meth, src)) for lab, meth, src in reqs]
        pad = -len(frames) % BURST or (BURST if not frames else 0)
        super().send(frames + [frame(JUNK_MAC, CLEAN, b"padding")] * pad)
        return len(frames) + pad

    def kick(self):
        """One burst of padding: the worker waits inside its read of the
        FIFO, so a message from the main lcore (a lifted ban) is taken at
        the top of its next loop, after the next burst."""
        return self.send([])


# ------------------------------------------------------------ helpers

class Rules:
    """Rule files compiled by RULES_BLOB into blobs."""

    def __init__(self, tool, d):
        self.tool, self.d, self.n = tool, d, 0

    def blob(self, text):
        self.n += 1
        src = os.path.join(self.d, f"r{self.n}.rules")
        out = os.path.join(self.d, f"r{self.n}.blob")
        with open(src, "w") as f:
            f.write(text)
        r = subprocess.run([self.tool, src, out], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"rules_blob {src}: {r.stderr.strip()}")
        with open(out, "rb") as f:
            return f.read()


def b64(b):
    return base64.b64encode(b).decode()


def upload(c, slot, version, blob, chunk=65536, commit=True):
    """begin, chunks, load (and commit): the replies, stopping at the first
    error."""
    rs = [c.call("rules.begin", slot=slot, version=version, size=len(blob))]
    for off in range(0, len(blob), chunk):
        if not rs[-1].get("ok"):
            return rs
        rs.append(c.call("rules.chunk", version=version, off=off, data=b64(blob[off:off + chunk])))
    if rs[-1].get("ok"):
        rs.append(c.call("rules.load", version=version, sha256=hashlib.sha256(blob).hexdigest()))
    if commit and rs[-1].get("ok"):
        rs.append(c.call("rules.commit", version=version))
    return rs


def ok_all(rs):
    return all(r and r.get("ok") for r in rs)


def snap_ctr(c, name, group="ctr"):
    return counters(c.call("snapshot"), group, name)


def wait_for(c, pred, timeout=20):
    """Polls the snapshot until pred(snapshot) holds; returns the last."""
    end = time.monotonic() + timeout
    s = None
    while time.monotonic() < end:
        s = c.call("snapshot")
        if pred(s):
            return s
        time.sleep(0.02)
    return s


def done_pkts(s):
    """Frames the workers have finished with (dispatch timed after the
    last stage: counted, sent or freed); rx_pkts is counted before."""
    return sum(w["stage"]["dispatch"]["pkts"] for w in s["workers"])


def settle(c, s0, n):
    """Waits until n more frames than at snapshot s0 are done with; returns
    a snapshot taken after that (one snapshot reads the counters before the
    stage timings: the one that saw the frames done may have read the
    counters a moment before)."""
    wait_for(c, lambda s: done_pkts(s) >= done_pkts(s0) + n)
    return c.call("snapshot")


def err_of(r):
    return r.get("error") if r and not r.get("ok") else f"not an error: {r!r}"


# ---------------------------------------------------------- the cases

def case_upload(c, rules):
    good = rules.blob(LIVE_V1)
    sha = hashlib.sha256(good).hexdigest()
    bad_sha = hashlib.sha256(good + b"x").hexdigest()
    rows = []

    def row(what, req, want):
        rows.append((what, req, want))

    # begin
    row("slot unknown", ("rules.begin", dict(slot="both", version=1, size=10)),
        'slot: "both" is not live or shadow')
    row("slot in capitals", ("rules.begin", dict(slot="LIVE", version=1, size=10)),
        'slot: "LIVE" is not live or shadow')
    row("slot not a string", ("rules.begin", dict(slot=1, version=1, size=10)),
        "slot: expected a string, found an integer 1")
    row("version 0", ("rules.begin", dict(slot="live", version=0, size=10)),
        "version: 0 is not greater than 0, the highest committed to the live slot "
        "(versions are not reused)")
    row("version -1", ("rules.begin", dict(slot="shadow", version=-1, size=10)),
        "version: -1 is not greater than 0, the highest committed to the shadow slot")
    row("version a string", ("rules.begin", dict(slot="live", version="1", size=10)),
        'version: expected an integer, found a string "1"')
    row("size 0", ("rules.begin", dict(slot="live", version=1, size=0)),
        f"size: 0 out of range [1, {MAX_BLOB}] (rules.max_blob_bytes)")
    row("size over rules.max_blob_bytes", ("rules.begin", dict(slot="live", version=1,
                                                                size=MAX_BLOB + 1)),
        f"size: {MAX_BLOB + 1} out of range [1, {MAX_BLOB}] (rules.max_blob_bytes)")
    row("size missing", ("rules.begin", dict(slot="live", version=1)),
        'rules.begin: missing argument "size" (an integer)')
    row("an unknown argument", ("rules.begin", dict(slot="live", version=1, size=1, sha=1)),
        'rules.begin: unknown argument "sha"')
    # chunk/load/commit/abort with nothing begun
    row("chunk without begin", ("rules.chunk", dict(version=1, off=0, data="")),
        "version: 1: no upload on this connection (rules.begin first)")
    row("load without begin", ("rules.load", dict(version=1, sha256=sha)),
        "version: 1: no upload on this connection (rules.begin first)")
    row("commit without begin", ("rules.commit", dict(version=1)),
        "version: 1: no upload on this connection (rules.begin first)")
    row("abort of nothing", ("rules.abort", dict(version=1)),
        "version: 1: no upload on this connection (rules.begin first)")
    row("clear: slot unknown", ("rules.clear", dict(slot="all")),
        'slot: "all" is not live or shadow')
    with Group("upload: bad input before any upload, each with its message") as g:
        for what, (cmd, args), want in rows:
            g.has(what, err_of(c.call(cmd, **args)), want)
        r = c.call("rules.clear", slot="shadow")
        g.eq("clear of an empty slot: previous null", (r.get("ok"), r.get("previous", 0)),
             (True, None))

    with Group("upload: chunks in order, base64, sizes, digest, load, commit") as g:
        r = c.call("rules.begin", slot="live", version=1, size=len(good))
        g.eq("begin", (r.get("ok"), r.get("slot"), r.get("version"), r.get("size"),
                       r.get("chunk_max")), (True, "live", 1, len(good), CHUNK_MAX))
        half = len(good) // 2 // 3 * 3
        g.has("chunk ahead", err_of(c.call("rules.chunk", version=1, off=3, data="AAAA")),
              f"off: 3 is not 0, the bytes received so far (chunks come in order)")
        g.has("chunk of another version", err_of(c.call("rules.chunk", version=2, off=0,
                                                         data="")),
              "version: 2 is not the upload in progress (1)")
        g.has("negative off", err_of(c.call("rules.chunk", version=1, off=-1, data="")),
              "off: -1 is not 0")
        g.has("a bad character", err_of(c.call("rules.chunk", version=1, off=0,
                                                data="AAAA*AAA")),
              "data: not base64 at character 4")
        g.has("padding inside", err_of(c.call("rules.chunk", version=1, off=0,
                                               data="AA==AAAA")),
              "data: not base64 at character 2")
        g.has("not a multiple of 4", err_of(c.call("rules.chunk", version=1, off=0,
                                                    data="AAAAA")),
              "data: 5 characters: base64 comes in groups of 4 (padded with =)")
        g.has("data not a string", err_of(c.call("rules.chunk", version=1, off=0, data=5)),
              "data: expected a string, found an integer 5")
        g.has("past the size", err_of(c.call("rules.chunk", version=1, off=0,
                                              data=b64(good + b"xyz"))),
              f"data: {len(good) + 3} bytes at off 0 go past the size of {len(good)} "
              f"given to rules.begin")
        r = c.call("rules.chunk", version=1, off=0, data=b64(good[:half]))
        g.eq("first half", (r.get("ok"), r.get("got")), (True, half))
        g.has("overlapping chunk", err_of(c.call("rules.chunk", version=1, off=half - 3,
                                                  data=b64(good[half - 3:]))),
              f"off: {half - 3} is not {half}, the bytes received so far")
        g.has("load before every byte", err_of(c.call("rules.load", version=1, sha256=sha)),
              f"version: 1: {half} of {len(good)} bytes received")
        g.has("commit before load", err_of(c.call("rules.commit", version=1)),
              f"version: 1 is not loaded yet ({half} of {len(good)} bytes received; "
              f"rules.load next)")
        r = c.call("rules.chunk", version=1, off=half, data=b64(good[half:]))
        g.eq("second half", (r.get("ok"), r.get("got")), (True, len(good)))
        g.has("sha256 not hex", err_of(c.call("rules.load", version=1, sha256="xyz")),
              'sha256: "xyz" is not 64 hex digits')
        g.has("sha256 63 digits", err_of(c.call("rules.load", version=1, sha256=sha[:63])),
              "is not 64 hex digits")
        g.has("sha256 of other bytes", err_of(c.call("rules.load", version=1, sha256=bad_sha)),
              f'sha256: "{bad_sha}" does not match the bytes received ({sha}); the upload '
              f"is dropped")
        g.has("the upload went with it", err_of(c.call("rules.load", version=1, sha256=sha)),
              "no upload on this connection")
        rs = upload(c, "live", 1, good, chunk=999, commit=False)
        g.ok("again in chunks of 999 bytes, loaded", ok_all(rs), rs[-1])
        g.eq("n_rules", rs[-1].get("n_rules"), 7)
        g.ok("load_ms", isinstance(rs[-1].get("load_ms"), float), rs[-1])
        g.has("chunk after load", err_of(c.call("rules.chunk", version=1, off=len(good),
                                                 data="")),
              "version: 1 is loaded already (rules.commit or rules.abort next)")
        g.has("load twice", err_of(c.call("rules.load", version=1, sha256=sha)),
              "version: 1 is loaded already")
        g.has("commit of another version", err_of(c.call("rules.commit", version=2)),
              "version: 2 is not the upload in progress (1)")
        r = c.call("rules.get")
        g.eq("loaded is not in force", r.get("live"), None)
        r = c.call("rules.abort", version=1)
        g.eq("abort of a loaded set", (r.get("ok"), r.get("dropped")), (True, "loaded"))
        g.has("nothing left", err_of(c.call("rules.commit", version=1)), "no upload")

    with Group("upload: corrupt blobs refused at load, the slot untouched") as g:
        flipped = bytearray(good)
        flipped[len(good) // 2] ^= 0x40
        rnd = random.Random(7).randbytes(4096)
        for what, blob in (("random bytes", rnd), ("truncated", good[:len(good) - 17]),
                           ("one byte flipped", bytes(flipped)), ("one byte", b"\0")):
            rs = upload(c, "live", 2, blob, commit=False)
            e = err_of(rs[-1])
            g.has(what, e, "ruleset 2 refused: ", "; the upload is dropped")
            g.ok(f"{what}: a reason given", len(e) > len("ruleset 2 refused: ; the upload "
                                                           "is dropped") + 5, e)
        g.eq("nothing in force", c.call("rules.get").get("live"), None)
        r = c.call("rules.abort", version=2)
        g.has("abort after a refused load", err_of(r), "no upload on this connection")

    with Group("upload: the largest chunk is taken, one more character is not") as g:
        big = bytes(range(256)) * (CHUNK_MAX // 256) + bytes(CHUNK_MAX % 256)
        r = c.call("rules.begin", slot="shadow", version=9, size=CHUNK_MAX)
        g.eq("begin", r.get("ok"), True)
        data = b64(big)
        g.has("one group of 4 more", err_of(c.call("rules.chunk", version=9, off=0,
                                                    data=data + "AAAA")),
              f"data: {len(data) + 4} characters, more than a chunk's {len(data)} "
              f"({CHUNK_MAX} bytes)")
        r = c.call("rules.chunk", version=9, off=0, data=data)
        g.eq("the largest, in a line under 1 MiB", (r.get("ok"), r.get("got")), (True, CHUNK_MAX))
        r = c.call("rules.begin", slot="shadow", version=9, size=10)
        g.eq("a new begin replaces the upload", (r.get("ok"), r.get("size")), (True, 10))
        g.eq("abort of an upload", c.call("rules.abort", version=9).get("dropped"), "upload")
    return good


def case_conns(sock, c, rules, good):
    with Group("connections: an upload closed mid-way leaves nothing; two at once") as g:
        x = Client(sock)
        r = x.call("rules.begin", slot="live", version=3, size=len(good))
        x.call("rules.chunk", version=3, off=0, data=b64(good[:300]))
        x.close()
        y = Client(sock)
        g.has("another connection does not see it",
              err_of(y.call("rules.chunk", version=3, off=300, data=b64(good[300:600]))),
              "version: 3: no upload on this connection")
        # a loaded set on a connection that closes goes too
        rs = upload(y, "live", 4, good, commit=False)
        g.ok("loaded on y", ok_all(rs), rs[-1])
        y.close()
        time.sleep(0.2)
        g.eq("y's loaded set never reached a slot", c.call("rules.get").get("live"), None)
        # two uploads at once, interleaved chunk by chunk
        shadow = rules.blob(SHADOW_V1)
        a, b = Client(sock), Client(sock)
        ra = [a.call("rules.begin", slot="live", version=5, size=len(good))]
        rb = [b.call("rules.begin", slot="shadow", version=5, size=len(shadow))]
        step = 600
        for off in range(0, max(len(good), len(shadow)), step):
            if off < len(good):
                ra.append(a.call("rules.chunk", version=5, off=off, data=b64(good[off:off + step])))
            if off < len(shadow):
                rb.append(b.call("rules.chunk", version=5, off=off,
                                 data=b64(shadow[off:off + step])))
        ra.append(a.call("rules.load", version=5, sha256=hashlib.sha256(good).hexdigest()))
        rb.append(b.call("rules.load", version=5, sha256=hashlib.sha256(shadow).hexdigest()))
        ra.append(a.call("rules.commit", version=5))
        rb.append(b.call("rules.commit", version=5))
        g.ok("live upload", ok_all(ra), ra[-1])
        g.ok("shadow upload", ok_all(rb), rb[-1])
        g.eq("live commit", (ra[-1].get("slot"), ra[-1].get("version"),
                             ra[-1].get("previous", 0)), ("live", 5, None))
        g.eq("shadow commit", (rb[-1].get("slot"), rb[-1].get("version")), ("shadow", 5))
        r = c.call("rules.get")
        g.eq("rules.get live", {k: r.get("live", {}).get(k) for k in ("version", "sha256",
                                                                     "n_rules")},
             {"version": 5, "sha256": hashlib.sha256(good).hexdigest(), "n_rules": 7})
        g.eq("rules.get shadow", (r.get("shadow") or {}).get("n_rules"), 1)
        g.eq("highest versions", r.get("highest_version"), {"live": 5, "shadow": 5})
        g.has("a version not above the committed one",
              err_of(a.call("rules.begin", slot="live", version=5, size=10)),
              "version: 5 is not greater than 5, the highest committed to the live slot")
        h = c.call("hello", proto=1)
        g.eq("hello: rules", h.get("rules"), {
            "live": {"version": 5, "sha256": hashlib.sha256(good).hexdigest()},
            "shadow": {"version": 5, "sha256": hashlib.sha256(shadow).hexdigest()}})
        hs = h.get("hyperscan", {})
        g.ok("hello: hyperscan version", re.match(r"\d+\.\d+", hs.get("version", "")), hs)
        g.ok("hello: cpu_features, tune", isinstance(hs.get("cpu_features"), int) and
             isinstance(hs.get("tune"), int), hs)
        a.close()
        b.close()


def case_verdicts(c, feed, d):
    """Live v5 (LIVE_V1) and shadow v5 (SHADOW_V1) are in force."""
    reqs = [("v-msg-1", "MESSAGE", CLEAN), ("v-msg-2", "MESSAGE", CLEAN),
            ("v-sub-1", "SUBSCRIBE", CLEAN), ("v-sub-2", "SUBSCRIBE", CLEAN),
            ("v-not-1", "NOTIFY", CLEAN), ("v-inf-1", "INFO", CLEAN),
            ("v-opt-1", "OPTIONS", CLEAN), ("v-inv-1", "INVITE", CLEAN),
            ("v-inv-2", "INVITE", CLEAN), ("v-inv-3", "INVITE", CLEAN),
            ("v-ack-1", "ACK", CLEAN), ("v-pub-1", "PUBLISH", BANNED)]
    s0 = c.call("snapshot")
    n = feed.send(reqs)
    s = settle(c, s0, n)

    def delta(group, name):
        return counters(s, group, name) - counters(s0, group, name)

    with Group("verdicts: counters of the live and the shadow ruleset") as g:
        want = {("ctr", "rules_evaluated"): 12, ("ctr", "rules_dropped"): 2,
                ("ctr", "rules_rejected"): 4, ("ctr", "rules_banned"): 1,
                ("ctr", "rules_allowed"): 1, ("ctr", "rules_replies"): 3,
                ("ctr", "rules_eval_errors"): 0,
                ("drop", "rule_drop"): 2, ("drop", "rule_ban"): 1, ("drop", "rule_reject_ack"): 1,
                ("ctr", "shadow_evaluated"): 12, ("ctr", "shadow_would_drop"): 3,
                ("ctr", "shadow_would_allow"): 0, ("ctr", "ban_inserts"): 1,
                ("ctr", "fwd_access_to_core"): 5}
        for (grp, name), v in want.items():
            g.eq(f"{grp}.{name}", delta(grp, name), v)
        hits = s.get("rules", {})
        g.eq("live version and hits per rule id", hits.get("live"), {
            "version": 5, "hits": {"11": [2], "12": [2], "13": [1], "14": [1], "15": [1],
                                   "16": [1], "17": [1]}})
        g.eq("shadow hits", hits.get("shadow"), {"version": 5, "hits": {"21": [3]}})
        g.eq("bans in the snapshot", s.get("bans"), {"dynamic": [1], "manual": 0})
    return reqs


def case_bans(c, feed, se):
    with Group("bans: a ban rule's source is dropped before parsing; listed; lifted") as g:
        r = c.call("bans.list", limit=10)
        dyn = r.get("dynamic", [])
        g.eq("one dynamic ban", [(b["ip"], b["worker"], b["rule"]) for b in dyn],
             [(BANNED, 0, 13)])
        g.ok("seconds left", dyn and 55 <= dyn[0]["expires_in_s"] <= 60, dyn)
        g.eq("totals", (r.get("dynamic_total"), r.get("manual"), r.get("manual_total")),
             (1, [], 0))
        s0 = c.call("snapshot")
        n = feed.send([("b-inv-1", "INVITE", BANNED), ("b-inv-2", "INVITE", BANNED),
                       ("b-junk-1", "JUNK", BANNED), ("b-inv-3", "INVITE", CLEAN)])
        s = settle(c, s0, n)
        g.eq("drop_banned: even what would not parse",
             counters(s, "drop", "banned") - counters(s0, "drop", "banned"), 3)
        g.eq("not parsed", counters(s, "ctr", "sip_requests") - counters(s0, "ctr", "sip_requests"), 1)
        r = c.call("bans.lift", ip=BANNED)
        g.eq("bans.lift", (r.get("ok"), r.get("ip"), r.get("workers")), (True, BANNED, [0]))
        feed.kick()
        s = wait_for(c, lambda s: counters(s, "ctr", "bans_lifted") >= 1)
        g.eq("bans_lifted", counters(s, "ctr", "bans_lifted"), 1)
        g.eq("the table is empty", c.call("bans.list", limit=10).get("dynamic"), [])
        g.has("lift again", err_of(c.call("bans.lift", ip=BANNED)),
              f'ip: "{BANNED}" has no dynamic ban (a manual ban goes with a state that no '
              f"longer lists it)")
        s0 = c.call("snapshot")
        n = feed.send([("b-inv-4", "INVITE", BANNED)])
        s = settle(c, s0, n)
        g.eq("forwarded again", counters(s, "ctr", "fwd_access_to_core") -
             counters(s0, "ctr", "fwd_access_to_core"), 1)

    bad = [(dict(limit=0), "limit: 0 out of range [1, 10000]"),
           (dict(limit=10001), "limit: 10001 out of range [1, 10000]"),
           (dict(limit="5"), 'limit: expected an integer, found a string "5"'),
           (dict(), 'bans.list: missing argument "limit" (an integer)'),
           (dict(limit=5, cursor=-1), "cursor: -1 is not worker << 32 | slot of a table here "
            "(workers 0..0, slots 0..1023; next_cursor of the previous reply)"),
           (dict(limit=5, cursor=1 << 32), f"cursor: {1 << 32} is not worker << 32 | slot"),
           (dict(limit=5, cursor=1024), "cursor: 1024 is not worker << 32 | slot"),
           (dict(limit=5, cursor=-(1 << 63)), f"cursor: {-(1 << 63)} is not worker"),
           (dict(limit=5, cursor="0"), 'cursor: expected an integer, found a string "0"'),
           (dict(limit=5, cursor=1.5), "cursor: expected an integer, found a real"),
           (dict(limit=5, cursor=None), "cursor: expected an integer, found null"),
           (dict(limit=5, scan=0), "scan: 0 out of range [1, 262144]"),
           (dict(limit=5, scan=-3), "scan: -3 out of range [1, 262144]"),
           (dict(limit=5, scan=262145), "scan: 262145 out of range [1, 262144]"),
           (dict(limit=5, scan=[64]), "scan: expected an integer, found an array"),
           (dict(limit=5, cursor=0, scan=64, page=1), 'bans.list: unknown argument "page"')]
    bad_lift = [(dict(ip="10.77.1"), 'ip: "10.77.1" is not an IPv4 or IPv6 address'),
                (dict(ip="10.77.1.3/32"), 'ip: "10.77.1.3/32" is not an IPv4 or IPv6 address'),
                (dict(ip=""), 'ip: "" is not an IPv4 or IPv6 address'),
                (dict(ip=" 10.77.1.3"), 'is not an IPv4 or IPv6 address'),
                (dict(ip=3), "ip: expected a string, found an integer 3"),
                (dict(ip="2001:db8::9"), 'ip: "2001:db8::9" has no dynamic ban')]
    with Group("bans: bad bans.list and bans.lift input, each with its message") as g:
        for args, want in bad:
            g.has(repr(args), err_of(c.call("bans.list", **args)), want)
        for args, want in bad_lift:
            g.has(repr(args), err_of(c.call("bans.lift", **args)), want)

    case_bans_paging(c, feed)

    states = [
        ({"bans": {}}, "state.bans: expected an array, found an object"),
        ({"bans": ["10.0.0.0/8"]}, 'state.bans[0]: expected an object, found a string "10.0.0.0/8"'),
        ({"bans": [{"prefix": "10.0.0.0/8", "until": 5}]},
         'state.bans[0]: unknown key "until" (a ban has prefix and expires)'),
        ({"bans": [{"expires": 0}]}, 'state.bans[0]: missing "prefix" (a string such as "192.0.2.0/24")'),
        ({"bans": [{"prefix": 10}]}, "state.bans[0].prefix: expected a string, found an integer 10"),
        ({"bans": [{"prefix": "10.0.0.0/x"}]}, 'state.bans[0].prefix: "10.0.0.0/x" is not an address/length'),
        ({"bans": [{"prefix": "10.0.0.0/33"}]}, 'state.bans[0].prefix: "10.0.0.0/33" length 33 out of range [1, 32]'),
        ({"bans": [{"prefix": "2001:db8::/0"}]}, 'length 0 out of range [1, 128]'),
        ({"bans": [{"prefix": "10.0.0.1/8"}]}, 'state.bans[0].prefix: "10.0.0.1/8" has bits set past /8 (10.0.0.0/8?)'),
        ({"bans": [{"prefix": "10.0.0.0/8", "expires": "0"}]}, 'state.bans[0].expires: expected an integer, found a string "0"'),
        ({"bans": [{"prefix": "10.0.0.0/8", "expires": -1}]}, "state.bans[0].expires: -1 is negative (Unix seconds; 0: never)"),
        ({"bans": [{"prefix": "10.0.0.0/8"}, {"prefix": "10.1.0.0/16"}, {"prefix": "10.0.0.0/8", "expires": 9}]},
         'state.bans[2].prefix: "10.0.0.0/8" repeats state.bans[0]'),
        ({"bans": [{}] * 65537}, "state.bans: 65537 prefixes, at most 65536"),
        ({"bands": []}, 'state: unknown key "bands" (a state holds "backends" and "bans")'),
    ]
    with Group("bans: bad state.bans, each with its message; nothing staged") as g:
        for st, want in states:
            g.has(want[:40], err_of(c.call("state.prepare", version=50, state=st)), want)
        g.eq("nothing staged", c.call("state.get").get("staged_version", 0), None)

    with Group("bans: manual bans by prefix drop their sources; a state without them lifts them") as g:
        many = [{"prefix": f"2001:db8:{i:x}::/48", "expires": 0} for i in range(3000)]
        st = {"bans": [{"prefix": "10.77.1.4/31"}, {"prefix": "192.0.2.0/24", "expires": 1}] + many}
        r1 = c.call("state.prepare", version=1, state=st)
        r2 = c.call("state.commit", version=1)
        g.eq("pushed", (r1.get("ok"), r1.get("bans"), r2.get("ok")), (True, 3002, True))
        r = c.call("bans.list", limit=2)
        g.eq("bans.list: manual in force (the expired one left out), cut at limit",
             (r.get("manual"), r.get("manual_total")),
             ([{"prefix": "10.77.1.4/31", "expires": 0},
               {"prefix": "2001:db8::/48", "expires": 0}], 3001))
        gs = c.call("state.get").get("state", {})
        g.eq("state.get shows them", len(gs.get("bans", [])), 3002)
        s0 = c.call("snapshot")
        g.eq("snapshot: manual count", s0.get("bans", {}).get("manual"), 3002)
        n = feed.send([("m-inv-1", "INVITE", DENIED1), ("m-inv-2", "INVITE", DENIED2),
                       ("m-inv-3", "INVITE", CLEAN)])
        s = settle(c, s0, n)
        g.eq("drop_denied", counters(s, "drop", "denied") - counters(s0, "drop", "denied"), 2)
        g.eq("the clean source forwarded", counters(s, "ctr", "fwd_access_to_core") -
             counters(s0, "ctr", "fwd_access_to_core"), 1)
        r1 = c.call("state.prepare", version=2, state={})
        r2 = c.call("state.commit", version=2)
        g.eq("a state without bans", (r1.get("bans"), r2.get("ok")), (0, True))
        s0 = c.call("snapshot")
        n = feed.send([("m-inv-4", "INVITE", DENIED1)])
        s = settle(c, s0, n)
        g.eq("no longer denied", counters(s, "drop", "denied") - counters(s0, "drop", "denied"), 0)
        r = c.call("state.rollback")
        g.eq("rollback to state 1", r.get("state_version"), 1)
        s0 = c.call("snapshot")
        n = feed.send([("m-inv-5", "INVITE", DENIED2)])
        s = settle(c, s0, n)
        g.eq("denied again after the rollback", counters(s, "drop", "denied") -
             counters(s0, "drop", "denied"), 1)
        r1 = c.call("state.prepare", version=3, state={})
        g.eq("and gone again", (r1.get("ok"), c.call("state.commit", version=3).get("ok")),
             (True, True))


def case_swap(c, feed, rules, sock):
    blobs = [rules.blob(SWAP_DROP), rules.blob(SWAP_COUNT)]
    sent, frames = [], [0]
    stop = threading.Event()
    err = []

    def feeder():
        k = 0
        try:
            while not stop.is_set():
                batch = []
                for _ in range(2):
                    batch += [(f"s-msg-{k}", "MESSAGE", CLEAN), (f"s-inv-{k}", "INVITE", CLEAN),
                              (f"s-ref-{k}", "REFER", CLEAN)]
                    k += 1
                frames[0] += feed.send(batch)
                sent.extend(batch)
                time.sleep(0.005)
        except OSError as e:
            err.append(e)

    s0 = c.call("snapshot")
    h0 = s0["rules"]["live"]["hits"].get("31", [0])[0]
    pusher = Client(sock)
    # the first before any traffic: every MESSAGE of the run meets rule 31
    results, seen = [upload(pusher, "live", 100, blobs[0])], []
    t = threading.Thread(target=feeder)
    t.start()
    try:
        for i in range(1, 20):
            results.append(upload(pusher, "live", 100 + i, blobs[i % 2]))
            s = c.call("snapshot")
            seen.append(s["rules"]["live"]["hits"].get("31", [0])[0])
            time.sleep(0.05)
    finally:
        stop.set()
        t.join()
        pusher.close()
    n_msg = sum(1 for r in sent if r[1] == "MESSAGE")
    n_all = len(sent)
    # every frame the feeder wrote (requests and padding) done with, then
    # the counters read after that
    s = settle(c, s0, frames[0])

    def delta(group, name):
        return counters(s, group, name) - counters(s0, group, name)

    with Group("swap: 20 commits under traffic, none lost; hits never go back") as g:
        g.eq("feeder errors", err, [])
        g.ok("every push committed", all(ok_all(r) for r in results),
             [r[-1] for r in results if not ok_all(r)][:2])
        g.eq("rules_commits", delta("ctr", "rules_commits"), 20)
        g.eq("the last version in force", c.call("rules.get")["live"]["version"], 119)
        g.eq("every request evaluated once", delta("ctr", "rules_evaluated"), n_all)
        g.eq("forwarded + dropped by rule 31 = sent",
             delta("ctr", "fwd_access_to_core") + delta("drop", "rule_drop"), n_all)
        g.ok("both versions were in force while it flowed",
             0 < delta("drop", "rule_drop") < n_msg, (delta("drop", "rule_drop"), n_msg))
        g.eq("no other drop", {k: delta("drop", k) for k in s["workers"][0]["drop"]
                               if k not in ("rule_drop", "l2_other_host") and delta("drop", k)},
             {})
        g.ok("rule 31's hits never went back", seen == sorted(seen), seen)
        g.eq("rule 31's hits = MESSAGEs sent", s["rules"]["live"]["hits"]["31"][0] - h0, n_msg)
        r = c.call("rules.get")
        g.ok("the old sets retired", r.get("retiring", 99) <= 1, r)
        g.ok("rule 32 counted in the versions that have it",
             0 < s["rules"]["live"]["hits"].get("32", [0])[0] <= n_all // 3)
    return sent


def case_wire(d, verdict_reqs, swap_sent):
    fwd = wire(os.path.join(d, "out_c.pcap"))
    back = wire(os.path.join(d, "out_a.pcap"))
    with Group("the wire: what reached the backend, what the client got back") as g:
        for lab, meth, src in verdict_reqs:
            f, b = fwd.get(lab, []), back.get(lab, [])
            if meth in ("INFO", "OPTIONS", "INVITE"):
                g.eq(f"{lab} forwarded once", (len(f), b), (1, []))
            elif meth == "SUBSCRIBE":
                g.eq(f"{lab} answered 403 with the rule's reason", (f, b), ([], ["SIP/2.0 403 Go Away"]))
            elif meth == "NOTIFY":
                g.eq(f"{lab} answered 488 with the code's phrase", (f, b),
                     ([], ["SIP/2.0 488 Not Acceptable Here"]))
            else:
                g.eq(f"{lab} ({meth}) neither forwarded nor answered", (f, b), ([], []))
        for lab in ("b-inv-1", "b-inv-2", "m-inv-1", "m-inv-2", "m-inv-5"):
            g.eq(f"{lab}: banned or denied, not forwarded", fwd.get(lab), None)
        for lab in ("b-inv-3", "b-inv-4", "m-inv-3", "m-inv-4"):
            g.eq(f"{lab}: forwarded", len(fwd.get(lab, [])), 1)
        msg_fwd = sum(1 for lab, meth, _ in swap_sent if meth == "MESSAGE" and lab in fwd)
        other = [lab for lab, meth, _ in swap_sent if meth != "MESSAGE" and len(fwd.get(lab, [])) != 1]
        g.eq("swap: every INVITE and REFER forwarded once", other, [])
        g.ok("swap: some MESSAGEs forwarded (count version), some not (drop version)",
             0 < msg_fwd < sum(1 for r in swap_sent if r[1] == "MESSAGE"), msg_fwd)


PAGED = [f"10.77.1.{i}" for i in range(100, 180)]	# 80 sources banned for the paging case
TABLE = 1024						# CONFIG's rules.ban_table_size


def pages(c, **args):
    """bans.list from cursor 0 until next_cursor is null: the replies."""
    rs, cursor = [], 0
    while cursor is not None and len(rs) <= TABLE:
        r = c.call("bans.list", cursor=cursor, **args)
        rs.append(r)
        cursor = r.get("next_cursor") if r.get("ok") else None
    return rs


def case_bans_paging(c, feed):
    """80 sources banned by rule 13 (PUBLISH), read back in one call and in
    pages of 64 slots (and of 3 bans)."""
    s0 = c.call("snapshot")
    n = feed.send([(f"p-pub-{i}", "PUBLISH", ip) for i, ip in enumerate(PAGED)])
    s = settle(c, s0, n)
    with Group("bans.list in pages: each ban once, the union the whole table") as g:
        g.eq("80 bans made, none evicted",
             (counters(s, "ctr", "ban_inserts") - counters(s0, "ctr", "ban_inserts"),
              counters(s, "ctr", "ban_table_evictions") - counters(s0, "ctr", "ban_table_evictions")),
             (80, 0))
        whole = c.call("bans.list", limit=10000)
        g.eq("one call: all 80, dynamic_total 80, next_cursor null",
             (sorted(b["ip"] for b in whole.get("dynamic", [])), whole.get("dynamic_total"),
              whole.get("next_cursor", "absent")), (sorted(PAGED), 80, None))
        for what, args, n_pages in (("scan 64", dict(limit=10000, scan=64), TABLE // 64),
                                    ("scan 64, limit 3", dict(limit=3, scan=64), None),
                                    ("limit 7, no scan", dict(limit=7), 80 // 7 + 1)):
            rs = pages(c, **args)
            seen = [b["ip"] for r in rs for b in r.get("dynamic", [])]
            cursors = [r.get("next_cursor") for r in rs]
            g.eq(f"{what}: every page ok", [r.get("error") for r in rs if not r.get("ok")], [])
            g.eq(f"{what}: each ban once", sorted(seen), sorted(PAGED))
            g.eq(f"{what}: the same entries as the one call",
                 sorted(b for r in rs for b in map(tuple, (sorted(x.items()) for x in r["dynamic"]))),
                 sorted(tuple(sorted(x.items())) for x in whole.get("dynamic", [])))
            g.ok(f"{what}: next_cursor strictly increasing, null last",
                 cursors[-1] is None and all(0 < a < b for a, b in zip(cursors, cursors[1:-1])) and
                 all(isinstance(x, int) for x in cursors[:-1]), cursors)
            g.ok(f"{what}: at most limit a page",
                 max(len(r["dynamic"]) for r in rs) <= args["limit"], [len(r["dynamic"]) for r in rs])
            g.ok(f"{what}: dynamic_total 80 on every page",
                 {r.get("dynamic_total") for r in rs} == {80}, [r.get("dynamic_total") for r in rs])
            if n_pages is not None:
                g.eq(f"{what}: pages", len(rs), n_pages)
        r = c.call("bans.list", limit=10000, cursor=TABLE - 1, scan=262144)
        g.eq("from the last slot: next_cursor null",
             (r.get("ok"), r.get("next_cursor", "absent")), (True, None))
        r = c.call("bans.list", limit=10000, cursor=0, scan=1)
        g.eq("scan 1: next_cursor 1", (r.get("ok"), r.get("next_cursor")), (True, 1))


def lab(binary, wd):
    """sipedge on its vdevs, the access port's FIFO open and its MAC
    known: (sipedge, directory, feed, socket path), or None (SKIP when no
    FIFO can be made, else a failed group says why)."""
    d = os.path.join(wd, "rules")
    os.makedirs(d)
    fifo, sock = os.path.join(d, "in_a.fifo"), os.path.join(d, "rules.agent")
    try:
        os.mkfifo(fifo)
    except OSError as e:
        print(f"SKIP: cannot make a FIFO: {e}")
        return None
    with open(os.path.join(d, "in_c.pcap"), "wb") as f:
        f.write(PCAP_HDR)
    feed = Feed(fifo)
    se = Sipedge(binary, wd, "rules", CONFIG)
    with Group("sipedge starts on net_pcap with a FIFO on its access port") as g:
        up = g.ok("the FIFO is read", feed.open(se), se.log()[-2000:]) and \
            g.ok("the agent answers", se.wait_socket(sock), se.log()[-2000:])
        m = re.search(r"port access0 \(net_pcap0\): ethdev \d+, MAC ([0-9A-Fa-f:]{17})",
                      se.log())
        if not (up and g.ok("the access port's MAC is in the log", m, se.log()[-2000:])):
            feed.close()
            return False
    feed.mac = m.group(1)
    return se, d, feed, sock


def run(binary, tool, wd):
    started = lab(binary, wd)
    if not started:
        return 77 if started is None else summary()
    se, d, feed, sock = started
    try:
        rules = Rules(tool, d)
        c = Client(sock, timeout=30)
        good = case_upload(c, rules)
        case_conns(sock, c, rules, good)
        verdict_reqs = case_verdicts(c, feed, d)
        case_bans(c, feed, se)
        swap_sent = case_swap(c, feed, rules, sock)
    finally:
        feed.close()
    c.close()
    rc = se.stop()
    with Group("sipedge exits 0; loads and commits logged; no sanitizer report") as g:
        g.eq("exit status", rc, 0)
        g.eq("sanitizer reports", se.sanitizer_reports(), [])
        log = se.log()
        g.has("logged", log, "agent: ruleset 5 for the live slot loaded: 7 rules",
              "agent: ruleset 5 in force in the live slot (7 rules; was empty)",
              "agent: ruleset 2 refused: ")
        if VERBOSE:
            print("load times (ms):", re.findall(r"loaded: \d+ rules, \d+ bytes, ([0-9.]+) ms",
                                                 log))
    case_wire(d, verdict_reqs, swap_sent)
    return summary()


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("-")]
    if len(args) != 2:
        print(__doc__)
        return 2
    if os.geteuid() != 0:
        print("SKIP: needs root (the EAL's runtime directory)")
        return 77
    signal.signal(signal.SIGTERM, on_signal)
    wd = workdir()
    try:
        return run(os.path.abspath(args[0]), os.path.abspath(args[1]), wd)
    except KeyboardInterrupt as e:
        print(f"FAIL interrupted ({e})")
        return 1
    finally:
        cleanup()
        if not VERBOSE:
            shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
