# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11.3 on real sessions: one ssh connection (ControlMaster) with two terminals.

sshd records both terminals with the same ``ut_pid`` (the connection's monitor). Logging
off one of them must end that terminal's session only; its sibling, on the same
connection, stays. The code before issue 11 sent HUP to the shared monitor, which ended
both.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from ansible_collections.termserv.sessions.plugins.module_utils import (
    _linux_logoff,
    _linux_sessions,
    _procfs,
)

USER = "admin2"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _running(command: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and _cmdline(int(name)).strip() == command:
            entry = _procfs.read_stat(int(name))
            if entry and entry.alive:
                found.append(int(name))
    return found


def test_logging_off_one_terminal_of_a_shared_connection_leaves_the_other(sandbox_ground, tmp_path):
    # utmp on this machine (the sandbox ground), called in-process: not a farm host.
    ground = sandbox_ground
    sock = tmp_path / "cm"
    base = ["ssh", "-tt", "-p", str(ground.port), "-i", str(ground.dir / "client_key"),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-S", str(sock)]
    clients = []
    try:
        clients.append(subprocess.Popen(base + ["-M", f"{USER}@127.0.0.1", "sleep 611"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True))
        deadline = time.monotonic() + 20
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sock.exists(), "the ControlMaster connection did not come up"
        clients.append(subprocess.Popen(base + [f"{USER}@127.0.0.1", "sleep 612"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True))
        ours: dict[str, _linux_sessions.UtmpSession] = {}
        while time.monotonic() < deadline:
            table = _procfs.snapshot()
            for live in _linux_sessions.utmp_sessions(table=table):
                commands = {_cmdline(p.pid).strip() for p in _linux_sessions.members(live, table)[0]}
                for command in ("sleep 611", "sleep 612"):
                    if command in commands:
                        ours[command] = live
            if len(ours) == 2:
                break
            time.sleep(0.1)
        assert len(ours) == 2, f"both terminals should be listed sessions: {ours}"
        first, second = ours["sleep 611"], ours["sleep 612"]
        assert first.record.pid == second.record.pid and first.shared and second.shared
        assert first.id != second.id

        results = _linux_logoff.logoff_utmp([dict(first.session)], set(), 8.0, 2.0, 4.0)
        assert [r["result"] for r in results] == ["logged_off"], results
        assert not _running("sleep 611")
        assert _running("sleep 612"), "the sibling terminal's session was ended too"
        listed = {s["id"] for s in _linux_sessions.enumerate_sessions("utmp")[1]}
        assert second.id in listed
        assert _procfs.read_stat(first.leader.pid) is not None  # the shared monitor lives
    finally:
        for client in reversed(clients):
            if client.poll() is None:
                os.killpg(client.pid, signal.SIGKILL)
            client.wait()
        for command in ("sleep 611", "sleep 612"):
            for pid in _running(command):
                os.kill(pid, signal.SIGKILL)
