# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: disconnect xrdp sessions (end the client's connection only).

PRIVATE to the termserv.sessions collection: no compatibility promise.

An xrdp session is disconnected the way a vanished client disconnects it: xrdp's
per-connection process ends, the session (its X server and everything in it) lives on.
That process is signalled only when positively identified (_xrdp.connection_process: the
holder of the socket the kernel names as the peer of the X server's connected display
socket), by (pid, start time); the result is what the X server's socket says afterwards.
Anything else (ssh, tty, an xrdp session whose link cannot be read) is
``cannot_disconnect``: there is no connection to end without ending the session.
"""
from __future__ import annotations

import signal
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _lifeline, _linux_sessions, _procfs, _xrdp
from ansible_collections.termserv.sessions.plugins.module_utils._linux_logoff import _result, check_identity

POLL = 0.05


def _link(sid: str, proc: str) -> tuple[_xrdp.Link | None, dict[int, _procfs.Proc]]:
    table = _procfs.snapshot(proc)
    members = _linux_sessions.logind_members(table, proc).get(sid, [])
    return _xrdp.session_link(members, proc), table


def disconnect(targets: t.Sequence[t.Mapping[str, t.Any]], timeout: float, backend: str | None = None,
               proc: str = _procfs.PROC, signaller: t.Any = None,
               lifeline: t.Any = None) -> list[dict[str, t.Any]]:
    """Disconnect each xrdp target; ``lifeline`` is asked before each signal (once the
    controller is gone nothing more is signalled: ``abandoned``)."""
    lifeline = lifeline or _lifeline.NEVER
    backend, sessions = _linux_sessions.enumerate_sessions(backend, proc)
    current = {str(s["id"]): s for s in sessions}
    signaller = signaller or _procfs.Signaller(proc)
    results: list[dict[str, t.Any]] = []
    waiting: dict[str, tuple[_xrdp.Link, float]] = {}
    for target in targets:
        sid = str(target["id"])
        changed = check_identity(target, current)
        if changed:
            results.append(_result(sid, changed))
            continue
        if backend != "logind" or current[sid].get("_xrdp_display") is None:
            results.append(_result(sid, "cannot_disconnect",
                                   f"session {sid} is not an xrdp session: it has no client connection "
                                   "to end without ending the session"))
            continue
        if current[sid].get("state") == "disconnected":
            results.append(_result(sid, "disconnected", already=True))
            continue
        if lifeline.gone():
            results.append(_result(sid, "abandoned", "the controller went away; stopped"))
            continue
        found, table = _link(sid, proc)
        client = _xrdp.connection_process(found, table, proc) if found is not None else None
        if found is None or client is None:
            results.append(_result(sid, "cannot_disconnect",
                                   f"session {sid}: xrdp's connection process could not be identified "
                                   "positively; nothing was signalled"))
            continue
        code = signaller.send(client.pid, client.starttime, signal.SIGTERM)
        if code:
            results.append(_result(sid, "error", f"could not signal xrdp process {client.pid}", code))
            continue
        waiting[sid] = (found, time.monotonic())
    deadline = time.monotonic() + timeout
    while waiting:
        for sid in list(waiting):
            found, started = waiting[sid]
            now, _table = _link(sid, proc)
            if now is None:
                if _linux_sessions.logind_members(_procfs.snapshot(proc), proc).get(sid) is None:
                    results.append(_result(sid, "gone"))
                    del waiting[sid]
                continue
            if now.connected is False:  # the server's own word; unknown (None) is waited on
                results.append(_result(sid, "disconnected", elapsed=round(time.monotonic() - started, 2)))
                del waiting[sid]
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(POLL)
    for sid in waiting:
        results.append(_result(sid, "timeout", f"session {sid} was still connected after {timeout:g}s"))
    return results
