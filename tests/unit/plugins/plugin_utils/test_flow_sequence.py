# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff sequence with a recording host: executions, grace, races, partial failure."""
from __future__ import annotations

import pytest

from ansible_collections.termserv.sessions.plugins.plugin_utils import _flow
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import logoff_options


def linux(tty, user, logon="2026-11-24T08:00:00Z", pid=100, **kw):
    base = {"id": tty, "user": user, "domain": "", "state": "active", "station": tty, "client": "127.0.0.1",
            "logon_time": logon, "idle_seconds": 5, "disconnected_seconds": None, "console": False, "pid": pid}
    base.update(kw)
    return base


class Host:
    """Replays enumerations in order and answers messages/logoffs per session id."""

    def __init__(self, *tables, own=(), outcome=None, admin=True):
        self.tables = list(tables)
        self.own = list(own)
        self.outcome = outcome or {}
        self.admin = admin
        self.calls = []
        self.slept = []

    def __call__(self, name, args):
        self.calls.append((name, args))
        if name == "session_info":
            table = self.tables.pop(0) if len(self.tables) > 1 else self.tables[0]
            return {"sessions": table, "own_session_ids": self.own, "backend": "utmp", "is_admin": self.admin}
        done = "delivered" if name == "session_message" else "logged_off"
        return {"results": [{"id": t["id"], "result": self.outcome.get(t["id"], done), "error_code": 0}
                            for t in args["_targets"]]}

    def sleep(self, seconds):
        self.slept.append(seconds)

    @property
    def names(self):
        return [c[0] for c in self.calls]


TABLE = [linux("pts/0", "admin"), linux("pts/1", "admin2", pid=101), linux("pts/2", "TsuUp", pid=102)]


def run(host, check=False, windows=False, **args):
    return _flow.logoff(logoff_options(args), host, host.sleep, windows, check)


@pytest.mark.parametrize("args, check, expected", [
    ({}, True, ["session_info"]),
    ({}, False, ["session_info", "session_logoff"]),
    ({"notify_msg": "bye", "grace": 5}, False,
     ["session_info", "session_message", "session_info", "session_logoff"]),
    ({"notify_msg": "bye", "grace": 5}, True, ["session_info"]),
    ({"users": ["nobody"]}, False, ["session_info"]),
])
def test_module_executions_per_host(args, check, expected):
    host = Host(TABLE)
    run(host, check=check, **args)
    assert host.names == expected


def test_check_mode_reports_and_changes_nothing():
    host = Host(TABLE)
    result = run(host, check=True, exclude_users=["admin"])
    assert {s["id"] for s in result["logged_off"]} == {"pts/1", "pts/2"}
    assert result["changed"] is True and "Would have" in result["msg"]
    assert "pts/1" not in result["diff"]["after"] and "pts/0" in result["diff"]["after"]


def test_grace_race_ended_reused_and_newcomer():
    after = [linux("pts/0", "admin"),  # pts/1 ended; pts/2 reused by a new logon; pts/3 new
             linux("pts/2", "TsuUp", logon="2026-11-24T09:00:00Z", pid=300), linux("pts/3", "admin2", pid=103)]
    host = Host(TABLE, after)
    result = run(host, exclude_users=["admin"], notify_msg="bye", grace=30)
    assert host.slept == [30]
    reasons = {s["id"]: s["reason"] for s in result["skipped_sessions"]}
    assert reasons["pts/1"] == "ended_during_grace"
    assert reasons["pts/2"] in ("ended_during_grace", "not_notified")
    assert reasons["pts/3"] == "not_notified"
    assert result["logged_off"] == [] and result["errors"] == []
    assert "session_logoff" not in host.names


def test_partial_failure_goes_on_and_fails_the_task():
    host = Host(TABLE, outcome={"pts/1": "error", "pts/2": "logged_off"})
    result = run(host, exclude_users=["admin"])
    assert [s["id"] for s in result["logged_off"]] == ["pts/2"]
    assert [e["id"] for e in result["errors"]] == ["pts/1"]
    assert result["failed"] is True and result["changed"] is True


@pytest.mark.parametrize("outcome, reason", [("gone", "ended_before_logoff"),
                                             ("identity_changed", "identity_changed")])
def test_target_races_are_skips_not_errors(outcome, reason):
    host = Host(TABLE, outcome={"pts/1": outcome})
    result = run(host, users=["admin2"])
    assert result["errors"] == [] and result["changed"] is False
    assert {s["id"]: s["reason"] for s in result["skipped_sessions"]}["pts/1"] == reason


def test_wait_false_reports_unverified_logoff():
    host = Host(TABLE, outcome={"pts/1": "timeout"})
    result = run(host, users=["admin2"], wait=False)
    assert result["logged_off"][0]["verified"] is False
    assert host.calls[-1][1]["_timeout"] == 0.0


def test_non_admin_fails_before_anything_is_sent():
    host = Host(TABLE, admin=False)
    with pytest.raises(_flow.NotAdminError, match="become"):
        run(host, notify_msg="bye")
    assert host.names == ["session_info"]


def test_windows_table_same_policy_no_linux_escalation():
    table = [
        {"id": "0", "user": "", "domain": "", "state": "disconnected", "console": False},
        {"id": "65536", "user": "", "domain": "", "state": "listen", "console": False},
        {"id": "1", "user": "Administrator", "domain": "CORP", "state": "active", "console": True},
        {"id": "2", "user": "Alice", "domain": "CORP", "state": "active", "console": False,
         "logon_time": "2026-11-24T07:00:00Z"},
        {"id": "3", "user": "bob", "domain": "CORP", "state": "disconnected", "console": False,
         "logon_time": "2026-11-24T06:00:00Z"},
        {"id": "4", "user": "carol", "domain": "CORP", "state": "down", "console": False},
    ]
    host = Host(table)
    result = run(host, windows=True, exclude_users=["corp\\ALICE"])
    assert {s["id"] for s in result["logged_off"]} == {"3"}
    reasons = {s["id"]: s["reason"] for s in result["skipped_sessions"]}
    assert reasons == {"0": "no_user", "65536": "no_user", "1": "console", "2": "user_excluded", "4": "state"}
    logoff_args = host.calls[-1][1]
    assert "_term_after" not in logoff_args and "_kill_after" not in logoff_args
    with_console = run(Host(table), windows=True, include_console=True, users=["administrator"])
    assert {s["id"] for s in with_console["logged_off"]} == {"1"}


def test_message_errors_fail_the_task_after_all_sessions_were_tried():
    from ansible_collections.termserv.sessions.plugins.plugin_utils._args import message_options
    host = Host(TABLE, outcome={"pts/1": "error"})
    result = _flow.message(message_options({"msg": "hello"}), host, windows=False, check_mode=False)
    assert [s["id"] for s in result["delivered"]] == ["pts/0", "pts/2"]
    assert [e["id"] for e in result["errors"]] == ["pts/1"] and result["failed"] is True
    assert host.names == ["session_info", "session_message"]
