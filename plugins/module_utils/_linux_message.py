# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: show a message in the sessions given.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Split out of _linux_logoff.py (issue 13.7): messaging has its own job and its own
hazards (control sequences, terminal names that are not terminals). A terminal session
gets the text on its terminal; a graphical one (xrdp, X11, Wayland: no terminal) a
critical notification from its desktop's notification service (_desktop_notice.py, issue
24 item 2). Both get the same sanitised text.
"""
from __future__ import annotations

import errno
import os
import re
import time
import typing as t
import unicodedata

from ansible_collections.termserv.sessions.plugins.module_utils import _desktop_notice, _linux_sessions, _procfs, _utmp
from ansible_collections.termserv.sessions.plugins.module_utils._linux_logoff import _result, check_identity

_KEEP = {"\n", "\t"}
# Only real terminals, matched in FULL: a station is never a path we would follow
# anywhere else in /dev. [0-9], not \d (which takes any Unicode digit), and fullmatch,
# not ^...$ (where $ also matches before a trailing newline).
_TERMINAL_RE = re.compile(r"pts/[0-9]+|tty[0-9]+")


def is_terminal(station: str | None) -> bool:
    """Whether ``station`` names a pseudo-terminal ``pts/N`` or a virtual console ``ttyN``."""
    return bool(station) and _TERMINAL_RE.fullmatch(station or "") is not None


def sanitize(text: str) -> str:
    """Drop every control and format character but newline and tab.

    ESC, CSI (U+009B) and friends would let a message move the cursor, rewrite the
    user's screen or retitle their terminal; bidi overrides (category Cf) would let it
    lie about what it says.
    """
    return "".join(ch for ch in text
                   if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf"))


def render(msg: str, title: str) -> bytes:
    body = sanitize(msg).replace("\n", "\r\n")
    head = sanitize(title).replace("\n", " ").strip()
    text = f"\r\n\a*** {head} ***\r\n{body}\r\n" if head else f"\r\n\a{body}\r\n"
    return text.encode("utf-8")


def write_tty(station: str, data: bytes) -> None:
    if not is_terminal(station):  # the last gate before open(): never any other path
        raise OSError(errno.ENOTTY, f"not a terminal name: {station!r}")
    # O_NOCTTY: opening a terminal must never make it ours; O_NONBLOCK: a stopped
    # terminal (Ctrl-S) must not hang the task.
    fd = os.open(f"/dev/{station}", os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        view = memoryview(data)
        deadline = time.monotonic() + 2.0
        while view:
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    finally:
        os.close(fd)


def desktop_text(msg: str, title: str) -> tuple[str, str]:
    """(summary, body) of a desktop notice, sanitised as on a terminal: one summary line."""
    return sanitize(title).replace("\n", " ").strip(), sanitize(msg)


def notify_desktops(sessions: list[dict[str, t.Any]], msg: str, title: str, proc: str = _procfs.PROC,
                    run_user: str = _desktop_notice.RUN_USER) -> dict[str, dict[str, t.Any]]:
    """Session id -> its result, for graphical sessions: a notification on each one's bus."""
    if not sessions:
        return {}
    members = _linux_sessions.logind_members(_procfs.snapshot(proc), proc)
    out: dict[str, dict[str, t.Any]] = {}
    requests = []
    for session in sessions:
        sid = str(session["id"])
        pids = [p.pid for p in members.get(sid, [])]
        if session.get("pid") and session["pid"] not in pids:
            pids.insert(0, session["pid"])
        req = _desktop_notice.request(sid, str(session.get("user", "")), pids, proc, run_user)
        if req is None:
            out[sid] = _result(sid, "error", f"session {sid}: unknown user {session.get('user')!r}",
                               errno.ESRCH, via="notification")
        elif os.geteuid() not in (0, req.uid):
            out[sid] = _result(sid, "error", f"session {sid}: only root or its own user may notify it",
                               errno.EPERM, via="notification")
        else:
            requests.append(req)
    summary, body = desktop_text(msg, title)
    for sid, facts in _desktop_notice.notify_all(requests, summary, body).items():
        number = facts.get("notification_id")
        if isinstance(number, int) and not isinstance(number, bool):
            out[sid] = _result(sid, "delivered", via="notification", bus=facts.get("bus"), notification_id=number)
        else:
            extra = {"dbus_error": facts["dbus_error"]} if facts.get("dbus_error") else {}
            out[sid] = _result(sid, "not_delivered", f"session {sid}: {facts.get('error', 'not delivered')}",
                               via="notification", bus=facts.get("bus"), **extra)
    return out


def message(targets: list[dict[str, t.Any]], msg: str, title: str,
            backend: str | None = None, proc: str = _procfs.PROC,
            utmp: str = _utmp.UTMP_PATH, run_user: str = _desktop_notice.RUN_USER) -> list[dict[str, t.Any]]:
    backend, sessions = _linux_sessions.enumerate_sessions(backend, proc, utmp)
    current = {str(s["id"]): s for s in sessions}
    data = render(msg, title)
    results: list[dict[str, t.Any]] = []
    desktops: list[dict[str, t.Any]] = []
    for target in targets:
        sid = str(target["id"])
        changed = check_identity(target, current)
        if changed:
            results.append(_result(sid, changed))
            continue
        if current[sid].get("state") == "disconnected":
            # An xrdp session whose client is gone (maybe since the controller looked):
            # nothing shows a message there, so it is never counted as delivered.
            results.append(_result(sid, "not_delivered",
                                   f"session {sid} is disconnected: no desktop or terminal to show the message on"))
            continue
        if current[sid].get("kind") == "graphical":
            # A desktop has no terminal: its notification service shows the notice (below,
            # all desktops at once, each bounded in time).
            desktops.append(current[sid])
            results.append({"id": sid})
            continue
        station = current[sid].get("station", "")
        if not is_terminal(station) or not os.path.exists(f"/dev/{station}"):
            results.append(_result(sid, "error", f"session {sid} has no terminal to write to",
                                   errno.ENOTTY))
            continue
        try:
            write_tty(station, data)
        except OSError as exc:
            results.append(_result(sid, "error", f"cannot write to /dev/{station}: {exc.strerror}",
                                   exc.errno or 0))
            continue
        results.append(_result(sid, "delivered", via="terminal"))
    shown = notify_desktops(desktops, msg, title, proc, run_user)
    return [r if len(r) > 1 else shown.get(r["id"]) or _result(r["id"], "error", "no outcome", via="notification")
            for r in results]
