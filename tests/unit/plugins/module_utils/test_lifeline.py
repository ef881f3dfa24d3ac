# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 17.2: a target whose controller is gone stops escalating, on real processes.

The escalation runs in a child process, as the module does, with its stdout a pipe read
by the test (the controller's end). A real HUP- and TERM-ignoring "session" (a shell that
leads its own session on a real pseudo-terminal, named by a crafted utmp record) logs
every signal it gets. The test closes its end of the pipe right after the HUP: from then
on nothing more may be sent. The control arm (no lifeline: the code before issue 17)
shows the ground models the defect: TERM follows, then KILL.
"""
from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _utmp

REPO = Path(__file__).resolve().parents[4]
RUNNER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.termserv.sessions.plugins.module_utils import _lifeline, _linux_logoff
    lifeline = _lifeline.start() if sys.argv[4] == "on" else None
    target = json.loads(sys.argv[3])
    print("ready", flush=True)
    results = _linux_logoff.logoff_utmp([target], set(), 6.0, 1.0, 2.0, utmp=sys.argv[2],
                                        lifeline=lifeline)
    with open(sys.argv[5], "w") as handle:
        json.dump(results, handle)
""")
# READY once both traps are set: a loaded machine can take longer than any fixed pause to
# start bash, and a signal before the trap would not be logged.
VICTIM = ('trap "echo HUP >> {log}" HUP; trap "echo TERM >> {log}" TERM; echo READY >> {log}; '
          'while :; do sleep 0.05; done')


def _record(pid: int, line: str, tv_sec: int) -> bytes:
    layout: struct.Struct = _utmp.layout()  # this machine's: the code under test reads it so
    return layout.pack(7, pid, line.encode(), b"lf", b"root", b"", 0, 0, 0, tv_sec, 0,
                       0, 0, 0, 0, b"")


@pytest.mark.parametrize("lifeline", ["on", "off", "ancestor"])
def test_no_signal_after_the_controller_is_gone(tmp_path, lifeline):
    """on: the pipe to the controller is closed; ancestor: the process that started the
    module (here a shell in between) is killed while the module's stdout stays open."""
    master, slave = os.openpty()
    line = os.ttyname(slave)[len("/dev/"):]
    log = tmp_path / "signals.log"
    log.write_text("")
    # setsid -c: a new session whose controlling terminal is stdin, the pty: a login shell.
    # env --default-signal=HUP: a shell started with HUP ignored (a suite run under nohup)
    # could not trap it, and would log nothing.
    victim = subprocess.Popen(["env", "--default-signal=HUP", "setsid", "-c", "bash", "-c", VICTIM.format(log=log)],
                              stdin=slave, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while "READY" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "READY" in log.read_text(), "the session's shell never set its traps"
        tv_sec = int(time.time())
        utmp = tmp_path / "utmp"
        utmp.write_bytes(_record(victim.pid, line, tv_sec))
        logon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(tv_sec))
        target = {"id": line, "user": "root", "logon_time": logon, "pid": victim.pid,
                  "station": line}
        out = tmp_path / "results.json"
        argv = [sys.executable, "-c", RUNNER, str(REPO / "build" / "collections"), str(utmp),
                json.dumps(target), "off" if lifeline == "off" else "on", str(out)]
        if lifeline == "ancestor":
            # The module's stdout is a file nobody closes; its parent shell dies instead.
            ready = tmp_path / "stdout"
            with open(ready, "wb") as sink:
                parent = subprocess.Popen(["bash", "-c", '"$@"; true', "bash", *argv], stdout=sink)
            deadline = time.monotonic() + 10
            while b"ready" not in ready.read_bytes() and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            parent = subprocess.Popen(argv, stdout=subprocess.PIPE)
            assert parent.stdout is not None
            assert parent.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + 5
        while "HUP" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "HUP" in log.read_text()
        if lifeline == "ancestor":
            parent.kill()  # SIGKILL, as the OOM killer does to a controller
            parent.wait()
            deadline = time.monotonic() + 10
            while not out.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            assert parent.stdout is not None
            parent.stdout.close()  # the controller is gone: nobody reads the module's result
            parent.wait(timeout=10)
        time.sleep(2.5)  # past TERM (1 s) and KILL (2 s) of the schedule
        received = [sig for sig in log.read_text().split() if sig != "READY"]
        if lifeline != "off":
            assert received == ["HUP"]
            assert victim.poll() is None, "the session was killed after the controller went away"
            [result] = json.loads(out.read_text())
            assert result["result"] == "abandoned" and result["error_code"] == 0
        else:  # control arm: without the lifeline the escalation goes on
            assert "TERM" in received
            assert victim.poll() == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        os.close(master)
        os.close(slave)
