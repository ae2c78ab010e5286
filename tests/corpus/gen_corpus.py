#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""Write the SIP sample corpus (valid/, invalid/) and manifest.tsv.

  gen_corpus.py [DIR]     (DIR defaults to the folder of this script)

Every message is written here rather than by hand so that line endings are
exact (CRLF unless a case says otherwise: editors and git love to "fix" them)
and Content-Length always matches the body it claims. The files are checked
in; rerun this after editing a case and commit both.

The messages are our own, written in the spirit of RFC 4475 (SIP torture
tests) and RFC 5118 (IPv6 torture tests); none is copied from an RFC.

manifest.tsv: path<TAB>expect[<TAB>err_off]
  expect   "ok", or sip_err.def short names; "a|b" when RFC 3261 leaves the
           choice between two codes to the parser; "error" for any refusal
           (garbage that no particular check owns)
  err_off  the byte offset sip_parse() must report, only where it is
           unambiguous (the offending byte itself)
"""
import os
import sys

CRLF = b"\r\n"

# One well-formed request and response; each invalid case changes exactly one
# thing in them so that the expected error is the only one possible.
BASE_REQ = [
    "INVITE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-base-1",
    "Max-Forwards: 70",
    'From: "Alice" <sip:alice@example.org>;tag=a1',
    "To: <sip:bob@example.com>",
    "Call-ID: base-1@192.0.2.10",
    "CSeq: 1 INVITE",
    "Contact: <sip:alice@192.0.2.10:5060>",
    "Content-Length: 0",
]

BASE_RESP = [
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-base-1;received=192.0.2.10",
    'From: "Alice" <sip:alice@example.org>;tag=a1',
    "To: <sip:bob@example.com>;tag=b2",
    "Call-ID: base-1@192.0.2.10",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
]

SDP = (
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
)

SDP6 = (
    "v=0\r\n"
    "o=carol 7 7 IN IP6 2001:db8::9:1\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::9:1\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\n"
)


def build(lines, body=b"", eol=CRLF):
    """Start line and headers joined by eol, the empty line, then the body.
    "{CL}" in a header is replaced by the body's length in bytes."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    out = []
    for line in lines:
        if isinstance(line, str):
            line = line.replace("{CL}", str(len(body))).encode("utf-8")
        out.append(line)
    return eol.join(out) + eol + eol + body


def without(lines, prefix):
    return [line for line in lines if not line.startswith(prefix)]


def replace(lines, prefix, new):
    return [new if line.startswith(prefix) else line for line in lines]


def after(lines, prefix, *new):
    out = []
    for line in lines:
        out.append(line)
        if line.startswith(prefix):
            out.extend(new)
    return out


VALID = {}
INVALID = []  # (name, bytes, expect, err_off or None)


def valid(name, data):
    VALID[name] = data


def invalid(name, data, expect, err_off=None):
    INVALID.append((name, data, expect, err_off))


# ---------------------------------------------------------------- valid ----

# The shortest reasonable request: compact names, no optional header.
valid("compact-short", build([
    "ACK sip:b@example.net SIP/2.0",
    "v:SIP/2.0/UDP 192.0.2.5;branch=z9hG4bKc1",
    "f:<sip:a@example.org>;tag=1",
    "t:sip:b@example.net;tag=2",
    "i:c1",
    "CSeq:1 ACK",
    "l:0",
]))

# Every compact form of sip_hdr.def in one message, in mixed case.
valid("compact-all", build([
    "SUBSCRIBE sip:presence@example.com SIP/2.0",
    "v: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-ca-1",
    "V: SIP/2.0/UDP 198.51.100.3;branch=z9hG4bK-ca-0",
    "f: <sip:watcher@example.org>;tag=ca1",
    "t: <sip:presence@example.com>",
    "i: compact-all-1@192.0.2.7",
    "CSeq: 4 SUBSCRIBE",
    "m: <sip:watcher@192.0.2.7>",
    "s: every compact form",
    "k: eventlist, timer",
    "o: presence",
    "u: presence, dialog",
    "r: <sip:transfer@example.com>",
    "b: <sip:referrer@example.org>",
    "x: 1800;refresher=uac",
    "a: *;+sip.audio",
    "j: *;methods=\"BYE\"",
    "d: proxy, recurse",
    "y: ZXhhbXBsZQ",
    "n: <https://certs.example.org/cert>;alg=rsa-sha256",
    "e: identity",
    "c: application/pidf+xml",
    "L: 0",
]))

