#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_call.sh - INVITE/ACK/BYE from the client to the core (the sipp
# UAS behind Kamailio) through the gateway, IPv4 and IPv6: every call
# completes; the 200 carries the gateway's two Record-Route entries
# (core-facing on top of access-facing); calls are spread over kam1 and kam2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin call

tag="e2ecall$RANDOM"
for fam in 4 6; do
	if [[ $fam == 4 ]]; then src=$CLIENT4 dst=$(e2e_dst4); else src=$CLIENT6 dst=$(e2e_dst6); fi
	e2e_sipp_ok "10 calls INVITE/ACK/BYE over IPv$fam" "$NS_CLIENT" "call$fam" 30 \
		-sf "$LAB_D/uac.xml" -i "$src" -cid_str "$tag-v$fam-%u@sipedge-lab" -d 200 -m 10 -r 10 "$dst"
done

acc4="@$GW_ACC4:$SIP_PORT;" acc6="@[$GW_ACC6]:$SIP_PORT;"
core4="@$GW_CORE4:$SIP_PORT;" core6="@[$GW_CORE6]:$SIP_PORT;"
for fam in 4 6; do
	if e2e_kernel; then
		e2e_skip "IPv$fam: the gateway's Record-Route in the 200 (kernel mode)"
		continue
	fi
	[[ $fam == 4 ]] && acc=$acc4 || acc=$acc6
	rr=$(e2e_first_200_rr "$LAB_RUN/sipp/call$fam.msg")
	# the gateway's entries: core-facing, then access-facing, each with a token
	pos_core=$(grep -bo -F -e "$core4" -e "$core6" <<<"$rr" | head -1 | cut -d: -f1)
	pos_acc=$(grep -bo -F -- "$acc" <<<"$rr" | head -1 | cut -d: -f1)
	if [[ -n $pos_core && -n $pos_acc ]] && ((pos_core < pos_acc)) && [[ $rr == *";lr"* ]]; then
		e2e_pass "IPv$fam: the 200's Record-Route has the gateway's core then access entry"
	else
		e2e_fail "IPv$fam: Record-Route of the 200 lacks the gateway's two entries in order: $rr"
	fi
done

n1=$(e2e_kam_count kam1 "rx INVITE") n2=$(e2e_kam_count kam2 "rx INVITE")
c1=$(grep -F "rx INVITE" "$LAB_RUN/kam1.log" 2>/dev/null | grep -cF "cid=$tag")
c2=$(grep -F "rx INVITE" "$LAB_RUN/kam2.log" 2>/dev/null | grep -cF "cid=$tag")
e2e_info "INVITEs of this test: kam1 $c1, kam2 $c2 (all time: $n1, $n2)"
if e2e_kernel; then
	e2e_skip "calls spread over kam1 and kam2 (kernel mode: all go to kam1)"
elif ((c1 > 0 && c2 > 0)); then
	e2e_pass "calls spread over kam1 ($c1 INVITEs) and kam2 ($c2)"
else
	e2e_fail "calls not spread: kam1 $c1 INVITEs, kam2 $c2"
fi

e2e_end
