#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
"""deploy/lab.d/labtool.py - small network probes for the sipedge lab.

Run inside a lab namespace (ip netns exec ...); standard library only, so it
needs nothing beyond python3 (no ping, nc or socat in the lab's packages).

  labtool.py ping ADDR [--timeout S]
      ICMP/ICMPv6 echo until one reply or timeout; exit 0 on a reply.
  labtool.py options ADDR [--port P] [--src ADDR] [--timeout S] [--expect CODE]
                     [--verbose]
      send OPTIONS sip:ADDR:P (again every 0.5 s until a final response),
      print its status line, the request's Call-ID and how many times it
      sent it (each sending is answered: what counts the answers moves by
      that many) (--verbose: the whole reply); exit 0 when the code is CODE
      (default 200).
  labtool.py send FILE... --to ADDR [--port P] [--src ADDR] [--wait S]
      send each file's bytes as one UDP datagram, collect what comes back
      within S seconds (default 0.5); print one line per file:
          RESULT <file> <status code|none|request> [<first line>]
      exit 0 unless a datagram could not be sent.
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def host_in_uri(addr):
    return "[%s]" % addr if ":" in addr else addr


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def cmd_ping(a):
    fam = family_of(a.addr)
    if fam == socket.AF_INET:
        sock = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        typ, reply_type = 8, 0
    else:
        sock = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        typ, reply_type = 128, 129  # the kernel fills the ICMPv6 checksum
    ident = os.getpid() & 0xFFFF
    deadline = time.monotonic() + a.timeout
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        payload = b"sipedge-lab"
        hdr = struct.pack("!BBHHH", typ, 0, 0, ident, seq)
        if fam == socket.AF_INET:
            hdr = struct.pack("!BBHHH", typ, 0, csum(hdr + payload), ident, seq)
        try:
            sock.sendto(hdr + payload, (a.addr, 0))
        except OSError as e:  # no route or neighbour yet: try again
            print("ping: %s: %s" % (a.addr, e), file=sys.stderr)
        end = min(deadline, time.monotonic() + 0.5)
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                break
            data, src = sock.recvfrom(2048)
            if fam == socket.AF_INET:
                data = data[(data[0] & 0x0F) * 4:]  # raw v4 sockets see the IP header
            if len(data) < 8 or src[0] != a.addr:
                continue
            t, _, _, rid, _ = struct.unpack("!BBHHH", data[:8])
            if t == reply_type and rid == ident:
                print("ping: reply from %s (seq %d)" % (a.addr, seq))
                return 0
    print("ping: no reply from %s in %.1f s" % (a.addr, a.timeout))
    return 1


def udp_socket(addr, src):
    fam = family_of(addr)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    return s


def recv_all(s, wait):
    """Every datagram that arrives within wait seconds."""
    got = []
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return got
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return got
        got.append(s.recv(65535))


def first_line(data):
    return data.split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("latin-1")


def status_of(data):
    line = first_line(data)
    parts = line.split(" ", 2)
    if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
        return parts[1]
    return "request"


def cmd_options(a):
    s = udp_socket(a.addr, a.src)
    s.connect((a.addr, a.port))
    lhost, lport = s.getsockname()[:2]
    tag = "%08x" % random.getrandbits(32)
    msg = (
        "OPTIONS sip:{h}:{p} SIP/2.0\r\n"
        "Via: SIP/2.0/UDP {lh}:{lp};branch=z9hG4bK-lab-{t};rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:labtool@{lh}>;tag={t}\r\n"
        "To: <sip:{h}:{p}>\r\n"
        "Call-ID: labtool-{t}@{lh}\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).format(h=host_in_uri(a.addr), p=a.port, lh=host_in_uri(lhost), lp=lport, t=tag)
    deadline = time.monotonic() + a.timeout
    sent = 0
    while time.monotonic() < deadline:
        try:
            s.send(msg.encode())
            sent += 1
        except OSError as e:  # ICMP port unreachable from an earlier try
            print("options: %s: %s" % (a.addr, e), file=sys.stderr)
        try:
            got = recv_all(s, min(0.5, max(0.0, deadline - time.monotonic())))
        except OSError:
            got = []
        for d in got:
            code = status_of(d)
            if code == "request" or code.startswith("1"):
                continue
            print("options: %s:%d: %s (Call-ID labtool-%s@%s; sent %d)"
                  % (a.addr, a.port, first_line(d), tag, host_in_uri(lhost), sent))
            if a.verbose:
                print(d.decode("latin-1"))
            return 0 if code == str(a.expect) else 1
    print("options: %s:%d: no final response in %.1f s (sent %d)"
          % (a.addr, a.port, a.timeout, sent))
    return 1


def cmd_send(a):
    rc = 0
    for path in a.files:
        with open(path, "rb") as f:
            data = f.read()
        s = udp_socket(a.to, a.src)
        try:
            s.sendto(data, (a.to, a.port))
        except OSError as e:
            print("RESULT %s error %s" % (os.path.basename(path), e))
            rc = 1
            s.close()
            continue
        try:
            got = recv_all(s, a.wait)
        except OSError as e:  # ICMP unreachable: nobody there
            got = []
            print("send: %s: %s" % (os.path.basename(path), e), file=sys.stderr)
        s.close()
        if not got:
            print("RESULT %s none" % os.path.basename(path))
        for d in got:
            print("RESULT %s %s %s" % (os.path.basename(path), status_of(d), first_line(d)))
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("ping")
    pp.add_argument("addr")
    pp.add_argument("--timeout", type=float, default=5.0)
    po = sub.add_parser("options")
    po.add_argument("addr")
    po.add_argument("--port", type=int, default=5060)
    po.add_argument("--src")
    po.add_argument("--timeout", type=float, default=3.0)
    po.add_argument("--expect", type=int, default=200)
    po.add_argument("--verbose", action="store_true", help="print the whole reply")
    ps = sub.add_parser("send")
    ps.add_argument("files", nargs="+")
    ps.add_argument("--to", required=True)
    ps.add_argument("--port", type=int, default=5060)
    ps.add_argument("--src")
    ps.add_argument("--wait", type=float, default=0.5)
    a = p.parse_args()
    return {"ping": cmd_ping, "options": cmd_options, "send": cmd_send}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
