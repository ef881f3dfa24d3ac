# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain after a boot of systemd 252 (issue 24 item 3), on the farm's systemd host.

Not a reboot (the farm cannot restart a host with the same overlay yet): the two steps of
a boot that matter, run for real in the host: ``systemd-user-sessions start`` (systemd 252
deletes /etc/nologin, systemd issue 26965), then the unit the collection enabled for the
boot, ordered after it. The drain must be back, byte for byte, with its expiry armed again.
"""
from __future__ import annotations

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_xrdp_drain import logon_mode

UNIT = "termserv-sessions-holds.service"


def test_a_drain_is_put_back_after_systemd_user_sessions_removed_it(farm: Farm):  # noqa: F811
    host = farm_host(farm, "systemd")
    root = farm.root(host)
    nologin = root / "etc/nologin"
    unit = root / "etc/systemd/system" / UNIT
    wants = root / "etc/systemd/system/multi-user.target.wants" / UNIT
    try:
        drained = logon_mode(farm, host, state="drain", holder="reboot test", expires_in=600)
        assert drained["switch"] == "systemd-run"
        assert unit.exists() and wants.is_symlink()
        text = nologin.read_bytes()
        proc = farm.nsenter(host, ["/lib/systemd/systemd-user-sessions", "start"])
        assert proc.returncode == 0, proc.stderr
        assert not nologin.exists(), "systemd 252 no longer deletes /etc/nologin: the test proves nothing"
        farm.nsenter(host, ["systemctl", "daemon-reload"])
        order = farm.nsenter(host, ["systemctl", "show", "-p", "After", "-p", "Before", "-p", "WantedBy", UNIT]).stdout
        assert "systemd-user-sessions.service" in order and "ssh.service" in order, order
        assert "multi-user.target" in order, order
        proc = farm.nsenter(host, ["systemctl", "start", UNIT])
        assert proc.returncode == 0, proc.stderr
        assert nologin.read_bytes() == text
        assert farm.try_login(host, "admin") == 255
        assert farm.try_login(host, "root") == 0
        timers = farm.nsenter(host, ["systemctl", "list-timers", "--all", "--no-legend", "--no-pager"]).stdout
        assert "-boot.timer" in timers, timers
        after = logon_mode(farm, host, state="drain", holder="reboot test", expires_in=600)
        assert after["previous_state"] == "drain" and not after["covered"]
    finally:
        logon_mode(farm, host, state="enabled", force=True)
    assert not nologin.exists() and not unit.exists() and not wants.is_symlink()
    assert farm.try_login(host, "admin") == 0
