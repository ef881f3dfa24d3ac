# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs of the user-facing options: the single source of truth.

PRIVATE to the termserv.sessions collection: no compatibility promise.

The Linux target modules build their AnsibleModule from these dicts, the action plugins
validate ``task.args`` against them on the controller, and the tests compare them with
the documentation and with the Windows modules' ``$spec``. Semantic checks that a spec
cannot express (duration syntax, state names) live in plugin_utils/_args.py.
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

# Options only the action plugins set; a user who sets one gets an error.
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
    "session_message": {**TARGETS_SPEC, **AUDIT_SPEC},
    # The Windows target (win_session_disconnect.ps1) takes only these: INTERFACES.md.
    "session_disconnect": {**TARGETS_SPEC, **AUDIT_SPEC,
                           "_timeout": {"type": "float", "default": 60.0}},
    "logon_mode": {
        # Set by the action plugin (plugin_utils/_holds.py decides; the target applies).
        "_phase": {"type": "str", "default": "read", "choices": ["read", "apply"]},
        "_generation": {"type": "int", "default": 0},
        "_store": {"type": "raw"},
        "_write_store": {"type": "bool", "default": True},
        "_set_state": {"type": "str"},
        "_wake_at": {"type": "int"},
        "_expected": {"type": "dict"},
        "_restore_switch": {"type": "str"},
    },
}


def user_spec(module: str) -> dict[str, dict[str, t.Any]]:
    """A deep copy of the user-facing argument spec of ``module``."""
    return copy.deepcopy(USER_SPECS[module])


def module_spec(module: str) -> dict[str, dict[str, t.Any]]:
    """The target module's full argument spec: user options plus internal ones."""
    spec = user_spec(module)
    spec.update(copy.deepcopy(INTERNAL_SPECS[module]))
    return spec
