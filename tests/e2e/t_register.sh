#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_register.sh - REGISTER through the gateway, IPv4 and IPv6:
# 200 from the registrar; the Path the gateway added (its core address, a
# flow token, ;lr;ob) is echoed in the 200 and stored; the registration is
# replicated to the other Kamailio; un-REGISTER removes it from both.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin register

prefix="e2ereg$RANDOM"
users=()
for fam in 4 6; do
	if [[ $fam == 4 ]]; then src=$CLIENT4 dst=$(e2e_dst4); else src=$CLIENT6 dst=$(e2e_dst6); fi
	e2e_sipp_ok "3 REGISTERs over IPv$fam answered 200" "$NS_CLIENT" "register$fam" 20 \
		-sf "$LAB_D/register.xml" -i "$src" -s "${prefix}v$fam-" -key expires 120 -m 3 -r 10 "$dst"
	users+=("${prefix}v$fam-1" "${prefix}v$fam-2" "${prefix}v$fam-3")
done

# Path: in the 200s (the registrar echoes it: "Supported: path")
path_re="^Path: *<sip:[^@>]+@(${GW_CORE4//./\\.}|\\[$GW_CORE6\\]):$SIP_PORT;[^>]*>"
for fam in 4 6; do
	if e2e_kernel; then
		e2e_skip "IPv$fam: Path of the gateway in the 200 (kernel mode: no gateway, no Path)"
		continue
	fi
	paths=$(grep -E "$path_re" "$LAB_RUN/sipp/register$fam.msg" 2>/dev/null)
	n=$(grep -c . <<<"$paths")
	if [[ -n $paths ]] && ((n >= 3)) && ! grep -qv ';lr' <<<"$paths" && ! grep -qv ';ob' <<<"$paths"; then
		e2e_pass "IPv$fam: every 200 carries the gateway's Path with ;lr;ob ($(head -1 <<<"$paths"))"
	else
		e2e_fail "IPv$fam: 200s without the gateway's Path <sip:TOKEN@core:$SIP_PORT;lr;ob> (found $n):"
		grep -i '^Path' "$LAB_RUN/sipp/register$fam.msg" | head -3 | sed 's/^/        /'
	fi
done

# reg_wait yes|no: until every user is (yes) or is not (no) registered at
# both kam1 and kam2, at most 5 s: Kamailio replicates a REGISTER to its
# peer after it answered it, so the peer may lag the 200 sipp saw. Leaves
# the USER@KAM that still differ in odd; 1 if any.
reg_wait()
{
	local want=$1 u k i has
	for ((i = 0; i < 50; i++)); do
		odd=()
		for u in "${users[@]}"; do
			for k in kam1 kam2; do
				lab_registered "$k" "$u" && has=yes || has=no
				[[ $has == "$want" ]] || odd+=("$u@$k")
			done
		done
		((${#odd[@]} == 0)) && return 0
		sleep 0.1
	done
	return 1
}

# Replication: every user at both instances (the gateway chose one of them)
if reg_wait yes; then
	e2e_pass "all ${#users[@]} users registered at kam1 and kam2 (replication)"
else
	e2e_fail "not registered after 5 s: ${odd[*]}"
fi
if ! e2e_kernel; then
	stored=$(lab_kamcmd kam2 ul.lookup location "${users[0]}" 2>/dev/null | sed -n 's/^[[:space:]]*Path: //p')
	if [[ $stored == "<sip:"*"@$GW_CORE4:$SIP_PORT;"* || $stored == "<sip:"*"@[$GW_CORE6]:$SIP_PORT;"* ]]; then
		e2e_pass "the Path is stored with the contact (kam2: $stored)"
	else
		e2e_fail "kam2 stored Path \"$stored\" for ${users[0]}, not the gateway's"
	fi
fi

# Un-REGISTER (Expires: 0): gone from both
for fam in 4 6; do
	if [[ $fam == 4 ]]; then src=$CLIENT4 dst=$(e2e_dst4); else src=$CLIENT6 dst=$(e2e_dst6); fi
	e2e_sipp_ok "3 un-REGISTERs over IPv$fam answered 200" "$NS_CLIENT" "unregister$fam" 20 \
		-sf "$LAB_D/register.xml" -i "$src" -s "${prefix}v$fam-" -key expires 0 -m 3 -r 10 "$dst"
done
if reg_wait no; then
	e2e_pass "un-REGISTER removed every user from kam1 and kam2"
else
	e2e_fail "still registered 5 s after un-REGISTER: ${odd[*]}"
fi

e2e_end
