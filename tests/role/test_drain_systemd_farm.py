# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 2 on the farm's hosts, reached over ssh: where systemd is PID 1 the dead
man's switch is a transient systemd timer; where it is not, a detached watcher that
outlives the ssh connection of the task that armed it. Either lifts an expired drain with
no controller around."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path

from tests.farm.farm import Farm
from tests.farm.pytest_farm import FarmGround, farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.role.test_role_logoff_all import wait_for


def drain_with_a_short_hold(farm: Farm, kind: str, switch: str) -> tuple[str, Path, Path, t.Any]:  # noqa: F811
    """Drain the farm's host of ``kind`` over ssh with a 20 s hold; the run has ended when this returns."""
    name = farm_host(farm, kind)
    nologin = farm.root(name) / "etc" / "nologin"
    holds = farm.root(name) / "etc" / "termserv-sessions" / "holds.json"
    assert not nologin.exists()
    run = FarmGround(farm, name).run([{"name": "Drain with a short hold", "termserv.sessions.logon_mode": {
        "state": "drain", "expires_in": 20, "holder": "farm test"}, "register": "drain"}])
    assert run.rc == 0, run.stdout
    assert run["drain"]["switch"] == switch, run["drain"]
    return name, nologin, holds, run


def test_a_systemd_timer_lifts_the_expired_drain(farm):  # noqa: F811
    name, nologin, holds, _run = drain_with_a_short_hold(farm, "systemd", "systemd-run")
    # (20 s: ansible-playbook itself may take several seconds to end on a loaded machine.)
    assert nologin.exists() and holds.exists(), "the drain was lifted before its hold expired"
    timers = farm.nsenter(name, ["systemctl", "list-timers", "--all", "--no-legend", "termserv-sessions-release-*"])
    assert "termserv-sessions-release-" in timers.stdout, timers.stdout + timers.stderr
    # No controller comes back: the host's timer fires after the expiry.
    assert wait_for(lambda: not nologin.exists(), 20 + 30), "the systemd timer did not lift the drain"
    assert not holds.exists()


def test_releasing_the_hold_stops_its_timer(farm):  # noqa: F811
    name = farm_host(farm, "systemd")
    host = FarmGround(farm, name)
    nologin = farm.root(name) / "etc" / "nologin"
    run = host.run([
        {"name": "Drain",
         "termserv.sessions.logon_mode": {"state": "drain", "expires_in": 600, "holder": "farm test"},
         "register": "drain"},
        {"name": "Release", "termserv.sessions.logon_mode": {"state": "enabled", "holder": "farm test"},
         "register": "release"},
    ])
    assert run.rc == 0, run.stdout
    assert run["drain"]["switch"] == "systemd-run" and run["release"]["state"] == "enabled"
    assert not nologin.exists()
    timers = farm.nsenter(name, ["systemctl", "list-timers", "--all", "--no-legend", "termserv-sessions-release-*"])
    assert "termserv-sessions-release-" not in timers.stdout, timers.stdout


def _watcher(farm, name: str) -> tuple[int, int]:  # noqa: F811
    """(pid, start time) of the watcher the host records (switch.json), in its pid namespace."""
    recorded = json.loads((farm.root(name) / "etc" / "termserv-sessions" / "switch.json").read_text())
    assert recorded.get("switch") == "watcher", recorded
    return int(recorded["pid"]), int(recorded["start"])


def _alive_in_host(farm, name: str, pid: int, start: int) -> bool:  # noqa: F811
    stat = farm.nsenter(name, ["cat", f"/proc/{pid}/stat"])
    if stat.returncode != 0:
        return False
    fields = stat.stdout[stat.stdout.rindex(")") + 2:].split()
    return fields[0] not in ("Z", "X") and int(fields[19]) == start


def test_a_detached_watcher_outlives_the_ssh_connection_and_lifts_the_drain(farm):  # noqa: F811
    name, nologin, holds, _run = drain_with_a_short_hold(farm, "utmp", "watcher")
    # ansible-playbook has ended: its ssh connection to the host is closed. The watcher
    # lives on in the host, and the drain is still there until the hold expires.
    pid, start = _watcher(farm, name)
    assert _alive_in_host(farm, name, pid, start), "the watcher died with the ssh connection"
    assert nologin.exists() and holds.exists(), "the drain was lifted before its hold expired"
    assert wait_for(lambda: not nologin.exists(), 20 + 30), "the watcher did not lift the drain"
    assert not holds.exists()
    assert wait_for(lambda: not _alive_in_host(farm, name, pid, start), 10), "the watcher did not end"
