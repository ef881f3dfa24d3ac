# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain across a REAL reboot of the farm's systemd host (issue 24 item 3).

``Farm.reboot``: ``systemctl reboot`` inside the host (systemd 252 stops its units, its init
ends), then the host boots again on the same disk: /etc stays, /run and /tmp start empty.
systemd 252's systemd-user-sessions deletes /etc/nologin at boot (systemd issue 26965): the
unit the collection enables while an /etc hold exists puts the drain back, byte for byte,
and arms its expiry again; a hold that expired while the host was down is released at boot.
"""
from __future__ import annotations

import hashlib
import json
import time
import typing as t
from pathlib import Path

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_xrdp_drain import logon_mode
from tests.integration.ansible_run import run_tasks

UNIT = "termserv-sessions-holds.service"
HOLDER = "reboot test"
STORE = "etc/termserv-sessions/holds.json"
# What the collection keeps between holds (its lock, its switch, its record of the last switch).
OURS = "etc/termserv-sessions"


def probe(farm: Farm, host: str) -> dict[str, t.Any]:  # noqa: F811
    """What logon_mode reports, changing nothing: a check-mode drain by another holder
    (``previous_state`` is the host's mode, ``other_holds`` the holds on it)."""
    run = run_tasks([{"name": "Logon mode", "termserv.sessions.logon_mode": {
        "state": "drain", "holder": "reboot test probe", "expires_in": 60}, "register": "mode"}],
        play={"hosts": host}, inventory=str(farm.write_inventory()), check=True, timeout=120)
    assert run.rc == 0, run.stdout + run.stderr
    return run["mode"]


def _view(root: Path, rel: str) -> str:
    seen = root / rel
    if seen.is_symlink():
        return "-> " + str(seen.readlink())
    if seen.is_file():
        return hashlib.sha256(seen.read_bytes()).hexdigest()
    return "dir" if seen.is_dir() else "absent"


def _written(farm: Farm, host: str) -> set[str]:  # noqa: F811
    """Every path under /etc the host ever wrote (its disk's upper layer), the collection's
    own directory left out."""
    upper = farm.disk(host)
    rels = {str(path.relative_to(upper)) for path in (upper / "etc").rglob("*")}
    return {rel for rel in rels if rel != OURS and not rel.startswith(OURS + "/")}


def etc_snapshot(farm: Farm, host: str) -> dict[str, str]:  # noqa: F811
    """What the host's /etc holds where the host ever wrote, read through its own /."""
    root = farm.root(host)
    return {rel: _view(root, rel) for rel in _written(farm, host)}


def assert_etc_unchanged(farm: Farm, host: str, before: dict[str, str]) -> None:  # noqa: F811
    """The host's /etc is as ``before``; a path written since (an overlay copy-up) still
    holds what it held then: the machine's own file, the lower layer."""
    root = farm.root(host)
    paths = set(before) | _written(farm, host)
    expected = {rel: before[rel] if rel in before else _view(Path("/"), rel) for rel in paths}
    assert {rel: _view(root, rel) for rel in paths} == expected


def journal(farm: Farm, host: str) -> str:  # noqa: F811
    """This boot's lines of the collection's switch (release.py logs as termserv.sessions)."""
    return farm.nsenter(host, ["journalctl", "-b", "--no-pager", "-o", "cat", "-t", "termserv.sessions"]).stdout


def boot_unit(root: Path) -> tuple[Path, Path]:
    return (root / "etc/systemd/system" / UNIT, root / "etc/systemd/system/multi-user.target.wants" / UNIT)


def hold_until(root: Path) -> tuple[int, float]:
    store = json.loads((root / STORE).read_bytes())
    (hold,) = store["holds"]
    assert hold["holder"] == HOLDER
    return int(store["generation"]), hold["until"]


def release(farm: Farm, host: str) -> None:  # noqa: F811
    if farm.init_pid(host) is not None:  # a failed reboot leaves nothing to release
        logon_mode(farm, host, state="enabled", force=True)


def test_a_drain_survives_a_real_reboot_and_still_expires_on_time(farm: Farm):  # noqa: F811
    host = farm_host(farm, "systemd")
    before = etc_snapshot(farm, host)
    try:
        drained = logon_mode(farm, host, state="drain", holder=HOLDER, expires_in=45)
        assert drained["switch"] == "systemd-run"
        root = farm.root(host)
        text = (root / "etc/nologin").read_bytes()
        generation, until = hold_until(root)

        rebooted = farm.reboot(host)
        assert rebooted["ended"] == "SIGHUP", rebooted  # reboot(2) in a PID namespace: a reboot
        root = farm.root(host)  # a new init: a new /proc/PID/root
        assert (root / "etc/nologin").read_bytes() == text
        # It was gone when the unit ran (systemd-user-sessions had deleted it), the unit put it back.
        assert "logon hold switch at boot: nologin file put back; expiry armed again" in journal(farm, host)
        shown = farm.nsenter(host, ["systemctl", "show", UNIT, "-p", "ExecMainStatus", "-p", "After",
                                    "-p", "Before", "-p", "TimeoutStartUSec"]).stdout
        assert "ExecMainStatus=0" in shown and "systemd-user-sessions.service" in shown, shown
        assert "ssh.service" in shown and "TimeoutStartUSec=30s" in shown, shown
        assert farm.try_login(host, "admin") == 255
        assert farm.try_login(host, "root") == 0
        report = probe(farm, host)
        assert report["previous_state"] == "drain"
        assert [(h["holder"], h["until"]) for h in report["other_holds"]] == [(HOLDER, until)], report
        timer = f"termserv-sessions-release-{generation}-boot.timer"
        timers = farm.nsenter(host, ["systemctl", "list-timers", "--all", "--no-legend", "--no-pager"]).stdout
        assert timer in timers, timers

        # The expiry armed at boot ends the hold at its time: not before, and soon after.
        time.sleep(max(0.0, until - 2 - time.time()))
        assert (root / "etc/nologin").exists(), "released before the hold's expiry"
        while (root / "etc/nologin").exists() and time.time() < until + 15:
            time.sleep(0.2)
        gone_at = time.time()
        assert not (root / "etc/nologin").exists(), "not released 15 s after the hold's expiry"
        assert until <= gone_at <= until + 5, (until, gone_at)
        assert f"logon hold switch (generation {generation}): released" in journal(farm, host)
        assert farm.try_login(host, "admin") == 0
        assert not (root / STORE).exists()
        assert not any(p.exists() or p.is_symlink() for p in boot_unit(root))
    finally:
        release(farm, host)
    assert_etc_unchanged(farm, host, before)


def test_a_drain_that_expired_while_the_host_was_down_is_released_at_boot(farm: Farm):  # noqa: F811
    host = farm_host(farm, "systemd")
    before = etc_snapshot(farm, host)
    try:
        logon_mode(farm, host, state="drain", holder=HOLDER, expires_in=20)
        root = farm.root(host)
        _generation, until = hold_until(root)
        unit, wants = boot_unit(root)
        assert unit.exists() and wants.is_symlink()  # (its absolute target is the host's)
        # Down past the expiry (the timer armed before the reboot went with the host).
        rebooted = farm.reboot(host, downtime=max(0.0, until + 2 - time.time()))
        assert rebooted["ended"] == "SIGHUP", rebooted
        root = farm.root(host)
        assert time.time() > until
        assert "logon hold switch at boot: expired while the host was down: released" in journal(farm, host)
        assert not (root / "etc/nologin").exists()
        assert not (root / STORE).exists()
        assert not any(p.exists() or p.is_symlink() for p in boot_unit(root))
        assert farm.try_login(host, "admin") == 0
        report = probe(farm, host)
        assert report["previous_state"] == "enabled" and report["other_holds"] == [], report
    finally:
        release(farm, host)
    assert_etc_unchanged(farm, host, before)


def test_without_the_boot_unit_a_real_reboot_loses_the_drain(farm: Farm):  # noqa: F811
    """What the unit is for: systemd 252 deletes /etc/nologin at boot, and the hold store
    then claims a drain that no longer holds. (The proof the two tests above need.)"""
    host = farm_host(farm, "systemd")
    try:
        logon_mode(farm, host, state="drain", holder=HOLDER, expires_in=600)
        root = farm.root(host)
        boot_unit(root)[1].unlink()  # disabled, as `systemctl disable` would
        farm.reboot(host)
        root = farm.root(host)
        assert not (root / "etc/nologin").exists(), "systemd no longer deletes /etc/nologin at boot"
        assert (root / STORE).exists()
        assert farm.try_login(host, "admin") == 0
    finally:
        release(farm, host)
