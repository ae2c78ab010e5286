#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/t_rules_swap.sh - rulesets swapped live under load, no call lost
# (DESIGN.md, "Rules and hot reload"; rules/README.md).
#
# Two rulesets: A, one rule (count id 900001: every request); B, 10 000
# generated rules of the carrier mix (tests/bench/gen_rules.py: UA regexes,
# dialled prefixes, source prefixes, ... none matching sipp) plus a count
# rule on every request (id 109999). Each is compiled once (the first load);
# then, while sipp makes 8 calls a second (1 s each), `sipedgectl rules
# load` puts A and B in force in turn, one swap a second, for 60 s.
#   - every load is in force on node lab when it answers, with a new version;
#   - every call completes (sipp: none failed, none retransmitted out);
#   - the dataplane's rules_commits grows by exactly the number of loads;
#   - both count rules' hits grow (each version was in force and ran), and
#     together they grow by exactly rules_evaluated's growth: every request
#     was run by exactly one of the two versions, none by neither;
#   - no rule dropped or refused anything.
# At the end the files in force before (the shipped rulesets) are loaded
# again (a rollback cannot reach back 60 versions: rules.history keeps 20).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_begin rules-swap
e2e_need_control

dir=$LAB_RUN/rules-swap
mkdir -p "$dir"
printf 'count id:900001 exists call-id msg:"swap A: one rule"\n' >"$dir/A.rules"
"$LAB_PY" "$E2E_ROOT/tests/bench/gen_rules.py" 10000 --match 1 >"$dir/B.rules"
before=$(lab_ctl_json 'r["live"]' rules list)
mapfile -t before_files < <(lab_ctl_json '"\n".join(f for v in r["versions"] if v["version"] == r["live"] for f in v["top"])' rules list | grep .)

hit() { e2e_j "$1" "sum(x['hits'] for x in r['nodes'][0]['live']['rules'] if x['id'] == $2)"; }
rstats() { lab_wait_snapshot && lab_ctl rules stats --json; }

# compile each once (B takes seconds), outside the measured minute
for f in B A; do
	t0=$(e2e_now)
	if out=$(lab_ctl rules load "$dir/$f.rules" 2>&1); then
		e2e_info "first load of $f: $(head -1 <<<"$out") ($(awk "BEGIN { printf \"%.1f\", $(e2e_now) - $t0 }") s)"
	else
		e2e_fail "first load of $f refused: $out"
		e2e_end
	fi
done

s0=$(e2e_stats) r0=$(rstats)
tag="e2esw$RANDOM"
lab_sipp_bg "$NS_CLIENT" swap-calls 120 -sf "$LAB_D/uac.xml" -i "$CLIENT4" \
	-cid_str "$tag-%u@sipedge-lab" -d 1000 -r 8 -m 560 "$(e2e_dst4)"
pcalls=$LAB_BG_PID
sleep 1
nload=0 nbad=0 worst=0 versions=()
t_start=$(date +%s%N)
for ((k = 0; k < 60; k++)); do
	f=$([[ $((k % 2)) == 0 ]] && echo B || echo A)
	t0=$(date +%s%N)
	if out=$(lab_ctl rules load "$dir/$f.rules" --json 2>&1) &&
		[[ $(e2e_j "$out" 'r["ok"] and len(r["results"]) == 1 and all(x["ok"] for x in r["results"])') == true ]]; then
		versions+=("$(e2e_j "$out" 'r["version"]')")
	else
		nbad=$((nbad + 1))
		((nbad <= 3)) && e2e_info "load $k ($f) failed: $(tail -1 <<<"$out")"
	fi
	nload=$((nload + 1))
	ms=$((($(date +%s%N) - t0) / 1000000))
	((ms > worst)) && worst=$ms
	# one swap a second: sleep what is left of this second
	left=$((t_start / 1000000 + (k + 1) * 1000 - $(date +%s%N) / 1000000))
	((left > 0)) && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
done
secs=$((($(date +%s%N) - t_start) / 1000000))
e2e_check "$nload loads in $((secs / 1000)).$(printf %03d $((secs % 1000))) s (A, B in turn), all in force: $nbad refused, slowest $worst ms" \
	test "$nbad" -eq 0 -a "$nload" -eq 60
uniq=$(printf '%s\n' "${versions[@]}" | sort -u | wc -l)
e2e_check "each load a new version: ${#versions[@]} versions, $uniq distinct (${versions[0]:-?}..${versions[-1]:-?})" \
	test "$uniq" -eq "${#versions[@]}" -a "$uniq" -eq 60
rc=0
lab_sipp_wait swap-calls "$pcalls" || rc=$?
lab_sipp_summary swap-calls "$rc" | sed 's/^/      /'
ok=$(e2e_sipp_count swap-calls "Successful call") failed=$(e2e_sipp_count swap-calls "Failed call")
e2e_check "under the swaps, every call completed: $ok successful, ${failed:-?} failed (sipp exit $rc)" \
	test "$rc" -eq 0 -a "${ok:-0}" -eq 560
s1=$(e2e_stats) r1=$(rstats)
d() { echo $(($(e2e_ctr "$s1" total.ctr "$1") - $(e2e_ctr "$s0" total.ctr "$1"))); }
e2e_check "dataplane: rules_commits +$(d rules_commits) (want $nload), rules_load_errors +$(d rules_load_errors)" \
	test "$(d rules_commits)" -eq "$nload" -a "$(d rules_load_errors)" -eq 0
ha=$(($(hit "$r1" 900001) - $(hit "$r0" 900001))) hb=$(($(hit "$r1" 109999) - $(hit "$r0" 109999)))
ev=$(d rules_evaluated)
e2e_check "both versions ran: A counted $ha requests, B $hb; together $((ha + hb)) = rules_evaluated +$ev" \
	test "$ha" -gt 0 -a "$hb" -gt 0 -a $((ha + hb)) -eq "$ev"
e2e_check "no rule dropped, refused or banned anything: +$(d rules_dropped) +$(d rules_rejected) +$(d rules_banned)" \
	test $(($(d rules_dropped) + $(d rules_rejected) + $(d rules_banned))) -eq 0

if [[ $before == null || ${#before_files[@]} == 0 ]]; then
	# lab_up waits for rules.files (lab.d/sipedge-control.yaml) to be in
	# force; a live ruleset cannot be unloaded: the one rule of A (count
	# only) is left rather than B's 10 000
	lab_ctl rules load "$dir/A.rules" >/dev/null 2>&1
	e2e_fail "no live ruleset named by files when the case began (version $before):" \
		"the lab's rules.files were not in force; A's one count rule left live"
elif out=$(lab_ctl rules load "${before_files[@]}" 2>&1); then
	e2e_info "the rules in force before (version $before) put back: $(head -1 <<<"$out")"
else
	e2e_fail "could not put back the rules in force before (version $before): $out"
fi
rm -rf "$dir"
e2e_end
