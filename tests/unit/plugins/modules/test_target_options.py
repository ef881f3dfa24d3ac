# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 13 item 5: a Linux target module takes only what its action plugin sends it.

The module run is the one the action plugin picks for a POSIX host
(``SessionAction.target_module``), so these tests follow any renaming. Each is run in
process through its ``main()``, as AnsiballZ would run it, with module arguments set the
way ansible-core's own module tests set them.
"""
from __future__ import annotations

import importlib
import json
import typing as t

import pytest
from ansible.module_utils import basic

from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction

# What the action plugins send each target (the shapes of _flow.py, _disconnect.py and
# action/logon_mode.py); none of these calls changes anything on this machine.
INTERNAL: dict[str, dict[str, t.Any]] = {
    "session_info": {"_processes": False, "_controller": None},
    "session_logoff": {"_targets": [], "_timeout": 5.0, "_term_after": 1.0, "_kill_after": 2.0,
                       "_audit": None},
    "session_message": {"_targets": [], "msg": "hello", "title": "Notice", "_audit": None},
    "session_disconnect": {"_targets": [], "_timeout": 5.0, "_audit": None},
    "logon_mode": {"_phase": "read"},
}
# A user-facing option of each module: the action plugin takes it, the target must not.
USER_OPTION: dict[str, tuple[str, t.Any]] = {
    "session_info": ("users", ["bob"]),
    "session_logoff": ("exclude_users", ["admin"]),
    "session_message": ("users", ["bob"]),
    "session_disconnect": ("min_idle", "2h"),
    "logon_mode": ("state", "drain"),
}


def target(name: str) -> tuple[str, t.Any]:
    fqcn = SessionAction.target_module(t.cast(SessionAction, None), name, False)
    short = fqcn.rsplit(".", 1)[1]
    return short, importlib.import_module(f"ansible_collections.termserv.sessions.plugins.modules.{short}")


def run_main(module: t.Any, args: dict[str, t.Any], monkeypatch, capsys) -> dict[str, t.Any]:
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode())
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    with pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(INTERNAL))
def test_the_internal_options_are_accepted(name, monkeypatch, capsys):
    _short, module = target(name)
    result = run_main(module, INTERNAL[name], monkeypatch, capsys)
    assert not result.get("failed"), result


@pytest.mark.parametrize("name", sorted(USER_OPTION))
def test_a_user_option_is_refused_naming_the_user_facing_module(name, monkeypatch, capsys):
    short, module = target(name)
    option, value = USER_OPTION[name]
    result = run_main(module, dict(INTERNAL[name], **{option: value}), monkeypatch, capsys)
    assert result.get("failed") is True, result
    assert result["msg"] == (f"{short} is the target half of termserv.sessions.{name}; "
                             f"call that module: unsupported option '{option}'")


def test_several_unknown_options_are_all_named(monkeypatch, capsys):
    short, module = target("session_info")
    result = run_main(module, {"users": ["bob"], "exclude_users": ["x"], "_processes": True}, monkeypatch, capsys)
    assert result.get("failed") is True, result
    assert result["msg"] == (f"{short} is the target half of termserv.sessions.session_info; "
                             "call that module: unsupported options 'exclude_users', 'users'")


def test_a_bad_internal_value_still_fails_as_ansible_says_it(monkeypatch, capsys):
    _short, module = target("session_logoff")
    result = run_main(module, {"_targets": [], "_timeout": "soon"}, monkeypatch, capsys)
    assert result.get("failed") is True and "_timeout" in result["msg"], result
