#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/bench/proxy/compare.sh - the issue's figures in one run: sipedge's
# worker pipeline (bench_pipeline, in-process on CPU 1, with the plain DPDK
# forwarding loop over the same net_ring path as its ceiling), then Kamailio
# doing the same stateless job over kernel UDP on CPU 1 (kamailio/run.sh),
# both on the mix of mix/; then the ratio of messages per core-second.
# Root (Kamailio's namespace); about 2 minutes per round.
#
# usage: tests/bench/proxy/compare.sh [--rounds N] [--build DIR] [--json]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=$root/build
rounds=1
json=0
while (($#)); do
	case $1 in
	--rounds) rounds=$2; shift ;;
	--build) build=$2; shift ;;
	--json) json=1 ;;
	-h | --help) sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "compare: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[[ $rounds =~ ^[1-9][0-9]?$ ]] || { echo "compare: --rounds 1..99" >&2; exit 2; }
bp=$build/tests/bench/bench_pipeline
[[ -x $bp ]] || { echo "compare: $bp not built (ninja -C $build)" >&2; exit 2; }
py=/usr/bin/python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipedge-compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$rounds"); do
	taskset -c 1 "$bp" -l 1 --no-pci --file-prefix "compare-$$" --log-level=error -- \
		--mix "$here/mix" --runs 5 --seconds 2 --json >"$tmp/se$r.json"
	"$here/kamailio/run.sh" --json >"$tmp/kam$r.json" 2>"$tmp/kam$r.err" ||
		{ cat "$tmp/kam$r.err" >&2; exit 1; }
done
"$py" - "$tmp" "$rounds" "$json" <<'PY'
import json, statistics, sys
tmp, rounds, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
se = [json.load(open(f"{tmp}/se{r}.json")) for r in range(1, rounds + 1)]
kam = [json.load(open(f"{tmp}/kam{r}.json"))["summary"]["fm"]["msgs_per_core_s"]
       for r in range(1, rounds + 1)]
# per worker core: the worker's own cycles (the generator shares the CPU
# in-process; on a real port the NIC is the generator)
pipe = statistics.median(s["pipeline_own_msgs_per_s"] for s in se)
plain = statistics.median(s["plain_fwd_own_msgs_per_s"] for s in se)
k = statistics.median(kam)
out = {"sipedge_msgs_per_core_s": round(pipe), "plain_fwd_msgs_per_core_s": round(plain),
       "kamailio_msgs_per_core_s": round(k), "sipedge_over_kamailio": round(pipe / k, 2),
       "sipedge_over_plain_fwd": round(pipe / plain, 4), "rounds": rounds}
if as_json:
    print(json.dumps(out))
else:
    print(f"sipedge pipeline:        {pipe / 1e6:.3f} M msg/s per worker core")
    print(f"plain DPDK forwarding:   {plain / 1e6:.3f} M msg/s (the ceiling of the path)")
    print(f"Kamailio, stateless:     {k / 1e3:.1f} k msg per core-second")
    print(f"sipedge / Kamailio:      {pipe / k:.1f}x   sipedge / plain: {pipe / plain:.4f}")
PY
