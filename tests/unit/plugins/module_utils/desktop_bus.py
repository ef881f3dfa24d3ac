# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real desktop's notification service for tests: Xvfb, a session dbus-daemon, dunst.

Everything but Xvfb runs as the given user (the D-Bus socket and the daemon are theirs, as
on a real desktop), in a directory of its own under /tmp; all are ended by pid.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import typing as t
from pathlib import Path

# dunst's history has no urgency: a rule of its own marks what dunst itself classed critical.
DUNSTRC = ('[global]\n    format = "%s|%b"\n'
           '[termserv_critical]\n    msg_urgency = critical\n    format = "urgency=critical|%s|%b"\n')


# A session bus with no service directories: nothing is started on demand (the machine's
# dunst would be, by its D-Bus service file), so "no server" means none.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def available() -> bool:
    return all(shutil.which(p) for p in ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "busctl"))


class Desktop:
    def __init__(self, directory: Path, uid: int, gid: int) -> None:
        self.dir = directory
        self.uid = uid
        self.gid = gid
        self.bus = str(directory / "bus")
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=f"unix:path={self.bus}",
                        HOME=str(directory), XDG_RUNTIME_DIR=str(directory))
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], as_user: bool = True, **kwargs: t.Any) -> subprocess.Popen:
        who = {"user": self.uid, "group": self.gid, "extra_groups": []} if as_user else {}
        kwargs.setdefault("env", self.env)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **who, **kwargs)
        self.procs.append(proc)
        return proc

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env=self.env, user=self.uid, group=self.gid, extra_groups=[],
                              capture_output=True, text=True, timeout=10, check=False)

    def history(self) -> list[dict[str, t.Any]]:
        """What dunst shows (closed first, so that it is in the history): summary, body,
        message (its format, which says urgency=critical for what it classed critical)."""
        self.run(["dunstctl", "close-all"])
        time.sleep(0.2)
        proc = self.run(["dunstctl", "history"])
        data = json.loads(proc.stdout)["data"][0]
        return [{key: item[key]["data"] for key in ("summary", "body", "message", "appname", "id")}
                for item in data]


@contextlib.contextmanager
def desktop(uid: int = 65534, gid: int = 65534, server: bool = True) -> t.Iterator[Desktop]:
    directory = Path(tempfile.mkdtemp(prefix="termserv-desktop-", dir="/tmp"))
    os.chown(directory, uid, gid)
    (directory / "dunstrc").write_text(DUNSTRC)
    (directory / "bus.conf").write_text(BUS_CONFIG)
    box = Desktop(directory, uid, gid)
    try:
        # -displayfd: Xvfb picks a free display and names it once it accepts clients (a fixed
        # number raced with other tests, and dunst started before the server gave up).
        read_end, write_end = os.pipe()
        try:
            box.start(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-screen", "0", "640x480x24"],
                      as_user=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as ready:
            number = ready.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        box.env["DISPLAY"] = f":{number.decode()}"
        daemon = box.start(["dbus-daemon", f"--config-file={directory / 'bus.conf'}", f"--address=unix:path={box.bus}", "--nofork",
                            "--print-address"], stdout=subprocess.PIPE)
        assert daemon.stdout is not None and daemon.stdout.readline().startswith(b"unix:path=")
        if server:
            box.start(["dunst", "-config", str(directory / "dunstrc")],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while box.run(["dunstctl", "is-paused"]).returncode != 0:
                assert time.monotonic() < deadline, "dunst did not come up"
                time.sleep(0.1)
        yield box
    finally:
        for proc in reversed(box.procs):
            proc.kill()
            proc.wait()
        shutil.rmtree(directory, ignore_errors=True)
