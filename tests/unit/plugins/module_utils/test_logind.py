# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logind backend against recorded ``loginctl`` outputs of three systemd versions."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_logoff, _logind

NOW = datetime.datetime(2026, 11, 24, 9, 0, 0, tzinfo=datetime.timezone.utc).timestamp()

# What each recording must yield: id -> (user, state, station, client, console, pid, logon)
EXPECTED = {
    "systemd-247": {
        "3": ("alice", "active", "tty1", "", True, 812, "2026-11-23T08:01:02Z"),
        "12": ("bob", "active", "pts/0", "10.1.2.3", False, 20211, "2026-11-24T07:58:03Z"),
    },
    "systemd-252": {
        "5": ("carol", "active", "tty2", "", True, 901, "2026-11-23T08:01:02Z"),
        "18": ("dave", "active", "pts/1", "laptop7.example.net", False, 30333, "2026-11-24T07:58:03Z"),
        "19": ("erin", "online", "x11", "192.0.2.44", False, 40404, "2026-11-24T06:00:00Z"),
    },
    "systemd-256": {
        "2": ("frank", "active", "tty1", "", True, 1201, "2026-11-23T08:01:02Z"),
        "7": ("TsuUp", "active", "pts/2", "10.1.2.3", False, 2210, "2026-11-24T07:58:03Z"),
    },
}


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_sessions_match_the_recording(fake_loginctl, version):
    fake_loginctl(version)
    sessions = {s["id"]: s for s in _logind.sessions(NOW)}
    # Greeters (c1) and systemd's own manager sessions (4) are not user logons.
    assert set(sessions) == set(EXPECTED[version])
    for sid, (user, state, station, client, console, pid, logon) in EXPECTED[version].items():
        got = sessions[sid]
        assert (got["user"], got["state"], got["station"], got["client"], got["console"],
                got["pid"], got["logon_time"]) == (user, state, station, client, console, pid, logon)
        assert got["domain"] == "" and got["disconnected_seconds"] is None


def test_idle_of_a_graphical_session_comes_from_idle_since_hint(fake_loginctl):
    fake_loginctl("systemd-252")
    erin = {s["id"]: s for s in _logind.sessions(NOW)}["19"]
    # IdleSinceHint is in microseconds since the epoch.
    assert erin["idle_seconds"] == int(NOW - 1795500000)


def test_show_session_survives_a_session_that_vanished(fake_loginctl):
    data = fake_loginctl("systemd-247")
    (data / "show-session" / "12.txt").unlink()  # ended between list and show
    assert [s["id"] for s in _logind.sessions(NOW)] == ["3"]


@pytest.mark.parametrize("value, expected", [
    ("Tue 2026-11-24 07:58:03 UTC", "2026-11-24T07:58:03Z"),
    ("", None),
    ("n/a", None),
])
def test_parse_timestamp(value, expected):
    from ansible_collections.termserv.sessions.plugins.module_utils._utmp import iso
    assert iso(_logind.parse_timestamp(value)) == expected


def _target(session):
    return {k: session[k] for k in ("id", "user", "domain", "logon_time", "pid", "station")}


def test_logoff_terminates_only_verified_sessions(fake_loginctl):
    data = fake_loginctl("systemd-247")
    sessions = {s["id"]: s for s in _logind.sessions(NOW)}
    reused = dict(_target(sessions["3"]), logon_time="2026-11-20T00:00:00Z")
    results = {r["id"]: r for r in _linux_logoff.logoff(
        [_target(sessions["12"]), reused], timeout=5, term_after=1, kill_after=2, backend="logind")}
    assert results["12"]["result"] == "logged_off" and results["12"]["forced"] is False
    assert results["3"]["result"] == "identity_changed"
    calls = (data / "calls.log").read_text()
    assert "terminate-session 12" in calls
    assert "terminate-session 3" not in calls  # a reused id is never touched


def test_logoff_escalates_a_stuck_session_with_kill(fake_loginctl):
    data = fake_loginctl("systemd-252")
    (data / "stuck").mkdir()
    (data / "stuck" / "18").touch()
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["18"])
    [result] = _linux_logoff.logoff([target], timeout=5, term_after=0.1, kill_after=0.3,
                                    backend="logind")
    assert result["result"] == "logged_off" and result["forced"] is True
    assert "kill-session --signal=SIGKILL 18" in (data / "calls.log").read_text()


def test_logoff_reports_access_denied_and_goes_on(fake_loginctl):
    data = fake_loginctl("systemd-256")
    (data / "denied").mkdir()
    (data / "denied" / "2").touch()
    sessions = {s["id"]: s for s in _logind.sessions(NOW)}
    results = {r["id"]: r for r in _linux_logoff.logoff(
        [_target(sessions["2"]), _target(sessions["7"])], timeout=5, term_after=1, kill_after=2,
        backend="logind")}
    assert results["2"]["result"] == "error" and "denied" in results["2"]["error"].lower()
    assert results["7"]["result"] == "logged_off"


def test_a_session_that_never_ends_times_out(fake_loginctl):
    data = fake_loginctl("systemd-247")
    (data / "stuck").mkdir()
    (data / "stuck" / "12").touch()
    # kill-session also "fails" to end it: make the stuck marker survive KILL by
    # pointing kill_after past the timeout.
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["12"])
    [result] = _linux_logoff.logoff([target], timeout=0.5, term_after=0.1, kill_after=10,
                                    backend="logind")
    assert result["result"] == "timeout"
