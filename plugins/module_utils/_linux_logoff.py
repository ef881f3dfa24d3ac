# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: re-check and log off the sessions given.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Which sessions, and when to escalate, is decided on the controller; this file only
checks that each session is still the logon that was selected, signals it, and watches
its processes until none remain or the time runs out. Messages are _linux_message.py.
"""
from __future__ import annotations

import dataclasses
import errno
import os
import signal
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import (
    _lifeline,
    _linux_sessions,
    _logind,
    _procfs,
    _utmp,
)

POLL_SECONDS = 0.05
ABANDONED = "the controller went away; stopped"


def _result(sid: str, result: str, error: str = "", code: int = 0, **extra: t.Any) -> dict[str, t.Any]:
    out = {"id": sid, "result": result, "error": error, "error_code": code}
    out.update(extra)
    return out


def check_identity(target: t.Mapping[str, t.Any], current: t.Mapping[str, dict]) -> str | None:
    """None when ``target`` is still the same logon; else ``gone`` or ``identity_changed``.

    Not the station: logind fills a session's TTY in late (systemd 252 matches root logins
    through utmp by the shell's pid), and a utmp session's station is its id (issue 22.7).
    """
    now = current.get(str(target.get("id")))
    if now is None:
        return "gone"
    for key in ("user", "logon_time", "pid"):
        if target.get(key) is not None and now.get(key) != target.get(key):
            return "identity_changed"
    return None


def verified(targets: list[dict[str, t.Any]], own: set[str], current: t.Mapping[str, dict],
             results: list[dict[str, t.Any]]) -> t.Iterator[dict[str, t.Any]]:
    """The targets that may be touched; a result for each that may not goes to ``results``.

    Identity first: a selected session whose id now belongs to another logon is not the
    session that was selected, whoever the new one is. When the new logon is our own
    connection (it got the freed terminal), the selected session is simply ``gone``, not
    an error. Then never the session this task runs in (the controller skips it too:
    this is the second lock).
    """
    for target in targets:
        sid = str(target["id"])
        changed = check_identity(target, current)
        if changed == "identity_changed" and sid in own:
            changed = "gone"
        if changed:
            results.append(_result(sid, changed))
            continue
        if sid in own:
            results.append(_result(sid, "error", "refused: the session this task runs in", errno.EPERM))
            continue
        yield target


@dataclasses.dataclass
class Tracked:
    """The processes of one session being logged off, each named by (pid, start time)."""

    target: dict[str, t.Any]
    hup: list[_procfs.Proc]  # who gets the hang-up: the login, or the terminal's session
    keys: set[tuple[int, int]]
    sids: dict[int, int]  # session id -> its leader's start time
    live_sids: set[int] = dataclasses.field(default_factory=set)
    started: float = 0.0
    stage: str = "hup"
    done: dict[str, t.Any] | None = None


def _protected(table: t.Mapping[int, _procfs.Proc], self_pid: int | None = None) -> set[int]:
    """Never signal PID 1, ourselves or our ancestors, whatever the table says."""
    return {1} | {p.pid for p in _procfs.ancestry(os.getpid() if self_pid is None else self_pid, table)}


def _sid_still_ours(track: Tracked, sid: int, table: t.Mapping[int, _procfs.Proc]) -> bool:
    """Whether session id ``sid`` is still the session we started tracking.

    The kernel keeps a pid number out of use while any process still has it as its
    SID, so a SID whose leader has exited is still ours as long as it never emptied; we
    only take it when it had live members at the previous poll. A leader at that pid
    with another start time is a new session that reused the number.
    """
    leader = table.get(sid)
    if leader is not None:
        return leader.starttime == track.sids[sid] and leader.alive
    return sid in track.live_sids


def _alive_members(track: Tracked, table: t.Mapping[int, _procfs.Proc],
                   protected: set[int]) -> list[_procfs.Proc]:
    """Members still running; children (and session mates) born since join the session."""
    # Looked up in the snapshot's indexes, never by scanning the table per session.
    family = _procfs.indexed(table)
    alive = [table[pid] for pid, start in track.keys
             if pid in table and table[pid].starttime == start and table[pid].alive]
    known = {p.pid for p in alive}
    newcomers: list[_procfs.Proc] = []
    todo = list(alive)
    while todo:
        parent = todo.pop()
        for child in family.children.get(parent.pid, ()):
            # A child is never older than its parent: an older "child" is a stale ppid.
            if child.pid not in known and child.starttime >= parent.starttime:
                known.add(child.pid)
                newcomers.append(child)
                todo.append(child)
    known = {p.pid for p in alive}
    sids = {s for s in track.sids if _sid_still_ours(track, s, table)}
    newcomers += [p for s in sids for p in family.by_sid.get(s, ()) if p.pid not in known]
    for entry in newcomers:
        if entry.pid not in protected and entry.alive and entry.pid not in known:
            track.keys.add(entry.key)
            known.add(entry.pid)
            alive.append(entry)
    track.live_sids = {p.sid for p in alive if p.sid in track.sids}
    return alive


def _current_utmp(proc: str = _procfs.PROC, utmp: str = _utmp.UTMP_PATH,
                  table: t.Mapping[int, _procfs.Proc] | None = None
                  ) -> dict[str, _linux_sessions.UtmpSession]:
    return {live.id: live for live in _linux_sessions.utmp_sessions(proc, utmp, table=table)}


def logoff_utmp(targets: list[dict[str, t.Any]], own: set[str], timeout: float,
                term_after: float, kill_after: float, proc: str = _procfs.PROC,
                utmp: str = _utmp.UTMP_PATH, signaller: t.Any = None,
                self_pid: int | None = None,
                lifeline: _lifeline.Lifeline | None = None) -> list[dict[str, t.Any]]:
    """Log off utmp sessions in parallel: HUP all, then watch all, escalating each.

    Only confirmed sessions are touched, only through their members (processes named
    by pid and start time), and never once the controller is gone (``lifeline``).
    """
    signaller = signaller or _procfs.Signaller(proc)
    lifeline = lifeline or _lifeline.NEVER
    results: list[dict[str, t.Any]] = []
    table = _procfs.snapshot(proc)
    live = _current_utmp(proc, utmp, table)
    current = {sid: entry.session for sid, entry in live.items()}
    protected = _protected(table, self_pid)
    tracks: list[Tracked] = []
    for target in verified(targets, own, current, results):
        sid = str(target["id"])
        found, sids = _linux_sessions.members(live[sid], table, protected)
        if not found:
            results.append(_result(sid, "gone"))
            continue
        # HUP, as a hang-up of the connection would send: to the login process, or,
        # when that process also serves other terminals, to this terminal's sessions.
        hup = ([live[sid].leader] if not live[sid].shared
               else _linux_sessions.tty_leaders(live[sid].leader, live[sid].record.line, table))
        tracks.append(Tracked(target=target, hup=hup, keys={p.key for p in found}, sids=sids,
                              live_sids={p.sid for p in found if p.sid in sids}))

    def abandon(pending: list[Tracked]) -> list[dict[str, t.Any]]:
        for track in pending:
            track.done = _result(str(track.target["id"]), "abandoned", ABANDONED, 0,
                                 forced=track.stage != "hup")
        return results + [tr.done for tr in tracks if tr.done is not None]

    if tracks and lifeline.gone():
        return abandon(tracks)
    for track in tracks:
        track.started = time.monotonic()
        codes = [signaller.send(p.pid, p.starttime, signal.SIGHUP) for p in track.hup]
        code = next((c for c in codes if c), 0)
        if code:
            track.done = _result(str(track.target["id"]), "error",
                                 f"cannot signal the session: {os.strerror(code)}", code)

    pending = [tr for tr in tracks if tr.done is None]
    while pending:
        if lifeline.gone():
            return abandon(pending)
        polled = time.monotonic()
        table = _procfs.snapshot(proc)
        protected = _protected(table, self_pid)
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
            elif track.stage == "kill" or (track.stage == "term" and elapsed >= kill_after):
                # KILL again on every poll: a member forked since the last one, or a
                # process that was in uninterruptible sleep, gets it too.
                track.stage = "kill"
                for member in alive:
                    signaller.send(member.pid, member.starttime, signal.SIGKILL)
            elif track.stage == "hup" and elapsed >= term_after:
                track.stage = "term"
                for member in alive:
                    signaller.send(member.pid, member.starttime, signal.SIGTERM)
        pending = [tr for tr in pending if tr.done is None]
        if pending:
            # Rest at least twice as long as the poll took: with hundreds of sessions a
            # poll reads thousands of /proc files, and polling back to back would take the
            # CPU the exiting sessions need (at most a third of one core this way).
            time.sleep(max(POLL_SECONDS, 2 * (time.monotonic() - polled)))
    results.extend(tr.done for tr in tracks if tr.done is not None)
    return results


def logoff_logind(targets: list[dict[str, t.Any]], own: set[str], timeout: float,
                  kill_after: float,
                  lifeline: _lifeline.Lifeline | None = None) -> list[dict[str, t.Any]]:
    """``loginctl terminate-session`` each, then wait until logind forgets them.

    Only logind's own answer "no such session" counts as logged off: a loginctl that
    fails otherwise or times out makes that session an ``error`` (never ``logged_off``).
    ``lifeline`` (module_utils/_lifeline.py) is asked before each terminate and on every
    poll; once the controller is gone nothing more is signalled and every session not
    finished is ``abandoned``.
    """
    lifeline = lifeline or _lifeline.NEVER
    results: list[dict[str, t.Any]] = []
    current = {s["id"]: s for s in _logind.sessions()}
    started: dict[str, tuple[float, bool]] = {}
    for target in verified(targets, own, current, results):
        sid = str(target["id"])
        if lifeline.gone():
            results.append(_result(sid, "abandoned", "the controller went away; stopped"))
            continue
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
        if lifeline.gone():
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
           kill_after: float, backend: str | None = None,
           lifeline: _lifeline.Lifeline | None = None,
           controller: t.Mapping[str, t.Any] | None = None) -> list[dict[str, t.Any]]:
    backend, sessions = _linux_sessions.enumerate_sessions(backend)
    # Our own sessions and, when the controller runs on this host, the controller's.
    own = set(_linux_sessions.own_session_ids(sessions, backend, controller=controller))
    if backend == "logind":
        return logoff_logind(targets, own, timeout, kill_after, lifeline=lifeline)
    return logoff_utmp(targets, own, timeout, term_after, kill_after, lifeline=lifeline)