# Escapes everywhere a URI allows them: user (with ';' and '=' which a user
# part may hold), parameters, and an escaped '@' that must not end the user.
valid("uri-escapes", build([
    "OPTIONS sip:%61lice%40home;x=%3b@example.com;x-esc=%41%20b;lr SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.11;branch=z9hG4bK-esc-1",
    "Max-Forwards: 70",
    "From: <sip:%7ejohn%2Esmith@example.org;user=ip>;tag=e%2d1",
    "To: <sip:%61lice%40home;x=%3b@example.com;x-esc=%41%20b>",
    "Call-ID: esc-%41-1@192.0.2.11",
    "CSeq: 7 OPTIONS",
    "Contact: <sips:%62ob:pa%73s@example.net;transport=tcp>",
    "Accept: application/sdp",
    "Content-Length: 0",
]))

# Folding (LWS continuation, RFC 3261 7.3.1) with SP and HT, including a value
# that starts on the continuation line and a CSeq split across lines.
valid("folded", build([
    "MESSAGE sip:fold@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK-f1,",
    " SIP/2.0/UDP 198.51.100.9;branch=z9hG4bK-f0",
    "Max-Forwards: 70",
    "Subject: folding",
    " over several",
    "\tlines with a tab",
    "From: <sip:sender@example.org>",
    "  ;tag=f1",
    "To:",
    " <sip:fold@example.com>",
    "Call-ID: fold-1@192.0.2.4",
    "CSeq: 3",
    "   MESSAGE",
    "Content-Type: text/plain",
    "Content-Length: {CL}",
], "folded\r\n"))

# Unusual but legal whitespace: around colons, slashes, semicolons and
# equals signs, tabs, trailing spaces, an empty value.
valid("whitespace", build([
    "OPTIONS sip:ws@example.com SIP/2.0",
    "Via  :   SIP / 2.0 / UDP   192.0.2.4:5060 ; branch = z9hG4bK-ws-1 ; rport",
    "Max-Forwards\t:\t70",
    "From :   <sip:ws@example.org> ; tag = w1",
    "To:<sip:ws@example.com>",
    "Call-ID:   ws-1@192.0.2.4   ",
    "CSeq   :   12    OPTIONS",
    "Subject:",
    "Organization:    \t ",
    "Content-Length :   0",
]))

# Quoted display names with escaped quotes and backslashes, token display
# names with several words, an empty quoted name, UTF-8, and a comma inside
# quotes within a Contact list.
valid("display-names", build([
    "INVITE sip:jane@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bK-dn-1",
    "Max-Forwards: 70",
    'From: "Dr. \\"Q\\" O\'Reilly \\\\ co" <sip:q@example.org>;tag=dq1',
    "To: Jane   Q.  Public <sip:jane@example.com>",
    "Call-ID: dn-1@192.0.2.20",
    "CSeq: 1 INVITE",
    'Contact: "Smith, Jane" <sip:jane@192.0.2.20>;q=0.7, <sip:jane@198.51.100.7>;q=0.3',
    'Reply-To: "" <sip:noreply@example.org>',
    'P-Asserted-Identity: "Zoë Ørsted 日本" <sip:zoe@example.org>',
    "Content-Length: 0",
]))

# IPv6 (RFC 5118 spirit): references in the Request-URI with a port, Via
# sent-by with a port, received= without brackets, Contact.
valid("ipv6-ruri-port", build([
    "INVITE sip:bob@[2001:db8::a:1]:5070 SIP/2.0",
    "Via: SIP/2.0/UDP [2001:db8::9:1]:5060;branch=z9hG4bK-v6-1;received=2001:db8::9:ff",
    "Max-Forwards: 70",
    "From: <sip:carol@[2001:db8::9:1]>;tag=v61",
    "To: <sip:bob@[2001:db8::a:1]:5070>",
    "Call-ID: v6-1@[2001:db8::9:1]",
    "CSeq: 1 INVITE",
    "Contact: <sip:carol@[2001:db8::9:1]:5060;transport=udp>",
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
], SDP6))

valid("ipv6-ruri-noport", build([
    "REGISTER sip:[2001:db8::a:1] SIP/2.0",
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bK-v6-2",
    "Max-Forwards: 70",
    "From: <sip:carol@[2001:db8::a:1]>;tag=v62",
    "To: <sip:carol@[2001:db8::a:1]>",
    "Call-ID: v6-2",
    "CSeq: 2 REGISTER",
    "Contact: <sip:carol@[2001:db8::9:1]>;expires=600",
    "Content-Length: 0",
]))

