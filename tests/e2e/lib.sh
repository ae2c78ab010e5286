# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/lib.sh - what every end-to-end case shares (sourced, not run).
#
# A case script: source this, call e2e_begin NAME, then e2e_pass / e2e_fail /
# e2e_skip for each check, then e2e_end (which exits: 0 all passed, 1 any
# failed, 77 all skipped - meson's "skipped").
#
# The lab: a case runs against the lab that is up (run_e2e.sh brings one up
# for all cases); with none up it brings its own up and takes it down at exit.
# Cases are serialized by flock on deploy/lab.d (no file is created), so
# meson may start them in parallel.
# SIPEDGE_LAB_KERNEL=1 runs them against the kernel-forwarding debug lab:
# what needs the gateway is then reported as SKIP, the rest still runs.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
# shellcheck source=../../deploy/lab
source "$E2E_ROOT/deploy/lab"
E2E_CORPUS=$E2E_ROOT/tests/corpus
E2E_TOOL=$E2E_DIR/e2e_tool.py

E2E_NAME=e2e
E2E_NPASS=0
E2E_NFAIL=0
E2E_NSKIP=0
E2E_NKNOWN=0
E2E_OWN_LAB=0
E2E_CAPTURES=()
E2E_STOP=()		# more lab_start names to stop at exit (prometheus...)
E2E_BACKENDS_SET=0	# a case changed backends' admin state: enable all at exit
# The lock is taken on an existing directory (flock works on a read-only
# fd), so that the tests create no lock file to clean up.
E2E_LOCK=${SIPEDGE_E2E_LOCK:-$E2E_ROOT/deploy/lab.d}

e2e_pass() { echo "PASS: $E2E_NAME: $*"; E2E_NPASS=$((E2E_NPASS + 1)); }
e2e_fail() { echo "FAIL: $E2E_NAME: $*"; E2E_NFAIL=$((E2E_NFAIL + 1)); }
e2e_skip() { echo "SKIP: $E2E_NAME: $*"; E2E_NSKIP=$((E2E_NSKIP + 1)); }
e2e_info() { echo "      $E2E_NAME: $*"; }
# A known defect, written down where it shows (docs/lab.md lists them): a
# KNOWN line that does not fail the case, until the defect is fixed and the
# check becomes an e2e_check.
e2e_known() { echo "KNOWN: $E2E_NAME: $*"; E2E_NKNOWN=$((E2E_NKNOWN + 1)); }

# e2e_check DESCRIPTION COMMAND...: PASS when COMMAND succeeds, else FAIL.
e2e_check()
{
	local what=$1
	shift
	if "$@"; then e2e_pass "$what"; else e2e_fail "$what"; fi
}

e2e_kernel() { [[ $(lab_mode) == kernel ]]; }

e2e_cleanup()
{
	local c
	for c in "${E2E_CAPTURES[@]}"; do
		lab_stop "dumpcap-$c" 2>/dev/null
	done
	E2E_CAPTURES=()
	for c in "${E2E_STOP[@]}"; do
		lab_stop "$c" 2>/dev/null
	done
	E2E_STOP=()
	if ((E2E_BACKENDS_SET)); then
		e2e_backends_reset >/dev/null 2>&1
		E2E_BACKENDS_SET=0
	fi
	if ((E2E_OWN_LAB)); then
		lab_down >/dev/null 2>&1 || true
		E2E_OWN_LAB=0
	fi
}

