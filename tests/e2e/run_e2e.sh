#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026, The sipedge authors
#
# tests/e2e/run_e2e.sh - every end-to-end case against one lab.
#
# usage: tests/e2e/run_e2e.sh [--kernel] [--keep] [CASE...]
#   CASE       options register call path cancel fragment malformed checksums
#              telemetry stats backends prometheus cpkill dprestart rules
#              rules-swap failover
#              (default: all, in this order; failover last, it restarts kam1)
#   --kernel   the kernel-forwarding debug lab (SIPEDGE_LAB_KERNEL=1): checks
#              the lab, Kamailio, the scenarios and the harness without
#              sipedge; what needs sipedge is reported as SKIP
#   --keep     leave the lab up afterwards (deploy/lab down removes it)
# Brings the lab up (deploy/lab up) unless it is up already, runs each case
# (tests/e2e/t_CASE.sh), takes the lab down if it brought it up. Exit 0 when
# no case failed, 77 when every case was skipped. Ends with the line
# "e2e: N passed, N failed, N skipped" (cases).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
all=(options register call path cancel fragment malformed checksums telemetry stats backends
	prometheus cpkill dprestart rules rules-swap failover)
keep=0
cases=()
while (($#)); do
	case $1 in
	--kernel) export SIPEDGE_LAB_KERNEL=1 ;;
	--keep) keep=1 ;;
	-h | --help) sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run_e2e: unknown option $1" >&2; exit 2 ;;
	*) [[ -x $here/t_$1.sh ]] || { echo "run_e2e: no case \"$1\"" >&2; exit 2; }
	   cases+=("$1") ;;
	esac
	shift
done
((${#cases[@]})) || cases=("${all[@]}")

source "$here/lib.sh"
if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP: e2e: needs root"
	echo "e2e: 0 passed, 0 failed, ${#cases[@]} skipped"
	exit 77
fi
if [[ ${SIPEDGE_LAB_KERNEL:-0} != 1 && ! -x $LAB_BIN ]] && ! lab_is_up; then
	echo "SKIP: e2e: $LAB_BIN is not built (run_e2e.sh --kernel runs the kernel-mode lab)"
	echo "e2e: 0 passed, 0 failed, ${#cases[@]} skipped"
	exit 77
fi

exec {lockfd}<"$E2E_LOCK"
flock -w 900 "$lockfd" || { echo "FAIL: e2e: lab lock $E2E_LOCK busy"; exit 1; }
export SIPEDGE_E2E_LOCKED=1

own=0
finish() { ((own && !keep)) && lab_down >/dev/null 2>&1; }
trap finish EXIT
trap 'exit 130' INT TERM
if ! lab_is_up; then
	own=1
	SIPEDGE_LAB_NO_BUILD=1 lab_up || { echo "FAIL: e2e: deploy/lab up failed"; echo "e2e: 0 passed, 1 failed"; exit 1; }
fi

pass=0 fail=0 skip=0 failed=()
for c in "${cases[@]}"; do
	echo "==== $c"
	t0=$SECONDS
	rc=0
	bash "$here/t_$c.sh" || rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) failed+=("$c") ;;
	esac
	echo "==== $c: $( ((rc == 0)) && echo passed || { ((rc == 77)) && echo skipped || echo "FAILED ($rc)"; }) in $((SECONDS - t0)) s"
	lab_is_up || { echo "FAIL: e2e: the lab went down during $c"; fail=$((fail + 1)); break; }
done

((fail)) && echo "failed cases: ${failed[*]}"
echo "e2e: $pass passed, $fail failed, $skip skipped"
((fail == 0)) || exit 1
((pass > 0)) || exit 77
exit 0
