#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
#
# test_inspect.sh - `sipedgectl inspect` as a black box: exit statuses,
# fields in text and JSON, refused options, hostile bytes, stdin, size
# limits, I/O errors, and that docs/sipedgectl.md covers what the binary does.
#
# Usage: test_inspect.sh SIPEDGECTL SAMPLES_DIR DOC   (run by `meson test`)
set -u

ctl=$1
samples=$2
doc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0

fail() {
	echo "FAIL: $*" >&2
	echo "  stdout: $(head -c 600 "$tmp/out")" >&2
	echo "  stderr: $(head -c 600 "$tmp/err")" >&2
	fails=$((fails + 1))
}

# run ARGS...: runs sipedgectl, leaving $tmp/out, $tmp/err and $rc.
run() {
	"$ctl" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

# expect WANT_RC DESCRIPTION: checks the last run's exit status.
expect() {
	checks=$((checks + 1))
	[ "$rc" -eq "$1" ] || fail "$2: exit status $rc, expected $1"
}

out_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$tmp/out" || fail "$2: stdout lacks \"$1\""
}

err_has() {
	checks=$((checks + 1))
	grep -qF -- "$1" "$tmp/err" || fail "$2: stderr lacks \"$1\""
}

# The last stdout is one valid JSON document (python3 -m json.tool, which
# also rejects invalid UTF-8), on one line.
json_valid() {
	checks=$((checks + 1))
	python3 -m json.tool "$tmp/out" > /dev/null 2> "$tmp/jerr" ||
		fail "$1: invalid JSON: $(cat "$tmp/jerr")"
	[ "$(wc -l < "$tmp/out")" -eq 1 ] || fail "$1: JSON is not one line"
}

# jeq EXPR WANT DESC: python expression over the JSON in d equals WANT
# (compared as the repr of a Python value).
jeq() {
	local got
	checks=$((checks + 1))
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(repr(eval(sys.argv[2])))' \
		"$tmp/out" "$1" 2>&1)
	[ "$got" = "$2" ] || fail "$3: $1 is $got, expected $2"
}

# The last stdout is safe on a terminal: no control byte but '\n', no DEL,
# valid UTF-8 and no C1 control encoded in it.
terminal_safe() {
	checks=$((checks + 1))
	python3 - "$tmp/out" <<'EOF' || fail "$1: unsafe bytes on a terminal"
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
t = b.decode("utf-8")  # raises on invalid UTF-8
bad += [c for c in t if 0x80 <= ord(c) < 0xa0]
sys.exit(1 if bad else 0)
EOF
}

# ---- the command line ----

run --version; expect 0 "--version"; out_has "sipedgectl 0." "--version"
run version; expect 0 "version"
run help; expect 0 "help"; out_has "inspect" "help lists inspect"
run --help; expect 0 "--help"; out_has "commands:" "--help"
run -h; expect 0 "-h"
run help inspect; expect 0 "help inspect"
for o in --json --stream "--max-msg N" "--max-headers N" "--max-line N"; do
	out_has "$o" "help inspect shows $o"
done
out_has "default 16384, range 1..65535" "help inspect shows max-msg default"
run inspect --help; expect 0 "inspect --help"; out_has "--max-line" "inspect --help"
run help frobnicate; expect 2 "help of an unknown command"
err_has 'unknown command "frobnicate"' "help frobnicate"
run; expect 2 "no command"; err_has "usage:" "no command shows usage"
run frobnicate; expect 2 "unknown command"
err_has 'unknown command "frobnicate"' "unknown command names it"
run --frobnicate; expect 2 "unknown global option"
err_has '"--frobnicate"' "unknown global option names it"

# ---- refused options: each names the option, quotes the value and the range ----