# e2e_begin NAME: takes the lock, makes sure a lab is up (or skips).
e2e_begin()
{
	E2E_NAME=$1
	set -uo pipefail
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP: $E2E_NAME: needs root (namespaces, veths, captures)"
		exit 77
	fi
	if [[ ${SIPEDGE_E2E_LOCKED:-0} != 1 ]]; then
		exec {E2E_LOCK_FD}<"$E2E_LOCK"
		if ! flock -w 900 "$E2E_LOCK_FD"; then
			echo "FAIL: $E2E_NAME: the lab lock $E2E_LOCK stayed taken for 15 minutes"
			exit 1
		fi
		export SIPEDGE_E2E_LOCKED=1
	fi
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	if lab_is_up; then
		return 0
	fi
	if [[ ${SIPEDGE_LAB_KERNEL:-0} != 1 && ! -x $LAB_BIN ]]; then
		echo "SKIP: $E2E_NAME: $LAB_BIN is not built (SIPEDGE_LAB_KERNEL=1 runs the kernel-mode lab)"
		exit 77
	fi
	E2E_OWN_LAB=1
	if ! SIPEDGE_LAB_NO_BUILD=1 lab_up >"${TMPDIR:-/tmp}/sipedge-e2e-up.$$.log" 2>&1; then
		echo "FAIL: $E2E_NAME: deploy/lab up failed:"
		sed 's/^/    /' "${TMPDIR:-/tmp}/sipedge-e2e-up.$$.log"
		rm -f "${TMPDIR:-/tmp}/sipedge-e2e-up.$$.log"
		exit 1
	fi
	rm -f "${TMPDIR:-/tmp}/sipedge-e2e-up.$$.log"
	e2e_info "lab up ($(lab_mode) mode)"
}

e2e_end()
{
	((E2E_NKNOWN)) && echo "$E2E_NAME: $E2E_NKNOWN known defect(s) shown (KNOWN lines; docs/lab.md)"
	echo "$E2E_NAME: $E2E_NPASS passed, $E2E_NFAIL failed, $E2E_NSKIP skipped"
	e2e_cleanup
	trap - EXIT
	((E2E_NFAIL == 0)) || exit 1
	((E2E_NPASS > 0)) || exit 77
	exit 0
}

# ---- sipp -------------------------------------------------------------------

# e2e_sipp_ok DESCRIPTION NS NAME SECONDS SIPP-ARGS...: one sipp run; PASS
# when every call succeeded (its summary is printed either way).
e2e_sipp_ok()
{
	local what=$1 ns=$2 name=$3 secs=$4 rc=0
	shift 4
	lab_sipp "$ns" "$name" "$secs" "$@" || rc=$?
	lab_sipp_summary "$name" "$rc" | sed 's/^/      /'
	if ((rc == 0)); then e2e_pass "$what"; else e2e_fail "$what (sipp exit $rc)"; fi
	return $rc
}

# A count of the final screen of sipp run NAME: "Successful call" etc.
e2e_sipp_count()
{
	sed -n "s/^ *$2 *| *[0-9]* *| *\\([0-9]*\\).*/\\1/p" "$LAB_RUN/sipp/$1.out" 2>/dev/null | tail -1
}

# The target of client traffic as sipp wants it ("[v6]:port").
e2e_dst4() { echo "$(lab_target4):$SIP_PORT"; }
e2e_dst6() { echo "[$(lab_target6)]:$SIP_PORT"; }

# The Record-Route entries (one line, comma separated) of the first 200 to
# an INVITE in a sipp message log (-trace_msg).
e2e_first_200_rr()
{
	awk '{ sub(/\r$/, "") }
		/^SIP\/2.0 200/ { in200 = 1 }
		in200 && /^CSeq:.*INVITE/ { inv = 1 }
		in200 && /^Record-Route:/ { r = r (r ? ", " : "") substr($0, 15) }
		in200 && /^$/ { if (inv) { print r; exit } in200 = 0; inv = 0; r = "" }' "$1"
}

# How many lines of kam's log match a fixed string.
e2e_kam_count() { grep -cF -- "$2" "$LAB_RUN/$1.log" 2>/dev/null || true; }

# ---- captures ----------------------------------------------------------------

