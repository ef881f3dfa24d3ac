# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugins as Ansible builds them, with _execute_module replaced (ansible.windows style)."""
from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.termserv.sessions.plugins.action import session_info, session_logoff


def make(module, args, windows=False, check_mode=False, diff=False):
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    connection = MagicMock()
    connection._shell._IS_WINDOWS = windows
    connection._shell.tmpdir = None
    plugin = module.ActionModule(task, connection, MagicMock(), loader=None, templar=None,
                                 shared_loader_obj=None)
    return plugin


SESSIONS = [{"id": "2", "user": "alice", "domain": "CORP", "state": "active", "logon_time": "2026-11-24T07:00:00Z"},
            {"id": "3", "user": "bob", "domain": "CORP", "state": "disconnected", "logon_time": "2026-11-24T06:00:00Z"}]


def reply(name, results):
    def execute(module_name, module_args, task_vars):
        if module_name.endswith("session_info"):
            return {"sessions": SESSIONS, "own_session_ids": [], "backend": "wts"}
        return {"results": [{"id": t["id"], "result": results.get(t["id"], "logged_off")}
                            for t in module_args["_targets"]]}
    return execute


@pytest.mark.parametrize("windows, prefix", [(True, "termserv.sessions.win_"), (False, "termserv.sessions.linux_")])
def test_picks_the_target_module_by_shell(monkeypatch, windows, prefix):
    plugin = make(session_logoff, {"users": ["bob"]}, windows=windows)
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    result = plugin.run(task_vars={})
    assert [c.kwargs["module_name"] for c in fake.call_args_list] == [prefix + "session_info",
                                                                      prefix + "session_logoff"]
    assert fake.call_args_list[1].kwargs["module_args"]["_targets"][0]["id"] == "3"
    assert result["changed"] is True and [s["id"] for s in result["logged_off"]] == ["3"]
    assert "diff" not in result


def test_check_mode_runs_one_enumeration_only(monkeypatch):
    plugin = make(session_logoff, {}, windows=True, check_mode=True, diff=True)
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    result = plugin.run(task_vars={})
    assert fake.call_count == 1
    assert {s["id"] for s in result["logged_off"]} == {"2", "3"} and result["diff"]["before"]


def test_partial_failure_fails_the_task_after_the_others(monkeypatch):
    plugin = make(session_logoff, {}, windows=True)
    monkeypatch.setattr(plugin, "_execute_module", MagicMock(side_effect=reply("x", {"2": "error"})))
    result = plugin.run(task_vars={})
    assert result["failed"] is True and [s["id"] for s in result["logged_off"]] == ["3"]
    assert result["errors"][0]["id"] == "2"


@pytest.mark.parametrize("module, args, option", [
    (session_logoff, {"min_idle": "5 parsecs"}, "min_idle"),
    (session_info, {"states": ["sleeping"]}, "states"),
    (session_info, {"users": {"a": 1}}, "users"),
])
def test_bad_options_fail_before_the_host_is_touched(monkeypatch, module, args, option):
    plugin = make(module, args)
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail, match=option):
        plugin.run(task_vars={})
    fake.assert_not_called()


def test_internal_options_are_refused(monkeypatch):
    plugin = make(session_logoff, {"_targets": [{"id": "2"}]})
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail, match="_targets"):
        plugin.run(task_vars={})
    fake.assert_not_called()


def test_a_dead_controller_stops_the_action_before_the_logoff(monkeypatch):
    """Issue 17: the parent dies while the notice is sent: no grace wait, no logoff, failed."""
    plugin = make(session_logoff, {"users": ["alice"], "notify_msg": "bye", "grace": 60})
    calls = []

    def execute(module_name, module_args, task_vars):
        calls.append(module_name)
        if module_name.endswith("session_message"):
            plugin._watch.parent = -1  # the ansible-playbook main process just died
        return reply("x", {})(module_name, module_args, task_vars) if not module_name.endswith(
            "session_message") else {"results": [{"id": "2", "result": "delivered"}]}

    monkeypatch.setattr(plugin, "_execute_module", execute)
    result = plugin.run(task_vars={})
    assert calls == ["termserv.sessions.linux_session_info", "termserv.sessions.linux_session_message"]
    assert result["failed"] is True and "controller" in result["msg"]
    assert "nothing more was done" in result["msg"]