# An IPv4-mapped and a loopback reference, and a Via list of IPv6 hops.
valid("ipv6-embedded-ipv4", build([
    "OPTIONS sip:[::ffff:192.0.2.33]:5060 SIP/2.0",
    "Via: SIP/2.0/UDP [::1]:5062;branch=z9hG4bK-v6-3, SIP/2.0/TCP [2001:db8::1]:5060;branch=z9hG4bK-v6-2",
    "Via: SIP/2.0/UDP [2001:db8:0:0:0:0:0:2];branch=z9hG4bK-v6-1;maddr=2001:db8::7",
    "Max-Forwards: 70",
    "From: <sip:mon@[::ffff:192.0.2.34]>;tag=v63",
    "To: <sip:[::ffff:192.0.2.33]>",
    "Call-ID: v6-3",
    "CSeq: 9 OPTIONS",
    "Content-Length: 0",
]))

valid("ipv6-response", build([
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bK-v6-4;received=2001:db8::9:ff;rport=5070",
    "Via: SIP/2.0/UDP [2001:db8::5]:5080;branch=z9hG4bK-v6-3",
    "From: <sip:carol@[2001:db8::9:1]>;tag=v64",
    "To: <sip:dave@[2001:db8::a:2]>;tag=v65",
    "Call-ID: v6-4",
    "CSeq: 11 INVITE",
    "Contact: <sip:dave@[2001:db8::a:2]:5060>",
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
], SDP6))

valid("via-list-one-header", build([
    "BYE sip:bob@192.0.2.30 SIP/2.0",
    "Via: SIP/2.0/UDP p3.example.com;branch=z9hG4bK-l3, SIP/2.0/UDP p2.example.com:5070;branch=z9hG4bK-l2,SIP/2.0/TCP p1.example.com;branch=z9hG4bK-l1;received=198.51.100.1",
    "Max-Forwards: 68",
    "From: <sip:alice@example.org>;tag=l1",
    "To: <sip:bob@example.com>;tag=l2",
    "Call-ID: list-1",
    "CSeq: 2 BYE",
    "Content-Length: 0",
]))

valid("via-list-across-headers", build([
    "SIP/2.0 180 Ringing",
    "Via: SIP/2.0/UDP p3.example.com;branch=z9hG4bK-x3;received=192.0.2.3,SIP/2.0/UDP p2.example.com;branch=z9hG4bK-x2",
    "To: <sip:bob@example.com>;tag=x9",
    "v: SIP/2.0/SCTP p1.example.com;branch=z9hG4bK-x1",
    "VIA: SIP/2.0/TLS 192.0.2.40:5061;branch=z9hG4bK-x0;rport=5061;received=192.0.2.41",
    "From: <sip:alice@example.org>;tag=x8",
    "Call-ID: across-1",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
]))

valid("tel-uri", build([
    "INVITE tel:+1-201-555-0123;phone-context=example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.50;branch=z9hG4bK-tel-1",
    "Max-Forwards: 70",
    "From: <tel:+442079460000>;tag=t1",
    "To: <tel:7042;phone-context=+1-201-555>",
    "Call-ID: tel-1@192.0.2.50",
    "CSeq: 1 INVITE",
    "Contact: <sip:+442079460000@192.0.2.50;user=phone>",
    "P-Asserted-Identity: <tel:+442079460000>, <sip:+442079460000@example.org;user=phone>",
    "Content-Length: 0",
]))

valid("sips", build([
    "INVITE sips:bob@secure.example.com SIP/2.0",
    "Via: SIP/2.0/TLS 192.0.2.60:5061;branch=z9hG4bK-tls-1",
    "Max-Forwards: 70",
    "From: <sips:alice@secure.example.org>;tag=s1",
    "To: <sips:bob@secure.example.com>",
    "Call-ID: sips-1",
    "CSeq: 100 INVITE",
    "Contact: <sips:alice@192.0.2.60:5061>",
    "Route: <sips:edge.example.com;lr>",
    "Content-Length: 0",
]))

# An extension method: any token, matched case-sensitively.
valid("unknown-method", build([
    "FROBNICATE sip:svc@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.70;branch=z9hG4bK-um-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=u1",
    "To: <sip:svc@example.com>",
    "Call-ID: um-1",
    "CSeq: 44 FROBNICATE",
    "Content-Length: 0",
]))

# "invite" is not INVITE (RFC 3261 7.1: case-sensitive) but it is a token.
valid("lowercase-method", build([
    "invite sip:svc@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.71;branch=z9hG4bK-lm-1",
    "From: <sip:alice@example.org>;tag=lm1",
    "To: <sip:svc@example.com>",
    "Call-ID: lm-1",
    "CSeq: 1 invite",
    "Content-Length: 0",
]))

valid("token-chars-method", build([
    "X-Ext.m!%*_+`'~ sip:svc@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.72;branch=z9hG4bK-tc-1",
    "From: <sip:alice@example.org>;tag=tc1",
    "To: <sip:svc@example.com>",
    "Call-ID: tc-1",
    "CSeq: 1 X-Ext.m!%*_+`'~",
    "Content-Length: 0",
]))

