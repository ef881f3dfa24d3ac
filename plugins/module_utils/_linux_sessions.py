# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: enumerate sessions and find the task's own ones.

PRIVATE to the termserv.sessions collection: no compatibility promise.

No policy here: every session is returned; the controller decides.
"""
from __future__ import annotations

import os
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _logind, _procfs, _utmp

AUDIT_UNSET = 4294967295  # (u32)-1: the process was not started by a login


def backend_name() -> str:
    return "logind" if _logind.available() else "utmp"


def _audit_session(pid: int | str, proc: str = _procfs.PROC) -> int | None:
    try:
        with open(f"{proc}/{pid}/sessionid", encoding="ascii") as handle:
            value = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return None if value == AUDIT_UNSET else value


def live_sessions(records: t.Iterable[_utmp.Record], table: t.Mapping[int, _procfs.Proc],
                  now: float) -> list[dict[str, t.Any]]:
    """utmp sessions whose login process still runs.

    A record whose process died without sshd cleaning up (sshd killed with SIGKILL, a
    crash) stays in utmp; it is not a session any more and listing it would only make
    every run try to log off a ghost.
    """
    return [_utmp.session_of(r, now) for r in records
            if r.pid in table and table[r.pid].alive]


def enumerate_sessions(backend: str | None = None, proc: str = _procfs.PROC,
                       utmp: str = _utmp.UTMP_PATH) -> tuple[str, list[dict[str, t.Any]]]:
    backend = backend or backend_name()
    now = time.time()
    if backend == "logind":
        return backend, _logind.sessions(now)
    table = _procfs.snapshot(proc)
    return backend, live_sessions(_utmp.user_records(utmp), table, now)


def own_session_ids(sessions: t.Iterable[dict[str, t.Any]], backend: str,
                    pid: int | None = None,
                    table: t.Mapping[int, _procfs.Proc] | None = None,
                    proc: str = _procfs.PROC) -> list[str]:
    """The sessions this process runs in, by every link we can see.

    A session is ours when its login process is one of our ancestors, when one of our
    ancestors has its terminal as controlling terminal (``connection: local`` from a
    shell), when it carries our audit session id (an ssh connection, even without a
    tty), or (logind) when one of our ancestors lives in its scope.
    """
    table = _procfs.snapshot(proc) if table is None else table
    chain = _procfs.ancestry(os.getpid() if pid is None else pid, table)
    pids = {p.pid for p in chain}
    ttys = {p.tty_nr for p in chain if p.tty_nr}
    ours = _audit_session(chain[0].pid, proc) if chain else None
    scopes = _logind.own_session_ids_from_cgroups(pids) if backend == "logind" else set()
    own = []
    for session in sessions:
        sid = str(session["id"])
        leader = session.get("pid")
        rdev = _procfs.tty_rdev(session["station"]) if session.get("station") else None
        if (leader in pids or (rdev and rdev in ttys) or sid in scopes
                or (ours is not None and leader and _audit_session(leader, proc) == ours)):
            own.append(sid)
    return own


def is_admin() -> bool:
    return os.geteuid() == 0
