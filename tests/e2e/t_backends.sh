#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_backends.sh - an operator takes a backend out and back with
# sipedgectl while calls flow; kam1 is one Kamailio behind two backends
# (kam1 over IPv4, kam1-v6 over IPv6), so both are changed together.
#
# 1. disable under load: sipp makes 10 calls/s for 10 s; after 2.5 s
#    `backends disable kam1` and `kam1-v6`, after 6 s `enable` them again.
#    Every call completes. Each INVITE sipp first sent (its -trace_msg
#    timestamps) from 0.1 s after the disable was in force to 0.7 s before
#    the enable (a guard of T1 and then some, so that no retransmission or
#    late handling falls after it) reached kam2, none kam1 (Kamailio's
#    logs), at least 10 of them; sipedge's kam1 and kam1-v6 request
#    counters do not move between a snapshot after the disable and one
#    before the enable (disabled: not even in-dialog requests), kam2's do.
#    After the enable kam1 takes INVITEs again. `backends` shows disabled,
#    then enabled.
# 2. drain keeps dialogs: 16 calls of 6 s are set up (hashed over all four
#    backends: with 16, kam1 gets some but for a chance of 2^-16), then kam1
#    and kam1-v6 are drained; 20 new calls meanwhile all go to kam2; each
#    long call's BYE reaches the Kamailio its INVITE reached, so those on
#    kam1 end there; kam1's request counters rise by exactly what kam1
#    logged from the gateway meanwhile; every call completes; the new
#    dialogs' ACKs and BYEs follow the Route to kam2, none reaches kam1.
# The backends are enabled again at exit, whatever happened.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin backends
e2e_need_control

tag="e2ebe$RANDOM"
msg=$LAB_RUN/sipp/be-load.msg

# ---- 1. disable and enable under load
lab_sipp_bg "$NS_CLIENT" be-load 40 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-L-%u@sipedge-lab" -d 300 -r 10 -m 100 "$(e2e_dst4)"
pload=$LAB_BG_PID
sleep 2.5
if e2e_backend disable kam1 kam1-v6; then
	e2e_pass "under load: sipedgectl backends disable kam1, kam1-v6: in force"
else
	e2e_fail "under load: disable kam1, kam1-v6 not in force"
fi
t_dis=$(e2e_now)
sa=$(e2e_stats)
e2e_check "backends: kam1 and kam1-v6 disabled in the dataplane's snapshot" \
	test "$(e2e_admin kam1)/$(e2e_admin kam1-v6)" = disabled/disabled
sleep 3.5
sb=$(e2e_stats)
t_en=$(e2e_now)
if e2e_backend enable kam1 kam1-v6; then
	e2e_pass "under load: enable kam1, kam1-v6 again: in force"
else
	e2e_fail "under load: enable kam1, kam1-v6 not in force"
fi
t_en_done=$(e2e_now)
# "in force" is the dataplane's answer; control's snapshot that shows it may
# come a little later (up to 3 s).
for ((i = 0; i < 30; i++)); do
	[[ $(e2e_admin kam1) == enabled ]] && break
	sleep 0.1
done
e2e_check "backends: kam1 enabled again in the dataplane's snapshot" test "$(e2e_admin kam1)" = enabled
rc=0
lab_sipp_wait be-load "$pload" || rc=$?
lab_sipp_summary be-load "$rc" | sed 's/^/      /'
e2e_check "under load: all 100 calls completed (sipp exit $rc)" test "$rc" -eq 0

d() { echo $(($(e2e_ctr "$sb" "backends.$1" requests) - $(e2e_ctr "$sa" "backends.$1" requests))); }
dk1=$(($(d kam1) + $(d kam1-v6))) dk2=$(($(d kam2) + $(d kam2-v6)))
e2e_check "while disabled: kam1 + kam1-v6 requests +$dk1 (want 0), kam2 + kam2-v6 +$dk2 (want > 0)" \
	test "$dk1" -eq 0 -a "$dk2" -gt 0
# The window, with guard bands: an INVITE stamped just before t_en may be
# handled after the enable, and one first sent less than T1 (500 ms) before
# it may be retransmitted after it (each may then reach kam1); so only the
# INVITEs first sent from 0.1 s after t_dis (a margin for sipp's stamp,
# taken near the sending, not at it) to 0.7 s before t_en.
win_a=$(awk -v t="$t_dis" 'BEGIN { printf "%.3f", t + 0.1 }')
win_b=$(awk -v t="$t_en" 'BEGIN { printf "%.3f", t - 0.7 }')
mapfile -t during < <(e2e_tool sipp-sent "$msg" INVITE --after "$win_a" --before "$win_b")
mapfile -t k1 < <(e2e_kam_cids kam1 "$tag-L-" INVITE)
mapfile -t k2 < <(e2e_kam_cids kam2 "$tag-L-" INVITE)
on1=0 on2=0
for c in "${during[@]}"; do
	[[ " ${k1[*]} " == *" $c "* ]] && on1=$((on1 + 1))
	[[ " ${k2[*]} " == *" $c "* ]] && on2=$((on2 + 1))