valid("response-unknown-method", build([
    "SIP/2.0 501 Not Implemented",
    "Via: SIP/2.0/UDP 192.0.2.70;branch=z9hG4bK-um-1",
    "From: <sip:alice@example.org>;tag=u1",
    "To: <sip:svc@example.com>;tag=u2",
    "Call-ID: um-1",
    "CSeq: 44 FROBNICATE",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
    "Content-Length: 0",
]))

# Headers nobody knows, with every token character in a name, and a known
# one written in odd case.
valid("unknown-headers", build([
    "OPTIONS sip:probe@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.80;branch=z9hG4bK-uh-1",
    "Max-Forwards: 70",
    "X-Custom: one, two, three",
    "From: <sip:probe@example.org>;tag=uh1",
    "X-Weird.Name!%*_+`'~: value: with colons",
    "To: <sip:probe@example.com>",
    "NewFangledHeader: newfangled value, more=\"quoted, with comma\"",
    "cAlL-iD: uh-1",
    "CSEQ: 5 OPTIONS",
    "P-Vendor-Thing: <sip:x@example.net>;a=b",
    "x-custom: again",
    "content-LENGTH: 0",
]))

valid("invite-sdp", build([
    "INVITE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sdp-1;rport",
    "Max-Forwards: 70",
    'From: "Alice" <sip:alice@example.org>;tag=sdp1',
    "To: <sip:bob@example.com>",
    "Call-ID: sdp-1@192.0.2.10",
    "CSeq: 1 INVITE",
    "Contact: <sip:alice@192.0.2.10:5060>",
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, REFER",
    "Supported: 100rel, timer, replaces",
    "Session-Expires: 1800",
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
], SDP))

valid("multipart-body", build([
    "INVITE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-mp-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=mp1",
    "To: <sip:bob@example.com>",
    "Call-ID: mp-1",
    "CSeq: 1 INVITE",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed;boundary="b-9"',
    "Content-Length: {CL}",
], "--b-9\r\nContent-Type: application/sdp\r\n\r\n" + SDP +
   "--b-9\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b-9--\r\n"))

# NUL and CR bytes are legal in a body: only the header section is checked.
valid("binary-body", build([
    "MESSAGE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-bin-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=bin1",
    "To: <sip:bob@example.com>",
    "Call-ID: bin-1",
    "CSeq: 1 MESSAGE",
    "Content-Type: application/octet-stream",
    "Content-Length: {CL}",
], b"\x00\x01\x02\r\xff\x00\n\r\n\r\n\x00"))

valid("content-length-zero", build([
    "OPTIONS sip:example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.90;branch=z9hG4bK-cl0-1",
    "Max-Forwards: 70",
    "From: <sip:ping@example.org>;tag=cl0",
    "To: <sip:example.com>",
    "Call-ID: cl0-1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
]))

valid("content-length-leading-zeros", build([
    "MESSAGE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.91;branch=z9hG4bK-clz-1",
    "From: <sip:alice@example.org>;tag=clz",
    "To: <sip:bob@example.com>",
    "Call-ID: clz-1",
    "CSeq: 1 MESSAGE",
    "Content-Type: text/plain",
    "Content-Length: 0005",
], "hello"))

# No Content-Length over UDP: the rest of the datagram is the body.
valid("no-content-length", build([
    "MESSAGE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.92;branch=z9hG4bK-nocl-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=nocl",
    "To: <sip:bob@example.com>",
    "Call-ID: nocl-1",
    "CSeq: 1 MESSAGE",
    "Content-Type: text/plain",
], "no length given\r\n"))

# Extra bytes after Content-Length are discarded (RFC 3261 18.3).
valid("body-trimmed", build([
    "MESSAGE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.93;branch=z9hG4bK-trim-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=trim",
    "To: <sip:bob@example.com>",
    "Call-ID: trim-1",
    "CSeq: 1 MESSAGE",
    "Content-Type: text/plain",
    "Content-Length: 4",
], "kept, and this is discarded"))

