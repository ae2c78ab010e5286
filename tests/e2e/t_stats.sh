#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_stats.sh - the counters an operator reads (`sipedgectl --json
# stats`, through sipedge-control) against what sipp sent and received and
# what Kamailio logged: 10 REGISTERs over IPv4, 15 calls over IPv4 and 15
# over IPv6, between two snapshots taken while nothing else runs.
#
# Exact, because the path is deterministic (stateless, nothing lost between
# namespaces, nothing else sent from the access side):
#   fwd_access_to_core = sip_requests = every request sipp sent (its final
#     screen, retransmissions included) = the sum of the backends' requests;
#   fwd_responses = every response sipp received: those in its table
#     (retransmissions included), those that reached it after their call
#     ended (a retransmitted 200: its statistics file's DeadCallMsgs), and
#     those of a transaction it had moved past (a 100 or 180 overtaken by
#     the 200: "Ignoring provisional ..." in its message log, no counter);
#   kam1 + kam1-v6 requests = the requests of this test kam1 logged coming
#     from the gateway (likewise kam2): per-backend counters match the wire;
#   the INVITEs Kamailio logged = the calls sipp made.
# Bounded, because the gateway's own health probes add to them:
#   fwd_responses <= sip_responses <= fwd_responses + probes sent (+4 in
#   flight); access0's rx_pkts >= the requests, its tx_pkts >= the responses.
# Also: `sipedgectl stats` (the table) shows the same totals.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin stats
e2e_need_control

tag="e2est$RANDOM"
ncalls=15 nreg=10
if ! s0=$(e2e_stats); then
	e2e_fail "no fresh snapshot from sipedge-control within 5 s"
	e2e_end
fi
lab_sipp_bg "$NS_CLIENT" stats-reg 20 -sf "$LAB_D/register.xml" -i "$CLIENT4" \
	-s "${tag}u" -cid_str "$tag-r-%u@sipedge-lab" -key expires 60 -m "$nreg" -r 10 "$(e2e_dst4)"
preg=$LAB_BG_PID
lab_sipp_bg "$NS_CLIENT" stats-c4 30 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-c4-%u@sipedge-lab" -d 200 -m "$ncalls" -r 10 "$(e2e_dst4)"
pc4=$LAB_BG_PID
lab_sipp_bg "$NS_CLIENT" stats-c6 30 -sf "$LAB_D/uac.xml" -i "$CLIENT6" \
	-cid_str "$tag-c6-%u@sipedge-lab" -d 200 -m "$ncalls" -r 10 "$(e2e_dst6)"
pc6=$LAB_BG_PID
# The last DeadCallMsgs(C) of sipp run NAME's -trace_stat file (cumulative):
# the messages that reached it for a call that had ended.
dead_msgs()
{
	awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "DeadCallMsgs(C)") c = i; next }
		c && $c != "" { v = $c }
		END { if (v == "") exit 1; print v }' "$LAB_RUN/sipp/$1.csv"
}
# The responses sipp run NAME dropped as belonging to a transaction it had
# moved past (its -trace_msg log says so; no counter of its does).
ignored_msgs() { grep -cE '^Ignoring (provisional|final) \S+ message for transaction' "$LAB_RUN/sipp/$1.msg" || true; }
sent=0 recv=0 dead=0 ign=0
for run in stats-reg:$preg stats-c4:$pc4 stats-c6:$pc6; do
	name=${run%%:*} rc=0
	lab_sipp_wait "$name" "${run#*:}" || rc=$?
	lab_sipp_summary "$name" "$rc" | sed 's/^/      /'
	e2e_check "sipp $name: every call succeeded (exit $rc)" test "$rc" -eq 0
	read -r s r < <(e2e_sipp_sent_recv "$name") || { s=0 r=0; }
	if ! dc=$(dead_msgs "$name"); then
		e2e_fail "sipp $name: no DeadCallMsgs(C) in $LAB_RUN/sipp/$name.csv"
		dc=0
	fi
	sent=$((sent + s)) recv=$((recv + r)) dead=$((dead + dc)) ign=$((ign + $(ignored_msgs "$name")))
