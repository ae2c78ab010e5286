#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""test_pcap.py - the sipedge binary on net_pcap vdevs: pcap in, pcap out,
bytes asserted.

usage: test_pcap.py SIPEDGE [SOURCE_DIR] [-v] [--keep]

Each run writes a config and the rx pcaps of the two ports (access
10.77.1.1/24 + fd00:77:1::1/64, core 10.77.2.1/24 + fd00:77:2::1/64) into a
temporary directory, runs `sipedge -c CFG --duration 3` (net_pcap reads the rx
files at once; the binary stops by itself and prints its counters), then
reads the tx pcaps back with scapy and checks them byte by byte, and checks
the counters.

Nothing here trusts the gateway's own code: SipHash-2-4, the key derivation,
the signed Via branches and the flow tokens are reimplemented below from
dataplane/token.c's documented layout, and every checksum is recomputed.

Runs:
  discover  learn the ports' MACs from the log; meanwhile 2000 broadcast
            ARP requests load the main lcore (answered or counted)
  l2        ARP, ICMP echo, ND, ICMPv6 echo; bad L2/L3/L4 input interleaved
            with good REGISTERs
  sip       requests from the access side: REGISTER/INVITE/CANCEL
            forwarding, retransmissions, rendezvous, local replies,
            malformed input, IPv4 fragments in and out, IPv6, bursts
  core      responses and requests from the core side built from the sip
            run's output (our Via, our flow token), and forged ones

One PASS/FAIL line per assertion group, "N passed, N failed" at the end, exit
1 on any failure (77, meson's SKIP, when scapy is missing). Run with Debian's
/usr/bin/python3 (python3-scapy).
"""
import ipaddress
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

try:
    import logging
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import (ARP, ICMP, IP, UDP, Ether, ICMPv6EchoReply,
                           ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                           ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6,
                           Raw, defragment, fragment)
except ImportError as e:  # meson: 77 is SKIP
    print(f"SKIP: scapy not available to {sys.executable}: {e}")
    sys.exit(77)

# ---------------------------------------------------------------- the lab

SECRET = bytes(range(16))			# proxy.secret 000102...0f
A_IP4, A_IP6 = "10.77.1.1", "fd00:77:1::1"	# access port
C_IP4, C_IP6 = "10.77.2.1", "fd00:77:2::1"	# core port
CLI4, CLI6 = "10.77.1.2", "fd00:77:1::2"	# the client
CLI_MAC = "02:00:00:00:01:02"
BACKENDS = {"10.77.2.2": ("kam1", "02:00:00:00:02:02"),
            "10.77.2.3": ("kam2", "02:00:00:00:02:03")}
KAM1 = "10.77.2.2"
DURATION = 3

VERBOSE = False
KEEP = False


# ------------------------------------------------------ SipHash and tokens

def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash24(k0, k1, data):
    """SipHash-2-4 of bytes data under the key (k0, k1) (two LE u64)."""
    M = 0xFFFFFFFFFFFFFFFF
    v0 = 0x736F6D6570736575 ^ k0
    v1 = 0x646F72616E646F6D ^ k1
    v2 = 0x6C7967656E657261 ^ k0
    v3 = 0x7465646279746573 ^ k1

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & M; v1 = _rotl(v1, 13); v1 ^= v0; v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & M; v3 = _rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & M; v3 = _rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & M; v1 = _rotl(v1, 17); v1 ^= v2; v2 = _rotl(v2, 32)

    n = len(data)
    end = n - n % 8
    for i in range(0, end, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v3 ^= m
        rnd(); rnd()
        v0 ^= m
    b = (n & 0xFF) << 56
    for i, c in enumerate(data[end:]):
        b |= c << (8 * i)
    v3 ^= b
    rnd(); rnd()
    v0 ^= b
    v2 ^= 0xFF
    rnd(); rnd(); rnd(); rnd()
    return v0 ^ v1 ^ v2 ^ v3


def _key(b16):
    return int.from_bytes(b16[:8], "little"), int.from_bytes(b16[8:], "little")


K = _key(SECRET)
KEY_BRANCH = (siphash24(*K, b"branch-key-0"), siphash24(*K, b"branch-key-1"))
KEY_TOKEN = (siphash24(*K, b"token-key-0"), siphash24(*K, b"token-key-1"))


def branch_mac(h, side=1, to=None):
    """token.c's branch MAC: h (8 bytes LE), where the response goes (the
    address, its port big-endian; 4 zero bytes and a zero port for a
    request of our own, a probe), then side << 4 | family (0 for none)."""
    if to is None:
        b = h.to_bytes(8, "little") + bytes(6) + bytes([side << 4])
    else:
        a = ipaddress.ip_address(to[0])
        b = h.to_bytes(8, "little") + a.packed + to[1].to_bytes(2, "big") + \
            bytes([side << 4 | a.version])
    return siphash24(*KEY_BRANCH, b)


def branch_tail(to):
    """Where the response goes, after the MAC: '4' + address and port in
    12 hex digits, '6' + 36, nothing for a probe's."""
    if to is None:
        return ""
    a = ipaddress.ip_address(to[0])
    return "%d%s%04x" % (a.version, a.packed.hex(), to[1])


def make_branch(h, side=1, to=None):
    return "z9hG4bK%016x%016x%s" % (h, branch_mac(h, side, to), branch_tail(to))


def via_values(payload):
    """Every Via value of a message, top first (comma lists split)."""
    head = payload.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    out = []
    for line in head.split("\r\n")[1:]:
        name, _, val = line.partition(":")
        if name.strip().lower() in ("via", "v"):
            out += [v.strip() for v in val.split(",")]
    return out


def resp_target(via):
    """Where a response goes by this Via value: received else host, rport
    (with a value) else port else 5060 (RFC 3261 18.2.2, RFC 3581)."""
    m = re.match(r"SIP/2\.0/\w+\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?(.*)", via)
    host, port, params = m.group(1).strip("[]"), int(m.group(2) or 5060), m.group(3)
    rcv = re.search(r";received=([^;\s]+)", params)
    rp = re.search(r";rport=(\d+)", params)
    return (rcv.group(1).strip("[]") if rcv else host, int(rp.group(1)) if rp else port)


def branch_ok(br, payload=None):
    """Whether br is a branch we signed: for the message it was sent in
    (payload: the side is that of the address in our Via, the destination
    what the Via below ours says), or as a probe's (payload None)."""
    m = re.fullmatch(r"z9hG4bK([0-9a-f]{16})([0-9a-f]{16})(4[0-9a-f]{12}|6[0-9a-f]{36})?", br)
    if not m:
        return False
    side, to = 1, None
    if payload is not None:
        vias = via_values(payload)
        if len(vias) < 2:
            return False
        ours = re.match(r"SIP/2\.0/UDP\s+(\[[^\]]+\]|[^:;\s]+)", vias[0]).group(1).strip("[]")
        side = 1 if ours in (C_IP4, C_IP6) else 0
        to = resp_target(vias[1])
        # the tail names the same place, in token.c's spelling
        if (m.group(3) or "") != branch_tail(to):
            return False
    elif m.group(3):
        return False
    return branch_mac(int(m.group(1), 16), side, to) == int(m.group(2), 16)


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64(b):
    assert len(b) % 3 == 0
    out = []
    for i in range(0, len(b), 3):
        v = b[i] << 16 | b[i + 1] << 8 | b[i + 2]
        out += [_B64[v >> 18], _B64[(v >> 12) & 63], _B64[(v >> 6) & 63], _B64[v & 63]]
    return "".join(out)


def _unb64(s):
    out = bytearray()
    for i in range(0, len(s), 4):
        v = 0
        for c in s[i:i + 4]:
            if c not in _B64:
                return None
            v = v << 6 | _B64.index(c)
        out += bytes([v >> 16, (v >> 8) & 255, v & 255])
    return bytes(out)


def _ipbytes(ip):
    import ipaddress
    return ipaddress.ip_address(ip).packed


def make_token(ip, port):
    a = _ipbytes(ip)
    pl = (b"6" if len(a) == 16 else b"4") + a + port.to_bytes(2, "big")
    return "se" + _b64(pl + siphash24(*KEY_TOKEN, pl).to_bytes(8, "little"))


def decode_token(tok):
    """(ip, port) of a valid flow token, None otherwise."""
    import ipaddress
    if not tok.startswith("se") or len(tok) not in (22, 38):
        return None
    raw = _unb64(tok[2:])
    if raw is None:
        return None
    n = 7 if len(tok) == 22 else 19
    if raw[0:1] != (b"4" if n == 7 else b"6"):
        return None
    if siphash24(*KEY_TOKEN, raw[:n]).to_bytes(8, "little") != raw[n:]:
        return None
    return str(ipaddress.ip_address(raw[1:n - 2])), int.from_bytes(raw[n - 2:n], "big")


