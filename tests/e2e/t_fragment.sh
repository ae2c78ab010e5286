#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_fragment.sh - an INVITE of about 3.5 kB (3 kB of SDP): the
# client's kernel fragments it over the 1500-byte MTU, the gateway must
# reassemble it, forward it (fragmenting it again towards the core) and the
# call must complete. IPv4 and IPv6. The captures at both veths
# shows the fragments on both sides, and what the gateway sent is checked
# (checksums, well formed).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin fragment

e2e_capture_start fragment || e2e_end
for fam in 4 6; do
	if [[ $fam == 4 ]]; then src=$CLIENT4 dst=$(e2e_dst4); else src=$CLIENT6 dst=$(e2e_dst6); fi
	e2e_sipp_ok "3 calls with a 3.5 kB INVITE over IPv$fam" "$NS_CLIENT" "big$fam" 30 \
		-sf "$LAB_D/uac_big.xml" -i "$src" -m 3 -r 3 "$dst"
done
e2e_capture_stop fragment

acc=$(e2e_cap fragment acc) core=$(e2e_cap fragment core)
eg=$(e2e_egress_filter)
f4=$(e2e_tshark -r "$acc" -Y "ip.src == $CLIENT4 && ip.flags.mf == 1" | wc -l)
f6=$(e2e_tshark -r "$acc" -Y "ipv6.src == $CLIENT6 && ipv6.fraghdr.more == 1" | wc -l)
e2e_check "the client's IPv4 INVITEs reached the gateway fragmented ($f4 first/middle fragments)" test "$f4" -gt 0
e2e_check "the client's IPv6 INVITEs reached the gateway fragmented ($f6 first/middle fragments)" test "$f6" -gt 0
if e2e_kernel; then
	e2e_skip "the gateway reassembles and re-fragments towards the core (kernel mode: forwarded as is)"
else
	g=$(e2e_tshark -r "$core" -Y "$eg && (ip.flags.mf == 1 || ipv6.fraghdr.more == 1)" | wc -l)
	e2e_check "the gateway sent the big INVITEs fragmented towards the core ($g fragments)" test "$g" -gt 0
	big=$(e2e_tshark -r "$core" -Y "$eg && sip.Method == \"INVITE\" && sip.msg_body" -T fields -e frame.number | wc -l)
	e2e_check "the gateway's reassembled INVITEs dissect as SIP with their body ($big)" test "$big" -ge 6
fi
e2e_check_pcap fragment

e2e_end
