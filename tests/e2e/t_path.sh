#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_path.sh - calls from the core to a registered client: the
# client REGISTERs through the gateway from its own socket; a caller in the
# core namespace calls it through kam1 and through kam2 (which knows the
# user by replication); Kamailio routes the INVITE along the stored Path back
# to the gateway, which sends it to the client's socket named in the flow
# token. IPv4 and IPv6.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin path

for fam in 4 6; do
	for kam in kam1 kam2; do
		if lab_path_call "$fam" "$kam" "path$fam-$kam" 2>&1 | sed 's/^/      /'; then
			e2e_pass "IPv$fam: core -> $kam -> registered client, call completed"
		else
			e2e_fail "IPv$fam: core -> $kam -> registered client failed"
		fi
	done
done

e2e_end