def reply_tag(call_id, cseq):
    """The To tag of the gateway's own replies (reply.c)."""
    t = siphash24(*KEY_TOKEN, call_id.encode()) ^ siphash24(*KEY_TOKEN, cseq.encode())
    return "%016x" % t


# ------------------------------------------------------------ checksums

def _sum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip4_hdr_ok(raw_ip):
    hl = (raw_ip[0] & 15) * 4
    return _sum16(raw_ip[:hl]) == 0xFFFF


def l4_ok(src, dst, proto, seg):
    """Whether the checksum inside transport segment seg (bytes) is right."""
    a, b = _ipbytes(src), _ipbytes(dst)
    if len(a) == 4:
        ph = a + b + struct.pack("!BBH", 0, proto, len(seg))
    else:
        ph = a + b + struct.pack("!IxxxB", len(seg), proto)
    return _sum16(ph + seg) == 0xFFFF


# ------------------------------------------------------------------ pcaps

def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)))
            f.write(fr)


def read_pcap(path):
    """The frames of a pcap file (micro- or nanosecond), as bytes."""
    if not os.path.exists(path):
        return None
    data = open(path, "rb").read()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        out.append(data[off:off + incl])
        off += incl
    return out


# -------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []


REPORT = Report()


class Group:
    """One assertion group: collects failures, prints PASS or FAIL once."""

    def __init__(self, name):
        self.name = name
        self.errs = []

    def __enter__(self):
        return self

    def ok(self, what, cond, detail=""):
        if not cond:
            self.errs.append(what + (": " + detail if detail else ""))
        return bool(cond)

    def eq(self, what, got, exp):
        if got != exp:
            self.errs.append(f"{what}: expected {exp!r}, got {got!r}")
            return False
        return True

    def __exit__(self, et, ev, tb):
        if et is not None and et not in (KeyboardInterrupt, SystemExit):
            import traceback
            self.errs.append("exception: " + "".join(
                traceback.format_exception_only(et, ev)).strip())
            if VERBOSE:
                traceback.print_exception(et, ev, tb)
        if self.errs:
            REPORT.failed += 1
            REPORT.failures.append(self.name)
            print(f"FAIL {self.name}")
            for e in self.errs:
                print(f"     {e}")
        else:
            REPORT.passed += 1
            print(f"PASS {self.name}")
        sys.stdout.flush()
        return et is not None and et not in (KeyboardInterrupt, SystemExit)


# ------------------------------------------------------------ the process

LIVE = []		# Popen objects of sipedge processes we started
TMP_ROOT = None
PREFIXES = []		# EAL file prefixes we used (their /var/run/dpdk dirs)


def cleanup():
    for p in LIVE:
        if p.poll() is None:
            p.kill()	# by PID: only the process we started
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    LIVE.clear()
    for pfx in PREFIXES:
        for base in ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "dpdk")):
            d = os.path.join(base, pfx)
            if os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)
    if TMP_ROOT and os.path.isdir(TMP_ROOT) and not KEEP:
        shutil.rmtree(TMP_ROOT, ignore_errors=True)


def on_signal(sig, frame):
    raise KeyboardInterrupt(f"signal {sig}")


CFG_TMPL = """\
eal: {{hugepages: false, memory_mb: 512, file_prefix: {prefix}}}
workers: [1]
ports:
  - name: access0
    role: access
    vdev: "net_pcap0,rx_pcap={d}/in_a.pcap,tx_pcap={d}/out_a.pcap"
    ipv4: {a4}/24
    ipv6: "{a6}/64"
    neighbours:
      - {{ip: {cli4}, mac: "{climac}"}}
      - {{ip: "{cli6}", mac: "{climac}"}}
  - name: core0
    role: core
    vdev: "net_pcap1,rx_pcap={d}/in_c.pcap,tx_pcap={d}/out_c.pcap"
    ipv4: {c4}/24
    ipv6: "{c6}/64"
    neighbours:
      - {{ip: 10.77.2.2, mac: "02:00:00:00:02:02"}}
      - {{ip: 10.77.2.3, mac: "02:00:00:00:02:03"}}
backends:
  - {{name: kam1, address: "10.77.2.2:5060"}}
  - {{name: kam2, address: "10.77.2.3:5060"}}
probe: {{interval_ms: 600000, timeout_ms: 60000}}
proxy: {{secret: "{secret}"}}
agent: {{socket: "{d}/agent.sock"}}
"""


class Run:
    """One sipedge run: its outputs, counters and log."""
    ok = False
    out_a = out_c = None
    counters = {}
    log = ""
    rc = None


def parse_counters(text):
    c = {}
    if "sipedge counters:" not in text:
        return None
    for line in text.split("sipedge counters:", 1)[1].splitlines():
        f = line.split()
        if len(f) == 4 and f[0] in ("port", "backend") and f[3].isdigit():
            c[f"{f[0]}.{f[1]}.{f[2]}"] = int(f[3])
        elif len(f) == 2 and f[1].isdigit():
            c[f[0]] = int(f[1])
    return c


def run_sipedge(binary, tag, in_a, in_c, duration=DURATION):
    d = tempfile.mkdtemp(prefix=tag + "-", dir=TMP_ROOT)
    prefix = f"sipedge-pcap-{os.getpid()}-{tag}"
    PREFIXES.append(prefix)
    write_pcap(f"{d}/in_a.pcap", in_a)
    write_pcap(f"{d}/in_c.pcap", in_c)
    cfg = f"{d}/sipedge.yaml"
    with open(cfg, "w") as f:
        f.write(CFG_TMPL.format(prefix=prefix, d=d, a4=A_IP4, a6=A_IP6, c4=C_IP4,
                                c6=C_IP6, cli4=CLI4, cli6=CLI6, climac=CLI_MAC,
                                secret=SECRET.hex()))
    r = Run()
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "-c", cfg, "--duration", str(duration)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    LIVE.append(p)
    try:
        out, err = p.communicate(timeout=duration + 40)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += b"\n[test: killed after timeout]\n"
    LIVE.remove(p)
    r.rc = p.returncode
    r.stdout = out.decode(errors="replace")
    r.log = r.stdout + err.decode(errors="replace")
    r.counters = parse_counters(r.stdout) or {}
    r.out_a = read_pcap(f"{d}/out_a.pcap")
    r.out_c = read_pcap(f"{d}/out_c.pcap")
    r.ok = r.rc == 0 and parse_counters(r.stdout) is not None
    r.dir = d
    if VERBOSE:
        print(f"--- run {tag}: rc {r.rc}, {time.monotonic() - t0:.1f} s, "
              f"{len(in_a)}+{len(in_c)} frames in, "
              f"{len(r.out_a or [])}+{len(r.out_c or [])} out ({d})")
        print(r.log)
    return r


def run_group(r, tag):
    with Group(f"run {tag}: sipedge exits 0, prints counters, writes both tx pcaps") as g:
        g.eq("exit status", r.rc, 0)
        g.ok("counters printed", "sipedge counters:" in r.stdout)
        g.ok("tx pcaps written", r.out_a is not None and r.out_c is not None)
        if r.rc != 0:
            g.errs.append("log tail: " + " | ".join(r.log.strip().splitlines()[-6:]))


# ------------------------------------------------------------- SIP helpers

