#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_cancel.sh - a ringing call cancelled by the client: the CANCEL
# follows the INVITE to the same backend (same Call-ID, same branch), the
# client gets 200 to the CANCEL and 487 to the INVITE, its ACK is absorbed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin cancel

for fam in 4 6; do
	if [[ $fam == 4 ]]; then src=$CLIENT4 dst=$(e2e_dst4); else src=$CLIENT6 dst=$(e2e_dst6); fi
	e2e_sipp_ok "5 calls cancelled while ringing over IPv$fam (180, CANCEL, 200, 487, ACK)" \
		"$NS_CLIENT" "cancel$fam" 30 -sf "$LAB_D/uac_cancel.xml" -i "$src" -m 5 -r 5 "$dst"
done

e2e_end