# A request that went through ten proxies, Vias split in every legal way.
valid("via-10", build([
    "INVITE sip:bob@example.com SIP/2.0",
    "Via: SIP/2.0/UDP p10.example.com;branch=z9hG4bK-h10",
    "Via: SIP/2.0/UDP p9.example.com:5090;branch=z9hG4bK-h9, SIP/2.0/UDP p8.example.com;branch=z9hG4bK-h8",
    "v: SIP/2.0/TCP 198.51.100.7:5060;branch=z9hG4bK-h7;received=198.51.100.70",
    "Via: SIP/2.0/UDP [2001:db8::6];branch=z9hG4bK-h6,",
    "  SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK-h5;rport=5060",
    "Via: SIP/2.0/TLS p4.example.net:5061;branch=z9hG4bK-h4",
    "Via: SIP/2.0/UDP p3.example.net;branch=z9hG4bK-h3;ttl=16;maddr=239.255.255.1",
    "Via: SIP/2.0/UDP p2.example.net;branch=z9hG4bK-h2,SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-h1;rport",
    "Max-Forwards: 60",
    "Record-Route: <sip:p10.example.com;lr>, <sip:p9.example.com:5090;lr>",
    "Record-Route: <sip:p7.example.com;lr;transport=tcp>",
    'From: "Alice" <sip:alice@example.org>;tag=h1',
    "To: <sip:bob@example.com>",
    "Call-ID: via10-1@192.0.2.1",
    "CSeq: 1 INVITE",
    "Contact: <sip:alice@192.0.2.1:5060>",
    "Content-Type: application/sdp",
    "Content-Length: {CL}",
], SDP))

valid("register-star", build([
    "REGISTER sip:registrar.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK-star-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.com>;tag=star1",
    "To: <sip:alice@example.com>",
    "Call-ID: star-1@192.0.2.100",
    "CSeq: 9 REGISTER",
    "Contact: *",
    "Expires: 0",
    "Content-Length: 0",
]))

valid("register-contacts", build([
    "REGISTER sip:registrar.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.100:5060;branch=z9hG4bK-reg-2",
    "Max-Forwards: 70",
    "From: <sip:alice@example.com>;tag=reg2",
    "To: <sip:alice@example.com>",
    "Call-ID: reg-2@192.0.2.100",
    "CSeq: 10 REGISTER",
    'Contact: <sip:alice@192.0.2.100:5060>;expires=3600;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000a95a0e128>", sip:alice@198.51.100.4;q=0.1',
    "m: <sips:alice@192.0.2.100:5061>;reg-id=2",
    "Supported: path, outbound, gruu",
    "Expires: 3600",
    "Content-Length: 0",
]))

# Bare LF line endings everywhere (RFC 3261 7: a recipient SHOULD accept
# LF alone). The only non-CRLF file apart from mixed-line-endings.
valid("bare-lf-line-endings", build(BASE_REQ, eol=b"\n"))

valid("mixed-line-endings", b"".join([
    b"OPTIONS sip:mix@example.com SIP/2.0\r\n",
    b"Via: SIP/2.0/UDP 192.0.2.110;branch=z9hG4bK-mix-1\n",
    b"From: <sip:mix@example.org>;tag=mix\r\n",
    b"To: <sip:mix@example.com>\n",
    b"Call-ID: mix-1\r\n",
    b"CSeq: 1 OPTIONS\n",
    b"Content-Length: 0\r\n",
    b"\n",
]))

valid("cseq-max", build(replace(BASE_REQ, "CSeq:", "CSeq: 2147483647 INVITE")))
valid("cseq-zero", build(replace(BASE_REQ, "CSeq:", "CSeq: 0 INVITE")))
valid("max-forwards-0", build(replace(BASE_REQ, "Max-Forwards:", "Max-Forwards: 0")))
valid("max-forwards-255", build(replace(BASE_REQ, "Max-Forwards:", "Max-Forwards: 255")))
valid("no-max-forwards", build(without(BASE_REQ, "Max-Forwards:")))
valid("expires-clamped", build(after(BASE_REQ, "CSeq:", "Expires: 4294967296")))
valid("expires-huge", build(after(BASE_REQ, "CSeq:", "Expires: 99999999999999999999999999")))

# Identical repeats of single-valued headers are allowed, also through the
# compact form.
valid("duplicate-identical", build(after(BASE_REQ, "Call-ID:",
                                         "i: base-1@192.0.2.10",
                                         "Call-ID: base-1@192.0.2.10",
                                         "l: 0")))

valid("lowercase-version", build([
    "OPTIONS sip:lc@example.com sip/2.0",
    "Via: sip/2.0/udp 192.0.2.120;branch=z9hG4bK-lc-1",
    "From: <sip:lc@example.org>;tag=lc",
    "To: <sip:lc@example.com>",
    "Call-ID: lc-1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
]))

# RFC 3261 25.1: Request-URI = SIP-URI / SIPS-URI / absoluteURI. A scheme
# the element does not support is answered with 416 (RFC 3261 8.2.2.1), so
# the parser must not refuse it as malformed.
valid("ruri-absolute-uri", build([
    "OPTIONS urn:service:sos SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.130;branch=z9hG4bK-urn-1",
    "Max-Forwards: 70",
    "From: <sip:caller@example.org>;tag=urn1",
    "To: <urn:service:sos>",
    "Call-ID: urn-1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
]))