def sip(start, headers, body=""):
    """A SIP message: start line, header lines (in order), Content-Length
    added last, body."""
    lines = [start] + list(headers) + [f"Content-Length: {len(body.encode())}"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def register(n, via=None, cid=None, contact="<sip:alice@192.168.1.20:5062>;expires=3600"):
    via = via or f"SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-reg-{n};rport"
    return sip("REGISTER sip:example.com SIP/2.0", [
        f"Via: {via}",
        "Max-Forwards: 70",
        f"From: <sip:alice@example.com>;tag=a{n}",
        "To: <sip:alice@example.com>",
        f"Call-ID: {cid or f'reg-{n}@192.168.1.20'}",
        f"CSeq: {n} REGISTER",
        f"Contact: {contact}",
        "User-Agent: pcap-test/1.0",
    ])


def invite(cid, n=1, body="", branch=None, to_tag=None, method="INVITE", mf=70,
           cseq_method=None):
    branch = branch or f"z9hG4bK-{cid.replace('@', '.')}-{n}"
    hdr = [f"Via: SIP/2.0/UDP 192.168.1.20:5062;branch={branch};rport",
           f"Max-Forwards: {mf}",
           "From: \"Alice\" <sip:alice@example.com>;tag=f-" + cid,
           "To: <sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else ""),
           f"Call-ID: {cid}",
           f"CSeq: {n} {cseq_method or method}"]
    if method == "INVITE":
        hdr.append("Contact: <sip:alice@192.168.1.20:5062>")
    if body:
        hdr.append("Content-Type: application/sdp")
    return sip(f"{method} sip:bob@example.com SIP/2.0", hdr, body)


def split_msg(b):
    """(start line, [(name, value, raw line)], body) of a message in bytes."""
    head, _, body = b.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    hdrs = []
    for ln in lines[1:]:
        n, _, v = ln.partition(":")
        hdrs.append((n.strip(), v.strip(), ln))
    return lines[0], hdrs, body


def hdr(b, name):
    return [v for n, v, _ in split_msg(b)[1] if n.lower() == name.lower()]


def call_id(b):
    v = hdr(b, "Call-ID")
    return v[0] if v else None


def cseq(b):
    v = hdr(b, "CSeq")
    return v[0] if v else None


OUR_VIA_RE = re.compile(
    rb"^([^\r\n]+)\r\nVia: SIP/2\.0/UDP ([0-9.]+|\[[0-9a-f:]+\]):5060;branch=(z9hG4bK[0-9a-f]{32}(?:4[0-9a-f]{12}|6[0-9a-f]{36})?)\r\n")


def our_via(b):
    """(host, branch) of the Via the gateway put on top of a forwarded
    request (right after the start line), or None."""
    m = OUR_VIA_RE.match(b)
    return (m.group(2).decode(), m.group(3).decode()) if m else None


def expected_forward(inp, out_host, branch, inserted_after_via="",
                     client_via=None, mf=True):
    """What the gateway must send for request inp: the start line, our Via
    just above the first Via, the inserted lines (Record-Route/Path) just
    below the top block of Vias, the client's Via rewritten (client_via =
    (old, new)) and Max-Forwards decremented; everything else byte for
    byte."""
    s = inp.decode()
    start, rest = s.split("\r\n", 1)
    if client_via:
        assert client_via[0] in rest, client_via[0]
        rest = rest.replace(client_via[0], client_via[1], 1)
    if mf:
        m = re.search(r"\r\nMax-Forwards: (\d+)\r\n", "\r\n" + rest)
        rest = rest.replace(f"Max-Forwards: {m.group(1)}\r\n",
                            f"Max-Forwards: {int(m.group(1)) - 1}\r\n", 1)
    head, sep, body = rest.partition("\r\n\r\n")
    lines = head.split("\r\n")
    first = next(i for i, l in enumerate(lines) if l.lower().startswith(("via:", "v:")))
    last = first
    while last + 1 < len(lines) and lines[last + 1].lower().startswith(("via:", "v:")):
        last += 1
    lines[last] += "\r\n" + inserted_after_via[:-2] if inserted_after_via else ""
    lines.insert(first, f"Via: SIP/2.0/UDP {out_host}:5060;branch={branch}")
    return (f"{start}\r\n" + "\r\n".join(lines) + sep + body).encode()


def show_diff(a, b):
    """The first differing line of two messages, for failure reports."""
    la, lb = a.split(b"\r\n"), b.split(b"\r\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else b"<none>"
        y = lb[i] if i < len(lb) else b"<none>"
        if x != y:
            return f"line {i}: expected {y!r}, got {x!r}"
    return "equal"


# ------------------------------------------------------------ frame helpers

class Lab:
    mac_a = None	# learnt from the discover run
    mac_c = None


def cli4(payload, sport=40000, dport=5060, dst=A_IP4, src=CLI4, ip_id=1):
    return bytes(Ether(dst=Lab.mac_a, src=CLI_MAC) /
                 IP(src=src, dst=dst, id=ip_id) / UDP(sport=sport, dport=dport) /
                 Raw(payload))


def cli6(payload, sport=5060, dport=5060):
    return bytes(Ether(dst=Lab.mac_a, src=CLI_MAC) / IPv6(src=CLI6, dst=A_IP6) /
                 UDP(sport=sport, dport=dport) / Raw(payload))


def core4(payload, src=KAM1, sport=5060):
    return bytes(Ether(dst=Lab.mac_c, src=BACKENDS[src][1]) /
                 IP(src=src, dst=C_IP4) / UDP(sport=sport, dport=5060) / Raw(payload))


class Dgram:
    """A UDP datagram taken off a tx pcap (whole or reassembled)."""

    def __init__(self, frame, eth, ip, udp, payload, v6=False, frags=1):
        self.frame, self.eth, self.ip, self.udp = frame, eth, ip, udp
        self.payload, self.v6, self.frags = payload, v6, frags

    @property
    def dst(self):
        return self.ip.dst

    @property
    def src(self):
        return self.ip.src


def udp_out(frames):
    """The UDP datagrams among frames (IPv4 fragments reassembled by scapy),
    plus the other frames, each as scapy packets."""
    dg, other, frags = [], [], []
    for fr in frames or []:
        e = Ether(fr)
        if IP in e and (e[IP].flags.MF or e[IP].frag):
            frags.append(e)
        elif IP in e and UDP in e:
            dg.append(Dgram(fr, e, e[IP], e[UDP], bytes(e[UDP].payload)))
        elif IPv6 in e and UDP in e:
            dg.append(Dgram(fr, e, e[IPv6], e[UDP], bytes(e[UDP].payload), v6=True))
        else:
            other.append(e)
    if frags:
        by_id = {}
        for f in frags:
            by_id.setdefault(f[IP].id, []).append(f)
        for pid, fl in by_id.items():
            whole = defragment(fl)
            for w in whole:
                if IP in w and UDP in w and not (w[IP].flags.MF or w[IP].frag):
                    d = Dgram(None, w, w[IP], w[UDP], bytes(w[UDP].payload), frags=len(fl))
                    d.frag_list = fl
                    dg.append(d)
    return dg, other


def is_probe(d):
    return (call_id(d.payload) or "").startswith("probe-")


def check_udp_frame(g, what, d, src_ip, src_mac, dst_ip=None, dst_mac=None,
                    sport=5060, dport=None):
    """Addresses and checksums of a datagram we got whole (not fragmented)."""
    g.eq(f"{what}: Ethernet source", d.eth.src, src_mac)
    if dst_mac:
        g.eq(f"{what}: Ethernet destination", d.eth.dst, dst_mac)
    g.eq(f"{what}: IP source", d.src, src_ip)
    if dst_ip:
        g.eq(f"{what}: IP destination", d.dst, dst_ip)
    g.eq(f"{what}: UDP source port", d.udp.sport, sport)
    if dport:
        g.eq(f"{what}: UDP destination port", d.udp.dport, dport)
    g.eq(f"{what}: UDP length", d.udp.len, 8 + len(d.payload))
    if d.frame is None:
        return
    raw_ip = bytes(d.eth.payload)
    if d.v6:
        g.eq(f"{what}: IPv6 payload length", d.ip.plen, d.udp.len)
        seg = raw_ip[40:40 + d.udp.len]
        g.ok(f"{what}: UDP checksum over IPv6", l4_ok(d.src, d.dst, 17, seg))
    else:
        g.eq(f"{what}: IPv4 header length", d.ip.ihl, 5)
        g.eq(f"{what}: IPv4 total length", d.ip.len, 20 + d.udp.len)
        g.ok(f"{what}: IPv4 header checksum", ip4_hdr_ok(raw_ip),
             f"0x{d.ip.chksum:04x}")
        g.ok(f"{what}: UDP checksum", d.udp.chksum != 0 and
             l4_ok(d.src, d.dst, 17, raw_ip[20:20 + d.udp.len]), f"0x{d.udp.chksum:04x}")
        g.eq(f"{what}: IPv4 TTL", d.ip.ttl, 64)
        g.ok(f"{what}: IPv4 not DF, not a fragment", not d.ip.flags.DF and d.ip.frag == 0)


def check_counters(g, c, exact_prefix, expect, also=None):
    """Counters named exact_prefix* must be exactly expect (absent = 0);
    also: further name -> value checks."""
    got = {k: v for k, v in c.items() if k.startswith(exact_prefix) and v}
    exp = {k: v for k, v in expect.items() if v}
    if got != exp:
        missing = {k: (v, got.get(k, 0)) for k, v in exp.items() if got.get(k, 0) != v}
        extra = {k: v for k, v in got.items() if k not in exp}
        g.errs.append(f"{exact_prefix}* counters: (expected, got) {missing}; unexpected {extra}")
    for k, v in (also or {}).items():
        g.eq(f"counter {k}", c.get(k, 0), v)


# ================================================================== runs

N_ARP_LOAD = 2000


def discover(binary):
    """Learns the MACs; meanwhile loads the main lcore with ARP requests
    (broadcast: no MAC needed), whose replies it queues while its timer
    runs."""
    arp = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLI_MAC) /
                ARP(op=1, hwsrc=CLI_MAC, psrc=CLI4, pdst=A_IP4))
    r = run_sipedge(binary, "discover", [arp] * N_ARP_LOAD, [], duration=1)
    run_group(r, "discover")
    with Group(f"case 1f: {N_ARP_LOAD} ARP requests at once -> every one answered "
               "or counted (exception ring full); the process survives") as g:
        g.eq("exit status", r.rc, 0)
        replies = [f for f in r.out_a or [] if ARP in Ether(f)]
        ok = [f for f in replies if Ether(f)[ARP].op == 2 and Ether(f).dst == CLI_MAC and
              Ether(f)[ARP].psrc == A_IP4 and Ether(f)[ARP].pdst == CLI4]
        g.eq("well-formed ARP replies", len(ok), len(replies))
        g.ok("at least a ring's worth answered", len(replies) >= 32, str(len(replies)))
        lost = r.counters.get("drop_exc_ring_full", 0) + r.counters.get("drop_tx_full", 0)
        g.eq("replies + counted drops", len(replies) + lost, N_ARP_LOAD)
        # every request the main lcore got is answered, unless the reply
        # then found the transmit path full (drop_tx_full)
        g.eq("counter exceptions", r.counters.get("exceptions", 0),
             len(replies) + r.counters.get("drop_tx_full", 0))
    with Group("discover: the log names each port's MAC") as g:
        macs = dict(re.findall(r"port (\w+) \(net_pcap\d\): ethdev \d+, MAC ([0-9a-f:]{17})", r.log))
        g.ok("access0 MAC in log", "access0" in macs, r.log[-400:])
        g.ok("core0 MAC in log", "core0" in macs)
        Lab.mac_a = macs.get("access0", "02:70:63:61:70:00")
        Lab.mac_c = macs.get("core0", "02:70:63:61:70:01")
        g.ok("access and core MACs differ", Lab.mac_a != Lab.mac_c)
        if r.ok:
            g.eq("probes sent at start", (r.counters.get("backend.kam1.probes_sent"),
                                          r.counters.get("backend.kam2.probes_sent")), (1, 1))
    return r


