#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_options.sh - OPTIONS addressed to the gateway itself get 200
# from the gateway (no backend sees them), over IPv4 and IPv6.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin options

for fam in 4 6; do
	if [[ $fam == 4 ]]; then t=$(lab_target4) src=$CLIENT4 dst=$(e2e_dst4); else t=$(lab_target6) src=$CLIENT6 dst=$(e2e_dst6); fi
	out=$(ip netns exec "$NS_CLIENT" "$LAB_PY" "$LAB_D/labtool.py" options "$t" --src "$src" \
		--port "$SIP_PORT" --timeout 3 --verbose 2>&1)
	rc=$?
	e2e_info "$(echo "$out" | head -1)"
	if ((rc == 0)); then
		e2e_pass "OPTIONS sip:$t:$SIP_PORT (IPv$fam) answered 200"
	else
		e2e_fail "OPTIONS sip:$t:$SIP_PORT (IPv$fam) not answered 200: $out"
		continue
	fi
	cid=$(echo "$out" | sed -n '1s/.*(Call-ID \(labtool-[0-9a-f]*\)@.*/\1/p')
	seen=$(($(e2e_kam_count kam1 "cid=$cid") + $(e2e_kam_count kam2 "cid=$cid")))
	if e2e_kernel; then
		e2e_skip "IPv$fam: answered by the gateway itself (kernel mode: kam1 answered)"
	elif ((seen == 0)) && ! grep -q '^Server: sipedge-lab backend' <<<"$out"; then
		e2e_pass "IPv$fam: answered by the gateway itself (no backend saw $cid)"
	else
		e2e_fail "IPv$fam: a backend answered or saw the OPTIONS $cid (seen $seen times)"
	fi
	e2e_sipp_ok "sipp: 5 OPTIONS to $dst (IPv$fam), each answered 200" \
		"$NS_CLIENT" "options$fam" 20 -sf "$LAB_D/options.xml" -i "$src" -m 5 -r 10 "$dst"
done

e2e_end
