#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_cpkill.sh - fail-static: sipedge-control dies (SIGKILL) under
# steady traffic and comes back, and the dataplane never notices.
#
# kam1-v6 is disabled through sipedgectl first (state version V). Then sipp
# makes 400 calls at 20/s over IPv4 (20 s: the looks up to the last rate
# take about 9 s on an idle machine and must all see the load running; a
# load that ended before the last fails the case, named as such); 2 s in,
# sipedge-control is killed by PID with SIGKILL. For 3 s it stays dead: its
# control socket does not answer, and DPDK telemetry (the dataplane alone)
# says kam1-v6 is disabled at every look. It is started again: it links to
# the dataplane, finds it at version V and in step (nothing pushed again, no
# resync), shows the counters the dataplane kept meanwhile
# (fwd_access_to_core above the last value read before the kill) and rates
# again, while the calls go on. Asserted at the end: no call failed (400 of
# 400), kam1 logged none of this test's requests over IPv6 (the gateway's
# fd00:77:2::1) and kam1-v6's request counter did not move: the disable
# stayed in force throughout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin cpkill
e2e_need_control

tag="e2ecpk$RANDOM"
if e2e_backend disable kam1-v6; then
	e2e_pass "disable kam1-v6 through sipedge-control: in force"
else
	e2e_fail "disable kam1-v6 not in force"
	e2e_end
fi
ver=$(lab_ctl_json 'r["nodes"][0]["state"]["dataplane_version"]' nodes)
s0=$(e2e_stats)

ncalls=400
t_load=$SECONDS
LAB_SIPP_MSG=0 lab_sipp_bg "$NS_CLIENT" cpkill 60 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-%u@sipedge-lab" -d 200 -r 20 -m "$ncalls" "$(e2e_dst4)"
pload=$LAB_BG_PID
sleep 2
s1=$(e2e_stats)
f1=$(e2e_ctr "$s1" total.ctr fwd_access_to_core)
cpid=$(lab_pid control)
if lab_alive control && kill -KILL "$cpid"; then
	for ((i = 0; i < 50; i++)); do lab_alive control || break; sleep 0.1; done
fi
if lab_alive control; then
	e2e_fail "sipedge-control (pid $cpid) survived SIGKILL"
else
	e2e_pass "sipedge-control (pid $cpid) killed with SIGKILL under load (fwd_access_to_core was $f1)"
fi
rc=0
lab_ctl status >/dev/null 2>&1 || rc=$?
e2e_check "control socket gone: sipedgectl status exits 2 (it said $rc)" test "$rc" -eq 2
seen=()
for ((i = 0; i < 6; i++)); do
	seen+=("$(e2e_tel_admin kam1-v6 2>&1)")
	sleep 0.5
done
if [[ " ${seen[*]} " =~ ^(\ disabled)+\ $ ]]; then
	e2e_pass "control down: the dataplane's telemetry says kam1-v6 disabled at all ${#seen[@]} looks"
else
	e2e_fail "control down: kam1-v6 as telemetry saw it: ${seen[*]}"
fi
e2e_check "control down: sipedge still runs" lab_alive sipedge
rm -f "$LAB_RUN/pids/control.pid"
if lab_start_control >/dev/null 2>&1; then
	e2e_pass "sipedge-control restarted (pid $(lab_pid control)) and linked to sipedge"
else
	e2e_fail "sipedge-control did not come back: $(tail -3 "$LAB_RUN/control.log")"
fi
node=$(lab_ctl nodes --json)
if [[ $(e2e_j "$node" 'r["nodes"][0]["state"]["dataplane_version"]') == "$ver" &&
	$(e2e_j "$node" 'r["nodes"][0]["state"]["in_step"]') == true &&
	$(e2e_j "$node" 'r["nodes"][0]["counters"]["resyncs"]') == 0 ]]; then
	e2e_pass "control back: the dataplane still at state version $ver, in step, nothing pushed again"
else
	e2e_fail "control back: nodes says $(e2e_j "$node" 'r["nodes"][0]["state"]'), resyncs" \
		"$(e2e_j "$node" 'r["nodes"][0]["counters"]["resyncs"]') (version before the kill $ver)"
fi
e2e_check "control back: it reads kam1-v6 disabled from the dataplane" test "$(e2e_admin kam1-v6)" = disabled
s2=$(e2e_stats)
f2=$(e2e_ctr "$s2" total.ctr fwd_access_to_core)
e2e_check "control back: counters resume where the dataplane kept them ($f1 before the kill, $f2 now)" \
	test "$f2" -gt "$f1"
sleep 1
s3=$(e2e_stats)
f3=$(e2e_ctr "$s3" total.ctr fwd_access_to_core)
r3=$(e2e_j "$s3" 'r["nodes"][0]["rates"]["total"]["ctr"]["fwd_access_to_core"] if r["nodes"][0]["rates"] else 0')
# "under load" only if sipp still runs now that s3 is taken: else the
# counters may have stopped with the traffic, not with the gateway.
if ! kill -0 "$pload" 2>/dev/null; then
	e2e_fail "control back: the load (sipp, $ncalls calls at 20/s) ended before the rate look," \
		"about $((SECONDS - t_load)) s after it started:" \
		"the checks since the kill took too long to show counting under load ($f2 -> $f3, rate $r3/s)"
else
	e2e_check "control back: still counting under load ($f2 -> $f3, rate $r3/s)" \
		"$LAB_PY" -c "import sys; sys.exit(not ($f3 > $f2 and $r3 > 0))"
fi
rc=0
lab_sipp_wait cpkill "$pload" || rc=$?
lab_sipp_summary cpkill "$rc" | sed 's/^/      /'
ok=$(e2e_sipp_count cpkill 'Successful call') failed=$(e2e_sipp_count cpkill 'Failed call')
e2e_check "no call failed across the kill: $ok successful, $failed failed (sipp exit $rc)" \
	test "$rc" -eq 0 -a "${ok:-0}" -eq "$ncalls" -a "${failed:-1}" -eq 0
s4=$(e2e_stats)
dv6=$(($(e2e_ctr "$s4" backends.kam1-v6 requests) - $(e2e_ctr "$s0" backends.kam1-v6 requests)))
v6=$(grep -F "cid=$tag" "$LAB_RUN/kam1.log" | grep -cF " from $GW_CORE6:" || true)
n4=$(grep -F "cid=$tag" "$LAB_RUN/kam1.log" | grep -cF " from $GW_CORE4:" || true)
e2e_check "fail-static: kam1-v6 took nothing all along (counter +$dv6, kam1 logged $v6 requests over IPv6)" \
	test "$dv6" -eq 0 -a "$v6" -eq 0
e2e_check "... while kam1 took its share over IPv4 ($n4 requests)" test "$n4" -gt 0
if e2e_backend enable kam1-v6; then
	e2e_pass "enable kam1-v6 again: in force"
else
	e2e_fail "enable kam1-v6 not in force"
fi
e2e_end
