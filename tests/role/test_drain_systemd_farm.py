# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 2 on a host where systemd is PID 1 (the farm): the dead man's switch is a
transient systemd timer, and it lifts an expired drain with no controller around."""
from __future__ import annotations

import time

from tests.farm.pytest_farm import FarmGround, farm, farm_host  # noqa: F401 pylint: disable=unused-import


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_a_systemd_timer_lifts_the_expired_drain(farm):  # noqa: F811
    name = farm_host(farm, "systemd")
    host = FarmGround(farm, name)
    nologin = farm.root(name) / "etc" / "nologin"
    holds = farm.root(name) / "etc" / "termserv-sessions" / "holds.json"
    assert not nologin.exists()
    run = host.run([{"name": "Drain with a short hold", "termserv.sessions.logon_mode": {
        "state": "drain", "expires_in": 20, "holder": "farm test"}, "register": "drain"}])
    assert run.rc == 0, run.stdout
    assert run["drain"]["switch"] == "systemd-run", run["drain"]
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
