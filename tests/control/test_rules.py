#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rules, bans and explain through sipedge-control, against the real
dataplane (docs/sipedge-control.md "Rules", docs/control.md).

    test_rules.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE

Node gw1 is the real sipedge (net_pcap vdevs, the access port reading a
FIFO, --no-huge, --no-pci); its own agent socket (hello, rules.get, state.get) is
asked to confirm what control says. The story:

  load       a ruleset loaded with sipedgectl: version 1, in force on gw1
             (the dataplane's rules.get: that version, the digest control
             sent), `rules list`, `rules show`, `explain --json` of a
             scanner INVITE (drop by its rule), a clean one (forward), a
             PUBLISH (reject 403), a malformed request (reject 400) and
             response (drop), a ban rule's message (ban)
  traffic    requests fed to gw1 (its access port reads a FIFO): explain
             agrees with what the dataplane did with each (forwarded,
             answered 403, dropped); `rules stats` and /metrics count the
             hits per rule (and per worker)
  bad        refused with FILE:LINE:COL each, the live version and
             behaviour unchanged (the dataplane still at version 1, explain
             still drops the scanner): a syntax error, a regex Hyperscan
             rejects, an id twice (in a file, across two files), an unknown
             field, a 50 MB file, a file that is not there, a directory, a
             binary file, an include cycle; a failed load takes no number
  versions   a changed file loaded (version 2), `rules diff` (added,
             removed, changed ids), `rules show --version 1` still the old
             text after the file changed on disk, rollback (version 3 with
             version 1's rules, in force on gw1), `rules check` offline
             (exit 0, 1, 2) with no daemon at all
  shadow     a shadow ruleset loaded, seen in list and explain, unloaded
  refusal    a second node (fake_agent_rules.py --refuse-rules-load, added
             by config reload) refuses: neither node commits (gw1 still at
             the version before, the reply names gw2 and its reason)
  restart    control killed and restarted: same versions, nothing pushed
             again, the next load takes the next number; the dataplane
             restarted: the live version pushed again (a resync)
  bans       add, list, remove; persisted across a restart of control; in
             the dataplane's state; expiry; 40 dynamic bans on gw1, whose
             ban table (1048576 slots) takes 4 bans.list pages: `bans
             list` reads all 4 (each ban once), --limit 10 stops at the
             first 10 and says so; fake nodes whose later page is refused,
             whose next_cursor does not move or never ends (cut at 4096
             pages), whose link drops instead of page 2 (and comes back):
             each its own error beside gw1's whole list; one from before
             pages (no next_cursor): its list, more from its total
  big        10 000 rules loaded while `status` keeps answering within a
             second
  requests   every bad request: wrong types, unknown and missing
             arguments, a relative path, 65 files, a huge string, explain
             without or with both messages, a bad address, bad base64, a
             version not in the history, unload without shadow
  metrics    /metrics: rules version, rule count, bans, control's rule
             counters, the dataplane's rules_* counters
  config     rules.files (relative to the config file) loaded on config
             reload, not again on a second reload or a restart with the
             same list; rules.history 3 prunes the versions and their
             directories
  lost state state.json moved away: the next number is still above every
             kept version's, and the dataplane takes it

Needs root (the dataplane's EAL runtime directory). Prints one line per
check, then "N passed, N failed".
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import cplib
from cplib import Raw, check, wait_for

import agentlib  # noqa: E402 (cplib put tests/agent on the path)
import test_agent_rules as tar  # noqa: E402 frames, requests, the FIFO feed

CONTROL, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
cplib.CTL = CTL
HERE = os.path.dirname(os.path.abspath(__file__))

RULES_A = """\
# scanners, and a few shapes of request
drop id:1001 ua ~ /friendly-scanner|sipvicious|sipcli/i msg:"SIP scanner"
reject 403 id:1002 method == "PUBLISH" \\
	msg:"no PUBLISH"
count id:1003 ruri ^= "sip:" msg:"every SIP URI"
ban 60s id:1004 ua *= "evil-bot" msg:"evil bot"
drop id:1006 dst in 203.0.113.0/24 msg:"not one of our addresses"
"""
RULES_B = """\
drop id:1001 ua ~ /friendly-scanner|sipvicious/i msg:"SIP scanner"
reject 405 id:1002 method == "PUBLISH" \\
	msg:"no PUBLISH"
drop id:1005 call-id ^= "probe-" msg:"probe Call-IDs"
"""
SHADOW = """\
drop id:3001 method == "OPTIONS" msg:"no OPTIONS (trial)"
"""


def sip(method="INVITE", ua="Linphone/5.0", call_id="abc@192.0.2.1", ruri="sip:bob@example.com"):
    return ("%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:alice@example.com>;tag=1\r\n"
            "To: <sip:bob@example.com>\r\n"
            "Call-ID: %s\r\n"
            "CSeq: 1 %s\r\n"
            "User-Agent: %s\r\n"
            "Content-Length: 0\r\n\r\n" % (method, ruri, call_id, method, ua))


# gw1: the real sipedge whose access port reads a FIFO (net_pcap, as in
# tests/agent/test_agent_rules.py), so that requests can be fed to it and
# what it did with them read back from its pcap files.
# a line limit under the parser's default: explain must parse with the
# node's limits (its hello says them), not its own defaults
# a ban table of 4 pages (1048576 slots; a bans.list call reads 262144):
# `bans list` must page through it
PCAP_CONFIG = tar.pcap_config("gw1", "gw1.agent", (2, 3), limits=", max_line: 1500",
                              extra="rules: {{ban_table_size: 1048576}}\n")


class PcapDataplane(cplib.Dataplane):
    """cplib.Dataplane, fed through a FIFO."""

    def __init__(self, binary, workdir, name="gw1"):
        self.binary, self.name = binary, name
        self.workdir = workdir
        self.d = os.path.join(workdir, name)
        os.makedirs(self.d, exist_ok=True)
        self.sock = os.path.join(self.d, name + ".agent")
        self.config = PCAP_CONFIG
        self.sp = None
        self.feed = None

    def start(self, timeout=60):
        fifo = os.path.join(self.d, "in_a.fifo")
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        with open(os.path.join(self.d, "in_c.pcap"), "wb") as f:
            f.write(tar.PCAP_HDR)
        self.sp = agentlib.Sipedge(self.binary, self.workdir, self.name, self.config)
        self.feed = tar.Feed(fifo)
        if not self.feed.open(self.sp) or not self.sp.wait_socket(self.sock, timeout):
            return False
        m = re.search(r"port access0 \(net_pcap0\): ethdev \d+, MAC ([0-9A-Fa-f:]{17})",
                      self.sp.log())
        tar.Feed.mac = m.group(1) if m else None
        return m is not None

    def stop(self):
        if self.feed is not None:
            self.feed.close()
        return self.sp.stop()

    def wire(self):
        """What went out: {label: [first lines]} toward the core (forwarded)
        and toward the access side (answers)."""
        return (tar.wire(os.path.join(self.d, "out_c.pcap")),
                tar.wire(os.path.join(self.d, "out_a.pcap")))


def write(env, name, text, mode="w"):
    path = os.path.join(env.dir, "rules", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)
    return path


def rlist(env):
    return env.ctl_json("rules", "list")[1]


def dp_rules(dp):
    """The dataplane's own word: rules.get."""
    return dp.call("rules.get")


def explain(env, msg, *args):
    path = os.path.join(env.dir, "msg.sip")
    with open(path, "wb") as f:
        f.write(msg.encode() if isinstance(msg, str) else msg)
    rc, r, err = env.ctl_json("explain", path, *args)
    return r if rc == 0 else {"rc": rc, "err": err, "reply": r}


def live_on(env, node):
    n = next((x for x in (rlist(env) or {}).get("nodes", []) if x["node"] == node), None)
    return (n or {}).get("live") and n["live"]["version"]


# ------------------------------------------------------------------ cases

def t_load(env, dp):
    a = write(env, "a.rules", RULES_A)
    rc, out, err = env.ctl("rules", "load", a)
    check(rc == 0 and "version 1:" in out and "in force as the live ruleset" in out
          and "gw1: in force" in out, "rules load: version 1 in force on gw1", out + err)
    r = rlist(env)
    n = r["nodes"][0]
    check(r["live"] == 1 and n["live"]["version"] == 1 and n["in_step"] and
          r["versions"][0]["n_rules"] == 5 and r["versions"][0]["in_force_on"] == {"gw1": "live"},
          "rules list: version 1 live on gw1, 5 rules", r)
    g = dp_rules(dp)
    check(g.get("live", {}).get("version") == 1 and g["live"]["sha256"] == n["live"]["sha256"]
          and g["live"].get("n_rules") == 5,
          "the dataplane's rules.get: version 1, the digest control sent, 5 rules", (g, n))
    rc, out, err = env.ctl("rules", "show", "1001")
    check(rc == 0 and "1001  drop" in out and "a.rules:2:1" in out and "friendly-scanner" in out,
          "rules show 1001: action, place, text", out + err)
    x = explain(env, sip(ua="friendly-scanner"))
    check(x.get("action") == "drop" and x.get("rule") == 1001 and
          any(m["id"] == 1001 and m["decided"] for m in x["matched"]),
          "explain: a scanner's INVITE is dropped by rule 1001", x)
    x = explain(env, sip())
    check(x.get("action") == "forward" and x.get("rule") is None and
          [m["id"] for m in x["matched"]] == [1003] and x["matched"][0]["counted"],
          "explain: a clean INVITE is forwarded, count rule 1003 counted", x)
    x = explain(env, sip(), "--to", "203.0.113.5")
    check(x.get("action") == "drop" and x.get("rule") == 1006,
          "explain --to 203.0.113.5: dropped by the dst rule 1006", x)
    x = explain(env, sip(method="PUBLISH"))
    check(x.get("action") == "reject" and x.get("code") == 403 and x.get("rule") == 1002,
          "explain: PUBLISH rejected 403 by rule 1002", x)
    x = explain(env, sip(ua="evil-bot/1"))
    check(x.get("action") == "ban" and x.get("ban_s") == 60 and x.get("rule") == 1004,
          "explain: the evil bot is banned 60 s by rule 1004", x)
    x = explain(env, sip().replace("CSeq: 1 INVITE", "CSeq: x INVITE"))
    check(x.get("action") == "reject" and x.get("code") == 400 and x.get("parse_error"),
          "explain: a malformed request is rejected 400, the parser's error given", x)
    x = explain(env, sip(ua="a" * 1600))
    check(x.get("action") == "reject" and x.get("code") == 400 and
          "line" in str(x.get("parse_error", "")),
          "explain: a 1 612-byte User-Agent line is over gw1's limits.max_line 1500 (its "
          "hello; the parser's default is 4096): rejected 400", x)
    x = explain(env, "SIP/2.0 200 OK\r\nVia: x\r\n\r\n")
    check(x.get("action") == "drop" and x.get("parse_error"),
          "explain: a malformed response is dropped", x)
    rc, out, err = env.ctl("explain", os.path.join(env.dir, "msg.sip"))
    check(rc == 0 and out.startswith("drop: "), "explain, human: the decision first", out + err)


def bad_cases(env):
    big = os.path.join(env.dir, "rules", "big.rules")
    with open(big, "w") as f:
        line = 'count id:%d ua ~ /x{0}/ msg:"padding padding padding padding padding padding"\n'
        n = 0
        while f.tell() < 50 << 20:
            n += 1
            f.write(line.replace("{0}", str(n)) % n)
    os.makedirs(os.path.join(env.dir, "rules", "adir"), exist_ok=True)
    return [
        ("a syntax error", [write(env, "syntax.rules", 'drop id:7 ua ~ /x/ msg:"a"\ndorp id:8 ua ~ /y/\n')],
         "syntax.rules:2:1: expected an action"),
        ("a regex Hyperscan rejects", [write(env, "regex.rules", "drop id:9 ua ~ /(unclosed/\n")],
         "regex.rules:1:16:"),
        ("an id twice in a file", [write(env, "dup.rules", "drop id:5 ua ~ /a/\ndrop id:5 ua ~ /b/\n")],
         "dup.rules:2:6: duplicate id 5"),
        ("an id twice across files", [write(env, "dup1.rules", "drop id:6 ua ~ /a/\n"),
                                      write(env, "dup2.rules", "drop id:6 ua ~ /b/\n")],
         "dup2.rules:1:1: duplicate id 6"),
        ("an unknown field", [write(env, "field.rules", "drop id:10 user_agnet ~ /x/\n")],
         'field.rules:1:12: unknown field "user_agnet"'),
        ("a 50 MB file", [big], "big.rules"),
        ("a file that is not there", [os.path.join(env.dir, "rules", "nope.rules")], "nope.rules"),
        ("a directory", [os.path.join(env.dir, "rules", "adir")], "adir"),
        ("a binary file", [write(env, "bin.rules", "\x00\x01\x02\xff\xfe" * 100, mode="w")],
         "bin.rules"),
        ("an include cycle", [write(env, "c1.rules", 'include "c2.rules"\n'),
                              write(env, "c2.rules", 'include "c1.rules"\n')][:1], "c"),
    ]


def t_traffic(env, dp):
    """Requests through the dataplane with version 1 live: what it did with
    each, what explain says it would do, the hits control reports."""
    reqs = [("t-scan-%d" % i, "INVITE", tar.CLEAN) for i in range(3)] + \
           [("t-pub-%d" % i, "PUBLISH", tar.CLEAN) for i in range(2)] + \
           [("t-inv-%d" % i, "INVITE", tar.CLEAN) for i in range(2)] + \
           [("t-opt-0", "OPTIONS", tar.CLEAN)]
    msgs = {lab: tar.request(lab, meth, src) for lab, meth, src in reqs}
    for lab in msgs:
        if "scan" in lab:
            msgs[lab] = msgs[lab].replace(b"Content-Length: 0",
                                          b"User-Agent: friendly-scanner\r\nContent-Length: 0")
    frames = [tar.frame(tar.Feed.mac, tar.CLEAN, msgs[lab]) for lab, _, _ in reqs]
    s0 = dp.call("snapshot")
    tar.test_drain.Feed.send(dp.feed, frames)  # padded to whole bursts there
    c = agentlib.Client(dp.sock, 10)
    tar.settle(c, s0, len(frames) + (-len(frames) % tar.BURST))
    c.close()
    fwd, ans = dp.wire()
    did = {}
    for lab in msgs:
        did[lab] = ("forward" if lab in fwd else
                    "reject %s" % ans[lab][0].split()[1] if lab in ans else "drop")
    said = {}
    for lab, meth, src in reqs:
        x = explain(env, msgs[lab], "--from", "%s:5062" % src)
        said[lab] = x.get("action", "?") + (" %d" % x["code"] if x.get("code") else "")
    check(did == said and did["t-scan-0"] == "drop" and did["t-pub-0"] == "reject 403" and
          did["t-inv-0"] == "forward",
          "explain agrees with what the dataplane did, message by message", (did, said))
    want = {"1001": 3, "1002": 2, "1003": 3}

    def hits():
        _, r, _ = env.ctl_json("rules", "stats")
        return {str(x["id"]): x for x in r["nodes"][0]["live"]["rules"]}
    h = wait_for(lambda: hits() if all(hits().get(k, {}).get("hits") == v
                                         for k, v in want.items()) else None, 10)
    check(h and all(h[k]["workers"] == [v] and h[k]["action"] for k, v in want.items()),
          "rules stats: 1001 x3 drop, 1002 x2 reject, 1003 x3 count, per worker", h or hits())
    rc, out, _ = env.ctl("rules", "stats")
    check(rc == 0 and "1001" in out and "SIP scanner" in out, "rules stats: a table", out)
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % env.port,
                                  timeout=10).read().decode()
    line = 'sipedge_rule_hits_total{node="gw1",rule="1001",action="drop",slot="live"} 3'
    check(line in body, "/metrics: " + line,
          [x for x in body.splitlines() if "rule_hits" in x])
    check('sipedge_drops_total{node="gw1",worker="0",reason="rule_drop"} 3' in body,
          "/metrics: the dataplane's rule_drop reason, through the generic counters",
          [x for x in body.splitlines() if "rule_" in x][:20])


def t_bad(env, dp):
    before = rlist(env)["next_version"]
    for what, files, where in bad_cases(env):
        t0 = time.time()
        rc, r, err = env.ctl_json("rules", "load", *files)
        diags = (r or {}).get("diagnostics", [])
        check(rc == 1 and r and not r["ok"] and "nothing was pushed" in r["error"] and
              diags and all(":" in d for d in diags) and any(where in d for d in diags) and
              "results" in r and r["results"] == [],
              "refused, with FILE:LINE:COL: %s" % what, (rc, r, err[-500:]))
        check(time.time() - t0 < 60, "  answered in under a minute: %s" % what)
    # an empty FILE (a script's empty variable) was once read as the
    # current directory ("build/: is a directory"): refused by sipedgectl
    rc, out, err = env.ctl("rules", "load", os.path.join(env.dir, "rules", "a.rules"), "")
    check(rc == 2 and "FILE 2 is empty: no file name" in err,
          "rules load with an empty FILE: refused by sipedgectl, status 2", (rc, out, err))
    r = rlist(env)
    check(r["live"] == 1 and r["next_version"] == before,
          "after the bad loads: version 1 still live, no number taken", r)
    check(dp_rules(dp)["live"]["version"] == 1, "the dataplane still has version 1")
    x = explain(env, sip(ua="friendly-scanner"))
    check(x.get("action") == "drop" and x.get("rule") == 1001,
          "explain: still dropped by version 1's rule 1001", x)


def t_versions(env, dp):
    a = os.path.join(env.dir, "rules", "a.rules")
    write(env, "a.rules", RULES_B)
    rc, r, err = env.ctl_json("rules", "load", a)
    check(rc == 0 and r["version"] == 2 and r["results"][0]["ok"], "version 2 loaded", (r, err))
    rc, r, _ = env.ctl_json("rules", "diff")
    check(rc == 0 and r["from"] == 1 and r["to"] == 2 and
          [x["id"] for x in r["added"]] == [1005] and
          sorted(x["id"] for x in r["removed"]) == [1003, 1004, 1006] and
          sorted(x["id"] for x in r["changed"]) == [1001, 1002],
          "rules diff: 1005 added, 1003 1004 1006 removed, 1001 1002 changed", r)
    rc, out, err = env.ctl("rules", "show", "1002", "--version", "1")
    check(rc == 0 and "reject 403 id:1002" in out and "msg:\"no PUBLISH\"" in out,
          "rules show --version 1: the text as loaded (403, both lines)", out)
    write(env, "a.rules", "# gone\n")
    rc, r, err = env.ctl_json("rules", "rollback")
    check(rc == 0 and r["version"] == 3 and r["n_rules"] == 5,
          "rollback: version 3, version 1's 5 rules (the file changed since)", (r, err))
    rc, r, _ = env.ctl_json("rules", "diff", "1", "3")
    check(rc == 0 and not r["added"] and not r["removed"] and not r["changed"] and
          r["unchanged"] == 5, "rules diff 1 3: the same rules", r)
    check(dp_rules(dp)["live"]["version"] == 3, "the dataplane has version 3")
    v3 = next(v for v in rlist(env)["versions"] if v["version"] == 3)
    check(v3["origin"] == "rollback to 1", "version 3's origin: rollback to 1", v3)
    # rules check: no daemon at all
    good = write(env, "good.rules", RULES_A)
    p = subprocess.run([CTL, "rules", "check", good], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("ok: 5 rules"), "rules check: ok, status 0",
          p.stdout + p.stderr)
    p = subprocess.run([CTL, "rules", "check", good,
                        os.path.join(env.dir, "rules", "field.rules")],
                       capture_output=True, text=True)
    check(p.returncode == 1 and "field.rules:1:" in p.stderr, "rules check: errors, status 1",
          p.stdout + p.stderr)
    p = subprocess.run([CTL, "rules", "check", "/nonexistent.rules"], capture_output=True,
                       text=True)
    check(p.returncode == 2 and "No such file" in p.stderr,
          "rules check: a missing file, status 2", p.stderr)
    p = subprocess.run([CTL, "rules", "check", "--json", good], capture_output=True, text=True)
    j = json.loads(p.stdout) if p.stdout.strip() else {}
    check(p.returncode == 0 and j.get("ok") and j.get("n_rules") == 5,
          "rules check --json", p.stdout)


def t_shadow(env, dp):
    s = write(env, "shadow.rules", SHADOW)
    rc, r, err = env.ctl_json("rules", "load", "--shadow", s)
    check(rc == 0 and r["slot"] == "shadow", "a shadow ruleset loaded", (r, err))
    v = r and r["version"]
    check(rlist(env)["shadow"] == v and dp_rules(dp).get("shadow", {}).get("version") == v,
          "list and the dataplane: the shadow version", (rlist(env), dp_rules(dp)))
    x = explain(env, sip(method="OPTIONS"))
    check(x.get("action") == "forward" and x.get("shadow", {}).get("action") == "drop" and
          any(m["id"] == 3001 and m["shadow"] for m in x["matched"]),
          "explain: forward, the shadow ruleset would drop (rule 3001)", x)
    rc, out, err = env.ctl("rules", "unload", "--shadow")
    check(rc == 0 and "gw1: cleared" in out, "rules unload --shadow", out + err)
    check(rlist(env)["shadow"] is None and dp_rules(dp).get("shadow") is None,
          "no shadow ruleset left", dp_rules(dp))


def t_refusal(env, dp, cfg_nodes):
    fa = env.fake("gw2", "--refuse-rules-load", "--backends", "kam1,kam2",
                  script="fake_agent_rules.py")
    env.write_cfg(cfg_nodes + [("gw2", fa.sock)], collect_ms=300)
    rc, _, err = env.ctl("config", "reload")
    wait_for(lambda: env.node_up("gw2"), 20, "gw2 up")
    before = dp_rules(dp)["live"]["version"]
    rc, r, err = env.ctl_json("rules", "load", os.path.join(env.dir, "rules", "good.rules"))
    res = {x["node"]: x for x in (r or {}).get("results", [])}
    check(rc == 1 and "gw2" in r["error"] and "refused by --refuse-rules-load" in r["error"] and
          res.get("gw1", {}).get("aborted") and not res.get("gw2", {}).get("ok"),
          "two nodes, gw2 refuses: the reply names gw2 and its reason, gw1 aborted", r)
    check(dp_rules(dp)["live"]["version"] == before and rlist(env)["live"] == before,
          "neither commits: gw1 still at version %d" % before, dp_rules(dp))
    v = next((x for x in rlist(env)["versions"] if x["version"] == r["version"]), {})
    check(v.get("refused"), "the refused version is marked so in the list", v)
    env.write_cfg(cfg_nodes, collect_ms=300)
    env.ctl("config", "reload")
    fa.stop()


def t_restart(env, dp):
    before = rlist(env)
    env.stop(signal.SIGKILL)
    env.start()
    wait_for(lambda: env.node_up("gw1") and live_on(env, "gw1"), 30, "gw1 up again")
    time.sleep(1)
    after = rlist(env)
    check(after["live"] == before["live"] and after["next_version"] == before["next_version"]
          and [v["version"] for v in after["versions"]] == [v["version"] for v in before["versions"]],
          "control restarted: the same versions, the same live one", (before, after))
    check(after["nodes"][0]["resyncs"] == 0 and after["nodes"][0]["in_step"],
          "nothing pushed again (the dataplane had it)", after["nodes"])
    x = wait_for(lambda: explain(env, sip(ua="friendly-scanner")).get("action") == "drop", 30)
    check(x, "explain works again after the restart (recompiled from the kept sources)")
    rc, r, _ = env.ctl_json("rules", "load", os.path.join(env.dir, "rules", "good.rules"))
    check(rc == 0 and r["version"] == before["next_version"],
          "the next load takes the next number (%d)" % before["next_version"], r)
    live = r["version"]
    check(dp.stop() == 0, "sipedge stops cleanly")
    wait_for(lambda: not env.node_up("gw1"), 20)
    check(dp.start(), "sipedge starts again", dp.log()[-1500:])
    ok = wait_for(lambda: dp_rules(dp).get("live", {}) and dp_rules(dp)["live"]["version"] == live,
                  60)
    check(ok, "dataplane restarted: version %d pushed again" % live,
          (dp_rules(dp), env.log()[-1500:]))
    n = rlist(env)["nodes"][0]
    check(n["resyncs"] >= 1, "counted as a resync", n)


def t_bans(env, dp):
    rc, out, err = env.ctl("bans", "add", "192.0.2.0/24", "--for", "1h")
    check(rc == 0 and "gw1: in force" in out, "bans add 192.0.2.0/24 --for 1h", out + err)
    rc, out, err = env.ctl("bans", "add", "2001:db8::/32")
    check(rc == 0, "bans add 2001:db8::/32", out + err)
    st = dp.call("state.get")["state"]
    check({b["prefix"] for b in st.get("bans", [])} == {"192.0.2.0/24", "2001:db8::/32"},
          "the dataplane's state has both bans", st)
    x = explain(env, sip(), "--from", "192.0.2.77:5060")
    check(x.get("action") == "drop" and x.get("banned") == "192.0.2.0/24",
          "explain from a banned source: drop, the ban named", x)
    env.stop(signal.SIGTERM)
    env.start()
    wait_for(lambda: env.node_up("gw1"), 30, "gw1 up")
    rc, r, _ = env.ctl_json("bans", "list")
    man = {b["prefix"]: b for b in (r or {}).get("manual", [])}
    check(rc == 0 and set(man) == {"192.0.2.0/24", "2001:db8::/32"} and
          0 < man["192.0.2.0/24"]["remaining_s"] <= 3600 and man["2001:db8::/32"]["expires"] == 0,
          "after a restart of control: both bans, the expiry kept", r)
    check(r["nodes"][0]["ok"] and r["nodes"][0].get("manual_total") == 2,
          "bans list: gw1 has the 2 manual bans in force", r["nodes"])
    rc, out, err = env.ctl("bans", "remove", "192.0.2.0/24")
    check(rc == 0, "bans remove 192.0.2.0/24", out + err)
    st = dp.call("state.get")["state"]
    check([b["prefix"] for b in st.get("bans", [])] == ["2001:db8::/32"],
          "the dataplane's state: one ban left", st)
    rc, out, err = env.ctl("bans", "remove", "203.0.113.9")
    check(rc == 1 and "no node has it banned" in out + err, "bans remove of a ban nobody has: 1",
          out + err)
    rc, out, err = env.ctl("bans", "add", "198.51.100.0/24", "--for", "2s")
    check(rc == 0, "a ban for 2 s", out + err)
    gone = wait_for(lambda: "198.51.100.0/24" not in
                    {b["prefix"] for b in env.ctl_json("bans", "list")[1]["manual"]}, 10)
    check(gone, "it expires: out of control's list")
    check(wait_for(lambda: "198.51.100.0/24" not in
                   {b["prefix"] for b in dp.call("state.get")["state"].get("bans", [])}, 10),
          "and out of the dataplane's state")
    t_bans_pages(env, dp)
    rc, out, err = env.ctl("bans", "add", "nonsense")
    check(rc == 1 and "not an IPv4 or IPv6 address" in err, "bans add nonsense: refused", err)
    rc, out, err = env.ctl("bans", "add", "192.0.2.0/24", "--for", "5y")
    check(rc == 2 and '"5y"' in err, "bans add --for 5y: usage error", err)


def t_bans_pages(env, dp):
    """40 sources banned by rule 1004 on gw1, whose table is 4 pages: control
    reads every page; with --limit 10 it stops at 10."""
    srcs = ["10.77.1.%d" % i for i in range(100, 140)]
    frames = [tar.frame(tar.Feed.mac, ip, sip(ua="evil-bot", call_id="ban-%s" % ip).encode())
              for ip in srcs]
    tar.test_drain.Feed.send(dp.feed, frames)
    c = agentlib.Client(dp.sock, 10)
    made = wait_for(lambda: sum(c.call("snapshot")["bans"]["dynamic"]) >= 40, 20)
    whole = [b["ip"] for b in c.call("bans.list", limit=10000)["dynamic"]]  # 1st page only
    c.close()
    check(made, "40 dynamic bans made on gw1 by rule 1004")
    rc, r, err = env.ctl_json("bans", "list")
    n = (r or {}).get("nodes", [{}])[0]
    got = [b["ip"] for b in n.get("dynamic", [])]
    check(rc == 0 and n.get("ok") and sorted(got) == sorted(srcs) and len(set(got)) == 40,
          "bans list: all 40, each once, from a table of 4 pages", (r, err))
    check(n.get("pages") == 4 and n.get("more") is False and n.get("dynamic_total") == 40,
          "read in 4 pages, none left (the dataplane's one call had %d of them)" % len(whole),
          {k: v for k, v in n.items() if k != "dynamic"})
    check(0 < len(whole) < 40, "one dataplane call alone does not see them all", whole)
    rc, r10, err = env.ctl_json("bans", "list", "--limit", "10")
    n10 = (r10 or {}).get("nodes", [{}])[0]
    check(rc == 0 and [b["ip"] for b in n10.get("dynamic", [])] == got[:10] and
          n10.get("more") is True and 1 <= n10.get("pages", 0) <= 4,
          "--limit 10: the first 10, in table order; more left", (r10, err))
    rc, out, err = env.ctl("bans", "list", "--limit", "10")
    check(rc == 0 and "gw1: stopped at 10 dynamic bans, --limit's (there may be more); 40 slots in use in all" in out
          and out.count("10.77.1.1") == 10, "bans list --limit 10, as text", out + err)
    rc, out, err = env.ctl("bans", "list")
    check(rc == 0 and "stopped at" not in out and all(ip in out for ip in srcs),
          "bans list, as text: all 40, no 'stopped at'", out + err)
    # fake nodes whose later pages go wrong (refused, stuck, endless, the
    # link cut): each node's error is its own, gw1's list is whole beside them
    fakes = [(name, env.fake(name, "--bans-pages", mode, script="fake_agent_rules.py"))
             for name, mode in (("gw2", "fail2"), ("gw3", "stuck"), ("gw4", "endless"),
                                ("gw5", "old"), ("gw6", "drop2"))]
    nodes = [("gw1", dp.sock)] + [(name, f.sock) for name, f in fakes]
    env.write_cfg(nodes, collect_ms=300)
    reload = env.ctl("config", "reload")
    up = wait_for(lambda: all(env.node_up(n) for n, _ in nodes), 20)
    check(up, "gw2, gw3, gw4 added and up", (reload, [(x["name"], x["link"], x["last_error"])
                                                        for x in env.ctl_json("nodes")[1]["nodes"]]))
    t0 = time.monotonic()
    rc, r, err = env.ctl_json("bans", "list")
    took = time.monotonic() - t0
    by = {x["node"]: x for x in (r or {}).get("nodes", [])}
    check(up and rc == 0 and sorted(b["ip"] for b in by.get("gw1", {}).get("dynamic", [])) ==
          sorted(srcs), "four nodes: gw1's 40 bans beside the fakes' errors", (r, err))
    want = {"gw2": "cursor: 100: page 2 refused by --bans-pages",
            "gw3": "bans.list: the dataplane's next_cursor 100 after 2 pages (from 100): does "
                   "not go forward; listing stopped",
            "gw4": "bans.list: the dataplane's next_cursor 409600 after 4096 pages (from "
                   "409500): still not at the end; listing stopped"}
    for name, msg in want.items():
        x = by.get(name, {})
        check(x.get("ok") is False and x.get("error") == msg and "dynamic" not in x,
              "%s: a later page's failure is the node's error" % name, x)
    check(took < 30, "the endless node cut at 4096 pages in %.1f s" % took)
    x = by.get("gw6", {})
    check(x.get("ok") is False and "dynamic" not in x and
          x.get("error") == "link to the dataplane lost",
          "gw6, whose link drops instead of page 2: the node's error, nothing listed", x)
    check(wait_for(lambda: env.node_up("gw6"), 20), "gw6 linked again after the drop",
          [(n["name"], n["link"], n["last_error"]) for n in env.ctl_json("nodes")[1]["nodes"]])
    x = by.get("gw5", {})
    check(x.get("ok") is True and len(x.get("dynamic", [])) == 5 and x.get("pages") == 1 and
          x.get("more") is True,
          "gw5, a dataplane from before pages (no next_cursor): its one list, and more "
          "since its dynamic_total (1000) is over the 5 listed", x)
    rc, out, err = env.ctl("bans", "list")
    check(rc == 0 and "gw2: cursor: 100: page 2 refused by --bans-pages" in out,
          "as text: gw2's error on its line", out + err)
    env.write_cfg([("gw1", dp.sock)], collect_ms=300)
    env.ctl("config", "reload")
    for _, f in fakes:
        f.stop()


def t_big(env, dp):
    path = os.path.join(env.dir, "rules", "10k.rules")
    with open(path, "w") as f:
        for i in range(10000):
            f.write('drop id:%d ua ~ /scanner-%05d-[a-z]+/ msg:"generated %d"\n'
                    % (100000 + i, i, i))
    p = subprocess.Popen([CTL, "rules", "load", path, "--socket", env.sock, "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    worst, n = 0.0, 0
    while p.poll() is None:
        t0 = time.time()
        c = Raw(env.sock, 10)
        r = c.call({"cmd": "status"})
        c.close()
        worst = max(worst, time.time() - t0)
        n += 1 if r.get("ok") else 0
        time.sleep(0.1)
    out, err = p.communicate()
    r = json.loads(out) if out.strip() else {}
    check(p.returncode == 0 and r.get("n_rules") == 10000 and r["results"][0]["ok"],
          "10 000 rules loaded and in force on gw1 (compile %s ms)" % r.get("compile_ms"),
          (out[-500:], err[-500:]))
    check(n >= 3 and worst < 1.0,
          "status answered %d times during it, the slowest in %.3f s (< 1 s)" % (n, worst))
    check(dp_rules(dp)["live"]["version"] == r.get("version"), "the dataplane has it")


def t_requests(env):
    c = Raw(env.sock)
    rel = "rules/a.rules"
    rows = [
        ({"cmd": "rules.load"}, 'argument "files" (array of strings) is required'),
        ({"cmd": "rules.load", "files": "a.rules"}, 'argument "files": expected an array of 1 to 64 strings'),
        ({"cmd": "rules.load", "files": []}, "expected an array of 1 to 64 strings, got []"),
        ({"cmd": "rules.load", "files": ["/a"] * 65}, "expected an array of 1 to 64 strings"),
        ({"cmd": "rules.load", "files": [5]}, 'argument "files"[0]: expected a string'),
        ({"cmd": "rules.load", "files": [""]}, 'argument "files"[0]: expected a string of 1 to 4095'),
        ({"cmd": "rules.load", "files": ["/" + "a" * 5000]}, 'argument "files"[0]'),
        ({"cmd": "rules.load", "files": [rel]}, 'files[0]: "rules/a.rules" is not an absolute path'),
        ({"cmd": "rules.load", "files": ["/a"], "shadow": "yes"}, 'argument "shadow": expected true or false'),
        ({"cmd": "rules.load", "files": ["/a"], "slot": "live"}, 'rules.load: unknown argument "slot"'),
        ({"cmd": "rules.show", "version": "1"}, 'argument "version": expected an integer'),
        ({"cmd": "rules.show", "version": 999}, "version 999: no such version in the history"),
        ({"cmd": "rules.show", "rule": 0}, 'argument "rule": expected an integer in [1, 4294967295]'),
        ({"cmd": "rules.diff", "from": 999}, "from 999: no such version"),
        ({"cmd": "rules.rollback", "version": 999}, "version 999: not in the history"),
        ({"cmd": "rules.unload", "shadow": False}, "only the shadow ruleset is unloaded"),
        ({"cmd": "rules.unload"}, 'argument "shadow" (boolean) is required'),
        ({"cmd": "rules.stats", "node": "gw9"}, 'node "gw9": no such node'),
        ({"cmd": "explain"}, 'give the message as "message" (text) or "message_b64"'),
        ({"cmd": "explain", "message": "x", "message_b64": "eA=="}, "one of them"),
        ({"cmd": "explain", "message": "x", "from": "nowhere"}, 'from: "nowhere" is not ADDRESS[:PORT]'),
        ({"cmd": "explain", "message": "x", "from": "192.0.2.1:99999"}, "is not ADDRESS[:PORT]"),
        ({"cmd": "explain", "message_b64": "!!!!"}, "message_b64: not base64 at character 0"),
        ({"cmd": "explain", "message": 5}, 'argument "message": expected a string'),
        ({"cmd": "explain", "message": "x", "node": "gw9"}, 'node "gw9": no such node'),
        ({"cmd": "bans.add", "prefix": "192.0.2.1/24"}, "host bits are set"),
        ({"cmd": "bans.add", "prefix": "192.0.2.0/24", "for_s": -1}, 'argument "for_s"'),
        ({"cmd": "bans.remove"}, 'argument "prefix" (string) is required'),
    ]
    for req, want in rows:
        r = c.call(req)
        check(r.get("ok") is False and want in r.get("error", ""),
              "bad request %s: %s" % (json.dumps(req)[:60], want[:50]), r)
    r = c.call({"cmd": "ping"})
    check(r.get("ok"), "the daemon answers after every bad request")
    ro = Raw(env.ro)
    r = ro.call({"cmd": "rules.load", "files": ["/a"]})
    check(not r["ok"] and "needs the admin socket" in r["error"],
          "rules.load on the read-only socket: refused", r)
    r = ro.call({"cmd": "rules.list"})
    check(r["ok"], "rules.list on the read-only socket", r)
    c.close()
    ro.close()


def t_metrics(env):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % env.port, timeout=10).read().decode()
    want = ['sipedge_rules_version{node="gw1",slot="live"}',
            'sipedge_ruleset_rules{node="gw1",slot="live"} 10000',
            'sipedge_bans_active{node="gw1",kind="manual"}',
            'sipedge_control_rules_wanted_version{slot="live"}',
            'sipedge_control_rules_loads_total{result="failed"}',
            'sipedge_control_rules_pushes_total{node="gw1",result="ok"}',
            "sipedge_rules_evaluated_total{"]
    for w in want:
        check(w in body, "/metrics: %s" % w, body[-800:])


def t_config(env, dp, nodes):
    """rules.files and rules.history from the config, on reload and restart."""
    write(env, "cfg.rules", RULES_B)
    # written the long way round: "./" and a leading "../" are folded
    # against the config's directory, so the operator sees the clean path
    extra = ("rules:\n  files: [./../%s/rules/cfg.rules]\n  history: 3\n"
             % os.path.basename(env.dir))
    env.write_cfg(nodes, collect_ms=300, extra=extra)
    before = rlist(env)["next_version"]
    rc, out, err = env.ctl("config", "reload")
    check(rc == 0, "config reload with rules.files (relative to the config)", out + err)
    r = wait_for(lambda: rlist(env) if rlist(env)["live"] == before else None, 60)
    v = r and r["versions"][0]
    check(v and v["origin"] == "rules.files" and v["n_rules"] == 3 and
          v["top"] == [os.path.join(os.path.realpath(env.dir), "rules", "cfg.rules")] and
          live_on(env, "gw1") == before,
          "rules.files loaded as version %d, in force on gw1, its path shown clean" % before,
          r)
    kept = sorted(x["version"] for x in r["versions"]) if r else []
    dirs = sorted(int(d) for d in os.listdir(os.path.join(env.state, "rules")) if d.isdigit())
    check(len(kept) <= 4 and kept == dirs and before in kept,
          "rules.history 3: %s kept, the same directories in state_dir/rules" % kept, dirs)
    env.ctl("config", "reload")
    time.sleep(1)
    check(rlist(env)["next_version"] == before + 1,
          "reloaded again, the same list: nothing loaded again")
    env.stop(signal.SIGTERM)
    env.start()
    wait_for(lambda: env.node_up("gw1"), 30, "gw1 up")
    time.sleep(1)
    r = rlist(env)
    check(r["next_version"] == before + 1 and r["live"] == before,
          "restarted with the same rules.files: not loaded again, version %d live" % before, r)


def t_lost_state(env, dp, nodes):
    """state.json gone: numbers still never reused."""
    top = max(int(d) for d in os.listdir(os.path.join(env.state, "rules")) if d.isdigit())
    env.stop(signal.SIGTERM)
    env.write_cfg(nodes, collect_ms=300)  # no rules.files: nothing loaded at start-up
    os.rename(os.path.join(env.state, "state.json"), os.path.join(env.dir, "state.json.old"))
    env.start()
    wait_for(lambda: env.node_up("gw1"), 30, "gw1 up")
    r = rlist(env)
    check(r["next_version"] == top + 1 and r["live"] is None,
          "state.json moved away: nothing wanted, the next number still %d" % (top + 1), r)
    rc, r, err = env.ctl_json("rules", "load", os.path.join(env.dir, "rules", "good.rules"))
    check(rc == 0 and r["version"] == top + 1 and r["results"][0]["ok"],
          "a load takes %d, and the dataplane takes it" % (top + 1), (r, err))


def run(env):
    if not check(os.access(SIPEDGE, os.X_OK), "sipedge is built (%s)" % SIPEDGE):
        return
    dp = PcapDataplane(SIPEDGE, env.dir)
    env.dataplanes.append(dp)
    if not check(dp.start(), "sipedge reads its FIFO, creates its agent socket",
                 dp.log()[-2000:]):
        return
    nodes = [("gw1", dp.sock)]
    env.write_cfg(nodes, collect_ms=300)
    env.start()
    n = wait_for(lambda: env.node("gw1") if env.node_up("gw1") else None, 30)
    if not check(n is not None and "hyperscan" in n["dataplane"],
                 "gw1 up, its hello tells its Hyperscan platform", (n, env.log()[-1500:])):
        return
    for t in (t_load, t_traffic, t_bad, t_versions, t_shadow):
        t(env, dp)
    t_refusal(env, dp, nodes)
    t_restart(env, dp)
    t_bans(env, dp)
    t_big(env, dp)
    t_requests(env)
    t_metrics(env)
    t_config(env, dp, nodes)
    t_lost_state(env, dp, nodes)
    check(env.stop(signal.SIGTERM) == 0, "sipedge-control exits 0 on SIGTERM")
    # an ASan/UBSan build reports into the daemon's log (exits included)
    bad = []
    for i in range(1, env.runs + 1):
        with open(os.path.join(env.dir, "daemon.%d.log" % i)) as f:
            t = f.read()
        for w in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if w in t:
                bad.append(t[t.index(w) - 200:t.index(w) + 1500])
    check(not bad, "no sanitizer report in any run of the daemon", "\n".join(bad)[:3000])
    if cplib.CHECKS.failed:
        print("---- control log\n" + env.log()[-3000:])


if __name__ == "__main__":
    sys.exit(cplib.run_test(CONTROL, "cpt-rules-", run))
