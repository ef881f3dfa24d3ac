# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11.7: the logind backend on a hostile logind (fake loginctl modelling real faults).

- ``loginctl show-session A B C`` stops at the first id that vanished: a vanished session
  must hide no other.
- A loginctl that hangs or fails is an error for that session, never "logged off".
- Graphical sessions take their idle time from IdleHint/IdleSinceHint, not a tty's atime.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_logoff, _logind

NOW = datetime.datetime(2026, 11, 24, 9, 0, 0, tzinfo=datetime.timezone.utc).timestamp()


def _mark(data: Path, kind: str, sid: str) -> None:
    (data / kind).mkdir(exist_ok=True)
    (data / kind / sid).touch()


def _target(session):
    return {k: session[k] for k in ("id", "user", "domain", "logon_time", "pid", "station")}


def test_the_fake_stops_at_the_first_vanished_id_as_loginctl_does(fake_loginctl):
    data = fake_loginctl("systemd-252")
    _mark(data, "vanished", "5")
    proc = _logind.loginctl("show-session", "5", "18", "-p", "Id", check=False)
    assert proc.returncode == 1 and "No session '5' known" in proc.stderr
    assert proc.stdout.strip() == ""  # 18 was never printed: that is what hides sessions


@pytest.mark.parametrize("vanished", ["5", "18"])
def test_a_vanished_session_hides_no_other(fake_loginctl, vanished):
    data = fake_loginctl("systemd-252")
    _mark(data, "vanished", vanished)  # list-sessions saw it; it ended before show-session asked
    assert vanished in _logind.session_ids()
    sessions = {s["id"] for s in _logind.sessions(NOW)}
    assert sessions == {"5", "18", "19"} - {vanished}


def test_list_sessions_that_vanished_are_read_again_and_not_dropped(fake_loginctl, monkeypatch):
    """Every id list-sessions gave is asked about, whatever order loginctl gets them in."""
    data = fake_loginctl("systemd-247")
    monkeypatch.setattr(_logind, "session_ids", lambda: ["gone1", "3", "gone2", "12"])
    assert {s["id"] for s in _logind.sessions(NOW)} == {"3", "12"}
    assert "gone1" in (data / "calls.log").read_text()


def test_a_loginctl_that_fails_for_a_session_is_an_error_not_a_gap(fake_loginctl):
    data = fake_loginctl("systemd-247")
    _mark(data, "fail", "12")
    with pytest.raises(_logind.LoginctlError, match="12"):
        _logind.sessions(NOW)


def test_logoff_wait_that_cannot_ask_logind_is_an_error_never_logged_off(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-247")
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["12"])
    _mark(data, "stuck", "12")  # terminate-session does not end it ...
    real_terminate = _logind.terminate

    def terminate_then_break(sid):
        out = real_terminate(sid)
        _mark(data, "fail", sid)  # ... and then logind stops answering about it
        return out
    monkeypatch.setattr(_logind, "terminate", terminate_then_break)
    [result] = _linux_logoff.logoff([target], timeout=5, term_after=1, kill_after=10, backend="logind")
    assert result["result"] == "error", result
    assert "Connection timed out" in result["error"]


def test_logoff_wait_when_loginctl_hangs_is_an_error_never_logged_off(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-247")
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["12"])
    _mark(data, "stuck", "12")
    monkeypatch.setattr(_logind, "TIMEOUT", 1.0)
    real_terminate = _logind.terminate

    def terminate_then_hang(sid):
        out = real_terminate(sid)
        _mark(data, "hang", sid)
        return out
    monkeypatch.setattr(_logind, "terminate", terminate_then_hang)
    [result] = _linux_logoff.logoff([target], timeout=5, term_after=1, kill_after=10, backend="logind")
    assert result["result"] == "error", result
    assert "timed out" in result["error"]


def test_terminate_of_a_session_that_just_ended_is_gone(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-247")
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["12"])
    real_terminate = _logind.terminate

    def vanish_first(sid):
        _mark(data, "vanished", sid)
        return real_terminate(sid)
    monkeypatch.setattr(_logind, "terminate", vanish_first)
    [result] = _linux_logoff.logoff([target], timeout=5, term_after=1, kill_after=10, backend="logind")
    assert result["result"] == "gone", result


def test_a_graphical_session_on_a_vt_takes_idle_from_logind_not_the_tty(fake_loginctl, tmp_path, monkeypatch):
    data = fake_loginctl("systemd-252")
    page = data / "show-session" / "19.txt"
    # An X11 session on a VT has a TTY too; its atime says nothing about X input.
    page.write_text(page.read_text().replace("VTNr=0", "VTNr=7\nTTY=tty7"))
    from ansible_collections.termserv.sessions.plugins.module_utils import _utmp
    monkeypatch.setattr(_utmp, "idle_seconds", lambda tty, now: 0)  # the tty looks busy
    monkeypatch.setattr(_logind, "idle_seconds", lambda tty, now: 0)
    erin = {s["id"]: s for s in _logind.sessions(NOW)}["19"]
    assert erin["idle_seconds"] == int(NOW - 1795500000)


