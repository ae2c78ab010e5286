#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every message of the proxy bench mix, rendered as udpload sends it, parses
# whole with sipedgectl inspect (exit 0). A correctness check, not timing.
# usage: check_mix.sh UDPLOAD SIPEDGECTL MIXDIR
set -u
udpload=$1 ctl=$2 mix=$3
pass=0 fail=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
for f in $(awk '!/^[ \t]*(#|$)/ { print $2 }' "$mix/mix.txt"); do
	if "$udpload" render --mix "$mix" "$f" >"$tmp" &&
	   "$ctl" inspect "$tmp" >/dev/null; then
		pass=$((pass + 1))
	else
		echo "FAIL $f"
		fail=$((fail + 1))
	fi
	# the response/request split the bench relies on: a response starts
	# with the version, and its top Via is the proxy's own
	if head -c 8 "$tmp" | grep -q '^SIP/2.0 '; then
		if ! sed -n 2p "$tmp" | grep -q '^Via: SIP/2.0/UDP 192.0.2.10:5060;branch='; then
			echo "FAIL $f: the top Via of a response is not the proxy's"
			fail=$((fail + 1))
		fi
	fi
done
[ "$pass" -gt 0 ] || fail=$((fail + 1))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
