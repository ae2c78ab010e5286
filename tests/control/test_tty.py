#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What an operator's terminal and the sockets' group give, with the real
daemons: sipedgectl watch on a real terminal (a tmux pane), and
control.socket_group / agent.group.

    test_tty.py SIPEDGE_CONTROL SIPEDGECTL SIPEDGE

- watch on a tty: the screen is cleared and redrawn in place (one frame on
  screen, its number going up), "q" quits with status 0, Ctrl-C too, and
  the terminal is left as it was found (canonical mode and echo back on:
  `stty -a` in the same pane afterwards);
- socket_group "daemon": the admin and read-only sockets and the
  dataplane's agent socket belong to that group, mode 0660 (admin, agent);
  a user with that group (uid nobody, gid daemon, no other groups) gets
  answers on the admin socket, the same user without it is refused by the
  kernel and sipedgectl says so; a group that does not exist stops the
  daemon at start-up with a message naming it.

Prints one line per check, then "N passed, N failed". Needs root and tmux.
"""
import grp
import os
import shutil
import stat
import subprocess
import sys
import time

import cplib
from cplib import check, wait_for

DAEMON, CTL, SIPEDGE = (os.path.abspath(a) for a in sys.argv[1:4])
cplib.CTL = CTL
GROUP = "daemon"  # in every Debian base system (gid 1)


class Tmux:
    """One detached tmux session of our own, on a private server socket
    (-L), so nothing of anyone else's tmux is seen or touched."""

    def __init__(self, name, command):
        self.name = name
        # no user config (-f /dev/null), a terminal type tmux knows whatever
        # the caller's environment (CI has none)
        self.base = ["tmux", "-L", name, "-f", "/dev/null"]
        env = dict(os.environ, TERM="xterm-256color")
        env.pop("TMUX", None)
        for attempt in range(3):
            # a server starting while the previous one (same -L name) is
            # still going away can exit at once: "server exited
            # unexpectedly"; so once more, after it has gone
            p = subprocess.run(self.base + ["new-session", "-d", "-s", name, "-x", "160",
                                            "-y", "50", command],
                               capture_output=True, text=True, env=env)
            if p.returncode == 0:
                return
            self.kill()
            time.sleep(0.5)
        raise RuntimeError("tmux new-session: " + p.stderr.strip())

    def screen(self):
        p = subprocess.run(self.base + ["capture-pane", "-p", "-t", self.name],
                           capture_output=True, text=True)
        return p.stdout

    def keys(self, *keys):
        subprocess.run(self.base + ["send-keys", "-t", self.name] + list(keys), check=True)

    def kill(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True)


def frame_no(screen):
    for line in screen.splitlines():
        if line.startswith("sipedgectl watch: frame "):
            return int(line.split()[3].rstrip(","))
    return None


def watch_on_tty(env, key, what):
    """watch in a tmux pane, ended by key; then stty -a in the same pane."""
    done = os.path.join(env.dir, "watch.done")
    if os.path.exists(done):
        os.unlink(done)
    cmd = ("%s watch --interval-ms 200 --socket %s; echo \"watch-exit=$?\" > %s; stty -a >> %s; "
           "sleep 60" % (CTL, env.sock, done, done))
    t = Tmux("sipedge-tty-%d-%s" % (os.getpid(), "q" if key == ["q"] else "c"), cmd)
    try:
        wait_for(lambda: frame_no(t.screen()) is not None, 10, "watch draws a frame")
        first = t.screen()
        n1 = frame_no(first)
        check("(q to quit)" in first and "gw1" in first,
              "%s: watch on a tty says how to quit and shows the node" % what, first)
        wait_for(lambda: (frame_no(t.screen()) or 0) >= n1 + 3, 10, "frames go on")
        later = t.screen()
        check(later.count("sipedgectl watch: frame") == 1,
              "%s: redrawn in place: one frame on the screen, not a scroll" % what, later)
        t.keys(*key)
        wait_for(lambda: os.path.exists(done) and "speed" in open(done).read(), 10,
                 "watch exits on " + what)
        with open(done) as f:
            out = f.read()
        check("watch-exit=0" in out, "%s: watch exits with status 0" % what, out)
        flags = out.split()
        check("icanon" in flags and "echo" in flags and "-icanon" not in flags
              and "-echo" not in flags,
              "%s: the terminal is given back in canonical mode with echo" % what, out)
    finally:
        t.kill()


def socket_group(env):
    gid = grp.getgrnam(GROUP).gr_gid
    for path, mode, what in ((env.sock, 0o660, "admin socket"),
                             (env.dps[0].sock, 0o660, "agent socket")):
        st = os.stat(path)
        check(st.st_gid == gid and stat.S_IMODE(st.st_mode) == mode,
              "%s: group %s, mode %o" % (what, GROUP, mode),
              "gid %d mode %o" % (st.st_gid, stat.S_IMODE(st.st_mode)))
    check(os.stat(env.ro).st_gid == gid, "read-only socket: group " + GROUP)

    def as_nobody(group_id):
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=%d" % group_id,
                               "--clear-groups", CTL, "status", "--socket", env.sock],
                              capture_output=True, text=True, timeout=30)

    p = as_nobody(gid)
    check(p.returncode == 0,
          "uid nobody with gid %s: the admin socket answers" % GROUP, p.stdout + p.stderr)
    p = as_nobody(65534)
    check(p.returncode != 0 and "ermission denied" in p.stderr,
          "uid nobody without the group: refused, and sipedgectl says why",
          "rc %d: %s" % (p.returncode, p.stderr))


def bad_group(env):
    cfg = open(env.cfg).read()
    with open(env.cfg, "w") as f:
        f.write(cfg.replace("socket_group: %s" % GROUP, "socket_group: no-such-group-x1"))
    p = subprocess.run([DAEMON, "-c", env.cfg], capture_output=True, text=True, timeout=30)
    check(p.returncode != 0 and "no-such-group-x1" in p.stderr + p.stdout,
          "a socket_group that does not exist: the daemon stops, naming it",
          "rc %d: %s" % (p.returncode, (p.stderr + p.stdout)[-400:]))
    with open(env.cfg, "w") as f:
        f.write(cfg)


def body(env):
    dp = env.dataplane(SIPEDGE, "gw1")
    template = 'agent: {{socket: "%s"}}' % dp.sock
    check(template in dp.config, "the dataplane's config has the agent line to extend")
    dp.config = dp.config.replace(template, 'agent: {{socket: "%s", group: %s}}'
                                  % (dp.sock, GROUP))
    env.dps = [dp]
    check(dp.start(), "dataplane gw1 starts with agent.group " + GROUP, dp.log()[-600:])
    env.write_cfg([("gw1", dp.sock)])
    cfg = open(env.cfg).read()
    with open(env.cfg, "w") as f:
        f.write(cfg.replace("control:\n", "control:\n  socket_group: %s\n" % GROUP, 1))
    env.start()
    wait_for(lambda: env.node_up("gw1"), 20, "gw1 up")
    socket_group(env)
    watch_on_tty(env, ["q"], "q")
    watch_on_tty(env, ["C-c"], "Ctrl-C")
    env.stop()
    bad_group(env)


if __name__ == "__main__":
    if shutil.which("tmux") is None:
        print("test_tty: tmux is not installed (apt-get install tmux)")
        print("0 passed, 1 failed")
        sys.exit(1)
    sys.exit(cplib.run_test(DAEMON, "cptty-", body))