reg=$samples/register.sip
bad_opt() { # OPTION VALUE WANT-IN-STDERR
	run inspect "$1" "$2" "$reg"
	expect 2 "inspect $1 \"$2\""
	err_has "$3" "inspect $1 \"$2\""
	err_has "usage: sipedgectl inspect" "inspect $1 \"$2\" shows usage"
}
bad_opt --max-msg 0 '--max-msg "0" is out of range [1, 65535]'
bad_opt --max-msg 65536 '--max-msg "65536" is out of range [1, 65535]'
bad_opt --max-msg 99999999999 '--max-msg "99999999999" is out of range [1, 65535]'
bad_opt --max-msg abc '--max-msg "abc" is not a number in [1, 65535]'
bad_opt --max-msg -1 '--max-msg "-1" is not a number in [1, 65535]'
bad_opt --max-msg "" '--max-msg "" is not a number in [1, 65535]'
bad_opt --max-msg " 5" '--max-msg " 5" is not a number in [1, 65535]'
bad_opt --max-msg 0x100 '--max-msg "0x100" is not a number in [1, 65535]'
bad_opt --max-headers 0 '--max-headers "0" is out of range [1, 128]'
bad_opt --max-headers 129 '--max-headers "129" is out of range [1, 128]'
bad_opt --max-line 0 '--max-line "0" is out of range [1, 65535]'
bad_opt --max-line 65536 '--max-line "65536" is out of range [1, 65535]'
run inspect --max-msg=70000 "$reg"; expect 2 "--max-msg=70000"
err_has '--max-msg "70000" is out of range [1, 65535]' "--max-msg=VALUE form"
run inspect "$reg" --max-msg; expect 2 "--max-msg without value"
err_has "--max-msg needs a value N in [1, 65535]" "--max-msg without value"
run inspect --json=yes "$reg"; expect 2 "--json=yes"
err_has '--json takes no value (got "yes")' "--json=yes"
run inspect --bogus "$reg"; expect 2 "unknown option"
err_has 'unknown option "--bogus"' "unknown option"
run inspect -j "$reg"; expect 2 "unknown short option"
err_has 'unknown option "-j"' "unknown short option"
run inspect; expect 2 "no operand"
err_has "expected 1 operand (FILE|-), got 0" "no operand"
run inspect "$reg" "$reg"; expect 2 "two operands"
err_has "expected 1 operand (FILE|-), got 2" "two operands"
# accepted forms: options after the operand, =VALUE, "--" before a name
run inspect "$reg" --json --max-msg=65535 --max-headers 128 --max-line 65535
expect 0 "options after the operand"; json_valid "options after the operand"
cp "$reg" "$tmp/--json"
run inspect -- "$tmp/--json"; expect 0 "-- ends the options"

# ---- the shipped samples ----

