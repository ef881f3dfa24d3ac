# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs: the single source of truth for every option.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Two kinds (issue 13 item 5). ``USER_SPECS``: the options a task gives the user-facing
modules; the action plugins validate ``task.args`` against them on the controller (the one
gate: plugin_utils/_args.py) and the user-facing module documentation equals them.
``INTERNAL_SPECS``: what the action plugins send the target modules (linux_NAME.py,
win_NAME.ps1), and all a target accepts; any other option is refused naming the
user-facing module (module_utils/_target.py, the .ps1 through _TargetOptions.cs). The
tests compare both with the documentation and with the Windows modules' ``$spec``.
Semantic checks that a spec cannot express (duration syntax, state names) live in
plugin_utils/_args.py.
"""
from __future__ import annotations

import copy
import typing as t

# The states a session can be in, in the snake_case of design.md. Windows uses the
# WTS_CONNECTSTATE_CLASS names; Linux the logind ones (utmp sessions are "active").
WINDOWS_STATES = (
    "active", "connected", "connect_query", "shadow", "disconnected",
    "idle", "listen", "reset", "down", "init",
)
LINUX_STATES = ("active", "online", "closing")
STATES = WINDOWS_STATES + tuple(s for s in LINUX_STATES if s not in WINDOWS_STATES)

SELECTION_SPEC: dict[str, dict[str, t.Any]] = {
    "users": {"type": "list", "elements": "str", "default": ["*"]},
    "exclude_users": {"type": "list", "elements": "str", "default": []},
    "session_ids": {"type": "list", "elements": "str", "default": []},
    "exclude_session_ids": {"type": "list", "elements": "str", "default": []},
    "states": {"type": "list", "elements": "str", "default": ["active", "disconnected"]},
    "min_idle": {"type": "raw", "default": 0},
    "min_disconnected": {"type": "raw", "default": 0},
    "include_console": {"type": "bool", "default": False},
    # Issue 22 item 1: connections without a terminal or desktop (sftp, scp, rsync, git,
    # monitoring, other Ansible jobs) are sessions on logind hosts; kept unless asked for.
    "include_non_interactive": {"type": "bool", "default": False},
    "exclude_processes": {"type": "list", "elements": "str", "default": []},
}

NOTIFY_SPEC: dict[str, dict[str, t.Any]] = {
    "notify_msg": {"type": "str"},
    "notify_title": {"type": "str", "default": "Logoff notice"},
    "grace": {"type": "raw", "default": 0},
}

LOGOFF_SPEC: dict[str, dict[str, t.Any]] = {
    **SELECTION_SPEC,
    **NOTIFY_SPEC,
    "timeout": {"type": "raw", "default": 60},
    "wait": {"type": "bool", "default": True},
    "audit": {"type": "bool", "default": True},
}

MESSAGE_SPEC: dict[str, dict[str, t.Any]] = {
    **SELECTION_SPEC,
    "msg": {"type": "str", "required": True},
    "title": {"type": "str", "default": "Message from your administrator"},
    "audit": {"type": "bool", "default": True},
}

INFO_SPEC: dict[str, dict[str, t.Any]] = {
    **SELECTION_SPEC,
    "include_processes": {"type": "bool", "default": False},
}

# session_disconnect (issue 12 item 4): a disconnected session is what it makes, so by
# default it selects only active ones; a second run then changes nothing.
DISCONNECT_SPEC: dict[str, dict[str, t.Any]] = {
    **SELECTION_SPEC,
    "states": {"type": "list", "elements": "str", "default": ["active"]},
    "timeout": {"type": "raw", "default": 60},
    "audit": {"type": "bool", "default": True},
}

LOGON_MODE_SPEC: dict[str, dict[str, t.Any]] = {
    "state": {
        "type": "str",
        "required": True,
        "choices": ["enabled", "drain", "drain_until_restart", "disabled"],
    },
    "msg": {"type": "str"},
    "holder": {"type": "str"},
    "expires_in": {"type": "raw", "default": "1h"},
    "force": {"type": "bool", "default": False},
}

# What the action plugins send the targets. A task cannot set them: the user-facing
# modules do not take them, and the targets take nothing else.
TARGETS_SPEC: dict[str, dict[str, t.Any]] = {
    "_targets": {"type": "list", "elements": "dict", "default": []},
}
# INTERFACES.md: null (no default) means "no audit record" / "no controller identity".
AUDIT_SPEC: dict[str, dict[str, t.Any]] = {
    "_audit": {"type": "dict"},
}
INFO_INTERNAL_SPEC: dict[str, dict[str, t.Any]] = {
    "_processes": {"type": "bool", "default": False},
    "_controller": {"type": "dict"},
}
LOGOFF_INTERNAL_SPEC: dict[str, dict[str, t.Any]] = {
    **TARGETS_SPEC,
    **AUDIT_SPEC,
    # Issue 11.9: the target's own refusal (the second lock) covers the controller's session.
    "_controller": {"type": "dict"},
    "_timeout": {"type": "float", "default": 60.0},
    "_term_after": {"type": "float", "default": 10.0},
    "_kill_after": {"type": "float", "default": 20.0},
}

USER_SPECS: dict[str, dict[str, dict[str, t.Any]]] = {
    "session_info": INFO_SPEC,
    "session_logoff": LOGOFF_SPEC,
    "session_message": MESSAGE_SPEC,
    "logon_mode": LOGON_MODE_SPEC,
    "session_disconnect": DISCONNECT_SPEC,
}
INTERNAL_SPECS: dict[str, dict[str, dict[str, t.Any]]] = {
    "session_info": INFO_INTERNAL_SPEC,
    "session_logoff": LOGOFF_INTERNAL_SPEC,
    # The text itself; the controller already refused what cannot be sent (_args._text).
    "session_message": {**TARGETS_SPEC, **AUDIT_SPEC,
                        "msg": {"type": "str", "required": True},
                        "title": {"type": "str", "default": "Message from your administrator"}},
    "session_disconnect": {**TARGETS_SPEC, **AUDIT_SPEC,
                           "_timeout": {"type": "float", "default": 60.0}},
    "logon_mode": {
        # Set by the action plugin (plugin_utils/_holds.py decides; the target applies).
        "_phase": {"type": "str", "default": "read", "choices": ["read", "apply"]},
        "_generation": {"type": "int", "default": 0},
        "_store": {"type": "raw"},
        "_write_store": {"type": "bool", "default": True},
        "_set_state": {"type": "str"},
        "_wake_at": {"type": "raw"},
        "_expected": {"type": "dict"},
        "_restore_switch": {"type": "str"},
        # Linux: the text of /etc/nologin, and whether a nologin file someone else wrote
        # may be replaced (only with force, which releases every hold).
        "msg": {"type": "str"},
        "force": {"type": "bool", "default": False},
    },
}

# Internal options that only the Linux target takes (the action plugin never sends them
# to a Windows host): the escalation schedule, the controller's identity (Windows names
# the task's own session itself), the nologin text.
LINUX_ONLY: dict[str, frozenset[str]] = {
    "session_info": frozenset({"_controller"}),
    "session_logoff": frozenset({"_term_after", "_kill_after", "_controller"}),
    "logon_mode": frozenset({"msg", "force"}),
}
# ... and those only the Windows target takes (the registry values it must find, the
# chglogon switch of the dead man's switch).
WINDOWS_ONLY: dict[str, frozenset[str]] = {
    "logon_mode": frozenset({"_expected", "_restore_switch"}),
}


def user_spec(module: str) -> dict[str, dict[str, t.Any]]:
    """A deep copy of the user-facing argument spec of ``module``."""
    return copy.deepcopy(USER_SPECS[module])


def target_spec(module: str, windows: bool = False) -> dict[str, dict[str, t.Any]]:
    """A deep copy of the argument spec of ``module``'s Linux or Windows target: its internal
    options only, without those of the other platform."""
    other = (LINUX_ONLY if windows else WINDOWS_ONLY).get(module, frozenset())
    return {name: copy.deepcopy(entry) for name, entry in INTERNAL_SPECS[module].items()
            if name not in other}


def refusal(target: str, module: str, unsupported: t.Iterable[str]) -> str:
    """The error of target module ``target`` given options it does not take.

    The .ps1 targets build the same sentence in _TargetOptions.cs; the tests hold both to it.
    """
    names = sorted(unsupported)
    quoted = ", ".join(f"'{name}'" for name in names)
    return (f"{target} is the target half of termserv.sessions.{module}; call that module: "
            f"unsupported option{'s' if len(names) > 1 else ''} {quoted}")