@pytest.mark.parametrize("module", [session_info, session_logoff])
def test_linux_enumeration_carries_the_controllers_identity(monkeypatch, module):
    """Issue 11 item 9: the target protects the controller's session when it runs on the host."""
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller
    plugin = make(module, {}, check_mode=True)
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={})
    sent = fake.call_args_list[0].kwargs["module_args"]["_controller"]
    assert sent == _controller.identity()
    assert set(sent) == {"machine_id", "audit_session", "tty", "logind_session", "user_manager_uid"}


def test_the_linux_logoff_target_gets_the_controllers_identity_too(monkeypatch):
    """Issue 11 item 9, the second lock: the logoff target refuses the controller's session."""
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller
    plugin = make(session_logoff, {"users": ["bob"]})
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={})
    [logoff] = [c for c in fake.call_args_list if c.kwargs["module_name"].endswith("linux_session_logoff")]
    assert logoff.kwargs["module_args"]["_controller"] == _controller.identity()


def test_windows_enumeration_gets_no_controller_identity(monkeypatch):
    # A Windows host is never the controller; its targets do not take the option.
    plugin = make(session_logoff, {"users": ["bob"]}, windows=True)
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={})
    assert all("_controller" not in c.kwargs["module_args"] for c in fake.call_args_list)


def test_audit_names_the_awx_job_and_check_mode_records_nothing(monkeypatch):
    plugin = make(session_logoff, {"users": ["bob"]})
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={"awx_job_id": 42})
    audit = fake.call_args_list[-1].kwargs["module_args"]["_audit"]
    assert audit["requester"] == "AWX job 42" and audit["run_id"]

    plugin = make(session_logoff, {"users": ["bob"], "audit": False})
    fake = MagicMock(side_effect=reply("x", {}))
    monkeypatch.setattr(plugin, "_execute_module", fake)
    plugin.run(task_vars={"awx_job_id": 42})
    assert "_audit" not in fake.call_args_list[-1].kwargs["module_args"]


def audit_fails(warning):
    """An _execute_module whose logoff target could not write its audit record."""
    def execute(module_name, module_args, task_vars):
        result = reply("x", {})(module_name, module_args, task_vars)
        if module_name.endswith("session_logoff"):
            result["audit_warning"] = warning
        return result
    return execute


def test_audit_warning_is_a_task_warning(monkeypatch):
    plugin = make(session_logoff, {"users": ["bob"]})
    monkeypatch.setattr(plugin, "_execute_module", audit_fails("could not write to syslog"))
    result = plugin.run(task_vars={})
    assert result["changed"] is True
    assert any("could not write to syslog" in w for w in result["warnings"])


@pytest.mark.parametrize("windows, hint", [(False, "journalctl -t termserv.sessions"),
                                           (True, "Application event log")])
def test_audit_warning_names_the_host_and_how_to_keep_a_trail_there(monkeypatch, windows, hint):
    """Issue 23 item 9: on a mixed farm the warning was printed under another host's line."""
    plugin = make(session_logoff, {"users": ["bob"]}, windows=windows)
    monkeypatch.setattr(plugin, "_execute_module", audit_fails("no journald and no syslog on this host"))
    [warning] = plugin.run(task_vars={"inventory_hostname": "rds07"})["warnings"]
    assert warning.startswith("rds07: audit record: no journald and no syslog on this host. ")
    assert hint in warning


def test_a_module_warning_is_shown_by_its_text_with_the_host(monkeypatch):
    """ansible-core 2.19 hands a module's warnings to the action as WarningSummary objects,
    whose str() is their repr: the host's warning must show its text, naming the host."""
    from ansible.module_utils._internal import _messages
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _action
    summary = _messages.WarningSummary(event=_messages.Event(msg="no /run/utmp on this host"))

    def execute(module_name, module_args, task_vars):
        return {"sessions": [], "own_session_ids": [], "backend": "utmp", "warnings": [summary]}

    shown = []
    monkeypatch.setattr(_action.display, "warning", shown.append)
    plugin = make(session_info, {}, check_mode=True)
    monkeypatch.setattr(plugin, "_execute_module", execute)
    plugin.run(task_vars={"inventory_hostname": "web3"})
    assert shown == ["web3: termserv.sessions.linux_session_info: no /run/utmp on this host"]