done
e2e_info "sipp sent $sent requests and received $recv responses in its tables (with retransmissions)," \
	"$dead messages of calls that had ended and $ign late responses it ignored"
if ! s1=$(e2e_stats); then
	e2e_fail "no fresh snapshot from sipedge-control within 5 s after the traffic"
	e2e_end
fi

d() { echo $(($(e2e_ctr "$s1" "$1" "$2") - $(e2e_ctr "$s0" "$1" "$2"))); }
fwd=$(d total.ctr fwd_access_to_core)
req=$(d total.ctr sip_requests)
fres=$(d total.ctr fwd_responses)
sres=$(d total.ctr sip_responses)
e2e_check "fwd_access_to_core went up by what sipp sent: $fwd = $sent" test "$fwd" -eq "$sent"
e2e_check "sip_requests went up by the same: $req = $sent" test "$req" -eq "$sent"
# A response that reaches sipp after its call is over (a 200 that Kamailio
# retransmitted before the ACK reached it), or after a later one of its
# transaction (a 100 or 180 overtaken by the 200: Kamailio relays them from
# different processes), is in no row of sipp's table though the gateway
# forwarded it (one such response in about 4 runs); sipp counts the first
# kind (hence -trace_stat) and logs the second (hence -trace_msg here).
e2e_check "fwd_responses went up by what sipp received: $fres = $recv in its tables + $dead after their call ended + $ign ignored late" \
	test "$fres" -eq $((recv + dead + ign))
be_sum=0 probes=0
for b in kam1 kam2 kam1-v6 kam2-v6; do
	be_sum=$((be_sum + $(d "backends.$b" requests)))
	probes=$((probes + $(d "backends.$b" probes_sent)))
done
e2e_check "the backends' requests add up to fwd_access_to_core: $be_sum = $fwd" test "$be_sum" -eq "$fwd"
for k in kam1 kam2; do
	be=$(($(d "backends.$k" requests) + $(d "backends.$k-v6" requests)))
	logged=$(e2e_kam_n "$k" "$tag")
	e2e_check "$k and $k-v6's requests ($be) = the requests of this test $k logged from the gateway ($logged)" \
		test "$be" -eq "$logged"
done
inv=$(($(e2e_kam_n kam1 "$tag" INVITE) + $(e2e_kam_n kam2 "$tag" INVITE)))
reg=$(($(e2e_kam_n kam1 "$tag" REGISTER) + $(e2e_kam_n kam2 "$tag" REGISTER)))
e2e_check "Kamailio logged $inv INVITEs and $reg REGISTERs: the $((2 * ncalls)) calls and $nreg registrations" \
	test "$inv" -ge $((2 * ncalls)) -a "$reg" -ge "$nreg"
if ((fres <= sres && sres <= fres + probes + 4)); then
	e2e_pass "sip_responses ($sres) within [fwd_responses $fres, + $probes probes sent + 4]"
else
	e2e_fail "sip_responses ($sres) outside [fwd_responses $fres, + $probes probes sent + 4]"
fi
arx=$(d ports.access0 rx_pkts) atx=$(d ports.access0 tx_pkts)
e2e_check "access0 rx_pkts ($arx) >= requests sent ($sent), tx_pkts ($atx) >= responses ($recv)" \
	test "$arx" -ge "$sent" -a "$atx" -ge "$recv"
# the operator's table says the same as the JSON (no traffic since s1)
table=$(lab_ctl stats)
want=$(e2e_ctr "$s1" total.ctr fwd_access_to_core)
if grep -Eq "^fwd_access_to_core +$want " <<<"$table"; then
	e2e_pass "sipedgectl stats (the table) shows fwd_access_to_core $want"
else
	e2e_fail "sipedgectl stats (the table) lacks fwd_access_to_core $want: $(grep fwd_access <<<"$table")"
fi
e2e_end
