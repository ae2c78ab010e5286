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
for i in 1 2 3; do
	ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$(lab_target4)" \
		--src "$CLIENT4" --port "$SIP_PORT" --timeout 3 >/dev/null 2>&1
done
after=$(tel /sipedge/stats)
r1=$(field /sipedge/stats reply_200 <<<"$after")
p1=$(field /sipedge/stats rx_pkts <<<"$after")
if ((r1 - r0 == 3)); then
	e2e_pass "reply_200 went up by the 3 OPTIONS sent ($r0 -> $r1)"
else
	e2e_fail "reply_200 went from $r0 to $r1 for 3 OPTIONS"
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
	timeout 20 dpdk-dumpcap --file-prefix="$LAB_DPDK_PREFIX" -i 0 -c 2 -w "$cap" \
		>"$cap.log" 2>&1 &
	dpid=$!
	sleep 2
	for i in 1 2 3; do
		ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$(lab_target4)" \
			--src "$CLIENT4" --port "$SIP_PORT" --timeout 3 >/dev/null 2>&1
		kill -0 "$dpid" 2>/dev/null || break
		sleep 1
	done
	wait "$dpid"
	got=$(tshark -r "$cap" -Y 'sip.CSeq.method == "OPTIONS"' 2>/dev/null | wc -l)
	if ((got == 2)); then
		e2e_pass "dpdk-dumpcap captured an OPTIONS and its 200 on access0 (pdump)"
	else
		e2e_fail "dpdk-dumpcap: $got SIP OPTIONS packets captured: $(tail -3 "$cap.log")"
	fi
	rm -f "$cap" "$cap.log"
else
	e2e_skip "dpdk-dumpcap not installed"
fi
e2e_end