# ---------------------------------------------------------------- run l2

def run_l2(binary):
    a = []
    icmp_payload = bytes(range(56))
    # case 1: ARP, ICMP, ND, ICMPv6 echo
    a.append(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLI_MAC) /
                   ARP(op=1, hwsrc=CLI_MAC, psrc=CLI4, hwdst="00:00:00:00:00:00", pdst=A_IP4)))
    a.append(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=CLI_MAC) /
                   ARP(op=1, hwsrc=CLI_MAC, psrc=CLI4, pdst="10.77.1.50")))
    a.append(bytes(Ether(dst=Lab.mac_a, src=CLI_MAC) / IP(src=CLI4, dst=A_IP4, id=7) /
                   ICMP(type=8, id=0x1234, seq=1) / Raw(icmp_payload)))
    a.append(bytes(Ether(dst="33:33:ff:00:00:01", src=CLI_MAC) /
                   IPv6(src=CLI6, dst="ff02::1:ff00:1", hlim=255) /
                   ICMPv6ND_NS(tgt=A_IP6) / ICMPv6NDOptSrcLLAddr(lladdr=CLI_MAC)))
    a.append(bytes(Ether(dst=Lab.mac_a, src=CLI_MAC) / IPv6(src=CLI6, dst=A_IP6) /
                   ICMPv6EchoRequest(id=0x4321, seq=2, data=icmp_payload)))

    # case 10: bad input, each followed by a good REGISTER
    good = []

    def good_reg():
        n = 500 + len(good)
        m = register(n)
        good.append(m)
        a.append(cli4(m, ip_id=n))

    good_reg()
    bad = {}

    def add_bad(reason, frame):
        bad[reason] = bad.get(reason, 0) + 1
        a.append(bytes(frame))
        good_reg()

    base = Ether(cli4(register(900)))
    x = base.copy(); x[IP].chksum = (base[IP].chksum ^ 0x5A5A) or 1
    add_bad("drop_ip_bad_cksum", x)
    x = base.copy(); x[UDP].chksum = (base[UDP].chksum ^ 0x0101) or 1
    add_bad("drop_udp_bad_cksum", x)
    add_bad("drop_udp_port", cli4(register(901), dport=9999))
    add_bad("drop_l2_short", bytes(base)[:10])
    add_bad("drop_ip_bad_header", bytes(base)[:14 + 12])	# IPv4 header cut
    add_bad("drop_ip_bad_header", bytes(base)[:-40])		# datagram cut
    x = Ether(cli4(register(902)))
    x[UDP].len = x[UDP].len + 8
    x[UDP].chksum = None
    add_bad("drop_udp_bad_len", Ether(bytes(x)))
    add_bad("drop_ip_other_host", cli4(register(903), dst="10.77.1.99"))
    add_bad("drop_ip_other_host", cli4(register(904), dst=C_IP4))	# core's IP on access
    x = Ether(cli4(register(905))); x.dst = "02:00:00:00:99:99"
    add_bad("drop_l2_other_host", x)

    r = run_sipedge(binary, "l2", a, [])
    run_group(r, "l2")
    dg, other = udp_out(r.out_a)
    if VERBOSE:
        for o in other:
            print("access out:", o.summary())

    with Group("case 1a: ARP request for 10.77.1.1 -> ARP reply with the port MAC; "
               "ARP for another IP -> nothing") as g:
        arps = [o for o in other if ARP in o]
        g.eq("ARP frames out", len(arps), 1)
        if arps:
            p = arps[0]
            g.eq("Ethernet destination", p.dst, CLI_MAC)
            g.eq("Ethernet source", p.src, Lab.mac_a)
            g.eq("op", p[ARP].op, 2)
            g.eq("sender MAC", p[ARP].hwsrc, Lab.mac_a)
            g.eq("sender IP", p[ARP].psrc, A_IP4)
            g.eq("target MAC", p[ARP].hwdst, CLI_MAC)
            g.eq("target IP", p[ARP].pdst, CLI4)
            g.ok("frame at least 60 bytes", len(bytes(p)) >= 60)
        g.eq("counter drop_arp_bad", r.counters.get("drop_arp_bad", 0), 1)

    with Group("case 1b: ICMP echo to 10.77.1.1 -> echo reply, same payload, checksums right") as g:
        eps = [o for o in other if ICMP in o]
        g.eq("ICMP frames out", len(eps), 1)
        if eps:
            p = eps[0]
            g.eq("Ethernet", (p.src, p.dst), (Lab.mac_a, CLI_MAC))
            g.eq("IP addresses", (p[IP].src, p[IP].dst), (A_IP4, CLI4))
            g.eq("type/code", (p[ICMP].type, p[ICMP].code), (0, 0))
            g.eq("id/seq", (p[ICMP].id, p[ICMP].seq), (0x1234, 1))
            g.eq("payload", bytes(p[ICMP].payload)[:len(icmp_payload)], icmp_payload)
            raw_ip = bytes(p[IP])
            g.ok("IPv4 header checksum", ip4_hdr_ok(raw_ip))
            g.ok("ICMP checksum", _sum16(raw_ip[20:p[IP].len]) == 0xFFFF)
            g.eq("IP total length", p[IP].len, 20 + 8 + len(icmp_payload))

    with Group("case 1c: IPv6 NS for fd00:77:1::1 -> solicited NA with our MAC") as g:
        nas = [o for o in other if ICMPv6ND_NA in o]
        g.eq("NA frames out", len(nas), 1)
        if nas:
            p = nas[0]
            g.eq("Ethernet", (p.src, p.dst), (Lab.mac_a, CLI_MAC))
            g.eq("IPv6 addresses", (p[IPv6].src, p[IPv6].dst), (A_IP6, CLI6))
            g.eq("hop limit", p[IPv6].hlim, 255)
            na = p[ICMPv6ND_NA]
            g.eq("target", na.tgt, A_IP6)
            g.eq("flags R/S/O", (na.R, na.S, na.O), (0, 1, 1))
            g.ok("target link-layer option with our MAC",
                 ICMPv6NDOptDstLLAddr in p and p[ICMPv6NDOptDstLLAddr].lladdr == Lab.mac_a)
            raw = bytes(p[IPv6])
            g.ok("ICMPv6 checksum", l4_ok(A_IP6, CLI6, 58, raw[40:40 + p[IPv6].plen]))

    with Group("case 1d: ICMPv6 echo -> echo reply, same payload, checksum right") as g:
        eps = [o for o in other if ICMPv6EchoReply in o]
        g.eq("ICMPv6 echo replies out", len(eps), 1)
        if eps:
            p = eps[0]
            g.eq("Ethernet", (p.src, p.dst), (Lab.mac_a, CLI_MAC))
            g.eq("IPv6 addresses", (p[IPv6].src, p[IPv6].dst), (A_IP6, CLI6))
            g.eq("id/seq", (p[ICMPv6EchoReply].id, p[ICMPv6EchoReply].seq), (0x4321, 2))
            g.eq("payload", p[ICMPv6EchoReply].data, icmp_payload)
            raw = bytes(p[IPv6])
            g.ok("ICMPv6 checksum", l4_ok(A_IP6, CLI6, 58, raw[40:40 + p[IPv6].plen]))

    with Group("case 1e: nothing else on the access port; exceptions counted") as g:
        g.eq("UDP datagrams on access", len(dg), 0)
        g.eq("other frames on access", len(other), 4)
        g.eq("counter exceptions", r.counters.get("exceptions", 0), 4)

    with Group("case 10a: bad L2/L3/L4 input counted by reason, nothing of it forwarded") as g:
        drops = dict(bad)
        drops["drop_arp_bad"] = 1
        check_counters(g, r.counters, "drop_", drops)
        cdg, cother = udp_out(r.out_c)
        fwd = [d for d in cdg if not is_probe(d)]
        bad_cids = {f"reg-{n}@192.168.1.20" for n in range(900, 906)}
        g.eq("forwarded bad input", [call_id(d.payload) for d in fwd
                                     if call_id(d.payload) in bad_cids], [])
        g.eq("non-UDP frames on core", [o.summary() for o in cother], [])

    with Group(f"case 10b: every good REGISTER around the bad input forwarded ({len(good)})") as g:
        cdg, _ = udp_out(r.out_c)
        fwd = [d for d in cdg if not is_probe(d)]
        got = sorted(call_id(d.payload) for d in fwd)
        exp = sorted(call_id(m) for m in good)
        g.eq("forwarded Call-IDs", got, exp)
        g.eq("counter fwd_access_to_core", r.counters.get("fwd_access_to_core", 0), len(good))
        g.eq("counter rx_pkts", r.counters.get("rx_pkts", 0), len(a))
        g.eq("counter port access0 rx_pkts", r.counters.get("port.access0.rx_pkts", 0), len(a))
        for d in fwd:
            check_udp_frame(g, call_id(d.payload), d, C_IP4, Lab.mac_c,
                            dst_mac=BACKENDS.get(d.dst, ("", "?"))[1], dport=5060)
    return r


