#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_dprestart.sh - the dataplane restarts with a drain pushed, and
# sipedge-control puts the drain back.
#
# kam2 and kam2-v6 are drained through sipedgectl. The lab's sipedge is
# stopped (SIGINT) and started again: it comes back at state version 0, its
# config's state, with every backend enabled. sipedge-control must notice
# (a new dataplane pid), push its state again (one more resync) and be in
# step. Then, without sipedge-control's word for it: the dataplane's agent
# socket (state.get, snapshot) and DPDK telemetry say kam2 drain; its log
# says the admin state changed from enabled to drain after the restart;
# and 10 new calls all reach kam1, none kam2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin dprestart
e2e_need_control

tag="e2edpr$RANDOM"
if e2e_backend drain kam2 kam2-v6; then
	e2e_pass "drain kam2, kam2-v6 through sipedge-control: in force"
else
	e2e_fail "drain kam2, kam2-v6 not in force"
	e2e_end
fi
node=$(lab_ctl nodes --json)
pid0=$(e2e_j "$node" 'r["nodes"][0]["dataplane"]["pid"]')
res0=$(e2e_j "$node" 'r["nodes"][0]["counters"]["resyncs"]')
ver0=$(e2e_j "$node" 'r["nodes"][0]["state"]["wanted_version"]')

lab_stop sipedge
for ((i = 0; i < 50; i++)); do [[ -e /proc/$pid0 ]] || break; sleep 0.1; done
e2e_check "sipedge (pid $pid0) stopped (SIGINT)" test ! -e "/proc/$pid0"
log_lines=$(wc -l <"$LAB_RUN/sipedge.log")
if lab_start_gateway >/dev/null 2>&1; then
	e2e_pass "sipedge started again (pid $(lab_pid sipedge)) and answers ping"
else
	e2e_fail "sipedge did not come back"
	lab_log_tail sipedge 20
	e2e_end
fi
pid1=$(lab_pid sipedge)
ok=0
for ((i = 0; i < 100; i++)); do
	node=$(lab_ctl nodes --json 2>/dev/null)
	if [[ $(e2e_j "$node" 'r["nodes"][0]["link"]') == up &&
		$(e2e_j "$node" 'r["nodes"][0]["dataplane"]["pid"]') == "$pid1" &&
		$(e2e_j "$node" 'r["nodes"][0]["state"]["in_step"]') == true ]]; then
		ok=1
		break
	fi
	sleep 0.1
done
e2e_check "sipedge-control linked to the new sipedge (pid $pid1) and in step within 10 s" test "$ok" -eq 1
res1=$(e2e_j "$node" 'r["nodes"][0]["counters"]["resyncs"]')
ver1=$(e2e_j "$node" 'r["nodes"][0]["state"]["dataplane_version"]')
e2e_check "it pushed its state again: resyncs $res0 -> $res1, version $ver1 in force (was $ver0)" \
	test "$res1" -eq $((res0 + 1)) -a "$ver1" -gt 0

# the dataplane's own word: its agent socket, telemetry, log
st=$(e2e_tool agent "$LAB_AGENT_SOCK" state.get)
e2e_check "agent state.get: version $ver1, kam2 and kam2-v6 drain, kam1 enabled" \
	test "$(e2e_j "$st" '"%s %s %s %s" % (r["state_version"], r["state"]["backends"]["kam2"]["admin"], r["state"]["backends"]["kam2-v6"]["admin"], r["state"]["backends"]["kam1"]["admin"])')" \
	= "$ver1 drain drain enabled"
snap=$(e2e_tool agent "$LAB_AGENT_SOCK" snapshot)
e2e_check "agent snapshot: kam2 drain, state version $ver1" \
	test "$(e2e_j "$snap" '"%s %s" % (r["state_version"], [b["admin"] for b in r["backends"] if b["name"] == "kam2"][0])')" \
	= "$ver1 drain"
e2e_check "DPDK telemetry: kam2 drain" test "$(e2e_tel_admin kam2)" = drain
e2e_check "sipedge's log: kam2 went from enabled to drain after the restart" \
	grep -q "backend kam2 ($KAM2_4:$SIP_PORT): admin enabled -> drain" <(tail -n +"$((log_lines + 1))" "$LAB_RUN/sipedge.log")

LAB_SIPP_MSG=0 e2e_sipp_ok "10 calls through the restarted sipedge complete" "$NS_CLIENT" dpr 30 \
	-sf "$LAB_D/uac.xml" -i "$CLIENT4" -cid_str "$tag-%u@sipedge-lab" -d 100 -r 10 -m 10 "$(e2e_dst4)"
n1=$(e2e_kam_n kam1 "$tag" INVITE) n2=$(e2e_kam_n kam2 "$tag" INVITE)
e2e_check "their INVITEs all reached kam1 ($n1), none the drained kam2 ($n2)" test "$n2" -eq 0 -a "$n1" -ge 10
if e2e_backend enable kam2 kam2-v6; then
	e2e_pass "enable kam2, kam2-v6 again: in force"
else
	e2e_fail "enable kam2, kam2-v6 not in force"
fi
e2e_end