# The user part may contain ';' (user-unreserved): the host is after '@'.
valid("ruri-user-semicolon", build([
    "INVITE sip:+15550100;npdi;rn=+15550199@gw.example.com;user=phone SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.131;branch=z9hG4bK-semi-1",
    "Max-Forwards: 70",
    "From: <sip:alice@example.org>;tag=semi1",
    "To: <sip:+15550100;npdi@gw.example.com;user=phone>",
    "Call-ID: semi-1",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
]))

valid("long-header-line", build(after(BASE_REQ, "Contact:",
                                      "X-Padding: " + "p" * 4000)))

# Exactly the default limit of 64 header fields.
# (BASE_REQ holds the start line and 8 headers.)
valid("headers-64", build(after(BASE_REQ, "Contact:",
                                *["X-Pad-%02d: %d" % (i, i) for i in range(56)])))

valid("max-line-exact", build(after(BASE_REQ, "Contact:",
                                    "X-Exact: " + "e" * (4096 - len("X-Exact: ")))))

valid("empty-reason", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 200 ")))
valid("reason-utf8", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 200 Très bien, merci")))
valid("status-100-min", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 100 Trying")))
valid("status-699-max", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 699 Extension Global")))

RESP_CLASSES = {
    "response-100-trying": ("100 Trying", [], ""),
    "response-183-progress": ("183 Session Progress",
                              ["Contact: <sip:bob@192.0.2.30>", "Require: 100rel",
                               "RSeq: 1", "Content-Type: application/sdp"], SDP),
    "response-200-sdp": ("200 OK", ["Contact: <sip:bob@192.0.2.30>",
                                    "Record-Route: <sip:p2.example.com;lr>,<sip:p1.example.com;lr>",
                                    "Content-Type: application/sdp"], SDP),
    "response-202-accepted": ("202 Accepted", [], ""),
    "response-302-moved": ("302 Moved Temporarily",
                           ["Contact: <sip:bob@other.example.net?Subject=moved%20here&Priority=urgent>;q=0.9, <tel:+15550111>;q=0.2"], ""),
    "response-401-challenge": ("401 Unauthorized",
                               ['WWW-Authenticate: Digest realm="example.com", qop="auth,auth-int", nonce="ab12, cd34", algorithm=MD5'], ""),
    "response-486-busy": ("486 Busy Here", ["Warning: 399 bob.example.com \"in a meeting\""], ""),
    "response-503-unavailable": ("503 Service Unavailable", ["Retry-After: 120 (maintenance);duration=60"], ""),
    "response-603-decline": ("603 Decline", ["Reason: SIP;cause=603;text=\"Declined\""], ""),
}
for name, (status, extra, body) in RESP_CLASSES.items():
    lines = replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 " + status)
    lines = replace(lines, "Content-Length:", "Content-Length: {CL}")
    lines = lines[:-1] + extra + lines[-1:]
    if status.startswith("100"):
        lines = replace(lines, "To:", "To: <sip:bob@example.com>")
    valid(name, build(lines, body))

# One request per method of sip_method.def, each with what it usually carries.
METHOD_EXTRA = {
    "INVITE": ["Contact: <sip:alice@192.0.2.10>"],
    "ACK": [],
    "BYE": ["Reason: Q.850;cause=16"],
    "CANCEL": [],
    "OPTIONS": ["Accept: application/sdp, text/plain"],
    "REGISTER": ["Contact: <sip:alice@192.0.2.10>;expires=60"],
    "PRACK": ["RAck: 1 1 INVITE"],
    "SUBSCRIBE": ["Event: dialog", "Expires: 600", "Accept: application/dialog-info+xml"],
    "NOTIFY": ["Event: dialog", "Subscription-State: active;expires=599"],
    "UPDATE": ["Session-Expires: 900;refresher=uas", "Min-SE: 90"],
    "MESSAGE": ["Content-Type: text/plain"],
    "REFER": ["Refer-To: <sip:carol@example.net?Replaces=abc%40def%3Bto-tag%3D1%3Bfrom-tag%3D2>",
              "Referred-By: <sip:alice@example.org>"],
    "PUBLISH": ["Event: presence", "SIP-If-Match: dx200xyz", "Expires: 3600"],
    "INFO": ["Info-Package: dtmf", "Content-Type: application/dtmf-relay"],
}
METHOD_BODY = {"MESSAGE": "hi", "INFO": "Signal=5\r\nDuration=160\r\n"}
for i, (method, extra) in enumerate(METHOD_EXTRA.items(), start=1):
    lines = [
        "%s sip:bob@example.com SIP/2.0" % method,
        "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-m%d" % i,
        "Max-Forwards: 70",
        "From: <sip:alice@example.org>;tag=m%d" % i,
        "To: <sip:bob@example.com>;tag=t%d" % i,
        "Call-ID: method-%d@192.0.2.10" % i,
        "CSeq: %d %s" % (i, method),
    ] + extra + ["Content-Length: {CL}"]
    valid("method-" + method.lower(), build(lines, METHOD_BODY.get(method, "")))

# -------------------------------------------------------------- invalid ----

invalid("empty", b"", "empty")
invalid("garbage-text", b"GARBAGE_WITHOUT_ANY_SPACE_AT_ALL\r\n\r\n", "bad-start-line")
# What arrives when a TLS client speaks to the UDP port, and an HTTP probe:
# nothing in particular owns them, they just must be refused.
invalid("garbage-tls-hello",
        bytes.fromhex("16030100a5010000a10303") + bytes(range(32)) + b"\x00\x20\xc0\x2b",
        "error")
invalid("garbage-http", b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "error")

for hdr in ("Via", "From", "To", "Call-ID", "CSeq"):
    code = "missing-" + hdr.lower()
    invalid("missing-%s-request" % hdr.lower(), build(without(BASE_REQ, hdr + ":")), code)
    invalid("missing-%s-response" % hdr.lower(), build(without(BASE_RESP, hdr + ":")), code)

invalid("cseq-mismatch", build(replace(BASE_REQ, "CSeq:", "CSeq: 1 BYE")), "cseq-mismatch")
invalid("cseq-case-mismatch", build(replace(BASE_REQ, "CSeq:", "CSeq: 1 invite")), "cseq-mismatch")
invalid("cseq-2-31", build(replace(BASE_REQ, "CSeq:", "CSeq: 2147483648 INVITE")), "bad-cseq")
invalid("cseq-huge", build(replace(BASE_REQ, "CSeq:", "CSeq: 99999999999999999999 INVITE")), "bad-cseq")
invalid("cseq-no-number", build(replace(BASE_REQ, "CSeq:", "CSeq: INVITE")), "bad-cseq")
invalid("cseq-no-method", build(replace(BASE_REQ, "CSeq:", "CSeq: 1")), "bad-cseq")
invalid("cseq-negative", build(replace(BASE_REQ, "CSeq:", "CSeq: -1 INVITE")), "bad-cseq")

invalid("content-length-negative", build(replace(BASE_REQ, "Content-Length:", "Content-Length: -4")),
        "bad-content-length")
invalid("content-length-alpha", build(replace(BASE_REQ, "Content-Length:", "Content-Length: four")),
        "bad-content-length")
invalid("content-length-overflow",
        build(replace(BASE_REQ, "Content-Length:", "Content-Length: 99999999999999999999")),
        "bad-content-length|body-truncated")
invalid("content-length-beyond-datagram",
        build(replace(BASE_REQ, "Content-Length:", "Content-Length: 50"), "only twenty bytes..."),
        "body-truncated")
invalid("content-length-conflict",
        build(after(BASE_REQ, "Content-Length:", "l: 10"), "ten bytes!"), "duplicate-header")

invalid("max-forwards-256", build(replace(BASE_REQ, "Max-Forwards:", "Max-Forwards: 256")),
        "bad-max-forwards")
invalid("max-forwards-alpha", build(replace(BASE_REQ, "Max-Forwards:", "Max-Forwards: seventy")),
        "bad-max-forwards")
invalid("max-forwards-negative", build(replace(BASE_REQ, "Max-Forwards:", "Max-Forwards: -1")),
        "bad-max-forwards")

invalid("expires-alpha", build(after(BASE_REQ, "CSeq:", "Expires: soon")), "bad-expires")
invalid("call-id-empty", build(replace(BASE_REQ, "Call-ID:", "Call-ID:")), "bad-call-id")
invalid("duplicate-call-id", build(after(BASE_REQ, "Call-ID:", "i: other@192.0.2.10")),
        "duplicate-header")
invalid("duplicate-from", build(after(BASE_REQ, "From:", "f: <sip:mallory@example.org>;tag=m1")),
        "duplicate-header")

# Control bytes in the header section; err_off is the offending byte.
nul = build(replace(BASE_REQ, "Contact:", "Contact: <sip:alice@192.0.2.10:5060>\x00;x=1"))
invalid("nul-in-header", nul, "bad-char", nul.index(b"\x00"))
bare_cr = build(replace(BASE_REQ, "Contact:", "Contact: <sip:alice@192.0.2.10:5060>\r;x=1"))
invalid("bare-cr-in-header", bare_cr, "bad-char", bare_cr.index(b">\r;") + 1)
esc = build(after(BASE_REQ, "Contact:", "Subject: bell \x07 here"))
invalid("bel-in-header", esc, "bad-char", esc.index(b"\x07"))

invalid("version-7", build(replace(BASE_REQ, "INVITE sip:", "INVITE sip:bob@example.com SIP/7.0")),
        "bad-version")
invalid("version-7-response", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/7.0 200 OK")),
        "bad-version")
invalid("version-2-1", build(replace(BASE_REQ, "INVITE sip:", "INVITE sip:bob@example.com SIP/2.1")),
        "bad-version")
invalid("status-99", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 99 Too Low")), "bad-status")
invalid("status-700", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 700 Too High")), "bad-status")
invalid("status-alpha", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 2x0 OK")), "bad-status")
invalid("status-4-digits", build(replace(BASE_RESP, "SIP/2.0 200", "SIP/2.0 2000 OK")), "bad-status")
invalid("bad-method-char", build([BASE_REQ[0].replace("INVITE", "INV(ITE")] + BASE_REQ[1:]),
        "bad-method")

invalid("header-no-colon", build(after(BASE_REQ, "Call-ID:", "This header has no colon")),
        "bad-header-name")
invalid("header-empty-name", build(after(BASE_REQ, "Call-ID:", ": nameless")), "bad-header-name")
invalid("header-name-space", build(after(BASE_REQ, "Call-ID:", "Bad Name: value")),
        "bad-header-name")
fold = build([BASE_REQ[0], " folded: onto the start line"] + BASE_REQ[1:])
invalid("fold-after-start-line", fold, "bad-folding", fold.index(b"\r\n ") + 2)

invalid("too-many-headers", build(after(BASE_REQ, "Contact:",
                                        *["X-Pad-%02d: %d" % (i, i) for i in range(57)])),
        "too-many-headers")
invalid("line-too-long", build(after(BASE_REQ, "Contact:", "X-Long: " + "l" * 5000)),
        "line-too-long")
invalid("line-one-over", build(after(BASE_REQ, "Contact:",
                                     "X-Exact: " + "e" * (4097 - len("X-Exact: ")))),
        "line-too-long")
big_body = "b" * 17000
invalid("too-large", build(replace(BASE_REQ, "Content-Length:", "Content-Length: {CL}"), big_body),
        "too-large")
invalid("unterminated-headers", CRLF.join(l.encode() for l in BASE_REQ) + CRLF, "truncated")
invalid("unterminated-start-line", b"INVITE sip:bob@example.com SIP/2.0", "truncated")

for name, ruri in (("ruri-ipv6-unclosed", "sip:bob@[2001:db8::a:1"),
                   ("ruri-ipv6-unbracketed", "sip:bob@2001:db8::a:1"),
                   ("ruri-ipv6-double-gap", "sip:bob@[2001:db8::a::1]"),
                   ("ruri-ipv6-bad-hex", "sip:bob@[2001:db8::g:1]"),
                   ("ruri-ipv4-in-brackets", "sip:bob@[192.0.2.1]"),
                   ("ruri-port-65536", "sip:bob@example.com:65536"),
                   ("ruri-empty-host", "sip:bob@"),
                   ("ruri-bad-escape", "sip:b%zzob@example.com")):
    invalid(name, build([BASE_REQ[0].replace("sip:bob@example.com", ruri)] + BASE_REQ[1:]),
            "bad-request-uri")


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rows = ["# Generated by gen_corpus.py: path<TAB>expect[<TAB>err_off]",
            "# bare-lf-line-endings.sip and mixed-line-endings.sip use LF on purpose."]
    for sub in ("valid", "invalid"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        for old in os.listdir(os.path.join(root, sub)):
            if old.endswith(".sip"):
                os.unlink(os.path.join(root, sub, old))
    for name, data in VALID.items():
        with open(os.path.join(root, "valid", name + ".sip"), "wb") as f:
            f.write(data)
        rows.append("valid/%s.sip\tok" % name)
    for name, data, expect, err_off in INVALID:
        with open(os.path.join(root, "invalid", name + ".sip"), "wb") as f:
            f.write(data)
        rows.append("invalid/%s.sip\t%s%s" % (name, expect,
                                               "" if err_off is None else "\t%d" % err_off))
    with open(os.path.join(root, "manifest.tsv"), "w", encoding="ascii") as f:
        f.write("\n".join(rows) + "\n")
    print("%d valid, %d invalid" % (len(VALID), len(INVALID)))


if __name__ == "__main__":
    main(sys.argv)
