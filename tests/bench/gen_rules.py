#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright (c) 2026 The sipedge authors
"""gen_rules.py - writes a ruleset of N rules in the shape carriers' rulesets
have, for the benchmarks and the hot-swap test (rules/README.md, the syntax).

The mix, by share of rules: User-Agent regexes (scanner families), dialled
number prefixes on ruri.user and to.user (toll fraud), source prefixes,
From user literals, header regexes on X- headers, and a few multi-condition
rules (method and a number). Generated values are drawn so that none of them
matches ordinary traffic (sipp, tests/bench/mix): the rules cost what they
cost to scan, and the traffic goes through. --match N makes the last N
rules count rules that do match every request (a User-Agent-independent
"method exists" style), to measure the hit path.

Usage: gen_rules.py N [--seed S] [--first-id ID] [--match N] > FILE
"""
import argparse
import random
import sys

WORDS = ["vox", "dial", "probe", "scan", "crack", "bomb", "war", "map", "flood",
         "sweep", "brute", "spray", "ghost", "razor", "viper", "cobra", "hydra",
         "storm", "sonic", "nova"]


def ua_rule(r, i):
    w = r.choice(WORDS) + r.choice(WORDS)
    return f'drop id:{i} ua ~ /{w}[-_ ]?(scan|agent|ua)?\\/?{r.randint(0, 999)}/i msg:"gen ua {w}"'


def prefix_rule(r, i):
    # 979, 881, 882, 883 and 888: no national plan a test dials
    cc = r.choice(["979", "881", "8828", "8835", "888"])
    num = cc + "".join(r.choice("0123456789") for _ in range(r.randint(2, 6)))
    field = r.choice(["ruri.user", "to.user"])
    lead = r.choice(["+", "00", ""])
    return f'reject 403 "Destination barred" id:{i} {field} ^= "{lead}{num}" msg:"gen prefix"'


def cidr_rule(r, i):
    # 198.18.0.0/15 (benchmarking) and 2001:db8::/32 (documentation): never a test's source
    if r.random() < 0.8:
        a = f"198.{r.randint(18, 19)}.{r.randint(0, 255)}.0/{r.choice([24, 28, 32])}"
    else:
        a = f"2001:db8:{r.randint(0, 0xffff):x}::/48"
    return f"ban 10m id:{i} src in {a} msg:\"gen cidr\""


def from_rule(r, i):
    u = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    return f'drop id:{i} from.user == "{u}"i msg:"gen from"'


def hdr_rule(r, i):
    h = "X-" + r.choice(WORDS).capitalize() + "-" + r.choice(WORDS).capitalize()
    return f'drop id:{i} hdr[{h}] ~ /(select|union|drop)\\s+{r.choice(WORDS)}/i msg:"gen hdr"'


def multi_rule(r, i):
    m = r.choice(["INVITE", "REGISTER", "OPTIONS"])
    return (f'reject 483 id:{i} method == "{m}" and max-forwards < {r.randint(1, 3)} '
            f'and not src in 10.0.0.0/8 msg:"gen multi"')


KINDS = [(ua_rule, 30), (prefix_rule, 30), (cidr_rule, 15), (from_rule, 10),
         (hdr_rule, 10), (multi_rule, 5)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first-id", type=int, default=100000)
    ap.add_argument("--match", type=int, default=0)
    a = ap.parse_args()
    if a.n < 0 or a.match < 0 or a.match > a.n:
        ap.error("need 0 <= --match <= N")
    r = random.Random(a.seed)
    fns = [f for f, w in KINDS for _ in range(w)]
    out = [f"# {a.n} generated rules (tests/bench/gen_rules.py {a.n} --seed {a.seed}"
           f" --first-id {a.first_id} --match {a.match})"]
    for k in range(a.n - a.match):
        out.append(r.choice(fns)(r, a.first_id + k))
    for k in range(a.n - a.match, a.n):
        out.append(f'count id:{a.first_id + k} exists call-id msg:"gen match"')
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