# e2e_capture_start NAME: dumpcap on the namespace end of each veth (eth0 in
# sipedge-client and in sipedge-core) into $LAB_RUN/cap/NAME-acc.pcapng and
# NAME-core.pcapng; returns when both capture. The namespace ends, because
# DPDK's af_packet transmits with PACKET_QDISC_BYPASS: what sipedge sends
# never passes the kernel's taps on se-acc0/se-core0, while the namespace
# ends receive exactly what it sent (and their own traffic, tx-checksummed).
e2e_capture_start()
{
	local name=$1 side ns i
	mkdir -p "$LAB_RUN/cap"
	for side in acc core; do
		[[ $side == acc ]] && ns=$NS_CLIENT || ns=$NS_CORE
		rm -f "$LAB_RUN/cap/$name-$side.pcapng"
		lab_start "dumpcap-$name-$side" "$ns" "" dumpcap -q -i "$NS_IF" \
			-w "$LAB_RUN/cap/$name-$side.pcapng" || return 1
		E2E_CAPTURES+=("$name-$side")
	done
	for side in acc core; do
		for ((i = 0; i < 50; i++)); do
			grep -q 'Capturing on' "$LAB_RUN/dumpcap-$name-$side.log" 2>/dev/null && break
			lab_alive "dumpcap-$name-$side" || i=50
			sleep 0.1
		done
		if ((i >= 50)); then
			e2e_fail "dumpcap did not start: $(tail -3 "$LAB_RUN/dumpcap-$name-$side.log" 2>/dev/null)"
			return 1
		fi
	done
	sleep 0.3
}

e2e_capture_stop()
{
	sleep 0.5 # the last packets
	lab_stop "dumpcap-$1-acc"
	lab_stop "dumpcap-$1-core"
}

# The capture file of one side: e2e_cap NAME acc|core
e2e_cap() { echo "$LAB_RUN/cap/$1-$2.pcapng"; }

e2e_tshark()
{
	tshark -n -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o ip.defragment:TRUE -o ipv6.defragment:TRUE "$@" 2>/dev/null
}

# The MAC addresses of the gateway's veth ends: what the gateway sends,
# DPDK's af_packet ports and the kernel alike, has one of them as source.
e2e_gw_macs()
{
	local v
	for v in "$VETH_ACC" "$VETH_CORE"; do
		lab_gw_exec cat "/sys/class/net/$v/address"
	done
}

# A display filter for the gateway's egress frames.
e2e_egress_filter()
{
	local macs m f=""
	mapfile -t macs < <(e2e_gw_macs)
	for m in "${macs[@]}"; do
		[[ -n $f ]] && f+=" || "
		f+="eth.src == $m"
	done
	echo "($f)"
}

# e2e_check_pcap NAME: every frame the gateway sent (by source MAC, in both
# captures of e2e_capture_start) must be well formed: IPv4 header and UDP
# checksums right, nothing malformed, no expert warning or error, UDP only as
# SIP, nothing but ARP, ICMP and IP/UDP. One PASS/FAIL line per check.
e2e_check_pcap()
{
	local name=$1 eg n=0 total=0 side f bad nbad c
	eg=$(e2e_egress_filter)
	for side in acc core; do
		f=$(e2e_cap "$name" "$side")
		if [[ ! -s $f ]]; then
			e2e_fail "capture $name-$side: no capture file"
			return 1
		fi
		total=$((total + $(e2e_tshark -r "$f" | wc -l)))
		n=$((n + $(e2e_tshark -r "$f" -Y "$eg" | wc -l)))
	done
	e2e_info "capture $name: $total frames, $n sent by the gateway (source MAC $(e2e_gw_macs | paste -sd' '))"
	if ((n == 0)); then
		e2e_fail "capture $name: no frame from the gateway's MAC addresses"
		return 1
	fi
	local -A checks=(
		["IPv4 header checksums"]='ip.checksum.status == 0'
		["UDP checksums"]='udp.checksum.status == 0'
		["no malformed packet"]='_ws.malformed'
		["no expert warning or error"]='_ws.expert.severity >= 0x600000'
		["UDP only as SIP"]='udp && !sip'
		["only ARP, ICMP, IP/UDP"]='!(arp || icmp || icmpv6 || udp || ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr)'
	)
	for c in "IPv4 header checksums" "UDP checksums" "no malformed packet" \
		"no expert warning or error" "UDP only as SIP" "only ARP, ICMP, IP/UDP"; do
		bad=""
		for side in acc core; do
			bad+=$(e2e_tshark -r "$(e2e_cap "$name" "$side")" -Y "$eg && (${checks[$c]})" | sed "s/^/$side: /")
		done
		if [[ -z $bad ]]; then
			e2e_pass "capture $name: gateway egress: $c ($n frames)"
		else
			nbad=$(grep -c . <<<"$bad")
			e2e_fail "capture $name: gateway egress: $c: $nbad bad frames, first:"
			head -5 <<<"$bad" | sed 's/^/        /'
		fi
	done
}

