# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""session_disconnect's action plugin as Ansible builds it, _execute_module replaced."""
from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.termserv.sessions.plugins.action import session_disconnect

from test_session_logoff_action import make as make_action  # pylint: disable=import-error


def make(args: dict, windows: bool = False, check_mode: bool = False, diff: bool = False) -> t.Any:
    return make_action(session_disconnect, args, windows=windows, check_mode=check_mode, diff=diff)


WINDOWS = [{"id": "2", "user": "alice", "domain": "CORP", "state": "active", "logon_time": "2026-11-24T07:00:00Z"},
           {"id": "3", "user": "bob", "domain": "CORP", "state": "disconnected", "logon_time": "2026-11-24T06:00:00Z"}]
LINUX = [{"id": "5", "user": "admin2", "domain": "", "state": "active", "station": "pts/1", "pid": 4242,
          "logon_time": "2026-11-24T07:00:00Z"}]


def reply(sessions: list[dict], results: dict | None = None) -> t.Callable:
    def execute(module_name: str, module_args: dict, task_vars: dict) -> dict:
        if module_name.endswith("session_info"):
            return {"sessions": sessions, "own_session_ids": [], "is_admin": True}
        return {"results": [{"id": tg["id"], "result": (results or {}).get(tg["id"], "disconnected"),
                             "already": False, "elapsed": 0.2}
                            for tg in module_args["_targets"]]}
    return execute


def test_windows_runs_the_windows_targets_and_disconnects_active_only(monkeypatch):
    plugin = make({}, windows=True)
    fake = MagicMock(side_effect=reply(WINDOWS))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    result = plugin.run(task_vars={})
    assert [c.kwargs["module_name"] for c in fake.call_args_list] == [
        "termserv.sessions.win_session_info", "termserv.sessions.win_session_disconnect"]
    sent = fake.call_args_list[1].kwargs["module_args"]
    assert [tg["id"] for tg in sent["_targets"]] == ["2"]
    assert set(sent) <= {"_targets", "_timeout", "_audit"} and sent["_timeout"] == 60.0
    assert result["changed"] is True and [s["id"] for s in result["disconnected"]] == ["2"]
    assert [s["reason"] for s in result["skipped_sessions"]] == ["state"]
    assert "diff" not in result


def test_linux_never_runs_a_disconnect_and_reports_cannot_disconnect(monkeypatch):
    plugin = make({})
    fake = MagicMock(side_effect=reply(LINUX))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    result = plugin.run(task_vars={})
    assert [c.kwargs["module_name"] for c in fake.call_args_list] == ["termserv.sessions.linux_session_info"]
    assert result["changed"] is False and result["disconnected"] == []
    assert [s["reason"] for s in result["skipped_sessions"]] == ["cannot_disconnect"]


def test_check_mode_with_diff_enumerates_only(monkeypatch):
    plugin = make({}, windows=True, check_mode=True, diff=True)
    fake = MagicMock(side_effect=reply(WINDOWS))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    result = plugin.run(task_vars={"awx_job_id": 7})
    assert fake.call_count == 1
    assert [s["id"] for s in result["disconnected"]] == ["2"] and result["changed"] is True
    assert "disconnected" in result["diff"]["after"].splitlines()[1]


def test_audit_is_passed_and_off_when_asked(monkeypatch):
    plugin = make({"users": ["alice"]}, windows=True)
    fake = MagicMock(side_effect=reply(WINDOWS))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={"awx_job_id": 7})
    assert fake.call_args_list[1].kwargs["module_args"]["_audit"]["requester"] == "AWX job 7"
    plugin = make({"users": ["alice"], "audit": False}, windows=True)
    fake = MagicMock(side_effect=reply(WINDOWS))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={})
    assert "_audit" not in fake.call_args_list[1].kwargs["module_args"]


def test_partial_failure_fails_after_the_others(monkeypatch):
    sessions = WINDOWS + [{"id": "4", "user": "carol", "domain": "CORP", "state": "active",
                           "logon_time": "2026-11-24T05:00:00Z"}]
    plugin = make({}, windows=True)
    monkeypatch.setattr(plugin, "_execute_module", MagicMock(side_effect=reply(sessions, {"2": "error"})))
    result = plugin.run(task_vars={})
    assert result["failed"] is True and [e["id"] for e in result["errors"]] == ["2"]
    assert [s["id"] for s in result["disconnected"]] == ["4"]


@pytest.mark.parametrize("windows", [True, False])
@pytest.mark.parametrize("args, option", [
    ({"min_idle": "5 parsecs"}, "min_idle"), ({"timeout": 0}, "timeout"), ({"grace": 5}, "grace"),
    ({"_timeout": 1.0}, "_timeout"), ({"states": ["sleeping"]}, "states"),
])
def test_bad_options_fail_before_the_host_is_touched(monkeypatch, windows, args, option):
    plugin = make(args, windows=windows)
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail, match=option):
        plugin.run(task_vars={})
    fake.assert_not_called()
