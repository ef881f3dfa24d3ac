# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which sessions are selected, and why each other one is not.

PRIVATE to the termserv.sessions collection: no compatibility promise.

This is the only place that decides. The rules are checked in a fixed order and the
first one that rejects a session gives its reason; the safety rules (no user, the
task's own session, the console) come first so that they are always the reason given.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import typing as t

Session = t.Dict[str, t.Any]

# Reason codes, in the order the rules are applied.
NO_USER = "no_user"
OWN_SESSION = "own_session"
# Issue 23 item 8: another connection of the controller that runs this task (Ansible's
# ControlPersist master, its other channels): never selected, one reason, and never
# counted as "the session this task runs in".
CONTROLLER_SESSION = "controller_session"
CONSOLE = "console"
# Issue 22 item 1: a connection with neither a terminal nor a desktop (sftp, scp, rsync,
# git over ssh, monitoring, another Ansible job): selected only with include_non_interactive.
NON_INTERACTIVE = "non_interactive"
SESSION_ID_EXCLUDED = "session_id_excluded"
SESSION_ID_NOT_INCLUDED = "session_id_not_included"
USER_EXCLUDED = "user_excluded"
USER_NOT_INCLUDED = "user_not_included"
STATE = "state"
NOT_IDLE_LONG_ENOUGH = "not_idle_long_enough"
NOT_DISCONNECTED_LONG_ENOUGH = "not_disconnected_long_enough"
PROCESS_RUNNING = "process_running"
# Reasons given by the logoff flow after the first selection (see _logoff_flow.py).
ENDED_DURING_GRACE = "ended_during_grace"
NOT_NOTIFIED = "not_notified"
ENDED_BEFORE_LOGOFF = "ended_before_logoff"
IDENTITY_CHANGED = "identity_changed"
# session_message: a disconnected session has no desktop or terminal to show a message on.
DISCONNECTED = "disconnected"

REASONS = (
    NO_USER, OWN_SESSION, CONTROLLER_SESSION, CONSOLE, NON_INTERACTIVE, SESSION_ID_EXCLUDED, SESSION_ID_NOT_INCLUDED,
    USER_EXCLUDED, USER_NOT_INCLUDED, STATE, NOT_IDLE_LONG_ENOUGH,
    NOT_DISCONNECTED_LONG_ENOUGH, ENDED_DURING_GRACE, NOT_NOTIFIED,
    ENDED_BEFORE_LOGOFF, IDENTITY_CHANGED, PROCESS_RUNNING, DISCONNECTED,
)


# What a Linux target says a session is (its ``kind``; Windows sessions carry none and are
# all interactive). See docs/design.md, "What a Linux session is".
KIND_TERMINAL = "terminal"
KIND_GRAPHICAL = "graphical"
KIND_NON_INTERACTIVE = "non_interactive"
KINDS = (KIND_TERMINAL, KIND_GRAPHICAL, KIND_NON_INTERACTIVE)
# logind's state of a session whose connection is gone while its processes live on
# (mosh, screen, KillUserProcesses=no): still somebody's interactive session (issue 22.8).
CLOSING = "closing"


@dataclasses.dataclass(frozen=True)
class Selection:
    """The parsed selection options (see _args.py for how they are validated)."""

    users: tuple[str, ...] = ("*",)
    exclude_users: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()
    exclude_session_ids: tuple[str, ...] = ()
    states: tuple[str, ...] = ("active", "disconnected")
    min_idle: int = 0
    min_disconnected: int = 0
    include_console: bool = False
    include_non_interactive: bool = False
    exclude_processes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Decision:
    session: Session
    reason: str | None  # None: selected
    detail: str

    @property
    def selected(self) -> bool:
        return self.reason is None


def user_names(session: Session, windows: bool) -> tuple[str, ...]:
    """The names a user pattern is matched against.

    Windows: ``user`` and ``DOMAIN\\user`` (both case-folded). Linux: ``user`` exactly.
    """
    user = session.get("user") or ""
    if not windows:
        return (user,)
    names = [user.casefold()]
    domain = session.get("domain") or ""
    if domain:
        names.append(f"{domain}\\{user}".casefold())
    return tuple(names)


def first_match(names: t.Iterable[str], patterns: t.Iterable[str], windows: bool) -> str | None:
    """The first pattern that matches one of ``names``, or None.

    Patterns are shell globs. On Windows matching ignores case; on Linux it is exact.
    """
    names = tuple(names)
    for pattern in patterns:
        wanted = pattern.casefold() if windows else pattern
        if any(fnmatch.fnmatchcase(name, wanted) for name in names):
            return pattern
    return None


def display_user(session: Session) -> str:
    domain = session.get("domain") or ""
    user = session.get("user") or ""
    return f"{domain}\\{user}" if domain else user


def state_matches(state: t.Any, states: t.Collection[str]) -> bool:
    """``state`` is wanted by ``states``.

    A Linux session left ``closing`` (its ssh connection ended, its processes did not: mosh,
    KillUserProcesses=no) is matched by V(active) as well as by V(closing): it is listed with
    its real state and selected like any other interactive session (issue 22 item 8).
    """
    return state in states or (state == CLOSING and "active" in states)


def decide(session: Session, selection: Selection, own_ids: t.Collection[str],
           windows: bool) -> Decision:
    """Decide one session: selected, or the reason it is not."""
    sid = str(session.get("id"))
    user = session.get("user") or ""

    def skip(reason: str, detail: str) -> Decision:
        return Decision(session, reason, detail)

    if not user:
        return skip(NO_USER, f"session {sid} has no user (services session or listener)")
    if sid in own_ids:
        return skip(OWN_SESSION, f"session {sid} is the session this task runs in")
    if session.get("controller"):
        return skip(CONTROLLER_SESSION,
                    f"session {sid} is another connection of the Ansible controller running this task")
    if session.get("console") and not selection.include_console:
        return skip(CONSOLE, f"session {sid} is the console; set include_console to select it")
    if session.get("kind") == KIND_NON_INTERACTIVE and not selection.include_non_interactive:
        return skip(NON_INTERACTIVE,
                    f"session {sid} has no terminal and no desktop (sftp, scp, rsync, a monitoring "
                    "check or another Ansible job); set include_non_interactive to select it")
    if sid in selection.exclude_session_ids:
        return skip(SESSION_ID_EXCLUDED, f"session {sid} is in exclude_session_ids")
    if selection.session_ids and sid not in selection.session_ids:
        return skip(SESSION_ID_NOT_INCLUDED, f"session {sid} is not in session_ids")
    names = user_names(session, windows)
    excluded_by = first_match(names, selection.exclude_users, windows)
    if excluded_by is not None:
        return skip(USER_EXCLUDED,
                    f"user {display_user(session)!r} matches exclude_users pattern {excluded_by!r}")
    if first_match(names, selection.users, windows) is None:
        return skip(USER_NOT_INCLUDED,
                    f"user {display_user(session)!r} matches no pattern in users")
    state = session.get("state")
    if not state_matches(state, selection.states):
        return skip(STATE, f"state {state!r} is not in states {list(selection.states)}")
    if selection.min_idle > 0:
        idle = session.get("idle_seconds")
        if idle is None or idle < selection.min_idle:
            shown = "unknown" if idle is None else f"{idle}s"
            return skip(NOT_IDLE_LONG_ENOUGH,
                        f"idle {shown}, min_idle is {selection.min_idle}s")
    if selection.min_disconnected > 0:
        gone = session.get("disconnected_seconds")
        if gone is None or gone < selection.min_disconnected:
            shown = "not disconnected" if gone is None else f"disconnected {gone}s"
            return skip(NOT_DISCONNECTED_LONG_ENOUGH,
                        f"{shown}, min_disconnected is {selection.min_disconnected}s")
    if selection.exclude_processes:
        running = running_match(session, selection.exclude_processes, windows)
        if running is not None:
            return skip(PROCESS_RUNNING, running)
    return Decision(session, None, "selected")


def running_match(session: Session, patterns: t.Sequence[str], windows: bool) -> str | None:
    """Why ``session`` is kept for running a program of ``patterns``, or None.

    Matched against each process's ``name`` and ``argv0`` (Linux: the executable's name and
    argv[0]'s base name, exact case; Windows: the process name, any case). A session whose
    processes the host did not list is kept: when in doubt, leave it alone.
    """
    processes = session.get("processes")
    if processes is None:
        return "the host did not list this session's processes; kept because exclude_processes is set"
    for process in processes:
        names = [n for n in (process.get("name"), process.get("argv0")) if n]
        if windows:
            names = [n.casefold() for n in names]
        pattern = first_match(names, patterns, windows)
        if pattern is not None:
            return (f"runs {process.get('name') or process.get('argv0')!r} (pid {process.get('pid')}), "
                    f"which matches exclude_processes pattern {pattern!r}")
    return None


def select(sessions: t.Iterable[Session], selection: Selection,
           own_ids: t.Collection[str], windows: bool) -> list[Decision]:
    """Decide every session, in the order given."""
    own = {str(i) for i in own_ids}
    return [decide(s, selection, own, windows) for s in sessions]


IDENTITY_KEYS = ("id", "user", "domain", "logon_time", "pid", "station")
# Fields logind fills in after the session started (the TTY of a root login matched through
# utmp by the shell's pid, systemd 252): never compared as identity of a Linux session
# (issue 22 item 7). A Linux session is one with a ``kind``.
LATE_KEYS = ("station",)


def identity(session: Session) -> dict[str, t.Any]:
    """What a target must find unchanged before it touches a session (ids are reused)."""
    return {key: session.get(key) for key in IDENTITY_KEYS}


def same_logon(a: Session, b: Session) -> bool:
    """True when ``a`` and ``b`` are the same logon (not just the same, reused id)."""
    late = LATE_KEYS if ("kind" in a or "kind" in b) else ()
    return all(a.get(key) == b.get(key) for key in IDENTITY_KEYS if key not in late)