done
e2e_check "while disabled: ${#during[@]} INVITEs sent (from 0.1 s after the disable to 0.7 s before the enable), $on2 reached kam2, $on1 kam1 (want all, 0)" \
	test "${#during[@]}" -ge 10 -a "$on2" -eq "${#during[@]}" -a "$on1" -eq 0
mapfile -t after < <(e2e_tool sipp-sent "$msg" INVITE --after "$t_en_done")
on1=0
for c in "${after[@]}"; do [[ " ${k1[*]} " == *" $c "* ]] && on1=$((on1 + 1)); done
e2e_check "enabled again: $on1 of the ${#after[@]} INVITEs sent afterwards reached kam1 (want > 0)" \
	test "$on1" -gt 0

# ---- 2. drain: established dialogs stay, new ones go elsewhere
LAB_SIPP_MSG=0 lab_sipp_bg "$NS_CLIENT" be-long 40 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-D-%u@sipedge-lab" -d 6000 -r 16 -m 16 "$(e2e_dst4)"
plong=$LAB_BG_PID
for ((i = 0; i < 50; i++)); do
	(($(e2e_kam_n kam1 "$tag-D-" ACK) + $(e2e_kam_n kam2 "$tag-D-" ACK) >= 16)) && break
	sleep 0.1
done
e2e_check "16 long calls set up (their ACKs logged by Kamailio)" \
	test $(($(e2e_kam_n kam1 "$tag-D-" ACK) + $(e2e_kam_n kam2 "$tag-D-" ACK))) -ge 16
if e2e_backend drain kam1 kam1-v6; then
	e2e_pass "drain kam1, kam1-v6 while 16 dialogs are up: in force"
else
	e2e_fail "drain kam1, kam1-v6 not in force"
fi
sc=$(e2e_stats)
e2e_check "backends: kam1 and kam1-v6 drain in the dataplane's snapshot" \
	test "$(e2e_admin kam1)/$(e2e_admin kam1-v6)" = drain/drain
LAB_SIPP_MSG=0 e2e_sipp_ok "draining: 20 new calls complete" "$NS_CLIENT" be-new 30 \
	-sf "$LAB_D/uac.xml" -i "$CLIENT4" -cid_str "$tag-N-%u@sipedge-lab" -d 100 -r 10 -m 20 "$(e2e_dst4)"
n1=$(e2e_kam_n kam1 "$tag-N-" INVITE) n2=$(e2e_kam_n kam2 "$tag-N-" INVITE)
e2e_check "draining: the new calls' INVITEs all reached kam2 ($n2), none kam1 ($n1)" \
	test "$n1" -eq 0 -a "$n2" -ge 20
rc=0
lab_sipp_wait be-long "$plong" || rc=$?
lab_sipp_summary be-long "$rc" | sed 's/^/      /'
e2e_check "the 16 long calls completed, BYE and its 200 included (sipp exit $rc)" test "$rc" -eq 0
mapfile -t inv1 < <(e2e_kam_cids kam1 "$tag-D-" INVITE | sort -u)
mapfile -t bye1 < <(e2e_kam_cids kam1 "$tag-D-" BYE | sort -u)
mapfile -t inv2 < <(e2e_kam_cids kam2 "$tag-D-" INVITE | sort -u)
mapfile -t bye2 < <(e2e_kam_cids kam2 "$tag-D-" BYE | sort -u)
e2e_info "long calls: ${#inv1[@]} set up through kam1, ${#inv2[@]} through kam2"
e2e_check "drain: the ${#inv1[@]} dialogs of kam1 (at least 1) sent their BYE to kam1" \
	test "${#inv1[@]}" -ge 1 -a "${inv1[*]}" = "${bye1[*]}"
e2e_check "... and those of kam2 to kam2 (${#inv2[@]})" test "${inv2[*]}" = "${bye2[*]}"
sd=$(e2e_stats)
dk1=$(($(e2e_ctr "$sd" backends.kam1 requests) + $(e2e_ctr "$sd" backends.kam1-v6 requests) -
	$(e2e_ctr "$sc" backends.kam1 requests) - $(e2e_ctr "$sc" backends.kam1-v6 requests)))
nbye=$(e2e_kam_n kam1 "$tag-D-" BYE)
nnew=$(e2e_kam_n kam1 "$tag-N-")
e2e_check "drain: kam1 + kam1-v6 requests (+$dk1) = what kam1 logged meanwhile: $nbye BYEs of its dialogs + $nnew in-dialog requests of new ones" \
	test "$dk1" -eq $((nbye + nnew))
# Dialogs made during the drain keep to the backend their INVITE reached:
# their ACK and BYE follow the Route to the Kamailio that record-routed them,
# not a hash over the backends that take in-dialog requests (the drained
# one among them).
e2e_check "drain: the new dialogs' ACKs and BYEs stayed off kam1 ($nnew reached it)" test "$nnew" -eq 0
if e2e_backend enable kam1 kam1-v6; then
	e2e_pass "enable kam1, kam1-v6: in force"
else
	e2e_fail "enable kam1, kam1-v6 not in force"
fi
e2e_end
