#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_failover.sh - a backend dies under load: kam1 is killed (its
# whole process group, SIGKILL) while sipp runs calls through the gateway.
# Calls that kam1 had are lost, and so are new ones hashed to it until the
# probes mark it down (probe.down_after x interval_ms = 3 s in the lab);
# after that every call must complete on kam2. kam1 is then restarted, the
# probes bring it back (up_after = 2) and it must take calls again.
# Disruptive: run_e2e.sh runs it last (kam1 comes back with an empty
# location table).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin failover

tag="e2efo$RANDOM"
if e2e_kernel; then
	# no gateway to fail over: phases go to kam1, then kam2, then kam1
	dst_a=$KAM1_4:$SIP_PORT dst_b=$KAM2_4:$SIP_PORT dst_c=$KAM1_4:$SIP_PORT
	e2e_info "kernel mode: no gateway; killing and restarting kam1 with calls sent to kam1/kam2 directly"
else
	dst_a=$(e2e_dst4) dst_b=$(e2e_dst4) dst_c=$(e2e_dst4)
fi

# A: load (10 calls/s for 10 s), kam1 killed after 3 s
LAB_SIPP_MSG=0 lab_sipp_bg "$NS_CLIENT" failover-a 40 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-a-%u@sipedge-lab" -d 500 -r 10 -m 100 -l 60 -recv_timeout 4s "$dst_a"
apid=$LAB_BG_PID
sleep 3
pid=$(lab_pid kam1)
if [[ -z $pid ]] || ! lab_alive kam1 || [[ $(ps -o pgid= -p "$pid" | tr -d ' ') != "$pid" ]]; then
	e2e_fail "kam1 is not running as its own process group (pid ${pid:-none})"
	lab_sipp_wait failover-a "$apid" || true
	e2e_end
fi
# live (not zombie) members of process group $1
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { n++ } END { exit !n }'; }
kill -KILL -- "-$pid"
for ((i = 0; i < 50; i++)); do group_alive "$pid" || break; sleep 0.1; done
t_kill=$SECONDS
if group_alive "$pid"; then
	e2e_fail "kam1 (process group $pid) survived SIGKILL"
else
	e2e_pass "kam1 (process group $pid) killed under load"
fi
ra=0
lab_sipp_wait failover-a "$apid" || ra=$?
lab_sipp_summary failover-a "$ra" | head -1 | sed 's/^/      /'
e2e_info "phase A: $(e2e_sipp_count failover-a 'Successful call') calls completed," \
	"$(e2e_sipp_count failover-a 'Failed call') lost to the kill (allowed)"

# B: with kam1 dead and detected (>= 5 s after the kill), nothing may fail
((SECONDS - t_kill < 5)) && sleep $((5 - (SECONDS - t_kill)))
e2e_sipp_ok "kam1 dead: 30 calls all complete" "$NS_CLIENT" failover-b 30 \
	-sf "$LAB_D/uac.xml" -i "$CLIENT4" -cid_str "$tag-b-%u@sipedge-lab" -d 200 -r 10 -m 30 "$dst_b"
nb=$(grep -F ' rx INVITE' "$LAB_RUN/kam2.log" | grep -cF "cid=$tag-b-")
e2e_check "kam1 dead: kam2 took all of them ($nb INVITEs)" test "$nb" -ge 30
if ! e2e_kernel; then
	# the gateway's probes saw it: logged, and counted (went_down)
	e2e_check "kam1 dead: the gateway marked it DOWN (its log)" \
		grep -q "backend kam1 ($KAM1_4:$SIP_PORT): DOWN after" "$LAB_RUN/sipedge.log"
fi

# C: kam1 back
lab_stop kam1
rm -f "$LAB_RUN/kam1/ctl.sock"
if lab_start_kam kam1 "$KAM1_4" "$KAM1_6" "$KAM2_4" && lab_wait_kam kam1 "$KAM1_4" "$KAM1_6"; then
	e2e_pass "kam1 restarted (pid $(lab_pid kam1))"
else
	e2e_fail "kam1 did not restart"
	e2e_end
fi
e2e_kernel || sleep 4 # probes: up_after 2 x 1 s, and a margin
e2e_sipp_ok "kam1 back: 40 calls all complete" "$NS_CLIENT" failover-c 30 \
	-sf "$LAB_D/uac.xml" -i "$CLIENT4" -cid_str "$tag-c-%u@sipedge-lab" -d 200 -r 10 -m 40 "$dst_c"
nc=$(grep -F ' rx INVITE' "$LAB_RUN/kam1.log" | grep -cF "cid=$tag-c-")
e2e_check "kam1 back: it takes calls again ($nc of 40 INVITEs)" test "$nc" -gt 0
if ! e2e_kernel; then
	e2e_check "kam1 back: the gateway marked it UP again (its log)" \
		grep -q "backend kam1 ($KAM1_4:$SIP_PORT): UP after" "$LAB_RUN/sipedge.log"
fi

e2e_end
