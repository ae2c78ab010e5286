#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_prometheus.sh - a real Prometheus (/usr/bin/prometheus)
# scrapes the lab's sipedge-control (/metrics on deploy/lab's LAB_METRICS)
# every second while sipp calls and registers through the gateway.
#
# Prometheus runs with its own config and storage in $LAB_RUN/prometheus/
# (removed with the lab), on a free port of 127.0.0.1, and is stopped by PID
# at the end. Asserted through its query API: the scrape works (up == 1),
# sipedge_up{node="lab"} == 1, each backend's admin state is enabled; and
# after 10 REGISTERs and 20 calls, the increase of
# sum(sipedge_fwd_access_to_core_total) and of
# sum(sipedge_backend_requests_total) is exactly what sipp sent (its final
# screen, retransmissions included), the per-port
# sipedge_port_rx_packets_total{port="access0"} rose by at least that, and
# the values equal those `sipedgectl stats` shows. A missing prometheus
# binary is a failure (deploy/setup installs it), not a skip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin prometheus
e2e_need_control

PROM=${PROMETHEUS:-/usr/bin/prometheus}
if [[ ! -x $PROM ]]; then
	e2e_fail "$PROM is not installed (deploy/setup installs prometheus)"
	e2e_end
fi
tag="e2eprom$RANDOM"
dir=$LAB_RUN/prometheus
mkdir -p "$dir"
port=$(e2e_tool free-port)
cat >"$dir/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: sipedge-lab
    static_configs: [{targets: ["$LAB_METRICS"]}]
EOF
E2E_STOP+=(prometheus)
if ! lab_start prometheus "" "" "$PROM" --config.file="$dir/prometheus.yml" \
	--storage.tsdb.path="$dir/tsdb" --web.listen-address="127.0.0.1:$port"; then
	e2e_fail "prometheus did not start"
	e2e_end
fi
q() { e2e_tool prom "$port" "$1" 2>/dev/null || echo none; }
# wait_q QUERY VALUE: until the query gives VALUE (20 s); prints what it gave
wait_q()
{
	local v i
	for ((i = 0; i < 40; i++)); do
		v=$(q "$1")
		[[ $v == "$2" ]] && break
		lab_alive prometheus || break
		sleep 0.5
	done
	echo "$v"
}
v=$(wait_q 'up{job="sipedge-lab"}' 1)
if [[ $v == 1 ]]; then
	e2e_pass "prometheus (pid $(lab_pid prometheus), port $port) scrapes $LAB_METRICS: up == 1"
else
	e2e_fail "prometheus: up{job=\"sipedge-lab\"} is $v after 20 s"
	lab_log_tail prometheus 10
	e2e_end
fi
e2e_check "sipedge_up{node=\"lab\"} == 1" test "$(wait_q 'sipedge_up{node="lab"}' 1)" = 1
e2e_check "every backend's admin state is enabled" \
	test "$(wait_q 'sum(sipedge_backend_admin_state{node="lab",state="enabled"})' 4)" = 4

fwd_q='sum(sipedge_fwd_access_to_core_total{node="lab"})'
be_q='sum(sipedge_backend_requests_total{node="lab"})'
rx_q='sipedge_port_rx_packets_total{node="lab",port="access0"}'
s0=$(e2e_stats)
f0=$(wait_q "$fwd_q" "$(e2e_ctr "$s0" total.ctr fwd_access_to_core)")
b0=$(q "$be_q") r0=$(q "$rx_q")
e2e_check "before the traffic: prometheus has the fwd_access_to_core sipedgectl shows ($f0)" \
	test "$f0" = "$(e2e_ctr "$s0" total.ctr fwd_access_to_core)"

LAB_SIPP_MSG=0 e2e_sipp_ok "10 REGISTERs" "$NS_CLIENT" prom-reg 20 -sf "$LAB_D/register.xml" \
	-i "$CLIENT4" -s "${tag}u" -cid_str "$tag-r-%u@sipedge-lab" -key expires 60 -m 10 -r 10 "$(e2e_dst4)"
LAB_SIPP_MSG=0 e2e_sipp_ok "20 calls" "$NS_CLIENT" prom-call 30 -sf "$LAB_D/uac.xml" -i "$CLIENT6" \
	-cid_str "$tag-c-%u@sipedge-lab" -d 100 -m 20 -r 10 "$(e2e_dst6)"
read -r sr _ < <(e2e_sipp_sent_recv prom-reg)
read -r sc _ < <(e2e_sipp_sent_recv prom-call)
sent=$((sr + sc))
s1=$(e2e_stats)
want=$(e2e_ctr "$s1" total.ctr fwd_access_to_core)
f1=$(wait_q "$fwd_q" "$want")
b1=$(q "$be_q") r1=$(q "$rx_q")
e2e_check "after: prometheus has sipedgectl's fwd_access_to_core ($f1 = $want)" test "$f1" = "$want"
if [[ $f0 =~ ^[0-9]+$ && $f1 =~ ^[0-9]+$ ]] && ((f1 - f0 == sent)); then
	e2e_pass "$fwd_q rose by what sipp sent: $f0 -> $f1 (+$sent)"
else
	e2e_fail "$fwd_q went $f0 -> $f1; sipp sent $sent"
fi
if [[ $b0 =~ ^[0-9]+$ && $b1 =~ ^[0-9]+$ ]] && ((b1 - b0 == sent)); then
	e2e_pass "$be_q rose by the same: $b0 -> $b1"
else
	e2e_fail "$be_q went $b0 -> $b1; sipp sent $sent"
fi
if [[ $r0 =~ ^[0-9]+$ && $r1 =~ ^[0-9]+$ ]] && ((r1 - r0 >= sent)); then
	e2e_pass "$rx_q rose by at least that: $r0 -> $r1"
else
	e2e_fail "$rx_q went $r0 -> $r1; sipp sent $sent"
fi
ppid=$(lab_pid prometheus)
lab_stop prometheus
for ((i = 0; i < 50; i++)); do [[ -e /proc/$ppid ]] || break; sleep 0.1; done
e2e_check "prometheus (pid $ppid) stopped by its pid" test ! -e "/proc/$ppid"
E2E_STOP=()
rm -rf -- "$dir"
e2e_end
