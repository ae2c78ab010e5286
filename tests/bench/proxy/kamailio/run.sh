#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run.sh - Kamailio doing sipedge's job (stateless SIP edge forwarding over
# kernel UDP), measured in messages forwarded per CPU-second of Kamailio
# (docs/bench-kamailio.md).
#
# Everything runs in a network namespace of its own (unshare -n, loopback
# only), which disappears with the script:
#
#   udpload send (CPU 0) --requests from 127.0.0.2:5070--> Kamailio 127.0.0.1:5060 (CPU 1)
#                        --responses from 127.0.0.3:5081-->
#   Kamailio --requests--> udpload sink 127.0.0.3:5080 (the backend, CPU 0)
#            --responses-> udpload sink 127.0.0.2:5071 (the client, CPU 0)
#
# Clients write 127.0.0.9:5060 in their Via (a UA behind NAT), so Kamailio adds
# received=/rport= as it would at an access edge.
#
# A calibration run sends as fast as udpload can; the measured runs are then
# paced at --overload times the rate Kamailio forwarded in it, which keeps its
# one worker at ~100% of its core. Per run: Kamailio's CPU time (utime+stime
# of all its processes, /proc/PID/stat), what it forwarded (the namespace's UDP
# OutDatagrams minus what udpload sent, cross-checked with the sinks) ->
# messages per core-second, offered vs forwarded rate, loss. A run in which
# other work took over 10% of CPU 1 (a shared machine) is marked contended and
# left out; runs go on until --runs clean ones, 2 x --runs in all, or 75 s.
# The median of the clean runs is reported (of all, with a warning, if none).
#
# usage: tests/bench/proxy/kamailio/run.sh [options]
#   --runs N         measured runs (5)
#   --seconds S      length of one run (6)
#   --mem M          Kamailio memory manager for shm and pkg: fm, qm, tlsf (fm:
#                    fm and tlsf tie within noise here, qm is half as fast)
#   --mem-compare L  instead: each manager of the comma list L (e.g.
#                    fm,qm,tlsf) calibrated, then --runs rounds of one run
#                    each, interleaved; a median per manager
#   --overload X     offered load of the measured runs, times the calibrated
#                    forwarding rate (1.1)
#   --rate R         offered load in messages/s instead of calibrating
#   --ramp           also offered loads of 0.25..1.25x the calibrated rate
#   --sanity         the WITH_SANITY variant of kamailio.cfg (sanity_check())
#   --rcvbuf BYTES   Kamailio's maxbuffer (UDP receive buffer auto-probing
#                    limit; default Kamailio's own, 256 KiB)
#   --json           one JSON object on stdout instead of the text
#   --build DIR      the meson build directory (the repo's build/)
#   --nice N         nice value of Kamailio and udpload (-20: they win their
#                    CPUs from other work in the same cgroup; 0 to share)
#   --keep DIR       keep logs, per-run JSON and a sample of forwarded
#                    messages in DIR
#
# Needs: kamailio (Debian: apt-get install kamailio), util-linux (unshare,
# taskset), iproute2, python3, and udpload built (ninja -C build). Root, for
# the namespace. Bounded: the defaults take about 45 s (75 s of runs at most),
# --ramp adds 25 s, --mem-compare about 9 s per run and manager.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../../.." && pwd)

runs=5 seconds=6 mem=fm mem_compare=0 mem_list="" overload=1.1 rate="" ramp=0
sanity=0 json=0 build="$root/build" keep="" nice=-20 rcvbuf=""
args=("$@")
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--mem) mem=$2; shift ;;
	--mem-compare) mem_compare=1; mem_list=$2; shift ;;
	--overload) overload=$2; shift ;;
	--rate) rate=$2; shift ;;
	--ramp) ramp=1 ;;
	--sanity) sanity=1 ;;
	--json) json=1 ;;
	--build) build=$2; shift ;;
	--keep) keep=$2; shift ;;
	--nice) nice=$2; shift ;;
	--rcvbuf) rcvbuf=$2; shift ;;
	-h|--help) sed -n '4,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
	shift
