# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: re-check, message and log off the sessions given.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Which sessions, and when to escalate, is decided on the controller; this file only
checks that each session is still the logon that was selected, signals it, and watches
its processes until none remain or the time runs out.
"""
from __future__ import annotations

import dataclasses
import errno
import os
import re
import signal
import time
import typing as t
import unicodedata

from ansible_collections.termserv.sessions.plugins.module_utils import (
    _linux_sessions,
    _logind,
    _procfs,
    _utmp,
)

POLL_SECONDS = 0.05
# A login process may have started a little before utmp stamps the logon time; one that
# started later than this after it is a reused pid, not the session's.
PID_START_SLACK = 5.0


def _result(sid: str, result: str, error: str = "", code: int = 0, **extra: t.Any) -> dict[str, t.Any]:
    out = {"id": sid, "result": result, "error": error, "error_code": code}
    out.update(extra)
    return out


def check_identity(target: t.Mapping[str, t.Any], current: t.Mapping[str, dict]) -> str | None:
    """None when ``target`` is still the same logon; else ``gone`` or ``identity_changed``."""
    now = current.get(str(target.get("id")))
    if now is None:
        return "gone"
    for key in ("user", "logon_time", "pid", "station"):
        if target.get(key) is not None and now.get(key) != target.get(key):
            return "identity_changed"
    return None


def verified(targets: list[dict[str, t.Any]], own: set[str], current: t.Mapping[str, dict],
             results: list[dict[str, t.Any]]) -> t.Iterator[dict[str, t.Any]]:
    """The targets that may be touched; a result for each that may not goes to ``results``.

    Never the session this task runs in (the controller skips it too: this is the second
    lock), and never a session that ended or whose id now belongs to another logon.
    """
    for target in targets:
        sid = str(target["id"])
        if sid in own:
            results.append(_result(sid, "error", "refused: the session this task runs in", errno.EPERM))
            continue
        changed = check_identity(target, current)
        if changed:
            results.append(_result(sid, changed))
            continue
        yield target


@dataclasses.dataclass
class Tracked:
    """The processes of one session being logged off."""

    target: dict[str, t.Any]
    leader: int | None
    sids: set[int]
    keys: set[tuple[int, int]]
    started: float = 0.0
    stage: str = "hup"
    done: dict[str, t.Any] | None = None


def _protected(table: t.Mapping[int, _procfs.Proc]) -> set[int]:
    """Never signal PID 1, ourselves or our ancestors, whatever the table says."""
    return {1} | {p.pid for p in _procfs.ancestry(os.getpid(), table)}


def session_members(session: t.Mapping[str, t.Any], table: t.Mapping[int, _procfs.Proc],
                    boot: float) -> tuple[int | None, set[int], set[tuple[int, int]]]:
    """The leader pid, the session ids and the (pid, start) keys of a utmp session.

    Members are the login process and its descendants, plus every process whose session
    id is that of a process on the session's terminal (its shell, its jobs).
    """
    leader = session.get("pid")
    logon = session.get("logon_epoch")
    entry = table.get(leader) if leader else None
    hz = os.sysconf("SC_CLK_TCK")
    if entry is not None and logon is not None and boot + entry.starttime / hz > logon + PID_START_SLACK:
        entry = None  # the pid was reused by a later process: not this session's
    rdev = _procfs.tty_rdev(session["station"]) if session.get("station") else None
    on_tty = [p for p in table.values() if rdev and p.tty_nr == rdev]
    sids = {p.sid for p in on_tty if p.sid > 1}
    pids = _procfs.descendants([entry.pid] if entry else [], table)
    pids |= {p.pid for p in table.values() if p.sid in sids}
    protected = _protected(table)
    keys = {table[p].key for p in pids if p not in protected and table[p].alive}
    return (entry.pid if entry else None), sids, keys


def _alive_members(track: Tracked, table: t.Mapping[int, _procfs.Proc],
                   protected: set[int]) -> list[_procfs.Proc]:
    """Members still running; children born since the last look join the session."""
    alive = [table[pid] for pid, start in track.keys
             if pid in table and table[pid].starttime == start and table[pid].alive]
    newcomers = _procfs.descendants([p.pid for p in alive], table)
    newcomers |= {p.pid for p in table.values() if p.sid in track.sids and p.alive}
    for pid in newcomers - {p.pid for p in alive} - protected:
        if table[pid].alive:
            track.keys.add(table[pid].key)
            alive.append(table[pid])
    return alive


def _signal(pid: int, sig: int) -> int:
    try:
        os.kill(pid, sig)
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            return exc.errno or 0
    return 0


def _current_utmp() -> dict[str, dict[str, t.Any]]:
    table = _procfs.snapshot()
    now = time.time()
    current = {}
    for record in _utmp.user_records():
        session = _utmp.session_of(record, now)
        session["logon_epoch"] = float(record.tv_sec)
        alive = record.pid in table and table[record.pid].alive
        if alive or record.line not in current:
            current[record.line] = session
    return current


def logoff_utmp(targets: list[dict[str, t.Any]], own: set[str], timeout: float,
                term_after: float, kill_after: float) -> list[dict[str, t.Any]]:
    """Log off utmp sessions in parallel: HUP all, then watch all, escalating each."""
    results: list[dict[str, t.Any]] = []
    current = _current_utmp()
    table = _procfs.snapshot()
    boot = _procfs.boot_time()
    tracks: list[Tracked] = []
    for target in verified(targets, own, current, results):
        sid = str(target["id"])
        leader, sids, keys = session_members(current[sid], table, boot)
        if not keys:
            results.append(_result(sid, "gone"))
            continue
        tracks.append(Tracked(target=target, leader=leader, sids=sids, keys=keys))

    for track in tracks:  # HUP: what a hang-up of the connection would send
        track.started = time.monotonic()
        if track.leader is not None:
            code = _signal(track.leader, signal.SIGHUP)
        else:
            codes = [_signal(pid, signal.SIGHUP) for pid, _start in track.keys]
            code = next((c for c in codes if c), 0)
        if code:
            track.done = _result(str(track.target["id"]), "error",
                                 f"cannot signal the session: {os.strerror(code)}", code)

    pending = [tr for tr in tracks if tr.done is None]
    while pending:
        table = _procfs.snapshot()
        protected = _protected(table)
        for track in pending:
            alive = _alive_members(track, table, protected)
            elapsed = time.monotonic() - track.started
            sid = str(track.target["id"])
            if not alive:
                track.done = _result(sid, "logged_off", forced=track.stage != "hup",
                                     elapsed=round(elapsed, 3))
            elif elapsed >= timeout:
                track.done = _result(sid, "timeout",
                                     f"{len(alive)} process(es) still running after {timeout:g}s "
                                     f"(last signal: {track.stage.upper()})",
                                     errno.ETIMEDOUT, forced=track.stage != "hup")
            elif track.stage == "hup" and elapsed >= term_after:
                track.stage = "term"
                for proc in alive:
                    _signal(proc.pid, signal.SIGTERM)
            elif track.stage == "term" and elapsed >= kill_after:
                track.stage = "kill"
                for proc in alive:
                    _signal(proc.pid, signal.SIGKILL)
        pending = [tr for tr in pending if tr.done is None]
        if pending:
            time.sleep(POLL_SECONDS)
    results.extend(tr.done for tr in tracks if tr.done is not None)
    return results


def logoff_logind(targets: list[dict[str, t.Any]], own: set[str], timeout: float,
                  kill_after: float, lifeline: t.Any = None) -> list[dict[str, t.Any]]:
    """``loginctl terminate-session`` each, then wait until logind forgets them.

    Only logind's own answer "no such session" counts as logged off: a loginctl that
    fails otherwise or times out makes that session an ``error`` (never ``logged_off``).
    ``lifeline`` (module_utils/_lifeline.py, duck-typed: ``gone()``) is asked on every
    poll; once the controller is gone nothing more is signalled and the sessions still
    waited for are ``abandoned``.
    """
    results: list[dict[str, t.Any]] = []
    current = {s["id"]: s for s in _logind.sessions()}
    started: dict[str, tuple[float, bool]] = {}
    for target in verified(targets, own, current, results):
        sid = str(target["id"])
        try:
            proc = _logind.terminate(sid)
        except _logind.LoginctlError as exc:
            results.append(_result(sid, "error", str(exc), errno.ETIMEDOUT))
            continue
        if proc.returncode != 0:
            if _logind.vanished(proc) == sid:  # it ended on its own since we looked
                results.append(_result(sid, "gone"))
                continue
            results.append(_result(sid, "error", proc.stderr.strip() or "terminate-session failed",
                                   errno.EPERM if "denied" in proc.stderr.lower() else 1))
            continue
        started[sid] = (time.monotonic(), False)
    while started:
        if lifeline is not None and lifeline.gone():
            for sid in started:
                results.append(_result(sid, "abandoned", "the controller went away; stopped"))
            break
        for sid, (t0, forced) in list(started.items()):
            elapsed = time.monotonic() - t0
            try:
                known = _logind.exists(sid)
            except _logind.LoginctlError as exc:
                results.append(_result(sid, "error", f"cannot tell whether it ended: {exc}",
                                       errno.EIO, forced=forced))
                del started[sid]
                continue
            if not known:
                results.append(_result(sid, "logged_off", forced=forced, elapsed=round(elapsed, 3)))
                del started[sid]
            elif elapsed >= timeout:
                results.append(_result(sid, "timeout", f"still known to logind after {timeout:g}s",
                                       errno.ETIMEDOUT, forced=forced))
                del started[sid]
            elif not forced and elapsed >= kill_after:
                try:
                    _logind.kill(sid, "SIGKILL")
                except _logind.LoginctlError as exc:
                    results.append(_result(sid, "error", str(exc), errno.ETIMEDOUT, forced=True))
                    del started[sid]
                    continue
                started[sid] = (t0, True)
        if started:
            time.sleep(POLL_SECONDS * 4)
    return results


def logoff(targets: list[dict[str, t.Any]], timeout: float, term_after: float,
           kill_after: float, backend: str | None = None) -> list[dict[str, t.Any]]:
    backend, sessions = _linux_sessions.enumerate_sessions(backend)
    own = set(_linux_sessions.own_session_ids(sessions, backend))
    if backend == "logind":
        return logoff_logind(targets, own, timeout, kill_after)
    return logoff_utmp(targets, own, timeout, term_after, kill_after)


_KEEP = {"\n", "\t"}
# Only real terminals: a station is never a path we would follow anywhere else in /dev.
_TERMINAL_RE = re.compile(r"^(pts/\d+|tty[A-Za-z]*\d+|console)$")


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


def message(targets: list[dict[str, t.Any]], msg: str, title: str,
            backend: str | None = None) -> list[dict[str, t.Any]]:
    backend, sessions = _linux_sessions.enumerate_sessions(backend)
    current = {str(s["id"]): s for s in sessions}
    data = render(msg, title)
    results = []
    for target in targets:
        sid = str(target["id"])
        changed = check_identity(target, current)
        if changed:
            results.append(_result(sid, changed))
            continue
        station = current[sid].get("station", "")
        if not _TERMINAL_RE.match(station or "") or not os.path.exists(f"/dev/{station}"):
            results.append(_result(sid, "error", f"session {sid} has no terminal to write to",
                                   errno.ENOTTY))
            continue
        try:
            write_tty(station, data)
        except OSError as exc:
            results.append(_result(sid, "error", f"cannot write to /dev/{station}: {exc.strerror}",
                                   exc.errno or 0))
            continue
        results.append(_result(sid, "delivered"))
    return results