for f in "$samples"/*.sip; do
	name=$(basename "$f" .sip)
	case $name in malformed-*) want=1 ;; *) want=0 ;; esac
	run inspect "$f"; expect "$want" "$name (text)"; terminal_safe "$name (text)"
	run inspect --json "$f"; expect "$want" "$name (json)"; json_valid "$name"
	if [ "$want" -eq 0 ]; then
		jeq 'd["ok"]' True "$name"
		jeq 'd["len"] + d["trailing"]' "$(wc -c < "$f")" "$name length"
		jeq 'd["body_len"] == (d["content_length"] or 0)' True "$name body"
		jeq 'len(d["headers"]) > 0 and d["headers"][0]["id"]' "'Via'" "$name"
	else
		jeq 'd["ok"], d["error"]' "(False, '${name#malformed-}')" "$name"
		jeq 'isinstance(d["offset"], int) and d["offset"] > 0' True "$name"
	fi
done

inv=$samples/invite-sdp.sip
run inspect --json "$inv"
jeq 'd["type"], d["method"], d["status"]' "('request', 'INVITE', None)" "invite"
jeq 'd["ruri"]["uri"], d["ruri"]["scheme"], d["ruri"]["user"], d["ruri"]["host"], d["ruri"]["host_type"], d["ruri"]["port"]' \
	"('sip:bob@biloxi.example.com', 'sip', 'bob', 'biloxi.example.com', 'name', None)" "invite ruri"
jeq 'len(d["vias"]), [v["index"] for v in d["vias"]]' "(2, [0, 1])" "invite vias"
jeq '[d["vias"][0][k] for k in ("transport","host","host_type","port","branch","received","has_rport","rport","maddr","ttl")]' \
	"['TCP', '2001:db8::1', 'ipv6', 5061, 'z9hG4bK-edge-7f3a', '2001:db8::1', False, None, None, None]" "invite via 0"
jeq '[d["vias"][1][k] for k in ("transport","host","host_type","port","branch","received","has_rport","rport")]' \
	"['UDP', '192.0.2.101', 'ipv4', 5060, 'z9hG4bK74bf9', '198.51.100.7', True, 5060]" "invite via 1"
jeq 'd["from"]["display"], d["from"]["tag"], d["from"]["uri"]["user"], d["from"]["uri"]["host"]' \
	"('Alice Liddell', '9fxced76sl', 'alice', 'atlanta.example.com')" "invite from"
jeq 'd["to"]["display"], d["to"]["tag"], d["to"]["uri"]["uri"]' \
	"('Bob', None, 'sip:bob@biloxi.example.com')" "invite to"
jeq 'len(d["contacts"]), d["contacts"][0]["uri"]["host"], d["contacts"][0]["uri"]["port"], d["contacts"][0]["uri"]["params"]' \
	"(1, '192.0.2.101', 5060, 'transport=udp')" "invite contact"
jeq 'd["call_id"], d["cseq"], d["max_forwards"]' \
	"('3848276298220188511@atlanta.example.com', {'num': 1, 'method': 'INVITE'}, 69)" "invite checked fields"
jeq 'd["content_type"], d["content_length"], d["body_len"], d["body"][:4]' \
	"('application/sdp', 228, 228, 'v=0\\r')" "invite body"
jeq 'd["user_agent"], d["expires"], d["flags"]' "('ExampleSoftphone/4.1 (linux)', None, [])" "invite misc"
run inspect "$inv"
out_has "via[1]" "invite text vias"; out_has "  | v=0" "invite text body preview"
out_has "ipv6" "invite text host type"

run inspect --json "$samples/options.sip"
jeq 'd["flags"]' "['folded', 'compact']" "options flags"
jeq '[(h["name"], h["id"]) for h in d["headers"][:2]]' "[('v', 'Via'), ('Max-Forwards', 'Max-Forwards')]" "options compact names"
jeq '[h["value"] for h in d["headers"] if h["id"] == "Accept"]' "['application/sdp, application/pidf+xml']" "folded value collapsed"
jeq 'd["call_id"], d["content_length"]' "('7f4c6e2a-0d1b-4c7e-9a53-88c1f0e2b7d4', 0)" "options compact fields"
run inspect "$samples/options.sip"
out_has "application/sdp, application/pidf+xml" "folded value in text"

run inspect --json "$samples/200-ok.sip"
jeq 'd["type"], d["status"], d["reason"], d["method"], d["ruri"]' "('response', 200, 'OK', None, None)" "200 OK"
jeq 'd["cseq"]["method"], d["to"]["tag"], d["server"]' "('REGISTER', '2493k59kd', 'ExampleRegistrar/3.0')" "200 OK fields"
run inspect --json "$reg"
jeq 'd["expires"], d["contacts"][0]["params"], d["vias"][0]["has_rport"], d["vias"][0]["rport"]' \
	"(3600, 'expires=3600', True, None)" "register"

run inspect "$samples/malformed-cseq-mismatch.sip"
out_has "error: cseq-mismatch: CSeq Method Mismatch" "mismatch text"
out_has "| CSeq: 1 ACK" "mismatch shows its line"
checks=$((checks + 1))
grep -qE '^ +\| +\^$' "$tmp/out" || fail "mismatch: no caret line"
run inspect "$samples/malformed-missing-call-id.sip"
out_has "error: missing-call-id: Missing Call-ID" "missing Call-ID text"

# ---- limits from the options reach the parser ----

size=$(wc -c < "$inv")
run inspect --max-msg "$size" "$inv"; expect 0 "--max-msg equal to the size"
run inspect --json --max-msg $((size - 1)) "$inv"; expect 1 "--max-msg one below the size"
jeq 'd["error"]' "'too-large'" "--max-msg one below"
run inspect --json --max-headers 3 "$inv"; expect 1 "--max-headers 3"
jeq 'd["error"]' "'too-many-headers'" "--max-headers 3"
run inspect --json --max-line 40 "$inv"; expect 1 "--max-line 40"
jeq 'd["error"]' "'line-too-long'" "--max-line 40"

# ---- stdin ----

run inspect - < "$reg"; expect 0 "stdin"; out_has "REGISTER" "stdin"
cat "$inv" | "$ctl" inspect --json - > "$tmp/out" 2> "$tmp/err"; rc=$?
expect 0 "stdin pipe"; json_valid "stdin pipe"; jeq 'd["method"]' "'INVITE'" "stdin pipe"
run inspect - < "$samples/malformed-missing-call-id.sip"; expect 1 "stdin malformed"
out_has "<stdin>:" "stdin errors are labelled <stdin>"

# ---- sizes ----

: > "$tmp/empty"
run inspect "$tmp/empty"; expect 1 "empty file"; out_has "error: empty" "empty file"
run inspect --json "$tmp/empty"; expect 1 "empty file json"; json_valid "empty file"
jeq 'd["ok"], d["error"], d["offset"]' "(False, 'empty', 0)" "empty file"

head -c 70000 /dev/zero | tr '\0' 'A' > "$tmp/big"
run inspect "$tmp/big"; expect 2 "70000-byte file"
err_has "$tmp/big: 70000 bytes is over the 65535-byte limit" "70000-byte file"
run inspect - < "$tmp/big"; expect 2 "70000 bytes on stdin"
err_has "<stdin>: 70000 bytes is over the 65535-byte limit" "70000 bytes on stdin"
# exactly at the hard limit: a valid message padded by its body
python3 - "$tmp/max" 65535 <<'EOF'
import sys
path, total = sys.argv[1], int(sys.argv[2])
def make(n):
    h = ("MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm\r\n"
         "From: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: big@x\r\n"
         "CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % n)
    return h.encode()
n = total - len(make(0))
while len(make(n)) + n != total:
    n -= 1
open(path, "wb").write(make(n) + b"x" * n)
EOF
run inspect --json --max-msg 65535 "$tmp/max"; expect 0 "65535-byte message"
jeq 'd["len"], d["body_len"] > 65000' "(65535, True)" "65535-byte message"
run inspect "$tmp/max"; expect 1 "65535 bytes over the default --max-msg"
printf 'x' >> "$tmp/max"
run inspect --max-msg 65535 "$tmp/max"; expect 2 "65536-byte file"
err_has "65536 bytes is over the 65535-byte limit" "65536-byte file"

# ---- I/O errors ----

run inspect "$tmp/nosuch.sip"; expect 2 "nonexistent file"
err_has "$tmp/nosuch.sip: No such file or directory" "nonexistent file"
run inspect --json "$tmp/nosuch.sip"; expect 2 "nonexistent file json"
checks=$((checks + 1)); [ ! -s "$tmp/out" ] || fail "an I/O error must not print JSON"
run inspect "$tmp"; expect 2 "a directory"; err_has "Is a directory" "a directory"
if [ -w /dev/full ]; then
	"$ctl" inspect "$reg" > /dev/full 2> "$tmp/err"; rc=$?
	expect 2 "stdout full"; err_has "stdout: No space left on device" "stdout full"
	"$ctl" inspect --json "$reg" > /dev/full 2> "$tmp/err"; rc=$?
	expect 2 "stdout full (json)"
fi

# ---- hostile bytes ----

# A message that parses, with NULs, ESC sequences, DEL, invalid UTF-8, a C1
# control in UTF-8 and a bidi override in its body; and header values with
# bytes the parser may or may not accept.
python3 - "$tmp" <<'EOF'
import os, random, sys
d = sys.argv[1]
body = (b"\x00\x01binary\x00\xff\xfe\x1b[31mred\x1b[0m\x7f\xc3\x28\xc2\x9b"
        b"\xe2\x80\xae\xed\xa0\x80\xc3\xa9\r\n\x00")
def msg(extra=b"", body=body):
    return (b"MESSAGE sip:bob@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbin\r\n"
            b"From: \"Jos\xc3\xa9 \xff\" <sip:jose@example.com>;tag=1\r\n"
            b"To: <sip:bob@example.com>\r\nCall-ID: bin@192.0.2.1\r\n"
            b"CSeq: 7 MESSAGE\r\n" + extra +
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
open(d + "/binary-body.sip", "wb").write(msg())
open(d + "/esc-header.sip", "wb").write(msg(b"Subject: \x1b]0;owned\x07\r\n"))
open(d + "/nul-header.sip", "wb").write(msg(b"X-Nul: a\x00b\r\n"))
open(d + "/latin1-header.sip", "wb").write(msg(b"Subject: caf\xe9 \xc0\xaf\r\n"))
open(d + "/cr-only.sip", "wb").write(msg().replace(b"\r\n", b"\r"))
random.seed(3261)
open(d + "/random.bin", "wb").write(bytes(random.getrandbits(8) for _ in range(3000)))
open(d + "/sip-then-random.bin", "wb").write(msg()[:200] + bytes(random.getrandbits(8) for _ in range(500)))
EOF
run inspect --json "$tmp/binary-body.sip"; expect 0 "binary body"
json_valid "binary body"
jeq 'd["body_len"], d["body"][:8], d["body"][-4:]' "(39, '\\x00\\x01binary', 'é\\r\\n\\x00')" "binary body kept"
jeq 'd["from"]["display"]' "'José ÿ'" "invalid UTF-8 as U+00XX"
run inspect "$tmp/binary-body.sip"; expect 0 "binary body text"
terminal_safe "binary body text"
out_has '\x00\x01binary\x00\xff\xfe\x1b[31mred' "body bytes escaped"
for f in esc-header.sip nul-header.sip latin1-header.sip cr-only.sip random.bin sip-then-random.bin; do
	run inspect --json "$tmp/$f"
	checks=$((checks + 1))
	[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "$f: exit status $rc"
	json_valid "$f"
	run inspect "$tmp/$f"
	terminal_safe "$f"
done

# Contact: * (a REGISTER removing every binding)
printf 'REGISTER sip:r.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: star\r\nCSeq: 2 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n' > "$tmp/star.sip"
run inspect --json "$tmp/star.sip"; expect 0 "Contact: *"
jeq 'd["contacts"], d["expires"]' "([{'index': 0, 'value': '*', 'star': True, 'display': None, 'uri': None, 'tag': None, 'params': None}], 0)" "Contact: *"

# --stream: a cut-off message is incomplete there, but truncated as a datagram
head -c $((size - 10)) "$inv" > "$tmp/cut.sip"
run inspect --json --stream "$tmp/cut.sip"; expect 1 "cut message as a stream"
jeq 'd["error"], d["offset"]' "('incomplete', $((size - 10)))" "cut message as a stream"
run inspect --stream "$tmp/cut.sip"; out_has "error: incomplete" "cut message as a stream (text)"
run inspect --json "$tmp/cut.sip"; expect 1 "cut message as a datagram"
jeq 'd["error"]' "'body-truncated'" "cut message as a datagram"
run inspect --stream "$inv"; expect 0 "whole message as a stream"
# bytes after Content-Length are discarded from a datagram (RFC 3261 18.3)
{ cat "$inv"; printf 'EXTRA'; } > "$tmp/extra.sip"
run inspect --json "$tmp/extra.sip"; expect 0 "trailing bytes"
jeq 'd["trailing"], d["len"]' "(5, $size)" "trailing bytes"

# ---- the documentation covers the binary ----

checks=$((checks + 1))
[ -r "$doc" ] || fail "$doc: missing"
for o in json stream max-msg max-headers max-line; do
	checks=$((checks + 1))
	grep -qF -- "--$o" "$doc" || fail "$doc does not document --$o"
done
run inspect --json "$inv"
for k in $(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
keys = set(d)
for o in d["vias"] + [d["ruri"], d["from"], d["cseq"], d["headers"][0]] + d["contacts"]:
    keys |= set(o)
print(" ".join(sorted(keys)))' "$tmp/out") line column text error offset; do
	checks=$((checks + 1))
	grep -qF -- "\`$k\`" "$doc" || fail "$doc does not document JSON key \"$k\""
done
for s in 0 1 2; do
	checks=$((checks + 1))
	grep -qE "^\| *$s *\|" "$doc" || fail "$doc does not document exit status $s"
done

# every ```console block of the doc is re-run and must print what it shows
checks=$((checks + 1))
python3 - "$doc" "$ctl" <<'EOF' || fail "$doc: an example no longer matches a real run"
import difflib, os, re, shlex, subprocess, sys
doc, ctl = sys.argv[1], os.path.abspath(sys.argv[2])
root = os.path.dirname(os.path.dirname(os.path.abspath(doc)))
blocks = re.findall(r"^```console\n(.*?)^```", open(doc).read(), re.S | re.M)
bad = 0 if blocks else 1
for b in blocks:
    first, _, want = b.partition("\n")
    cmd = first[len("$ "):].replace("sipedgectl", shlex.quote(ctl), 1)
    got = subprocess.run(["bash", "-c", cmd], cwd=root, capture_output=True,
                         text=True).stdout
    if got != want:
        bad += 1
        sys.stderr.write("%s:\n%s" % (first, "".join(difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), "doc", "run"))))
sys.exit(1 if bad else 0)
EOF

echo "test_inspect: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