# --------------------------------------------------------------- run sip

def sdp_body(size):
    lines = ["v=0", "o=alice 2890844526 2890844526 IN IP4 192.168.1.20", "s=-",
             "c=IN IP4 192.168.1.20", "t=0 0",
             "m=audio 49170 RTP/AVP 0 8 96 97 98 99 100 101"]
    i = 0
    while len("\r\n".join(lines)) + 2 < size - 60:
        lines.append(f"a=rtpmap:{96 + i % 100} codec{i}/8000")
        i += 1
    text = "\r\n".join(lines) + "\r\n"
    pad = size - len(text) - len("a=x-pad:\r\n")
    return text + "a=x-pad:" + "p" * pad + "\r\n"


def run_sip(binary):
    st = {}	# what the core run needs
    a = []
    tok_cli = make_token(CLI4, 40000)
    tok_cli6 = make_token(CLI6, 5060)

    reg1 = register(1)
    a.append(cli4(reg1, ip_id=11))				# case 2
    a.append(cli4(reg1, ip_id=12))				# case 3: retransmission
    inv1 = invite("inv-1@test", body="v=0\r\ns=-\r\n")
    a.append(cli4(inv1, ip_id=13))				# case 3: INVITE
    cancel1 = invite("inv-1@test", method="CANCEL", branch="z9hG4bK-inv-1.test-1")
    a.append(cli4(cancel1, ip_id=14))				# case 3: its CANCEL

    # case 7: local replies and malformed input
    opt = sip(f"OPTIONS sip:{A_IP4} SIP/2.0", [
        "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-opt-1;rport",
        "Max-Forwards: 70", "From: <sip:alice@example.com>;tag=o1",
        f"To: <sip:{A_IP4}>", "Call-ID: opt-1@test", "CSeq: 7 OPTIONS"])
    a.append(cli4(opt, sport=40001))
    mf0 = invite("mf0@test", mf=0)
    a.append(cli4(mf0, sport=40002))
    bad_cseq = invite("badcseq@test", method="REGISTER", cseq_method="INVITE")
    a.append(cli4(bad_cseq, sport=40003))
    no_cid = sip("REGISTER sip:example.com SIP/2.0", [
        "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-nocid;rport",
        "Max-Forwards: 70", "From: <sip:alice@example.com>;tag=n1",
        "To: <sip:alice@example.com>", "CSeq: 1 REGISTER"])
    a.append(cli4(no_cid, sport=40004))
    bad_ack = sip("ACK sip:bob@example.com SIP/2.0", [
        "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-badack",
        "Max-Forwards: 70", "From: <sip:alice@example.com>;tag=k1",
        "To: <sip:bob@example.com>;tag=k2", "CSeq: 1 ACK"])
    a.append(cli4(bad_ack, sport=40005))
    bad_resp = sip("SIP/2.0 200 OK", [
        "Via: SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-badresp",
        "From: <sip:alice@example.com>;tag=r1", "Call-ID: badresp@test",
        "CSeq: 1 INVITE"])
    a.append(cli4(bad_resp, sport=40006))
    garbage = b"\x00\xff\x13\x37" * 20 + bytes(range(0x80, 0xC0))
    a.append(cli4(garbage, sport=40007))

    # case 4: rendezvous; every message of one Call-ID to one backend
    rdv = []
    for i in range(200):
        rdv.append(invite(f"rdv-{i}@test"))
    a += [cli4(m, ip_id=1000 + i) for i, m in enumerate(rdv)]
    follow = []
    for i in range(0, 200, 10):
        cid = f"rdv-{i}@test"
        follow.append(invite(cid, n=1, method="ACK", to_tag="t9",
                             branch=f"z9hG4bK-{cid.replace('@', '.')}-1"))
        follow.append(invite(cid, n=2, method="BYE", to_tag="t9"))
        follow.append(invite(cid, n=1))				# retransmission
    a += [cli4(m, ip_id=2000 + i) for i, m in enumerate(follow)]

    # case 8: a 3000-byte INVITE in three IPv4 fragments, out of order
    n = 2600
    while len(invite("big-1@test", body=sdp_body(n))) < 3000:
        n += 1
    big = invite("big-1@test", body=sdp_body(n))
    whole = Ether(cli4(big, ip_id=4242))
    frs = fragment(whole[IP], fragsize=1200)
    fr_frames = [bytes(Ether(dst=Lab.mac_a, src=CLI_MAC) / f) for f in frs]
    a += [fr_frames[2], fr_frames[0], fr_frames[1]] if len(fr_frames) == 3 else fr_frames

    # case 9: IPv6 REGISTER
    reg6 = register(6, via="SIP/2.0/UDP [fd00:77:1::2]:5060;branch=z9hG4bK-v6-1",
                    cid="v6-1@test", contact="<sip:bob6@[fd00:77:1::2]:5060>")
    a.append(cli6(reg6))

    # case 11: bursts of 33 and 64
    bursts = [register(100 + i, cid=f"burst-{i}@test") for i in range(33 + 64)]
    a += [cli4(m, ip_id=3000 + i) for i, m in enumerate(bursts)]

    r = run_sipedge(binary, "sip", a, [])
    run_group(r, "sip")
    cdg, cother = udp_out(r.out_c)
    adg, aother = udp_out(r.out_a)
    fwd = [d for d in cdg if not is_probe(d)]
    by_cid = {}
    for d in fwd:
        by_cid.setdefault(call_id(d.payload), []).append(d)

    with Group("case 2: REGISTER -> backend; our signed Via, rport/received, "
               "Max-Forwards 69, Path token, rest byte-identical, checksums") as g:
        outs = by_cid.get("reg-1@192.168.1.20", [])
        g.eq("copies forwarded", len(outs), 2)
        if outs:
            d = outs[0]
            g.ok("to a backend :5060", d.dst in BACKENDS and d.udp.dport == 5060, d.dst)
            check_udp_frame(g, "REGISTER", d, C_IP4, Lab.mac_c,
                            dst_mac=BACKENDS.get(d.dst, ("", "?"))[1], dport=5060)
            ov = our_via(d.payload)
            g.ok("our Via on top, right after the start line", ov is not None,
                 d.payload[:120].decode(errors="replace"))
            if ov:
                g.eq("our Via host", ov[0], C_IP4)
                g.ok("branch signature verifies", branch_ok(ov[1], d.payload), ov[1])
                paths = hdr(d.payload, "Path")
                g.eq("Path", paths, [f"<sip:{tok_cli}@{C_IP4}:5060;lr;ob>"])
                m = re.match(r"<sip:([^@]+)@", paths[0]) if paths else None
                g.eq("Path token decodes to the client", decode_token(m.group(1)) if m else None,
                     (CLI4, 40000))
                vias = hdr(d.payload, "Via")
                g.eq("client Via (second)", vias[1] if len(vias) > 1 else None,
                     "SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-reg-1;rport=40000;received=10.77.1.2")
                g.eq("Max-Forwards", hdr(d.payload, "Max-Forwards"), ["69"])
                exp = expected_forward(reg1, C_IP4, ov[1],
                                       f"Path: <sip:{tok_cli}@{C_IP4}:5060;lr;ob>\r\n",
                                       (";rport\r\n", ";rport=40000;received=10.77.1.2\r\n"))
                g.ok("whole message byte for byte", d.payload == exp, show_diff(d.payload, exp))
                st["reg1_out"] = d.payload
                st["reg1_backend"] = d.dst

    with Group("case 3a: the same REGISTER twice -> two identical payloads, same backend") as g:
        outs = by_cid.get("reg-1@192.168.1.20", [])
        g.eq("copies forwarded", len(outs), 2)
        if len(outs) == 2:
            g.ok("identical payloads", outs[0].payload == outs[1].payload,
                 show_diff(outs[1].payload, outs[0].payload))
            g.eq("same backend", outs[1].dst, outs[0].dst)

    with Group("case 3b: INVITE -> two Record-Route entries with our token; "
               "its CANCEL -> same backend, same branch") as g:
        outs = by_cid.get("inv-1@test", [])
        inv = [d for d in outs if d.payload.startswith(b"INVITE ")]
        can = [d for d in outs if d.payload.startswith(b"CANCEL ")]
        g.eq("INVITE/CANCEL forwarded", (len(inv), len(can)), (1, 1))
        if inv:
            d = inv[0]
            check_udp_frame(g, "INVITE", d, C_IP4, Lab.mac_c,
                            dst_mac=BACKENDS.get(d.dst, ("", "?"))[1], dport=5060)
            ov = our_via(d.payload)
            g.ok("our Via on top", ov is not None)
            rr = f"<sip:{tok_cli}@{C_IP4}:5060;lr>, <sip:{tok_cli}@{A_IP4}:5060;lr>"
            g.eq("Record-Route", hdr(d.payload, "Record-Route"), [rr])
            if ov:
                g.ok("branch signature verifies", branch_ok(ov[1], d.payload), ov[1])
                exp = expected_forward(inv1, C_IP4, ov[1], f"Record-Route: {rr}\r\n",
                                       (";rport\r\n", ";rport=40000;received=10.77.1.2\r\n"))
                g.ok("whole INVITE byte for byte", d.payload == exp, show_diff(d.payload, exp))
                st["inv1_out"] = d.payload
            if can:
                c = can[0]
                g.eq("CANCEL backend", c.dst, d.dst)
                ovc = our_via(c.payload)
                g.eq("CANCEL top Via branch", ovc and ovc[1], ov and ov[1])
                g.eq("no Record-Route on CANCEL", hdr(c.payload, "Record-Route"), [])
                if ovc:
                    exp = expected_forward(cancel1, C_IP4, ovc[1], "",
                                           (";rport\r\n", ";rport=40000;received=10.77.1.2\r\n"))
                    g.ok("whole CANCEL byte for byte", c.payload == exp, show_diff(c.payload, exp))

    with Group("case 4: 200 Call-IDs spread over both backends; one Call-ID, one backend") as g:
        per_be = {}
        split = []
        for i in range(200):
            outs = by_cid.get(f"rdv-{i}@test", [])
            exp_n = 1 + (3 if i % 10 == 0 else 0)
            if len(outs) != exp_n:
                g.errs.append(f"rdv-{i}: {len(outs)} messages forwarded, expected {exp_n}")
            dsts = {d.dst for d in outs}
            if len(dsts) > 1:
                split.append(f"rdv-{i}: {sorted(dsts)}")
            for d in outs[:1]:
                per_be[d.dst] = per_be.get(d.dst, 0) + 1
        g.eq("Call-IDs split over backends", split, [])
        g.ok("both backends get some", len(per_be) == 2 and min(per_be.values()) > 0, str(per_be))
        g.ok("spread not degenerate (each >= 60 of 200)",
             len(per_be) == 2 and min(per_be.values()) >= 60, str(per_be))
        if VERBOSE:
            print("     rendezvous:", per_be)
        # retransmitted INVITE: same bytes as the first
        for i in range(0, 200, 10):
            invs = [d.payload for d in by_cid.get(f"rdv-{i}@test", [])
                    if d.payload.startswith(b"INVITE ")]
            if len(invs) == 2 and invs[0] != invs[1]:
                g.errs.append(f"rdv-{i}: retransmitted INVITE forwarded differently")
        # the counters agree with what came out, per backend
        for ip, (name, _) in BACKENDS.items():
            n = sum(1 for d in fwd if d.dst == ip)
            g.eq(f"backend {name} requests counter", r.counters.get(f"backend.{name}.requests"), n)

    with Group("case 7a: OPTIONS sip:10.77.1.1 -> 200 to the source address and port") as g:
        outs = [d for d in adg if call_id(d.payload) == "opt-1@test"]
        g.eq("replies", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "200", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40001)
            start, hs, body = split_msg(d.payload)
            g.eq("status line", start, "SIP/2.0 200 OK")
            g.eq("Via", hdr(d.payload, "Via"),
                 ["SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-opt-1;rport=40001;received=10.77.1.2"])
            g.eq("From", hdr(d.payload, "From"), ["<sip:alice@example.com>;tag=o1"])
            g.eq("To (our tag)", hdr(d.payload, "To"),
                 [f"<sip:{A_IP4}>;tag=" + reply_tag("opt-1@test", "7 OPTIONS")])
            g.eq("Call-ID", hdr(d.payload, "Call-ID"), ["opt-1@test"])
            g.eq("CSeq", hdr(d.payload, "CSeq"), ["7 OPTIONS"])
            g.eq("Content-Length", hdr(d.payload, "Content-Length"), ["0"])
            g.eq("Server", hdr(d.payload, "Server"), ["sipedge"])
            g.ok("ends with an empty line and no body", d.payload.endswith(b"\r\n\r\n") and body == b"")

    with Group("case 7b: Max-Forwards: 0 -> 483") as g:
        outs = [d for d in adg if call_id(d.payload) == "mf0@test"]
        g.eq("replies", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "483", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40002)
            g.eq("status line", split_msg(d.payload)[0], "SIP/2.0 483 Too Many Hops")
            g.eq("CSeq", hdr(d.payload, "CSeq"), ["1 INVITE"])
            g.eq("To (our tag)", hdr(d.payload, "To"),
                 ["<sip:bob@example.com>;tag=" + reply_tag("mf0@test", "1 INVITE")])

    with Group("case 7c: malformed request (CSeq method mismatch) -> 400 naming the parser's error") as g:
        outs = [d for d in adg if call_id(d.payload) == "badcseq@test"]
        g.eq("replies", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "400", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40003)
            g.eq("status line", split_msg(d.payload)[0], "SIP/2.0 400 Bad Request (CSeq Method Mismatch)")
            # the request was refused by the parser, so its Via is echoed
            # from a line scan; rport/received filled in is better still
            g.ok("Via echoed", hdr(d.payload, "Via") in (
                ["SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-badcseq.test-1;rport"],
                ["SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bK-badcseq.test-1;rport=40003;received=10.77.1.2"]),
                 str(hdr(d.payload, "Via")))

    with Group("case 7d: missing Call-ID, malformed ACK, malformed response, binary garbage "
               "-> nothing sent, each counted") as g:
        ports = sorted(d.udp.dport for d in adg)
        g.eq("access-side datagrams (the 200, 483, 400 only)", ports, [40001, 40002, 40003])
        # A 400 must copy the Call-ID (RFC 3261 8.2.6.2): without one the
        # request cannot be answered (reply.c, stats.def sip_malformed).
        g.eq("missing Call-ID and garbage: drop_sip_malformed",
             r.counters.get("drop_sip_malformed", 0), 2)
        g.eq("drop_sip_malformed_ack", r.counters.get("drop_sip_malformed_ack", 0), 1)
        g.eq("drop_sip_malformed_resp", r.counters.get("drop_sip_malformed_resp", 0), 1)
        g.eq("replies counted", {k: r.counters.get(k, 0) for k in ("reply_200", "reply_400", "reply_483")},
             {"reply_200": 1, "reply_400": 1, "reply_483": 1})
        bad_cids = {"badresp@test"}
        g.eq("none of them forwarded", [c for c in by_cid if c in bad_cids or c is None], [])

    with Group("case 8: 3000-byte INVITE in 3 fragments (out of order) -> reassembled, "
               "forwarded, sent as IPv4 fragments that reassemble to a valid datagram") as g:
        g.eq("input fragments", len(fr_frames), 3)
        g.eq("input datagram size", len(big), 3000)
        outs = by_cid.get("big-1@test", [])
        g.eq("forwarded", len(outs), 1)
        g.eq("counter frag_reassembled", r.counters.get("frag_reassembled", 0), 1)
        g.eq("counter frag_sent", r.counters.get("frag_sent", 0), 1)
        if outs:
            d = outs[0]
            fl = getattr(d, "frag_list", [])
            g.ok("left as fragments", d.frags > 1, f"{d.frags} frame(s)")
            g.ok("every fragment within MTU 1500", all(f[IP].len <= 1500 for f in fl),
                 str([f[IP].len for f in fl]))
            g.ok("every fragment's header checksum", all(ip4_hdr_ok(bytes(f[IP])) for f in fl))
            g.ok("offsets multiple of 8, MF on all but the last",
                 all((f[IP].len - 20) % 8 == 0 and f[IP].flags.MF for f in
                     sorted(fl, key=lambda f: f[IP].frag)[:-1]) and
                 not sorted(fl, key=lambda f: f[IP].frag)[-1][IP].flags.MF)
            g.ok("fragments on the wire to the backend's MAC",
                 all(f.dst == BACKENDS.get(d.dst, ("", "?"))[1] and f.src == Lab.mac_c for f in fl))
            g.eq("IP addresses", (d.src, d.dst in BACKENDS), (C_IP4, True))
            g.eq("UDP length", d.udp.len, 8 + len(d.payload))
            seg = bytes(d.udp)
            g.ok("UDP checksum of the reassembled datagram",
                 d.udp.chksum != 0 and l4_ok(d.src, d.dst, 17, seg[:d.udp.len]))
            ov = our_via(d.payload)
            g.ok("our Via on top, signed", ov is not None and branch_ok(ov[1], d.payload))
            if ov:
                rr = f"<sip:{tok_cli}@{C_IP4}:5060;lr>, <sip:{tok_cli}@{A_IP4}:5060;lr>"
                exp = expected_forward(big, C_IP4, ov[1], f"Record-Route: {rr}\r\n",
                                       (";rport\r\n", ";rport=40000;received=10.77.1.2\r\n"))
                g.ok("payload is the forwarded INVITE, byte for byte", d.payload == exp,
                     show_diff(d.payload, exp))

    with Group("case 9: IPv6 REGISTER -> IPv4 backend, our core IPv4 Via, Path token of the IPv6 client") as g:
        outs = by_cid.get("v6-1@test", [])
        g.eq("forwarded", len(outs), 1)
        if outs:
            d = outs[0]
            g.ok("over IPv4", not d.v6)
            check_udp_frame(g, "REGISTER", d, C_IP4, Lab.mac_c,
                            dst_mac=BACKENDS.get(d.dst, ("", "?"))[1], dport=5060)
            ov = our_via(d.payload)
            g.eq("our Via host", ov and ov[0], C_IP4)
            g.ok("branch verifies", ov is not None and branch_ok(ov[1], d.payload))
            paths = hdr(d.payload, "Path")
            m = re.match(r"<sip:([^@]+)@", paths[0]) if paths else None
            g.eq("Path token decodes to the IPv6 client", decode_token(m.group(1)) if m else None,
                 (CLI6, 5060))
            g.eq("Path", paths, [f"<sip:{tok_cli6}@{C_IP4}:5060;lr;ob>"])
            if ov:
                exp = expected_forward(reg6, C_IP4, ov[1],
                                       f"Path: <sip:{tok_cli6}@{C_IP4}:5060;lr;ob>\r\n")
                g.ok("whole message byte for byte (client Via untouched)", d.payload == exp,
                     show_diff(d.payload, exp))

    with Group("case 11: bursts of 33 and 64 back-to-back REGISTERs all forwarded") as g:
        for lo, n in ((0, 33), (33, 64)):
            got = sum(1 for i in range(lo, lo + n) if len(by_cid.get(f"burst-{i}@test", [])) == 1)
            g.eq(f"burst of {n}: forwarded", got, n)
        for i in range(97):
            for d in by_cid.get(f"burst-{i}@test", []):
                ov = our_via(d.payload)
                if not (ov and branch_ok(ov[1], d.payload)):
                    g.errs.append(f"burst-{i}: our Via missing or unsigned")

    with Group("sip run: counters add up (forwarded, replies, drops, probes, ports)") as g:
        n_fwd = 2 + 2 + 200 + len(follow) + 1 + 1 + 97
        n_reg = 2 + 1 + 97
        n_rr = 1 + 200 + 20 + 1	# INVITEs without To tag (rdv retransmissions too)
        g.eq("forwarded datagrams on core (probes aside)", len(fwd), n_fwd)
        check_counters(g, r.counters, "drop_", {"drop_sip_malformed": 2,
                                                 "drop_sip_malformed_ack": 1,
                                                 "drop_sip_malformed_resp": 1})
        check_counters(g, r.counters, "reply_", {"reply_200": 1, "reply_400": 1, "reply_483": 1})
        check_counters(g, r.counters, "fwd_", {"fwd_access_to_core": n_fwd})
        probes = [d for d in cdg if is_probe(d)]
        g.eq("probes on core", sorted(d.dst for d in probes), sorted(BACKENDS))
        for d in probes:
            ov = re.search(r"branch=(z9hG4bK[0-9a-f]{32})(?![0-9a-f])", d.payload.decode(errors="replace"))
            g.ok(f"probe to {d.dst}: branch signed by our key", ov and branch_ok(ov.group(1)))
        g.eq("non-UDP frames out", [o.summary() for o in aother + cother], [])
        g.eq("counter path_added", r.counters.get("path_added", 0), n_reg)
        g.eq("counter record_route_added", r.counters.get("record_route_added", 0), n_rr)
        g.eq("counter sip_requests", r.counters.get("sip_requests", 0), n_fwd + 2)  # + OPTIONS, Max-Forwards 0
        g.eq("counter port core0 tx_pkts",
             r.counters.get("port.core0.tx_pkts"), len(r.out_c or []))
        g.eq("counter port access0 tx_pkts",
             r.counters.get("port.access0.tx_pkts"), len(r.out_a or []))
        g.eq("counter rx_pkts", r.counters.get("rx_pkts"), len(a))
    return st


