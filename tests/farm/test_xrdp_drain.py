# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain holds for RDP on a real xrdp host (issue 24 item 1).

Debian 12's xrdp-sesman PAM stack has no pam_nologin: before the collection put its own
account lines in, a drained host let a new RDP logon through. With them: a new RDP logon
and a new ssh logon are refused, root's ssh is not, a user's reconnection to their own
disconnected session is let through (as a Windows drain does), and the release puts the
PAM file back byte for byte and lets new logons in again. Real clients: xfreerdp under
Xvfb through xrdp and xrdp-sesman, ssh through sshd.
"""
from __future__ import annotations

import time
import typing as t

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, xrdp  # noqa: F401 pylint: disable=unused-import
from tests.integration.ansible_run import run_tasks

HOLDER = "xrdp drain test"


def logon_mode(farm: Farm, host: str, **args: t.Any) -> dict[str, t.Any]:  # noqa: F811
    run = run_tasks([{"name": "Logon mode", "termserv.sessions.logon_mode": args, "register": "mode"}],
                    play={"hosts": host}, inventory=str(farm.write_inventory()), timeout=120)
    assert run.rc == 0, run.stdout + run.stderr
    return run["mode"]


def test_a_drain_refuses_new_rdp_and_ssh_logons_but_not_a_reconnection_nor_root(farm: Farm, xrdp: str):  # noqa: F811
    pam_file = farm.root(xrdp) / "etc/pam.d/xrdp-sesman"
    sesman_log = farm.root(xrdp) / "var/log/xrdp-sesman.log"
    original = pam_file.read_bytes()
    kept = farm.open_rdp(xrdp, "admin2")
    farm.disconnect(kept)
    try:
        drained = logon_mode(farm, xrdp, state="drain", holder=HOLDER, expires_in=600)
        assert drained["state"] == "drain"
        assert {k: v["covered"] for k, v in drained["mechanisms"].items()} == {
            "ssh": True, "console": True, "xrdp": True}, drained["mechanisms"]
        assert not drained.get("warnings")
        log_before = sesman_log.read_bytes() if sesman_log.exists() else b""

        refused = farm.try_rdp(xrdp, "admin", seconds=12)
        assert refused["new_sessions"] == [], refused
        # Refused by the account check, not merely slow: sesman says so.
        log = (sesman_log.read_bytes() if sesman_log.exists() else b"")[len(log_before):]
        assert b"pam_acct_mgmt failed" in log, log.decode(errors="replace")
        assert farm.try_login(xrdp, "admin") == 255
        assert farm.try_login(xrdp, "root") == 0

        again = farm.try_rdp(xrdp, "admin2", seconds=25, reconnect=kept)
        assert again["reconnected"] and again["new_sessions"] == [], again
        farm.disconnect(kept)  # try_rdp ended that client again

        released = logon_mode(farm, xrdp, state="enabled", holder=HOLDER)
        assert released["state"] == "enabled" and released["mechanisms"]["xrdp"]["covered"] is False
        assert not released.get("warnings")
        assert pam_file.read_bytes() == original
        assert not (farm.root(xrdp) / "etc/termserv-sessions/xrdp-reconnect.py").exists()

        allowed = farm.try_rdp(xrdp, "admin", seconds=25)
        assert len(allowed["new_sessions"]) == 1, allowed
        farm.nsenter(xrdp, ["loginctl", "terminate-session", allowed["new_sessions"][0]])
        assert farm.try_login(xrdp, "admin") == 0
    finally:
        farm.close_rdp(kept)
        logon_mode(farm, xrdp, state="enabled", force=True)
        assert pam_file.read_bytes() == original


def test_disabled_refuses_a_reconnection_and_its_expiry_undoes_everything(farm: Farm, xrdp: str):  # noqa: F811
    """``disabled`` refuses reconnections too (as on Windows); the host's own switch (a
    systemd timer running release.py) ends the hold at its expiry, PAM lines included."""
    pam_file = farm.root(xrdp) / "etc/pam.d/xrdp-sesman"
    original = pam_file.read_bytes()
    kept = farm.open_rdp(xrdp, "admin2")
    farm.disconnect(kept)
    try:
        held = logon_mode(farm, xrdp, state="disabled", holder=HOLDER, expires_in=20)
        assert held["mechanisms"]["xrdp"]["covered"] and held["switch"] == "systemd-run"
        assert b"pam_exec" not in pam_file.read_bytes()
        again = farm.try_rdp(xrdp, "admin2", seconds=12, reconnect=kept)
        assert not again["reconnected"] and again["new_sessions"] == [], again
        deadline = time.monotonic() + 60
        while pam_file.read_bytes() != original and time.monotonic() < deadline:
            time.sleep(0.5)
        assert pam_file.read_bytes() == original, "the expiry left our PAM lines behind"
        assert not (farm.root(xrdp) / "etc/nologin").exists()
        back = farm.try_rdp(xrdp, "admin2", seconds=25, reconnect=kept)
        assert back["reconnected"], back
    finally:
        farm.close_rdp(kept)
        logon_mode(farm, xrdp, state="enabled", force=True)
        assert pam_file.read_bytes() == original