# ---- the control plane ------------------------------------------------------

# e2e_tool ARGS...: tests/e2e/e2e_tool.py (JSON, sipp and Kamailio logs,
# telemetry, the agent socket, Prometheus queries).
e2e_tool() { "$LAB_PY" "$E2E_TOOL" "$@"; }

# e2e_j JSON EXPR: the value of python EXPR over the JSON text as r.
e2e_j() { e2e_tool json "$2" <<<"$1"; }

# A case about the control plane: SKIP in kernel mode (no sipedge, so no
# sipedge-control), FAIL when sipedge-control is not running or not linked.
e2e_need_control()
{
	if e2e_kernel; then
		e2e_skip "kernel mode: no sipedge, no sipedge-control"
		e2e_end
	fi
	if ! lab_alive control || [[ $(lab_ctl_json 'r["nodes"][0]["link"]' nodes) != up ]]; then
		e2e_fail "sipedge-control is not running, or not linked to sipedge: $(lab_ctl nodes 2>&1 | tail -2)"
		lab_log_tail control 10
		e2e_end
	fi
}

# e2e_stats: `sipedgectl stats --json` of a snapshot taken after this call
# (so it counts everything that happened before it); empty and 1 when none
# came within 5 s.
e2e_stats()
{
	lab_wait_snapshot || return 1
	lab_ctl stats --json
}

# e2e_ctr STATS PATH NAME: one summed counter out of e2e_stats' JSON, e.g.
# e2e_ctr "$s" total.ctr fwd_responses, e2e_ctr "$s" backends.kam1 requests.
e2e_ctr()
{
	local expr='r["nodes"][0]["counters"]' k
	for k in ${2//./ }; do expr+="[\"$k\"]"; done
	e2e_j "$1" "${expr}[\"$3\"]"
}

# e2e_backend ACTION NAME...: sipedgectl backends ACTION NAME for each NAME;
# returns non-zero unless each says "in force". Backends are enabled again
# when the case exits.
e2e_backend()
{
	local act=$1 name out rc=0
	shift
	E2E_BACKENDS_SET=1
	for name in "$@"; do
		out=$(lab_ctl backends "$act" "$name" 2>&1)
		if [[ $out != *"$act $name: in force"* ]]; then
			echo "      sipedgectl backends $act $name: $out"
			rc=1
		fi
	done
	return $rc
}

e2e_backends_reset() { e2e_backend enable kam1 kam2 kam1-v6 kam2-v6; }

# e2e_admin NAME: the admin state of backend NAME in force in the dataplane,
# as sipedge-control's last snapshot of it says.
e2e_admin()
{
	lab_ctl_json "[b['admin'] for b in r['backends'] if b['name'] == '$1'][0]" backends
}

# e2e_tel_admin NAME: the same straight from the dataplane, through DPDK
# telemetry: no sipedge-control involved. (Telemetry's keys have '_' for
# '-': kam1_v6.)
e2e_tel_admin()
{
	e2e_tool tel "$LAB_DPDK_PREFIX" /sipedge/backends |
		e2e_tool json "r['/sipedge/backends']['${1//-/_}']['admin']"
}

# e2e_sipp_sent_recv NAME: "SENT RECEIVED" of a sipp run's final screen:
# the requests it sent and the responses it received, retransmissions
# included.
e2e_sipp_sent_recv() { e2e_tool sipp-counts "$LAB_RUN/sipp/$1.out"; }

# e2e_kam_cids KAM TAG [METHOD]: Call-IDs with TAG in Kamailio KAM's log,
# of the requests that came from the gateway (not the peer's replicas).
e2e_kam_cids() { e2e_tool kam "$LAB_RUN/$1.log" "$2" ${3:+"$3"}; }
e2e_kam_n() { e2e_kam_cids "$@" | grep -c . || true; }

e2e_now() { date +%s.%N; }
