# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How results are shaped: session lists, skip reasons, the diff table, the summary.

PRIVATE to the termserv.sessions collection: no compatibility promise.
"""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils._selection import (
    Decision,
    Session,
    display_user,
)

# The keys of a session in every returned list, in this order (design.md's schema,
# plus the Linux login process id).
SESSION_KEYS = (
    "id", "user", "domain", "state", "station", "client", "logon_time",
    "idle_seconds", "disconnected_seconds", "console", "pid", "kind",
)
_TABLE_COLUMNS = ("id", "user", "state", "station", "client", "logon_time", "idle")


# What a user sees of a process: the target's ``argv0`` is only for exclude_processes.
PROCESS_KEYS = ("pid", "name", "user")


def public(session: Session, processes: bool = False) -> dict[str, t.Any]:
    """The session as returned to the user: exactly SESSION_KEYS, missing ones null.

    With ``processes`` (session_info's include_processes) also ``processes``, each with
    PROCESS_KEYS only.
    """
    item = {key: session.get(key) for key in SESSION_KEYS}
    if processes:
        item["processes"] = [{key: p.get(key) for key in PROCESS_KEYS}
                             for p in session.get("processes") or []]
    return item


def skipped(decision: Decision) -> dict[str, t.Any]:
    item = public(decision.session)
    item["reason"] = decision.reason
    item["detail"] = decision.detail
    return item


def errored(session: Session, error: str, code: int | None = None) -> dict[str, t.Any]:
    item = public(session)
    item["error"] = error
    item["error_code"] = code
    return item


def _cell(session: Session, column: str) -> str:
    if column == "user":
        return display_user(session) or "-"
    if column == "idle":
        idle = session.get("idle_seconds")
        return "-" if idle is None else f"{idle}s"
    value = session.get(column)
    return "-" if value in (None, "") else str(value)


def table(sessions: t.Iterable[Session]) -> str:
    """A fixed-width text table of ``sessions``, one line each, sorted by id.

    Used for diff mode and for the role's preview; the sort makes before/after diffs
    line up whatever order the host enumerated in.
    """
    rows = [[c.upper() for c in _TABLE_COLUMNS]]
    for session in sorted(sessions, key=_sort_key):
        rows.append([_cell(session, c) for c in _TABLE_COLUMNS])
    widths = [max(len(r[i]) for r in rows) for i in range(len(_TABLE_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def _sort_key(session: Session) -> tuple[int, str]:
    sid = str(session.get("id"))
    # Windows ids are numbers: sort 2 before 10. Linux ids (pts/3, c12) sort as text.
    return (int(sid), "") if sid.isdigit() else (1 << 62, sid)


def diff(before: t.Iterable[Session], after: t.Iterable[Session]) -> dict[str, str]:
    return {
        "before_header": "sessions before",
        "after_header": "sessions after",
        "before": table(before),
        "after": table(after),
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def summary(verb: str, done: int, skipped_n: int, errors: int, check_mode: bool) -> str:
    """One sentence: "Logged off 2 sessions; skipped 3; 1 error."."""
    if check_mode:
        head = f"Would have {verb} {_count(done, 'session')}"
    else:
        head = f"{verb[0].upper()}{verb[1:]} {_count(done, 'session')}"
    parts = [head, f"skipped {skipped_n}"]
    if errors:
        parts.append(_count(errors, "error"))
    return "; ".join(parts) + "."


_TRAIL_HINT = {
    False: ("To keep a trail there, run systemd-journald or a syslog daemon that provides /dev/log "
            "(rsyslog) on that host; records carry the identifier termserv.sessions "
            "(journalctl -t termserv.sessions)."),
    True: ("To keep a trail there, the connecting account must be able to write the Application "
           "event log (source termserv.sessions) and the log must not be full."),
}


def warning_text(warning: t.Any) -> str:
    """The text of a module's warning: a string up to ansible-core 2.18, a WarningSummary
    (its text in ``event.msg``) from 2.19 on, whose str() is its repr."""
    text = getattr(getattr(warning, "event", None), "msg", None)
    return text if isinstance(text, str) else str(warning)


def host_warning(warning: str, host: str | None, windows: bool) -> str:
    """A task warning that names its host: Ansible prints warnings without one, and on a
    mixed farm one may appear under another host's line (issue 23 item 9). An audit
    warning also says how to get a trail on that host."""
    text = f"{host}: {warning}" if host else warning
    if warning.startswith("audit record"):
        text = f"{text}. {_TRAIL_HINT[windows]}"
    return text
