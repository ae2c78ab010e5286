#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
#
# tests/bench/rules/compare.sh - the figures of docs/benchmarks.md, "Rules":
# the whole worker pipeline (bench_pipeline, the carrier mix of
# tests/bench/proxy/mix) with 0, 100, 1 000 and 10 000 generated rules in
# force (tests/bench/gen_rules.py: rules ordinary traffic does not match, as
# most of a real ruleset is for most traffic), and with the shipped
# rulesets; then the rules engine alone against its ceiling, Hyperscan
# scanning the same fields with the same databases and nothing else, and
# compile time and memory (bench_rules), with the very files the pipeline
# ran and on the pipeline's mix, the shipped rulesets field by field.
#
# usage: tests/bench/rules/compare.sh [BUILD-DIR] [--rounds N]
# Pinned to CPU 1. Figures only: nothing passes or fails on timing. On a
# shared machine take ratios within one run (each round runs every count).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=$root/build rounds=3
while (($#)); do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	*) build=$1; shift ;;
	esac
done
bp=$build/tests/bench/bench_pipeline br=$build/tests/bench/bench_rules
for b in "$bp" "$br"; do
	[[ -x $b ]] || { echo "compare: $b not built (ninja -C $build)" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipedge-rules-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
counts=(0 100 1000 10000)
for n in "${counts[@]}"; do
	python3 "$root/tests/bench/gen_rules.py" "$n" >"$tmp/$n.rules"
done
run() { # run NAME [bench_pipeline args]: one JSON line into $tmp/NAME.ROUND
	local name=$1
	shift
	taskset -c 1 "$bp" -l 1 --no-pci --file-prefix "rules-bench-$$" --log-level=error -- \
		--mix "$root/tests/bench/proxy/mix" --runs 3 --seconds 2 --json "$@" >"$tmp/$name.$r"
}
for r in $(seq "$rounds"); do
	for n in "${counts[@]}"; do
		if ((n == 0)); then run 0; else run "$n" --rules "$tmp/$n.rules"; fi
	done
	run shipped --rules "$root/tests/bench/shipped.rules"
done
python3 - "$tmp" "$rounds" "${counts[@]}" shipped <<'PY'
import json, statistics, sys
tmp, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = {}
for n in names:
    rs = [json.load(open(f"{tmp}/{n}.{r}")) for r in range(1, rounds + 1)]
    med[n] = {k: statistics.median(x[k] for x in rs)
              for k in ("pipeline_own_msgs_per_s", "filter_cycles_per_pkt", "rules_compile_ms")}
    med[n]["rules"] = rs[0]["rules"]
base = med["0"]["pipeline_own_msgs_per_s"]
print(f"pipeline, own cycles, median of {rounds} rounds (3 runs each):")
print(f"{'ruleset':>10} {'rules':>6} {'M msg/s':>8} {'vs 0 rules':>10} {'filter cyc/pkt':>15} {'compile ms':>11}")
for n in names:
    m = med[n]
    print(f"{n:>10} {m['rules']:>6} {m['pipeline_own_msgs_per_s'] / 1e6:>8.3f} "
          f"{m['pipeline_own_msgs_per_s'] / base:>10.2f} {m['filter_cycles_per_pkt']:>15.0f} "
          f"{m['rules_compile_ms']:>11.0f}")
PY
echo
echo "rules engine alone, the same rules and mix (bench_rules --cpu 1):"
sets=0
for n in "${counts[@]:1}"; do sets+=",$tmp/$n.rules"; done
"$br" --cpu 1 --fields --rules "$sets" --rules "$root/tests/bench/shipped.rules" \
	"$root/tests/bench/proxy/mix"
