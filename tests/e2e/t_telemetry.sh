#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_telemetry.sh - the counters are readable while the gateway
# runs, through DPDK telemetry (docs/counters.md): /sipedge/stats,
# /sipedge/ports, /sipedge/backends and /sipedge/workers answer, and the
# OPTIONS sent meanwhile show up in reply_200 and in the access port's
# counters. Also dpdk-dumpcap, a secondary process, captures the access port
# through the pdump framework.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin telemetry

if e2e_kernel; then
	e2e_skip "telemetry: there is no sipedge in kernel mode"
	e2e_end
fi
sock=/var/run/dpdk/$LAB_DPDK_PREFIX/dpdk_telemetry.v2

# One telemetry command, its JSON reply on stdout (the socket protocol of
# DPDK 22.11: a greeting, then one JSON object per command).
tel()
{
	"$LAB_PY" - "$sock" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
json.loads(s.recv(16384))
s.send(sys.argv[2].encode())
print(s.recv(65536).decode())
PY
}

# field COMMAND KEY...: one value out of a reply (stdin), e.g.
# field /sipedge/ports access0 rx_pkts
field()
{
	"$LAB_PY" -c 'import json, sys
d = json.loads(sys.stdin.read())[sys.argv[1]]
for k in sys.argv[2:]:
    d = d[k]
print(d)' "$@"
}

if ! before=$(tel /sipedge/stats); then
	e2e_fail "no answer on $sock"
	e2e_end
fi
e2e_pass "/sipedge/stats answers on $sock"
r0=$(field /sipedge/stats reply_200 <<<"$before")
p0=$(field /sipedge/stats rx_pkts <<<"$before")
# labtool sends its OPTIONS again every 0.5 s until a final response, and
# the gateway answers each copy: reply_200 must move by what labtool says
# it sent ("sent N"), not by 3. The answers to the last copies may still be
# on their way when labtool has its 200, hence the wait (3 s at most).
sent=0
for i in 1 2 3; do
	out=$(ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$(lab_target4)" \
		--src "$CLIENT4" --port "$SIP_PORT" --timeout 3 2>&1)
	n=$(sed -n 's/.*[(;] *sent \([0-9][0-9]*\))$/\1/p' <<<"$out" | tail -1)
	if [[ -z $n ]]; then
		e2e_fail "labtool options did not say how many it sent: $out"
		n=0
	fi
	sent=$((sent + n))
done
for ((i = 0; i < 30; i++)); do
	after=$(tel /sipedge/stats)
	r1=$(field /sipedge/stats reply_200 <<<"$after")
	((r1 - r0 >= sent)) && break
	sleep 0.1
done
p1=$(field /sipedge/stats rx_pkts <<<"$after")
if ((sent >= 3 && r1 - r0 == sent)); then
	e2e_pass "reply_200 went up by the $sent OPTIONS labtool sent for 3 requests ($r0 -> $r1)"
else
	e2e_fail "reply_200 went from $r0 to $r1 for the $sent OPTIONS labtool sent for 3 requests"
fi
if ((p1 - p0 >= 3)); then
	e2e_pass "rx_pkts went up ($p0 -> $p1)"
else
	e2e_fail "rx_pkts went from $p0 to $p1"
fi
ports=$(tel /sipedge/ports)
if [[ $(field /sipedge/ports access0 rx_pkts <<<"$ports") -ge 3 ]]; then
	e2e_pass "/sipedge/ports has access0 with its rx_pkts"
else
	e2e_fail "/sipedge/ports: $ports"
fi
bes=$(tel /sipedge/backends)
if [[ $(field /sipedge/backends kam1 state <<<"$bes") == up &&
      $(field /sipedge/backends kam1 probes_sent <<<"$bes") -ge 1 ]]; then
	e2e_pass "/sipedge/backends shows kam1 up, with its probes"
else
	e2e_fail "/sipedge/backends: $bes"
fi
wk=$(tel /sipedge/workers)
if [[ $(field /sipedge/workers worker0 sip_requests <<<"$wk") -ge 3 &&
      $(field /sipedge/workers main lcore <<<"$wk") == 0 ]]; then
	e2e_pass "/sipedge/workers has worker0 with its requests, and the main lcore"
else
	e2e_fail "/sipedge/workers: $wk"
fi

# dpdk-dumpcap on port 0 (access0): an OPTIONS and its 200, as pcapng
if command -v dpdk-dumpcap >/dev/null; then
	cap=$(mktemp "${TMPDIR:-/tmp}/sipedge-dumpcap.XXXXXX.pcapng")
	timeout 35 dpdk-dumpcap --file-prefix="$LAB_DPDK_PREFIX" -i 0 -c 2 -w "$cap" \
		>"$cap.log" 2>&1 &
	dpid=$!
	# It captures once it prints "Packets captured:" (stderr, after the
	# primary enabled pdump; its "Capturing on" goes to stdout, which is
	# buffered to the file until it exits). At most 15 s: a secondary
	# process's start-up is slow on a loaded machine.
	for ((i = 0; i < 150; i++)); do
		grep -q 'Packets captured:' "$cap.log" 2>/dev/null && break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	started=0
	if grep -q 'Packets captured:' "$cap.log" 2>/dev/null; then
		started=1
		for i in 1 2 3; do
			ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$(lab_target4)" \
				--src "$CLIENT4" --port "$SIP_PORT" --timeout 3 >/dev/null 2>&1
			kill -0 "$dpid" 2>/dev/null || break
			sleep 1
		done
	else
		kill "$dpid" 2>/dev/null
	fi
	wait "$dpid"
	got=$(tshark -r "$cap" -Y 'sip.CSeq.method == "OPTIONS"' 2>/dev/null | wc -l)
	if ((!started)); then
		e2e_fail "dpdk-dumpcap did not start capturing within 15 s: $(tail -3 "$cap.log")"
	elif ((got == 2)); then
		e2e_pass "dpdk-dumpcap captured an OPTIONS and its 200 on access0 (pdump)"
	else
		e2e_fail "dpdk-dumpcap: $got SIP OPTIONS packets captured: $(tail -3 "$cap.log")"
	fi
	rm -f "$cap" "$cap.log"
else
	e2e_skip "dpdk-dumpcap not installed"
fi
e2e_end
