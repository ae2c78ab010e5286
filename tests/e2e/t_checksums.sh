#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_checksums.sh - everything the gateway sends is well formed:
# captures at both veths (namespace ends) during a mix of traffic (OPTIONS, REGISTER,
# calls over IPv4 and IPv6, a cancelled call, a call to a registered client,
# a fragmented INVITE), then tshark checks every frame whose source MAC is
# the gateway's: IPv4 header and UDP checksums verified, nothing malformed,
# no expert warning or error, UDP only as SIP, only ARP/ICMP/UDP.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin checksums

e2e_capture_start egress || e2e_end
for fam in 4 6; do
	if [[ $fam == 4 ]]; then t=$(lab_target4) src=$CLIENT4 dst=$(e2e_dst4); else t=$(lab_target6) src=$CLIENT6 dst=$(e2e_dst6); fi
	ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$t" --src "$src" --timeout 3 >/dev/null ||
		e2e_fail "IPv$fam: OPTIONS to $t unanswered"
	ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" ping "$t" --timeout 3 >/dev/null ||
		e2e_fail "IPv$fam: ping $t unanswered"
	lab_sipp "$NS_CLIENT" "ck-reg$fam" 20 -sf "$LAB_D/register.xml" -i "$src" -s "e2eck$fam-" \
		-key expires 30 -m 2 -r 10 "$dst" || e2e_fail "IPv$fam: REGISTERs failed"
	lab_sipp "$NS_CLIENT" "ck-call$fam" 20 -sf "$LAB_D/uac.xml" -i "$src" -d 100 -m 5 -r 10 "$dst" ||
		e2e_fail "IPv$fam: calls failed"
	lab_sipp "$NS_CLIENT" "ck-cancel$fam" 20 -sf "$LAB_D/uac_cancel.xml" -i "$src" -m 2 -r 10 "$dst" ||
		e2e_fail "IPv$fam: cancelled calls failed"
	lab_sipp "$NS_CLIENT" "ck-big$fam" 20 -sf "$LAB_D/uac_big.xml" -i "$src" -m 1 "$dst" ||
		e2e_fail "IPv$fam: big INVITE call failed"
	lab_path_call "$fam" kam2 "ck-path$fam" >/dev/null 2>&1 ||
		e2e_fail "IPv$fam: call to a registered client failed"
done
e2e_capture_stop egress
e2e_check_pcap egress

e2e_end