def test_a_graphical_session_that_is_not_idle_is_zero_even_with_a_tty(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-252")
    page = data / "show-session" / "19.txt"
    page.write_text(page.read_text().replace("VTNr=0", "VTNr=7\nTTY=tty7").replace("IdleHint=yes", "IdleHint=no"))
    monkeypatch.setattr(_logind, "idle_seconds", lambda tty, now: 99999)
    erin = {s["id"]: s for s in _logind.sessions(NOW)}["19"]
    assert erin["idle_seconds"] == 0


def test_a_text_session_still_takes_idle_from_its_tty(fake_loginctl, monkeypatch):
    fake_loginctl("systemd-252")
    monkeypatch.setattr(_logind, "idle_seconds", lambda tty, now: 4242 if tty == "pts/1" else None)
    dave = {s["id"]: s for s in _logind.sessions(NOW)}["18"]
    assert dave["idle_seconds"] == 4242


def test_loginctl_time_out_is_a_loginctl_error(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-247")
    _mark(data, "hang", "3")
    monkeypatch.setattr(_logind, "TIMEOUT", 1.0)
    with pytest.raises(_logind.LoginctlError, match="timed out"):
        _logind.loginctl("show-session", "3", "-p", "Id")
    assert os.environ.get("FAKE_LOGINCTL_DIR") == str(data)


class _GoneAfter:
    """A lifeline that reports the controller gone from the ``n``-th question on."""

    def __init__(self, n: int) -> None:
        self.asked, self.n = 0, n

    def gone(self) -> bool:
        self.asked += 1
        return self.asked >= self.n


def test_a_gone_controller_stops_the_logind_wait_without_escalating(fake_loginctl):
    data = fake_loginctl("systemd-247")
    sessions = {s["id"]: s for s in _logind.sessions(NOW)}
    _mark(data, "stuck", "12")  # would need a KILL to end
    results = {r["id"]: r for r in _linux_logoff.logoff_logind(
        [_target(sessions["12"]), _target(sessions["3"])], set(), timeout=5, kill_after=0.0,
        lifeline=_GoneAfter(2))}
    calls = (data / "calls.log").read_text()
    assert "terminate-session 12" in calls          # asked once before it: not gone yet
    assert "terminate-session 3" not in calls       # gone before the second: never signalled
    assert "kill-session" not in calls              # and no escalation afterwards
    assert results["12"]["result"] == results["3"]["result"] == "abandoned"
    assert results["12"]["error_code"] == 0


@pytest.mark.parametrize("closing", ["5", "18"])
def test_a_session_closing_while_read_hides_no_other_and_is_not_an_error(fake_loginctl, closing):
    """Seen on systemd 252: "Failed to parse bus message: Invalid request descriptor"."""
    data = fake_loginctl("systemd-252")
    _mark(data, "closing", closing)
    assert {s["id"] for s in _logind.sessions(NOW)} == {"5", "18", "19"} - {closing}


def test_the_logoff_wait_reads_a_closing_session_as_logged_off(fake_loginctl, monkeypatch):
    data = fake_loginctl("systemd-247")
    target = _target({s["id"]: s for s in _logind.sessions(NOW)}["12"])
    _mark(data, "stuck", "12")
    real_terminate = _logind.terminate

    def terminate_then_close(sid):
        out = real_terminate(sid)
        _mark(data, "closing", sid)
        return out
    monkeypatch.setattr(_logind, "terminate", terminate_then_close)
    [result] = _linux_logoff.logoff([target], timeout=5, term_after=1, kill_after=10, backend="logind")
    assert result["result"] == "logged_off", result


def test_a_graphical_session_whose_idle_hint_nobody_set_is_unknown_not_zero(fake_loginctl, monkeypatch):
    """Issue 22 item 6: recorded on the farm's xrdp host (systemd 252, XFCE-less xrdp desktop):
    IdleHint=no with IdleSinceHint=0, the values of a hint no desktop ever set. Read as
    "idle 0", min_idle could never select such a session; it is unknown (null)."""
    fake_loginctl("systemd-252-xrdp")
    monkeypatch.setattr(_logind, "idle_seconds", lambda tty, now: 99999)
    found = {s["id"]: s for s in _logind.sessions(NOW)}
    assert found["c1"]["idle_seconds"] is None
    assert found["c2"]["idle_seconds"] is None
