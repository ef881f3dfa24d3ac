# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 13 item 5: one option gate on the controller, and targets get internal options only.

The gate is plugin_utils/_args.validate (ansible-core's ArgumentSpecValidator on the user
spec of _spec.py): it names the bad option, lists the supported ones and says what an
internal option is. ActionBase's ``_VALID_ARGS`` check used to refuse first with a bare
"Invalid options for ...", so that clearer message was never reached.
"""
from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.termserv.sessions.plugins.action import (
    logon_mode,
    session_disconnect,
    session_info,
    session_logoff,
    session_message,
)
from ansible_collections.termserv.sessions.plugins.module_utils import _spec

PLUGINS = {"session_info": session_info, "session_logoff": session_logoff, "session_message": session_message,
           "session_disconnect": session_disconnect, "logon_mode": logon_mode}
# The smallest valid task of each module.
VALID: dict[str, dict[str, t.Any]] = {"session_info": {}, "session_logoff": {}, "session_message": {"msg": "hi"},
                                      "session_disconnect": {}, "logon_mode": {"state": "drain"}}


def make(module: t.Any, args: dict[str, t.Any], windows: bool = False, check_mode: bool = False) -> t.Any:
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    task.action = f"termserv.sessions.{module.__name__.rsplit('.', 1)[1]}"
    connection = MagicMock()
    connection._shell._IS_WINDOWS = windows
    connection._shell.tmpdir = None
    return module.ActionModule(task, connection, MagicMock(), loader=None, templar=None, shared_loader_obj=None)


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_an_unknown_option_fails_listing_the_supported_ones(monkeypatch, name):
    plugin = make(PLUGINS[name], dict(VALID[name], usres=["bob"]))
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    message = str(err.value)
    assert message.startswith(f"Unsupported parameters for ({name}) module: usres. Supported parameters include: ")
    assert all(option in message for option in _spec.USER_SPECS[name])
    fake.assert_not_called()


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_an_internal_option_in_a_task_is_explained(monkeypatch, name):
    internal = sorted(_spec.INTERNAL_SPECS[name])
    internal = [o for o in internal if o.startswith("_")][:2]
    plugin = make(PLUGINS[name], dict(VALID[name], **{o: None for o in internal}))
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail) as err:
        plugin.run(task_vars={})
    assert str(err.value) == (f"{', '.join(internal)}: internal option(s) of {name}, set only by the "
                              "collection's action plugin; remove them from the task")
    fake.assert_not_called()


SESSIONS = [{"id": "2", "user": "alice", "domain": "CORP", "state": "active", "station": "RDP-Tcp#1",
             "logon_time": "2026-11-24T07:00:00Z", "idle_seconds": 10, "disconnected_seconds": None,
             "console": False, "pid": None}]


def host(calls: list[tuple[str, dict[str, t.Any]]]) -> t.Callable[..., dict[str, t.Any]]:
    def execute(module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        calls.append((module_name, dict(module_args)))
        if module_name.endswith("session_info"):
            return {"sessions": SESSIONS, "own_session_ids": [], "backend": "x", "is_admin": True}
        if module_name.endswith("logon_mode"):
            return {"state": "enabled", "foreign": False, "store": None, "generation": 0, "now": 1_790_000_000,
                    "before": {"WinStationsDisabled": 0, "TSServerDrainMode": 0}, "holds": None,
                    "after": {"WinStationsDisabled": 0, "TSServerDrainMode": 1}, "changed": True}
        result = {"logged_off": "logged_off", "delivered": "delivered", "disconnected": "disconnected"}
        kind = next(v for k, v in (("session_logoff", "logged_off"), ("session_message", "delivered"),
                                   ("session_disconnect", "disconnected")) if module_name.endswith(k))
        return {"results": [{"id": s["id"], "result": result[kind], "error": None, "error_code": 0}
                            for s in module_args["_targets"]]}
    return execute


# Every option a user can give, so that every internal option is sent at least once.
FULL: dict[str, dict[str, t.Any]] = {
    "session_info": {"exclude_processes": ["rsync"], "include_processes": True},
    "session_logoff": {"notify_msg": "bye", "grace": 1, "timeout": 30, "exclude_processes": ["rsync"]},
    "session_message": {"msg": "hi", "title": "T", "exclude_processes": ["rsync"]},
    "session_disconnect": {"timeout": 30},
    "logon_mode": {"state": "drain", "msg": "later", "holder": "me", "expires_in": "1h"},
}


@pytest.mark.parametrize("windows", [False, True], ids=["linux", "windows"])
@pytest.mark.parametrize("name", sorted(FULL))
def test_targets_get_only_the_options_their_spec_takes(monkeypatch, name, windows):
    plugin = make(PLUGINS[name], FULL[name], windows=windows)
    calls: list[tuple[str, dict[str, t.Any]]] = []
    monkeypatch.setattr(plugin, "_execute_module", MagicMock(side_effect=host(calls)))
    monkeypatch.setattr(plugin, "sleep", lambda seconds: None)
    plugin.run(task_vars={})
    assert calls
    prefix = "termserv.sessions.win_" if windows else "termserv.sessions.linux_"
    for module_name, args in calls:
        assert module_name.startswith(prefix), module_name
        target = module_name[len(prefix):]
        spec = _spec.target_spec(target, windows=windows)
        assert set(args) <= set(spec), (module_name, sorted(set(args) - set(spec)))


SELECTING = ("session_info", "session_logoff", "session_message", "session_disconnect")


@pytest.mark.parametrize("name", SELECTING)
def test_include_non_interactive_is_an_option_of_every_selecting_module(monkeypatch, name):
    """Issue 22 item 1: a bad value is refused naming the option, before the host is asked."""
    plugin = make(PLUGINS[name], dict(VALID[name], include_non_interactive="perhaps"))
    fake = MagicMock()
    monkeypatch.setattr(plugin, "_execute_module", fake)
    with pytest.raises(AnsibleActionFail, match="include_non_interactive"):
        plugin.run(task_vars={})
    fake.assert_not_called()


@pytest.mark.parametrize("windows", [False, True], ids=["linux", "windows"])
def test_a_non_interactive_connection_is_kept_unless_included(monkeypatch, windows):
    """Linux targets mark such connections; Windows sessions carry no kind, so the option
    changes nothing there."""
    sessions = [{"id": "5", "user": "backup", "domain": "", "state": "active", "station": "tty",
                 "console": False, "pid": 10, "logon_time": "x", "kind": "non_interactive"},
                {"id": "6", "user": "bob", "domain": "", "state": "active", "station": "pts/1",
                 "console": False, "pid": 11, "logon_time": "x", "kind": "terminal"}]
    if windows:
        for session in sessions:
            del session["kind"]
    for include, wanted in ((False, ["6"] if not windows else ["5", "6"]), (True, ["5", "6"])):
        plugin = make(session_info, {"include_non_interactive": include}, windows=windows)
        monkeypatch.setattr(plugin, "_execute_module", MagicMock(return_value={
            "sessions": sessions, "own_session_ids": [], "backend": "wts" if windows else "logind"}))
        result = plugin.run(task_vars={})
        assert [s["id"] for s in result["sessions"]] == wanted
        if not include and not windows:
            assert [(s["id"], s["reason"]) for s in result["skipped_sessions"]] == [("5", "non_interactive")]
