#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_rules.sh - the shipped rulesets in the lab (rules/README.md):
# the lab's sipedge-control loads rules/scanners.rules, toll-fraud.rules and
# hygiene.rules at start-up (deploy/lab.d/sipedge-control.yaml).
#
# 1. In force: `sipedgectl rules list` shows a live version on node lab with
#    the shipped rules.
# 2. sipvicious against the gateway while sipp calls beside it: svmap,
#    svwar and svcrack (Debian's sipvicious, from a second address of the
#    client namespace, 10.77.1.66) find nothing; their requests are dropped
#    and counted by scanner rules (1001 and the rest), and rules_dropped
#    grows by as much; every one of sipp's 40 calls from 10.77.1.2
#    completes.
# 3. explain agrees with the dataplane, message by message, for the
#    sipvicious captures (tests/unit/rules/sipvicious), the same without
#    their User-Agent, hand-made requests (tests/e2e/rules: toll fraud,
#    premium rate, a shadow rule, an unknown method, injection, a long
#    User-Agent, plain calls) and the valid requests of tests/corpus:
#    the hits that moved, the verdict counter, the response code received
#    (tests/e2e/rules_explain.py).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin rules
e2e_need_control

ATT=$ATTACKER4
att_down() { ip netns exec "$NS_CLIENT" ip addr del "$ATT/$PLEN4" dev "$NS_IF" 2>/dev/null || true; }
trap 'att_down; e2e_cleanup' EXIT
ip netns exec "$NS_CLIENT" ip addr replace "$ATT/$PLEN4" dev "$NS_IF"

# ---- 1. the shipped rules in force
live=$(lab_ctl_json 'r["live"]' rules list 2>/dev/null)
n=$(lab_ctl rules show --json 2>/dev/null | e2e_tool json 'len(r["rules"])' 2>/dev/null)
e2e_check "shipped rulesets in force: live version $live on node lab, ${n:-?} rules (want >= 30)" \
	test "${live:-None}" != None -a "${n:-0}" -ge 30

hits() { lab_ctl rules stats --json | e2e_tool json \
	'sum(x["hits"] for x in r["nodes"][0]["live"]["rules"] if 1000 <= x["id"] < 2000 and x["action"] == "drop")'; }
s0=$(e2e_stats) h0=$(hits)

# ---- 2. scanners beside calls
tag="e2eru$RANDOM"
lab_sipp_bg "$NS_CLIENT" rules-calls 60 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-%u@sipedge-lab" -d 500 -r 8 -m 40 "$(e2e_dst4)"
pcalls=$LAB_BG_PID
sv() { ip netns exec "$NS_CLIENT" timeout 60 "$@" 2>&1 | tail -3; }
out=$(sv svmap -b "$ATT" -p "$SIP_PORT" "$(lab_target4)")
e2e_info "svmap: $(tr '\n' ' ' <<<"$out")"
e2e_check "svmap (OPTIONS scan) found nothing" grep -q "found nothing" <<<"$out"
out=$(sv svmap -b "$ATT" -p "$SIP_PORT" -m INVITE --fromname alice "$(lab_target4)")
e2e_check "svmap -m INVITE --fromname alice found nothing" grep -q "found nothing" <<<"$out"
out=$(sv svwar -b "$ATT" -e100-199 -m REGISTER "$(lab_target4)")
e2e_info "svwar: $(tr '\n' ' ' <<<"$out")"
e2e_check "svwar (extensions 100-199) found no extension" grep -q "found nothing" <<<"$out"
out=$(sv svcrack -b "$ATT" -u100 -r1-200 "$(lab_target4)")
e2e_info "svcrack: $(tr '\n' ' ' <<<"$out")"
e2e_check "svcrack (user 100, passwords 1-200) found no password" grep -q "found nothing" <<<"$out"
rc=0
lab_sipp_wait rules-calls "$pcalls" || rc=$?
lab_sipp_summary rules-calls "$rc" | sed 's/^/      /'
e2e_check "beside the scanners, all 40 calls from $CLIENT4 completed (sipp exit $rc)" test "$rc" -eq 0
s1=$(e2e_stats) h1=$(hits)
dd=$(($(e2e_ctr "$s1" total.ctr rules_dropped) - $(e2e_ctr "$s0" total.ctr rules_dropped)))
e2e_check "scanner rules dropped $((h1 - h0)) requests (want >= 4: one per tool run at least), rules_dropped +$dd (want the same)" \
	test $((h1 - h0)) -ge 4 -a "$dd" -eq $((h1 - h0))
e2e_check "no request of sipp's dropped or refused by a rule: rules_rejected +$(($(e2e_ctr "$s1" total.ctr rules_rejected) - $(e2e_ctr "$s0" total.ctr rules_rejected)))" \
	test "$(e2e_ctr "$s1" total.ctr rules_rejected)" -eq "$(e2e_ctr "$s0" total.ctr rules_rejected)"

# ---- 3. explain against the dataplane
files=()
for f in "$E2E_ROOT"/tests/unit/rules/sipvicious/*.sip; do
	files+=("$f")
	grep -qi '^User-Agent:' "$f" && files+=("${f%.sip}.noua.sip")
done
files+=("$E2E_ROOT"/tests/e2e/rules/*.sip)
for f in "$E2E_CORPUS"/valid/method-*.sip "$E2E_CORPUS"/valid/invite-sdp.sip \
	"$E2E_CORPUS"/valid/register-contacts.sip "$E2E_CORPUS"/valid/display-names.sip \
	"$E2E_CORPUS"/valid/compact-all.sip "$E2E_CORPUS"/valid/folded.sip; do
	[[ -f $f ]] && ! head -c 8 "$f" | grep -q '^SIP/2.0' && files+=("$f")
done
e2e_info "explain: ${#files[@]} messages, one at a time"
rc=0
out=$(ip netns exec "$NS_CLIENT" "$LAB_PY" "$E2E_DIR/rules_explain.py" "$LAB_CTL" "$LAB_CTL_SOCK" \
	"$ATT" "$(lab_target4):$SIP_PORT" 20000 "${files[@]}" 2>&1) || rc=$?
while IFS= read -r line; do
	case $line in
	PASS:*) e2e_pass "${line#PASS: }" ;;
	FAIL:*) e2e_fail "${line#FAIL: }" ;;
	*) e2e_info "$line" ;;
	esac
done <<<"$out"
e2e_check "rules_explain.py ran to the end over every message (exit $rc, want 0 or 1)" \
	test "$rc" -le 1 -a "$(grep -c '^\(PASS\|FAIL\): explain ' <<<"$out")" -eq "${#files[@]}"

att_down
e2e_end