# -------------------------------------------------------------- run core

def run_core(binary, st):
    c = []
    tok = make_token(CLI4, 40000)
    reg_out = st.get("reg1_out")
    if reg_out is None:		# the sip run failed: build the Via ourselves
        reg_out = expected_forward(register(1), C_IP4, make_branch(0x1234, to=(CLI4, 40000)), "",
                                   (";rport\r\n", ";rport=40000;received=10.77.1.2\r\n"))
    vias = [ln for ln in reg_out.decode().split("\r\n") if ln.startswith("Via: ")]
    our, client = vias[0], vias[1]
    reg_be = st.get("reg1_backend", KAM1)

    def resp(via_lines, cid="reg-1@192.168.1.20", cs="1 REGISTER", code="200 OK"):
        return sip(f"SIP/2.0 {code}", via_lines + [
            "From: <sip:alice@example.com>;tag=a1",
            "To: <sip:alice@example.com>;tag=reg-srv-1",
            f"Call-ID: {cid}", f"CSeq: {cs}",
            "Contact: <sip:alice@192.168.1.20:5062>;expires=3600"])

    ok200 = resp([our, client])
    c.append(core4(ok200, src=reg_be))
    # both Vias in one header line
    ok200b = resp([our + ", " + client[5:]], code="202 Accepted")
    c.append(core4(ok200b, src=reg_be))
    # a forged branch: one hex digit of the MAC changed
    br = re.search(r"branch=(z9hG4bK[0-9a-f]{32})", our).group(1)
    forged_br = br[:-1] + ("0" if br[-1] != "0" else "1")
    forged = resp([our.replace(br, forged_br), client], code="200 OK")
    forged = forged.replace(b"tag=reg-srv-1", b"tag=forged")
    c.append(core4(forged, src=reg_be))

    # case 6: requests from the core routed by our flow token
    def core_req(method, cid, route, to_tag=None, n=1):
        hdr = [f"Route: {route}",
               f"Via: SIP/2.0/UDP {KAM1}:5060;branch=z9hG4bK-kam-{cid.replace('@', '.')}-{n}",
               "Max-Forwards: 70",
               "From: <sip:carol@example.com>;tag=c-" + cid,
               "To: <sip:alice@example.com>" + (f";tag={to_tag}" if to_tag else ""),
               f"Call-ID: {cid}", f"CSeq: {n} {method}"]
        if method == "INVITE":
            hdr.append("Contact: <sip:carol@10.77.2.2:5060>")
        return sip(f"{method} sip:alice@192.168.1.20:5062 SIP/2.0", hdr)

    inv = core_req("INVITE", "core-inv-1@test", f"<sip:{tok}@{C_IP4}:5060;lr;ob>")
    c.append(core4(inv))
    bye = core_req("BYE", "core-bye-1@test", f"<sip:{tok}@{C_IP4}:5060;lr>", to_tag="tt", n=2)
    c.append(core4(bye))
    i = 5
    bad_tok = tok[:i] + ("A" if tok[i] != "A" else "B") + tok[i + 1:]
    tampered = core_req("INVITE", "core-bad-1@test", f"<sip:{bad_tok}@{C_IP4}:5060;lr;ob>")
    c.append(core4(tampered))

    r = run_sipedge(binary, "core", [], c)
    run_group(r, "core")
    adg, aother = udp_out(r.out_a)
    cdg, cother = udp_out(r.out_c)
    by_cid = {}
    for d in adg:
        by_cid.setdefault(call_id(d.payload), []).append(d)

    with Group("case 5a: 200 OK with our Via on top -> client's rport/received, "
               "our Via popped, rest byte-identical") as g:
        outs = [d for d in by_cid.get("reg-1@192.168.1.20", []) if d.payload.startswith(b"SIP/2.0 200")]
        g.eq("forwarded", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "200", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40000)
            exp = ok200.replace((our + "\r\n").encode(), b"", 1)
            g.ok("our Via line removed, the rest byte for byte", d.payload == exp,
                 show_diff(d.payload, exp))

    with Group("case 5b: our Via and the client's in one header line -> our element popped") as g:
        outs = [d for d in by_cid.get("reg-1@192.168.1.20", []) if d.payload.startswith(b"SIP/2.0 202")]
        g.eq("forwarded", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "202", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40000)
            exp = ok200b.replace((our[5:] + ", ").encode(), b"", 1)
            g.ok("byte for byte", d.payload == exp, show_diff(d.payload, exp))

    with Group("case 5c: response with a forged branch -> dropped (drop_resp_not_ours)") as g:
        g.eq("forged forwarded", [d for d in adg if b"tag=forged" in d.payload], [])
        g.eq("counter drop_resp_not_ours", r.counters.get("drop_resp_not_ours", 0), 1)
        g.eq("counter fwd_responses", r.counters.get("fwd_responses", 0), 2)

    with Group("case 6a: INVITE from the core with our Path token in Route -> client's "
               "address, Route popped, our Via, Record-Route, Max-Forwards 69") as g:
        outs = by_cid.get("core-inv-1@test", [])
        g.eq("forwarded", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "INVITE", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40000)
            ov = our_via(d.payload)
            g.eq("our Via host (access side)", ov and ov[0], A_IP4)
            g.ok("branch verifies", ov is not None and branch_ok(ov[1], d.payload))
            g.eq("Route popped", hdr(d.payload, "Route"), [])
            rr = f"<sip:{tok}@{A_IP4}:5060;lr>, <sip:{tok}@{C_IP4}:5060;lr>"
            if ov:
                exp = expected_forward(inv.replace(
                    f"Route: <sip:{tok}@{C_IP4}:5060;lr;ob>\r\n".encode(), b""),
                    A_IP4, ov[1], f"Record-Route: {rr}\r\n")
                g.ok("byte for byte", d.payload == exp, show_diff(d.payload, exp))

    with Group("case 6b: in-dialog BYE from the core with our Record-Route token -> client") as g:
        outs = by_cid.get("core-bye-1@test", [])
        g.eq("forwarded", len(outs), 1)
        if outs:
            d = outs[0]
            check_udp_frame(g, "BYE", d, A_IP4, Lab.mac_a, CLI4, CLI_MAC, dport=40000)
            ov = our_via(d.payload)
            if g.ok("our Via on top, signed", ov is not None and branch_ok(ov[1], d.payload)):
                exp = expected_forward(bye.replace(
                    f"Route: <sip:{tok}@{C_IP4}:5060;lr>\r\n".encode(), b""), A_IP4, ov[1])
                g.ok("byte for byte", d.payload == exp, show_diff(d.payload, exp))

    with Group("case 6c: token with one character changed -> dropped (drop_token_bad)") as g:
        g.eq("tampered forwarded", len(by_cid.get("core-bad-1@test", [])), 0)
        g.eq("no local reply to it on core", [d for d in cdg if call_id(d.payload) == "core-bad-1@test"], [])
        g.ok("the tampered token does not verify here either", decode_token(bad_tok) is None)

    with Group("core run: counters add up") as g:
        check_counters(g, r.counters, "drop_", {"drop_resp_not_ours": 1, "drop_token_bad": 1})
        check_counters(g, r.counters, "reply_", {})
        g.eq("counter fwd_core_to_access", r.counters.get("fwd_core_to_access", 0), 2)
        g.eq("counter flow_token_used", r.counters.get("flow_token_used", 0), 2)
        g.eq("counter record_route_added", r.counters.get("record_route_added", 0), 1)
        g.eq("access-side datagrams", len(adg), 4)
        g.eq("non-UDP frames out", [o.summary() for o in aother + cother], [])
        g.eq("core-side datagrams (the two probes only)", sorted(d.dst for d in cdg if is_probe(d)),
             sorted(BACKENDS))
        g.eq("core-side non-probe datagrams", [call_id(d.payload) for d in cdg if not is_probe(d)], [])


