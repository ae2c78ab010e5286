#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_malformed.sh - every malformed message of tests/corpus/invalid/
# sent from the client to the gateway, one datagram each: a request gets a
# 400 or nothing, a response (and an ACK) nothing, and none of them reaches
# the core side: the capture in the core namespace shows the gateway sending only
# its own OPTIONS probes meanwhile, and Kamailio's log has none of them. The
# gateway still answers afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin malformed

shopt -s nullglob
files=("$E2E_CORPUS"/invalid/*.sip)
if ((${#files[@]} == 0)); then
	e2e_fail "no files in $E2E_CORPUS/invalid"
	e2e_end
fi
t=$(lab_target4)
k1=$(wc -l <"$LAB_RUN/kam1.log") k2=$(wc -l <"$LAB_RUN/kam2.log")
e2e_capture_start malformed || e2e_end
out=$(ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" send "${files[@]}" \
	--to "$t" --port "$SIP_PORT" --src "$CLIENT4" --wait 0.3)
e2e_capture_stop malformed

declare -A got=()
while read -r tag file code rest; do
	[[ $tag == RESULT ]] || continue
	got[$file]+="$code "
done <<<"$out"

ok=0 bad=0 answered=0
for f in "${files[@]}"; do
	b=$(basename "$f")
	codes=${got[$b]:-missing}
	codes=${codes% }
	first=$(head -c 8 "$f" | tr -d '\0')
	if [[ $first == "SIP/2.0 " || $first == ACK* ]]; then allowed="none"; else allowed="none 400"; fi
	if [[ " $allowed " == *" $codes "* ]]; then
		ok=$((ok + 1))
		[[ $codes == 400 ]] && answered=$((answered + 1))
	elif e2e_kernel; then
		ok=$((ok + 1)) # Kamailio is not under test
	else
		bad=$((bad + 1))
		e2e_fail "$b: got \"$codes\", want one of: $allowed"
	fi
done
if e2e_kernel; then
	e2e_skip "the gateway's replies to ${#files[@]} malformed messages (kernel mode: they went to kam1, which answered $(grep -c ' 4[0-9][0-9] ' <<<"$out") of them)"
else
	e2e_check "${#files[@]} malformed messages: each got a 400 ($answered) or nothing" test "$bad" -eq 0
fi

# Nothing of it on the core side: the gateway sent only OPTIONS probes there.
eg=$(e2e_egress_filter)
leaked=$(e2e_tshark -r "$(e2e_cap malformed core)" -Y "$eg && udp && !(sip.Method == \"OPTIONS\" && !sip.r-uri.user)")
# Kamailio's log since the start: nothing but OPTIONS sip:<itself> (probes)
newlog=$( (tail -n +$((k1 + 1)) "$LAB_RUN/kam1.log"; tail -n +$((k2 + 1)) "$LAB_RUN/kam2.log") |
	grep ' rx ' | grep -v ' rx OPTIONS sip:[^@ ]* from ')
if e2e_kernel; then
	e2e_skip "none reached the core (kernel mode: sent to kam1 directly)"
else
	if [[ -z $leaked ]]; then
		e2e_pass "nothing but OPTIONS probes left the gateway towards the core"
	else
		e2e_fail "the gateway sent $(echo "$leaked" | wc -l) other packets to the core:"
		echo "$leaked" | head -5 | sed 's/^/        /'
	fi
	if [[ -z $newlog ]]; then
		e2e_pass "Kamailio logged no request but OPTIONS probes meanwhile"
	else
		e2e_fail "Kamailio received: $(echo "$newlog" | head -3)"
	fi
fi
e2e_check "the gateway still answers OPTIONS afterwards" \
	ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$t" --port "$SIP_PORT" --timeout 3

e2e_end
