# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate a task's options on the controller, before anything runs on a host.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Types, defaults, required options and unknown options are checked by ansible-core's own
ArgumentSpecValidator against the spec in module_utils/_spec.py, so the messages are the
ones Ansible users know. What a spec cannot say (duration syntax, state names, internal
options) is checked here. Every message names the option and the bad value.

This is the only gate for a task's options (issue 13 item 5): the action plugins declare no
``_VALID_ARGS``, whose bare "Invalid options" check in ActionBase used to run first and hide
these messages. The target modules take only internal options (``_spec.INTERNAL_SPECS``).
"""
from __future__ import annotations

import dataclasses
import typing as t

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.termserv.sessions.plugins.module_utils import _spec
from ansible_collections.termserv.sessions.plugins.plugin_utils._durations import (
    DurationError,
    parse_duration,
)
from ansible_collections.termserv.sessions.plugins.plugin_utils._selection import Selection


class OptionError(ValueError):
    """Bad user input; the message names the option."""


@dataclasses.dataclass(frozen=True)
class LogoffOptions:
    selection: Selection
    notify_msg: str | None = None
    notify_title: str = "Logoff notice"
    grace: int = 0
    timeout: int = 60
    wait: bool = True
    audit: bool = True


@dataclasses.dataclass(frozen=True)
class MessageOptions:
    selection: Selection
    msg: str = ""
    title: str = ""
    audit: bool = True


@dataclasses.dataclass(frozen=True)
class InfoOptions:
    selection: Selection
    include_processes: bool = False


def validate(module: str, args: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Check ``args`` against the user spec of ``module``; return them with defaults."""
    internal = sorted(k for k in args if k.startswith("_"))
    if internal:
        raise OptionError(
            f"{', '.join(internal)}: internal option(s) of {module}, set only by the "
            "collection's action plugin; remove them from the task"
        )
    validator = ArgumentSpecValidator(_spec.user_spec(module))
    result = validator.validate(dict(args))
    if result.error_messages:
        messages = [
            f"Unsupported parameters for ({module}) module: {err}"
            if isinstance(err, UnsupportedError) else str(err)
            for err in result.errors.errors
        ]
        raise OptionError("; ".join(messages))
    return dict(result.validated_parameters)


def _text(params: t.Mapping[str, t.Any], option: str) -> str | None:
    """A text option that can be sent as is: UTF-8 (Linux ttys) and UTF-16 (WTSSendMessage).

    A lone surrogate (YAML's "\\ud800", or half of an emoji cut by a template) encodes in
    neither. It would fail on the host after some sessions got the text and others did not,
    so it is refused here, naming the option, before anything is sent (issue 11 item 8).
    """
    value = params.get(option)
    if value is None:
        return None
    try:
        value.encode("utf-8", "strict")
    except UnicodeEncodeError as exc:
        bad = value[exc.start:exc.end]
        raise OptionError(
            f"{option}: the text cannot be encoded: lone surrogate "
            f"{', '.join(f'U+{ord(c):04X}' for c in bad)} at position {exc.start}; "
            "use the character itself or a complete surrogate pair") from None
    return value


def _duration(params: t.Mapping[str, t.Any], option: str) -> int:
    try:
        return parse_duration(params[option], option)
    except DurationError as exc:
        raise OptionError(str(exc)) from None


def _items(params: t.Mapping[str, t.Any], option: str) -> tuple[str, ...]:
    """The items of list option ``option``, each stripped of surrounding blanks.

    The ONE place where list items are trimmed, for the modules and the role alike
    (issue 23 item 3): Ansible turns ``exclude_users: "admin, carol"`` into
    ``["admin", " carol"]``, and the pattern ``" carol"`` matches nobody. No user name,
    session id, state or program name begins or ends with a blank. An item that is only
    blanks is an error naming the option (a stray comma), never a pattern.
    """
    raw = tuple(str(v) for v in params[option])
    values = tuple(v.strip() for v in raw)
    if any(not v for v in values):
        raise OptionError(f"{option}: empty item in {list(raw)!r} (a stray comma or blank?)")
    return values


def _states(params: t.Mapping[str, t.Any]) -> tuple[str, ...]:
    states = _items(params, "states") if params["states"] else ()
    unknown = [s for s in states if s not in _spec.STATES]
    if unknown:
        raise OptionError(
            f"states: unknown state(s) {', '.join(repr(s) for s in unknown)}; "
            f"expected any of {', '.join(_spec.STATES)}"
        )
    return states


def _patterns(params: t.Mapping[str, t.Any], option: str) -> tuple[str, ...]:
    return _items(params, option)


def selection(params: t.Mapping[str, t.Any]) -> Selection:
    """Build the Selection from validated parameters."""
    return Selection(
        users=_patterns(params, "users"),
        exclude_users=_patterns(params, "exclude_users"),
        session_ids=_items(params, "session_ids"),
        exclude_session_ids=_items(params, "exclude_session_ids"),
        states=_states(params),
        min_idle=_duration(params, "min_idle"),
        min_disconnected=_duration(params, "min_disconnected"),
        include_console=bool(params["include_console"]),
        include_non_interactive=bool(params["include_non_interactive"]),
        exclude_processes=_patterns(params, "exclude_processes"),
    )


def info_options(args: t.Mapping[str, t.Any]) -> InfoOptions:
    params = validate("session_info", args)
    return InfoOptions(selection=selection(params), include_processes=bool(params["include_processes"]))


def logoff_options(args: t.Mapping[str, t.Any]) -> LogoffOptions:
    params = validate("session_logoff", args)
    timeout = _duration(params, "timeout")
    if timeout < 1:
        raise OptionError(f"timeout: {params['timeout']!r} must be at least 1 second")
    notify = _text(params, "notify_msg")
    if notify is not None and not notify.strip():
        raise OptionError("notify_msg: empty message; omit the option to send none")
    return LogoffOptions(
        selection=selection(params),
        notify_msg=notify,
        notify_title=_text(params, "notify_title"),
        grace=_duration(params, "grace"),
        timeout=timeout,
        wait=bool(params["wait"]),
        audit=bool(params["audit"]),
    )


def message_options(args: t.Mapping[str, t.Any]) -> MessageOptions:
    params = validate("session_message", args)
    msg = _text(params, "msg")
    if not msg.strip():
        raise OptionError("msg: empty message")
    return MessageOptions(selection=selection(params), msg=msg, title=_text(params, "title"),
                          audit=bool(params["audit"]))