# ------------------------------------------------------------------ main

def self_test():
    with Group("self-test: SipHash-2-4 vector, key derivation, tokens round-trip") as g:
        g.eq("siphash(00..0f, 00..0e)", siphash24(*_key(bytes(range(16))), bytes(range(15))),
             0xA129CA6149BE45E5)
        g.eq("siphash(00..0f, empty)", siphash24(*_key(bytes(range(16))), b""), 0x726FDB47DD0E0E31)
        br = make_branch(0x0123456789ABCDEF)
        g.ok("branch round trip", branch_ok(br) and len(br) == 39)
        g.ok("a changed branch fails", not branch_ok(br[:-1] + ("0" if br[-1] != "0" else "1")))
        g.eq("branch tails", (len(make_branch(1, to=(CLI4, 40000))), len(make_branch(1, to=(CLI6, 5060)))),
             (52, 76))
        t4, t6 = make_token(CLI4, 40000), make_token(CLI6, 5060)
        g.eq("token lengths", (len(t4), len(t6)), (22, 38))
        g.eq("token v4 round trip", decode_token(t4), (CLI4, 40000))
        g.eq("token v6 round trip", decode_token(t6), (CLI6, 5060))


def main(argv):
    global VERBOSE, KEEP, TMP_ROOT
    args = [x for x in argv[1:] if not x.startswith("-")]
    VERBOSE = "-v" in argv
    KEEP = "--keep" in argv
    if not args:
        print(__doc__)
        return 2
    binary = os.path.abspath(args[0])
    if not os.access(binary, os.X_OK):
        print(f"FAIL sipedge binary {binary!r} not found or not executable")
        print("0 passed, 1 failed")
        return 1
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    TMP_ROOT = tempfile.mkdtemp(prefix="sipedge-pcap-")
    try:
        self_test()
        discover(binary)
        run_l2(binary)
        st = run_sip(binary)
        run_core(binary, st)
    except KeyboardInterrupt as e:
        print(f"FAIL interrupted ({e})")
        REPORT.failed += 1
    finally:
        cleanup()
        if KEEP:
            print(f"kept {TMP_ROOT}")
    print(f"{REPORT.passed} passed, {REPORT.failed} failed")
    return 1 if REPORT.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