done
case "$mem" in fm|qm|tlsf) ;; *) echo "run.sh: --mem fm|qm|tlsf" >&2; exit 2 ;; esac
[[ "$runs" =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: --runs 1..99" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]?$ ]] && [ "$seconds" -le 30 ] ||
	{ echo "run.sh: --seconds 1..30" >&2; exit 2; }

udpload=$build/tests/bench/proxy/udpload
[ -x "$udpload" ] || { echo "run.sh: $udpload not built (ninja -C $build)" >&2; exit 1; }
command -v kamailio >/dev/null ||
	{ echo "run.sh: kamailio not found (apt-get install kamailio)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "run.sh: needs 2 CPUs (0: load, 1: Kamailio)" >&2; exit 1; }

# Into a network namespace of our own; it goes away when we exit.
if [ "${SIPEDGE_BENCH_NETNS:-}" != "$$" ]; then
	exec env SIPEDGE_BENCH_NETNS_PARENT=1 unshare -n -- \
		bash -c 'export SIPEDGE_BENCH_NETNS=$$; exec bash "$0" "$@"' \
		"$0" "${args[@]}"
fi
ip link set lo up

tmp=$(mktemp -d /tmp/sipedge-kam.XXXXXX)
kpid=""
spid=""
cleanup() {
	if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then kill "$spid" 2>/dev/null || true; fi
	if [ -n "$kpid" ] && kill -0 "$kpid" 2>/dev/null; then
		kill "$kpid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$kpid" 2>/dev/null && kill -9 "$kpid" 2>/dev/null || true
	fi
	if [ -n "$keep" ]; then mkdir -p "$keep" && cp -r "$tmp"/. "$keep"/; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

KAM=127.0.0.1:5060
CLIENT_SRC=127.0.0.2:5070 CLIENT_SINK=127.0.0.2:5071
BACKEND=127.0.0.3:5080 BACKEND_SRC=127.0.0.3:5081
# what Kamailio itself writes in Record-Route (rr: append_fromtag is on)
GW_ROUTE='sip:127.0.0.1;lr;ftag=as7c2d91f4'
mix=$root/tests/bench/proxy/mix

send_args=(--to "$KAM" --mix "$mix" --from "$CLIENT_SRC" --from-resp "$BACKEND_SRC"
	--set CLIENT=127.0.0.9:5060 --set CLIENT_RECEIVED=127.0.0.2
	--set CLIENT_RPORT=5071 --set BACKEND=$BACKEND --set "GW_ROUTE=$GW_ROUTE"
	--cpu 0)

log() { [ "$json" = 1 ] || echo "$@" >&2; }

kam_start() { # $1: memory manager
	local m=$1 i
	local -a defs=()
	[ "$sanity" = 1 ] && defs=(-A WITH_SANITY)
	[ -n "$rcvbuf" ] && defs+=(-A "RCVBUF_MAX=$rcvbuf")
	rm -f "$tmp/kamailio.pid"
	taskset -c 1 nice -n "$nice" kamailio -f "$here/kamailio.cfg" -DD -E -Y "$tmp" \
		-P "$tmp/kamailio.pid" -m 256 -M 16 -x "$m" -X "$m" "${defs[@]}" \
		>"$tmp/kamailio-$m.log" 2>&1 &
	kpid=$!
	# listening once 127.0.0.1:5060 (7F000001:13C4) is in /proc/net/udp
	for i in $(seq 100); do
		if grep -q ' 0100007F:13C4 ' /proc/net/udp && [ -s "$tmp/kamailio.pid" ]; then
			sleep 0.3
			kpids="$kpid $(cat /proc/"$kpid"/task/*/children)"
			return 0
		fi
		kill -0 "$kpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "run.sh: kamailio did not start:" >&2
	cat "$tmp/kamailio-$m.log" >&2
	exit 1
}

kam_stop() {
	kill "$kpid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$kpid" 2>/dev/null && kill -9 "$kpid" 2>/dev/null || true
	wait "$kpid" 2>/dev/null || true
	kpid=""
}

# utime+stime of every Kamailio process, in clock ticks
kam_ticks() {
	local p t=0 s
	for p in $kpids; do
		s=$(cat /proc/"$p"/stat 2>/dev/null) || continue
		s=${s##*) }   # fields from 3 on: state is $1, utime is $12
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# utime+stime of ksoftirqd/1: the softirq work on CPU 1 that the kernel did
# not run inline in Kamailio's system calls (delivering what it sent)
softirqd_ticks() {
	local s
	s=$(cat /proc/"$softirqd_pid"/stat 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	set -- $s
	echo $((${12} + ${13}))
}

# busy ticks of CPU 1 (all but idle and iowait) and the total
cpu1_ticks() {
	awk '$1 == "cpu1" { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6, $9 }' /proc/stat
}

udp_snmp() { # OutDatagrams RcvbufErrors InDatagrams
	awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $5, $6, $2 }' /proc/net/snmp
}

# one run: $1 label, $2 offered rate (0: unpaced), $3 seconds; appends a JSON line
one_run() {
	local label=$1 r=$2 secs=$3 k0 k1 c0 c1 s0 s1 t0 t1 send sink
	rm -f "$tmp/ready"
	local -a dump=()
	[ "$label" = calibrate ] && { mkdir -p "$tmp/forwarded"; dump=(--dump "$tmp/forwarded" --dump-count 40); }
	taskset -c 0 nice -n "$nice" "$udpload" sink --bind "$BACKEND" --bind "$CLIENT_SINK" \
		--idle-ms 300 --seconds $((secs + 10)) --ready "$tmp/ready" --cpu 0 \
		"${dump[@]}" >"$tmp/sink.json" &
	spid=$!
	for _ in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
	k0=$(kam_ticks); q0=$(softirqd_ticks); c0=$(cpu1_ticks); s0=$(udp_snmp); t0=$(date +%s.%N)
	send=$(taskset -c 0 nice -n "$nice" "$udpload" send "${send_args[@]}" --rate "$r" \
		--seconds "$secs" --count 100000000)
	# Kamailio drains its socket buffer (<= 256 KB) in a few ms
	sleep 0.1
	k1=$(kam_ticks); q1=$(softirqd_ticks); c1=$(cpu1_ticks); s1=$(udp_snmp); t1=$(date +%s.%N)
	wait "$spid"; spid=""
	sink=$(cat "$tmp/sink.json")
	printf '{"label":"%s","mem":"%s","send":%s,"sink":%s,"kam_ticks":%s,"softirqd_ticks":%s,"kam_procs":%s,"cpu1":[%s],"snmp":[%s],"wall":%s,"hz":%s}\n' \
		"$label" "$cur_mem" "$send" "$sink" "$((k1 - k0))" "$((q1 - q0))" \
		"$(echo $kpids | wc -w)" \
		"$(echo $c0 $c1 | awk '{print $4 - $1 "," $5 - $2 "," $6 - $3}')" \
		"$(echo $s0 $s1 | awk '{print $4 - $1 "," $5 - $2 "," $6 - $3}')" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')" \
		"$(getconf CLK_TCK)" >>"$tmp/runs.jsonl"
}

fwd_rate() { # forwarded/s of the last run line
	tail -1 "$tmp/runs.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
fwd = r["snmp"][0] - r["send"]["sent"]
print(int(fwd / r["send"]["seconds"]))'
}

# Whether Kamailio was saturated in the last run: it lost over 0.5% of what
# was sent, or it used 90% of its core or more.
last_saturated() {
	tail -1 "$tmp/runs.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
sent = r["send"]["sent"]
fwd = r["snmp"][0] - sent
util = r["kam_ticks"] / r["hz"] / r["wall"]
sys.exit(0 if (sent and 1 - fwd / sent > 0.005) or util >= 0.9 else 1)'
}

# Whether other work took more than $contended of CPU 1 in the last run: on a
# shared machine that run measured the neighbours as much as Kamailio.
contended=0.10
last_contended() {
	tail -1 "$tmp/runs.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
busy, total, steal = r["cpu1"]
other = (busy - r["kam_ticks"] - r["softirqd_ticks"]) / total if total else 0
sys.exit(0 if other > float(sys.argv[1]) else 1)' "$contended"
}

: >"$tmp/runs.jsonl"
softirqd_pid=$(pgrep -x ksoftirqd/1 | head -1 || true)
managers=("$mem")
if [ "$mem_compare" = 1 ]; then
	IFS=, read -r -a managers <<<"$mem_list"
	for m in "${managers[@]}"; do
		case "$m" in fm|qm|tlsf) ;; *) echo "run.sh: --mem-compare: fm, qm, tlsf" >&2; exit 2 ;; esac
	done
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
kver=$(kamailio -v 2>/dev/null | awk '/^version:/ { print $2, $3; exit }')
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if [ "$mem_compare" = 1 ]; then
	# each manager: its own Kamailio, calibrated; 3 rounds, interleaved
	declare -A mrate
	for m in "${managers[@]}"; do
		cur_mem=$m; kam_start "$m"
		one_run calibrate 0 2
		mrate[$m]=$(python3 -c "print(int($(fwd_rate) * $overload))")
		kam_stop
		log "calibrated $m: offered ${mrate[$m]}/s"
	done
	for round in $(seq "$runs"); do
		for m in "${managers[@]}"; do
			cur_mem=$m; kam_start "$m"
			# a fresh Kamailio first touches its memory: not measured
			one_run warmup 0 1
			one_run "run" "${mrate[$m]}" "$seconds"
			kam_stop
			log "round $round $m done"
		done
	done
else
	cur_mem=$mem; kam_start "$mem"
	if [ -z "$rate" ]; then
		# a contended calibration underestimates: up to 3 tries, the best
		cal=0
		for try in 1 2 3; do
			one_run calibrate 0 3
			c=$(fwd_rate)
			[ "$c" -gt "$cal" ] && cal=$c
			last_contended || break
			log "calibration $try: CPU 1 busy with other work, again"
		done
		rate=$(python3 -c "print(int($cal * $overload))")
		log "calibration: Kamailio forwarded $cal msg/s unpaced; offering $rate msg/s"
	fi
	if [ "$ramp" = 1 ]; then
		for f in 0.25 0.5 0.75 0.9 1.0 1.1 1.25; do
			one_run "ramp" "$(python3 -c "print(int($rate / $overload * $f))")" 3
		done
	fi
	# --runs uncontended runs, or 2 x --runs in all, or 75 s of them
	clean=0 total=0 t_runs=$SECONDS
	while [ "$clean" -lt "$runs" ] && [ "$total" -lt $((2 * runs)) ] &&
	      [ $((SECONDS - t_runs)) -lt 75 ]; do
		one_run run "$rate" "$seconds"
		total=$((total + 1))
		if last_contended; then
			log "run $total: contended (other work on CPU 1), not counted"
		elif ! last_saturated; then
			# Kamailio had idle time: the calibration was low (slowed
			# by neighbours); offer more
			rate=$(python3 -c "print(int($rate * 1.1))")
			log "run $total: not saturated, not counted; offering $rate msg/s"
		else
			clean=$((clean + 1))
			log "run $total: $clean/$runs"
		fi
	done
	kam_stop
fi

for m in "${managers[@]}"; do
	if grep -v -E '^(Listening on|Aliases:|[[:space:]]+udp: )' "$tmp/kamailio-$m.log" | grep -q .; then
		echo "run.sh: kamailio ($m) logged:" >&2
		head -20 "$tmp/kamailio-$m.log" >&2
	fi
done

python3 - "$tmp/runs.jsonl" "$json" "$cpu_model" "$kver" "$started" "$sanity" "$seconds" <<'PY'
import json, statistics, sys
path, as_json, cpu, kver, started, sanity, secs = sys.argv[1:]
rows = [json.loads(l) for l in open(path)]

def derive(r):
    hz = r["hz"]
    sent = r["send"]["sent"]
    secs = r["send"]["seconds"]
    out_dg, rcvbuf_err, in_dg = r["snmp"]
    fwd = out_dg - sent                      # what Kamailio sent
    sink = r["sink"]["received"]
    cpu_s = r["kam_ticks"] / hz
    sq_s = r["softirqd_ticks"] / hz
    cpu1_busy, cpu1_total, cpu1_steal = r["cpu1"]
    return {
        "label": r["label"], "mem": r["mem"],
        "offered_rate": r["send"]["offered_rate"] or None,
        "sent": sent, "sent_rate": sent / secs,
        "forwarded": fwd, "forwarded_rate": fwd / secs,
        "sink_received": sink,
        "loss": 1 - fwd / sent if sent else 0.0,
        "sink_loss": 1 - sink / fwd if fwd else 0.0,
        "kamailio_cpu_s": cpu_s,
        "kamailio_cpu_util": cpu_s / r["wall"],
        "softirqd_cpu_s": sq_s,
        "kamailio_processes": r["kam_procs"],
        "cpu1_util": cpu1_busy / cpu1_total if cpu1_total else 0.0,
        # time the hypervisor gave CPU 1 to someone else
        "cpu1_steal": cpu1_steal / cpu1_total if cpu1_total else 0.0,
        # CPU 1 time that was neither Kamailio nor ksoftirqd/1: other work
        "cpu1_others": max(0.0, (cpu1_busy / hz - cpu_s - sq_s) / (cpu1_total / hz)) if cpu1_total else 0.0,
        "msgs_per_core_s": fwd / cpu_s if cpu_s else 0.0,
        "msgs_per_core_s_with_softirqd": fwd / (cpu_s + sq_s) if cpu_s else 0.0,
        "send_errors": r["send"]["errors"],
        "wall_s": r["wall"],
    }

CONTENDED = 0.10

d = [derive(r) for r in rows]
for x in d:
    x["contended"] = x["cpu1_others"] > CONTENDED
    # no loss and Kamailio under 90% of its core: the calibration was low,
    # Kamailio had idle time; not a saturation figure
    x["unsaturated"] = (x["label"] == "run" and x["loss"] <= 0.005 and
                        x["kamailio_cpu_util"] < 0.9)
med = lambda xs: statistics.median(xs) if xs else None
groups = {}
for x in d:
    if x["label"] == "run":
        groups.setdefault(x["mem"], []).append(x)
all_runs = dict(groups)
for m in groups:
    clean = [x for x in groups[m] if not x["contended"] and not x["unsaturated"]]
    if clean:
        groups[m] = clean
summary = {}
for m, xs in groups.items():
    summary[m] = {k: med([x[k] for x in xs]) for k in
                  ("msgs_per_core_s", "msgs_per_core_s_with_softirqd", "offered_rate",
                   "sent_rate", "forwarded_rate", "loss", "sink_loss",
                   "kamailio_cpu_util", "cpu1_util", "cpu1_others",
                   "cpu1_steal")}
    summary[m]["runs"] = len(xs)
    summary[m]["runs_left_out"] = len(all_runs[m]) - len(xs) if len(xs) < len(all_runs[m]) else 0
    summary[m]["no_clean_run"] = all(x["contended"] or x["unsaturated"] for x in xs)
    summary[m]["msgs_per_core_s_all"] = [round(x["msgs_per_core_s"]) for x in xs]

res = {"bench": "kamailio-stateless-proxy", "started": started, "cpu": cpu,
       "kamailio": kver, "children": 1, "sanity_check": sanity == "1",
       "seconds_per_run": int(secs), "summary": summary, "runs": d}
if as_json == "1":
    print(json.dumps(res, indent=1))
    sys.exit(0)
print(f"Kamailio {kver}, stateless forward, children=1, CPU: {cpu}; {started}")
print("(* contended: other work took over 10% of CPU 1; ~ unsaturated: no loss and Kamailio"
      " under 90%; both left out of the median when any run is neither)")
print(f"{'run':9} {'mem':4} {'offered/s':>10} {'sent/s':>9} {'fwd/s':>9} {'loss':>6} "
      f"{'sinkloss':>8} {'kam cpu':>7} {'cpu1':>5} {'steal':>5} {'msg/core-s':>10} {'+softirqd':>10}")
for x in d:
    mark = ("*" if x["contended"] else "") + ("~" if x["unsaturated"] else "")
    print(f"{x['label'] + mark:9} {x['mem']:4} {x['offered_rate'] or 0:10.0f} {x['sent_rate']:9.0f} "
          f"{x['forwarded_rate']:9.0f} {x['loss']*100:5.1f}% {x['sink_loss']*100:7.2f}% "
          f"{x['kamailio_cpu_util']*100:6.1f}% {x['cpu1_util']*100:4.0f}% {x['cpu1_steal']*100:4.0f}% "
          f"{x['msgs_per_core_s']:10.0f} {x['msgs_per_core_s_with_softirqd']:10.0f}")
for m, s in summary.items():
    if s["no_clean_run"]:
        print(f"WARNING ({m}): no run was both uncontended and saturated; the figures are low")
    elif s["runs_left_out"]:
        print(f"({m}: {s['runs_left_out']} contended or unsaturated run(s) left out)")
    print(f"median of {s['runs']} ({m}): {s['msgs_per_core_s']:.0f} messages per core-second "
          f"(Kamailio utime+stime), {s['msgs_per_core_s_with_softirqd']:.0f} counting ksoftirqd/1 too; "
          f"offered {s['offered_rate'] or 0:.0f}/s, forwarded {s['forwarded_rate']:.0f}/s, "
          f"loss {s['loss']*100:.1f}%, Kamailio at {s['kamailio_cpu_util']*100:.0f}% of a core, "
          f"CPU 1 {s['cpu1_util']*100:.0f}% busy ({s['cpu1_steal']*100:.0f}% stolen by the hypervisor)")
PY
