# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: enumerate sessions and find the task's own ones.

PRIVATE to the termserv.sessions collection: no compatibility promise.

No policy here: every session is returned; the controller decides. What IS decided here
is what counts as a session at all: a utmp record is only a session when its login
process is confirmed to be that login (see ``confirmed_leader``), and a session's
processes are only those that hang off that confirmed leader (see ``members``).
"""
from __future__ import annotations

import dataclasses
import os
import pwd
import re
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _logind, _procfs, _utmp, _xrdp

AUDIT_UNSET = _procfs.LOGINUID_UNSET
# A login process starts a little before it stamps the logon time into utmp (sshd's
# monitor forks, authenticates, then records); one that started more than this after
# the stamp is a later process that got the pid of a dead login.
PID_START_SLACK = 2.0
# Programs that write utmp records for the logins they run (comm, 15 characters at most).
# Anything else must at least lead its own session (tmux and screen servers, utempter
# users) to count as the login of a record.
LOGIN_COMMS = frozenset({
    "sshd", "sshd-session", "login", "xrdp-sesman", "xrdp", "in.telnetd", "telnetd",
    "in.rlogind", "rlogind", "gdm-session-wor", "lightdm", "sddm-helper", "mosh-server",
})
MACHINE_ID_PATHS = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def backend_name() -> str:
    return "logind" if _logind.available() else "utmp"


def _audit_session(pid: int | str, proc: str = _procfs.PROC) -> int | None:
    return _procfs.audit_session(int(pid), proc)


@dataclasses.dataclass
class UtmpSession:
    """A confirmed utmp session: its record, its login process and the listed dict."""

    record: _utmp.Record
    leader: _procfs.Proc
    session: dict[str, t.Any]
    shared: bool = False  # the leader also owns other live records (ControlMaster, tmux)

    @property
    def id(self) -> str:
        return str(self.session["id"])


def started_late(record: _utmp.Record, table: t.Mapping[int, _procfs.Proc], boot: float) -> bool:
    """The record's login program is alive but seems to have started after the logon.

    A reused pid, or (when such records are many, or the program is a login program) a
    clock that was stepped forward since the logon or a boot time read wrong: the record is
    not confirmed either way, but the host says so (issue 22 item 9).
    """
    entry = table.get(record.pid)
    if entry is None or not entry.alive or record.pid <= 1 or entry.comm not in LOGIN_COMMS:
        return False
    return boot + entry.starttime / os.sysconf("SC_CLK_TCK") > record.tv_sec + PID_START_SLACK


def confirmed_leader(record: _utmp.Record, table: t.Mapping[int, _procfs.Proc],
                     boot: float) -> _procfs.Proc | None:
    """The record's ``ut_pid`` process if it is still the login that wrote the record.

    A stale record (its login died without cleaning up) keeps a pid that the kernel may
    give to any later process: a daemon, or a process of another user on the same
    terminal. Such a record is not a session, and its pid is never signalled.
    """
    entry = table.get(record.pid)
    if entry is None or not entry.alive or record.pid <= 1:
        return None
    hz = os.sysconf("SC_CLK_TCK")
    if boot + entry.starttime / hz > record.tv_sec + PID_START_SLACK:
        return None  # started after the logon: a reused pid
    if entry.comm in LOGIN_COMMS or entry.pid == entry.sid:
        return entry
    return None


def tty_leaders(leader: _procfs.Proc, station: str,
                table: t.Mapping[int, _procfs.Proc]) -> list[_procfs.Proc]:
    """Session leaders on ``station`` below ``leader``, oldest first (the login shell)."""
    rdev = _procfs.tty_rdev(station) if station else None
    if not rdev:
        return []
    below = _procfs.descendants([leader.pid], table) - {leader.pid}
    found = [table[p] for p in below
             if table[p].pid == table[p].sid and table[p].tty_nr == rdev and table[p].alive]
    return sorted(found, key=lambda p: p.starttime)


def _name(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return None


def resolve_user(record: _utmp.Record, leader: _procfs.Proc,
                 table: t.Mapping[int, _procfs.Proc], proc: str = _procfs.PROC) -> str:
    """The full user name of a record, never a cut one.

    ``ut_user`` holds 32 bytes: a longer name is cut without a terminating NUL, and an
    exclusion pattern written for the full name would miss it. When the stored name
    fills the field, the name is taken from the uid of the login (pam_loginuid's uid of
    the login process, else the session leader on the terminal, else the login process's
    own uid), and only a name that begins with the stored bytes is believed. None found:
    "" (the controller never selects a session without a user).
    """
    if not record.name_may_be_cut:
        return record.user
    uids = [_procfs.loginuid(leader.pid, proc)]
    uids += [_procfs.uid_of(p.pid, proc) for p in tty_leaders(leader, record.line, table)]
    uids.append(_procfs.uid_of(leader.pid, proc))
    for uid in uids:
        name = _name(uid)
        if name is not None and os.fsencode(name).startswith(record.user_raw):
            return name
    return ""


def utmp_sessions(proc: str = _procfs.PROC, utmp: str = _utmp.UTMP_PATH,
                  now: float | None = None,
                  table: t.Mapping[int, _procfs.Proc] | None = None,
                  warnings: list[str] | None = None) -> list[UtmpSession]:
    """The confirmed sessions of the utmp file, one per terminal.

    ``warnings`` (when given) gets what keeps this host's sessions from being seen: no utmp
    file at all, or login records whose login program seems to have started after the
    logon (issue 22 item 9). An empty list is then not "no sessions".
    """
    stamp = time.time() if now is None else now
    table = _procfs.snapshot(proc) if table is None else table
    boot = _procfs.boot_time(proc)
    if not os.path.exists(utmp) and warnings is not None:
        warnings.append(
            f"{utmp} does not exist: this host records no logins (a container or a system "
            "without utmp, such as musl); its sessions cannot be seen, so none is listed or "
            "logged off here")
    confirmed = []
    late = []
    for record in _utmp.user_records(utmp):
        leader = confirmed_leader(record, table, boot)
        if leader is not None:
            confirmed.append((record, leader))
        elif started_late(record, table, boot):
            late.append(record.line)
    if late and warnings is not None:
        warnings.append(
            f"{len(late)} login record(s) of {utmp} ({', '.join(sorted(late))}) were not taken as "
            "sessions: their login program seems to have started after the recorded logon "
            "time (a clock stepped forward since, or a reused pid); they are not listed or "
            "logged off")
    owners: dict[int, int] = {}
    for _record, leader in confirmed:
        owners[leader.pid] = owners.get(leader.pid, 0) + 1
    by_line: dict[str, UtmpSession] = {}
    for record, leader in confirmed:
        previous = by_line.get(record.line)
        if previous is not None and previous.record.tv_sec >= record.tv_sec:
            continue  # one session per terminal: the newer logon is the one on it now
        session = _utmp.session_of(record, stamp, resolve_user(record, leader, table, proc))
        by_line[record.line] = UtmpSession(record=record, leader=leader, session=session,
                                           shared=owners[leader.pid] > 1)
    return list(by_line.values())


def members(live: UtmpSession, table: t.Mapping[int, _procfs.Proc],
            protected: t.Collection[int] = ()) -> tuple[list[_procfs.Proc], dict[int, int]]:
    """The processes of a confirmed session, and its session ids with their leaders' start.

    Members hang off the confirmed leader only: its descendants, plus every process in a
    session (SID) whose leader is one of those descendants (a job reparented to init).
    Never a process because it shares a terminal or a SID number alone. When the leader
    owns several records (one ssh connection with several terminals, a tmux server), the
    session is only what runs on this record's terminal: the session leaders there
    below the leader, and what hangs off them; the shared leader is not a member.
    """
    if live.shared:
        roots = tty_leaders(live.leader, live.record.line, table)
    else:
        roots = [live.leader]
    table = _procfs.indexed(table)
    tree = _procfs.descendants([r.pid for r in roots], table)
    sids = {table[p].sid: table[p].starttime for p in tree if table[p].pid == table[p].sid}
    pids = tree | {p.pid for sid in sids for p in table.by_sid.get(sid, ())}
    found = [table[p] for p in sorted(pids) if p not in protected and table[p].alive]
    return found, sids


def describe(entries: t.Iterable[_procfs.Proc], proc: str = _procfs.PROC) -> list[dict[str, t.Any]]:
    """Processes as session_info's ``_processes`` returns them (INTERFACES.md)."""
    out = []
    for entry in entries:
        try:
            name = os.path.basename(os.readlink(f"{proc}/{entry.pid}/exe"))
        except OSError:
            name = ""
        try:
            with open(f"{proc}/{entry.pid}/cmdline", "rb") as handle:
                argv0 = handle.read().split(b"\0", 1)[0]
        except OSError:
            argv0 = b""
        user = _name(_procfs.uid_of(entry.pid, proc))
        out.append({
            "pid": entry.pid,
            # A deleted executable reads as "NAME (deleted)": the name is what matters.
            "name": name.replace(" (deleted)", "") or entry.comm,
            "user": "" if user is None else user,
            "argv0": os.path.basename(os.fsdecode(argv0)) if argv0 else "",
        })
    return out


_SCOPE_RE = re.compile(r"/session-([^/.]+)\.scope(?:/|$)", re.MULTILINE)
# A program the user's systemd manager runs (GNOME/KDE apps in app-*.scope, D-Bus activated
# services such as a terminal server and everything in its tabs), not the manager itself
# (its init.scope).
_USER_MANAGER_RE = re.compile(r"/user@([0-9]+)\.service/(?!init\.scope(?:/|$))", re.MULTILINE)


def _cgroup_members(table: t.Mapping[int, _procfs.Proc], proc: str = _procfs.PROC
                    ) -> tuple[dict[str, list[_procfs.Proc]], dict[int, list[_procfs.Proc]]]:
    """(logind session id -> the live processes of its scope, uid -> the live programs its
    systemd user manager runs), from one reading of each process's cgroup."""
    scopes: dict[str, list[_procfs.Proc]] = {}
    managers: dict[int, list[_procfs.Proc]] = {}
    for entry in table.values():
        if not entry.alive:
            continue
        try:
            with open(f"{proc}/{entry.pid}/cgroup", encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        match = _SCOPE_RE.search(text)
        if match:
            scopes.setdefault(match.group(1), []).append(entry)
            continue
        manager = _USER_MANAGER_RE.search(text)
        if manager:
            managers.setdefault(int(manager.group(1)), []).append(entry)
    return scopes, managers


def logind_members(table: t.Mapping[int, _procfs.Proc],
                   proc: str = _procfs.PROC) -> dict[str, list[_procfs.Proc]]:
    """logind session id -> the live processes of its scope (what terminate-session ends)."""
    return _cgroup_members(table, proc)[0]


def add_processes(sessions: list[dict[str, t.Any]], backend: str, proc: str = _procfs.PROC,
                  utmp: str = _utmp.UTMP_PATH) -> None:
    """Give each session its ``processes``: what runs in it, for ``exclude_processes`` and
    ``include_processes``.

    logind: the processes of the session's scope and, for a graphical session, the programs
    its user's systemd manager runs (issue 22 item 5: GNOME and KDE start apps in
    ``app-*.scope`` under ``user@UID.service``, outside the session scope; D-Bus activated
    programs live there too). A user's manager serves all of that user's sessions and does
    not say which desktop started a program: with several graphical sessions of one user,
    each of them lists those programs, so a program matching ``exclude_processes`` keeps
    every desktop of that user (when in doubt, leave it alone). The logoff's own membership
    (what it waits for, see _linux_logoff) stays the scope: logind's terminate-session ends
    the scope, not the user's manager.
    """
    table = _procfs.snapshot(proc)
    if backend == "logind":
        by_id, managers = _cgroup_members(table, proc)
    else:
        by_id = {live.id: members(live, table)[0] for live in utmp_sessions(proc, utmp, table=table)}
        managers = {}
    for session in sessions:
        found = list(by_id.get(str(session["id"]), []))
        if managers and session.get("kind") == "graphical":
            uid = _uid(session.get("user"))
            if uid is not None:
                found += managers.get(uid, [])
        session["processes"] = describe(found, proc)


def enumerate_sessions(backend: str | None = None, proc: str = _procfs.PROC,
                       utmp: str = _utmp.UTMP_PATH,
                       warnings: list[str] | None = None) -> tuple[str, list[dict[str, t.Any]]]:
    backend = backend or backend_name()
    now = time.time()
    if backend == "logind":
        found = _logind.sessions_with_properties(now)
        by_id: dict[str, list[_procfs.Proc]] | None = None
        # The process table only when a session needs it (make bench: 500 ssh sessions
        # with TTYs read no /proc/PID/cgroup at all).
        if any(s.get("kind") == "non_interactive" or p.get("Service") == _xrdp.SERVICE
               for s, p in found):
            by_id = logind_members(_procfs.snapshot(proc), proc)
            classify(found, by_id, proc, now)
        xrdp_links(found, proc, now, by_id)
        return backend, [session for session, _props in found]
    return backend, [live.session for live in utmp_sessions(proc, utmp, now, warnings=warnings)]


def terminal_of(members: t.Sequence[_procfs.Proc], proc: str = _procfs.PROC) -> str | None:
    """The terminal a session's programs run on: that of its oldest process leading a
    session (SID) on a terminal (the login shell, mosh-server's shell), else of any."""
    leaders = sorted((p for p in members if p.alive and p.tty_nr and p.pid == p.sid),
                     key=lambda p: p.starttime)
    others = sorted((p for p in members if p.alive and p.tty_nr and p.pid != p.sid),
                    key=lambda p: p.starttime)
    for entry in leaders + others:
        name = _procfs.tty_name(entry.tty_nr, entry.pid, proc)
        if name:
            return name
    return None


def classify(found: t.Sequence[tuple[dict[str, t.Any], dict[str, str]]],
             by_id: t.Mapping[str, t.Sequence[_procfs.Proc]], proc: str = _procfs.PROC,
             now: float | None = None) -> None:
    """A logind session without a TTY whose programs run on a terminal is a terminal session.

    logind leaves TTY empty for ControlMaster channels, mosh (its ssh connection had no
    terminal) and, on systemd 252, root logins it matches through utmp only later (issue 22
    item 7). The terminal is taken from the session's own processes (its scope), so the
    station, the idle time and the notice are those of that terminal, and the station does
    not change between enumerations. Without one, the session stays ``non_interactive``.
    """
    stamp = time.time() if now is None else now
    for session, props in found:
        if session.get("kind") != "non_interactive" or props.get("TTY"):
            continue
        tty = terminal_of(by_id.get(str(session["id"]), ()), proc)
        if tty:
            session.update(kind="terminal", station=tty, idle_seconds=_utmp.idle_seconds(tty, stamp),
                           console=bool(session.get("console"))
                           or (props.get("Remote") != "yes" and _utmp.is_console(tty)))


def xrdp_links(found: t.Sequence[tuple[dict[str, t.Any], dict[str, str]]], proc: str = _procfs.PROC,
               now: float | None = None,
               by_id: t.Mapping[str, t.Sequence[_procfs.Proc]] | None = None) -> None:
    """xrdp sessions: ``disconnected`` (with ``disconnected_seconds``) once their client is gone.

    Only sessions xrdp-sesman opened are looked at, through the X server that lives in the
    session's own scope (see _xrdp.py); any other session is left as logind describes it.
    """
    xrdp = [(s, p) for s, p in found if p.get("Service") == _xrdp.SERVICE]
    if not xrdp:
        return
    stamp = time.time() if now is None else now
    if by_id is None:
        by_id = logind_members(_procfs.snapshot(proc), proc)
    for session, _props in xrdp:
        _xrdp.apply(session, _xrdp.session_link(by_id.get(str(session["id"]), []), proc), stamp)


def host_machine_id(paths: t.Sequence[str] = MACHINE_ID_PATHS) -> str | None:
    for path in paths:
        try:
            with open(path, encoding="ascii") as handle:
                value = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if value:
            return value
    return None


def controller_session_ids(sessions: t.Iterable[dict[str, t.Any]],
                           controller: t.Mapping[str, t.Any] | None,
                           proc: str = _procfs.PROC,
                           machine_ids: t.Sequence[str] = MACHINE_ID_PATHS) -> list[str]:
    """The sessions the controller itself runs in, when it runs on this very host.

    Only when this host's machine-id is the controller's: the same audit session id or
    tty name on another machine is another session. Match: the session leader's audit
    session id is the controller's, the session's terminal is the controller's, the
    session's scope holds the controller (a terminal in an xrdp session: no audit session,
    station ``x11``), or the controller runs under the systemd user manager of the
    session's user and the session is a desktop (GNOME/KDE terminals live in
    ``user@UID.service``, outside the session scope: every graphical session of that user
    is the controller's, since which one started the terminal cannot be told; issue 22.3).
    """
    if not controller or not controller.get("machine_id"):
        return []
    if host_machine_id(machine_ids) != str(controller["machine_id"]).strip():
        return []
    audit = controller.get("audit_session")
    tty = controller.get("tty")
    scope = controller.get("logind_session")
    manager = controller.get("user_manager_uid")
    found = []
    for session in sessions:
        leader = session.get("pid")
        desktop_of_manager = (manager is not None and session.get("kind") == "graphical"
                              and _uid(session.get("user")) == int(manager))
        if ((tty and session.get("station") == tty)
                or (scope and str(session.get("id")) == str(scope))
                or desktop_of_manager
                or (audit is not None and leader and _audit_session(leader, proc) == int(audit))):
            found.append(str(session["id"]))
    return found


def _uid(user: str | None) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid if user else None
    except KeyError:
        return None


# What Ansible's become command carries that is unique to one task on one host: the key it
# waits for before the module's output, and the task's temporary directory on the host.
_BECOME_MARKS = re.compile(rb"BECOME-SUCCESS-[a-z]{32}|ansible-tmp-[0-9.]+-[0-9]+-[0-9]+")
# The task's directory by its full path (the module's, in our command lines): its owner is
# the connection's user.
_TASK_DIR = re.compile(rb"/[^\0\s'\";|&<>]*/ansible-tmp-[0-9.]+-[0-9]+-[0-9]+")
SSH_COMMS = frozenset({"sshd", "sshd-session"})


def _task_dir_owners(lines: t.Iterable[bytes]) -> set[int]:
    owners = set()
    for line in lines:
        for path in _TASK_DIR.findall(line):
            try:
                owners.add(os.stat(path).st_uid)
            except OSError:
                continue
    return owners


def become_peers(chain: t.Sequence[_procfs.Proc], table: t.Mapping[int, _procfs.Proc],
                 proc: str = _procfs.PROC) -> list[_procfs.Proc]:
    """The become program that started this task from the connection, when our ancestry
    does not reach it (issue 22 item 3).

    ``become_method: machinectl``: systemd-machined starts the command from PID 1 in a new
    logind session, on a terminal it opened; the ``machinectl shell`` client stays in the
    connection's session and holds that terminal's master side. It is found as the process
    outside our ancestry whose command line carries our task's become markers, that holds
    the master of our terminal on the host's devpts instance (``_procfs.pty_masters``: a
    user namespace's own devpts has the same numbers), and that runs as root or as the owner
    of the task's directory (the connection's user): a command line anyone can copy, the
    master and the uid no other user has. Looked for only when our ancestry has such markers
    and no sshd (su and sudo keep it).
    """
    if not chain or any(entry.comm in SSH_COMMS for entry in chain):
        return []
    lines = [_procfs.cmdline(entry.pid, proc) for entry in chain if entry.pid > 1]
    marks = {mark for line in lines for mark in _BECOME_MARKS.findall(line)}
    terminals = {_procfs.pts_index(entry.tty_nr) for entry in chain} - {None}
    if not marks or not terminals:
        return []
    uids = {0} | _task_dir_owners(lines)
    ours = {entry.pid for entry in chain}
    found = []
    for entry in table.values():
        if entry.pid in ours or not entry.alive:
            continue
        line = _procfs.cmdline(entry.pid, proc)
        if (any(mark in line for mark in marks) and _procfs.uid_of(entry.pid, proc) in uids
                and _procfs.pty_masters(entry.pid, proc) & terminals):
            found.append(entry)
    return found


def own_and_controller_ids(sessions: t.Iterable[dict[str, t.Any]], backend: str,
                           pid: int | None = None,
                           table: t.Mapping[int, _procfs.Proc] | None = None,
                           proc: str = _procfs.PROC,
                           controller: t.Mapping[str, t.Any] | None = None,
                           machine_ids: t.Sequence[str] = MACHINE_ID_PATHS) -> tuple[list[str], list[str]]:
    """(the sessions this process runs in, the controller's other connections here).

    A session is ours when one of our ancestors has its terminal as controlling terminal
    (``connection: local`` from a shell, Ansible's ``ssh -tt``), when its login process is
    one of our ancestors, when it carries our audit session id (an ssh connection, even
    without a tty), or (logind) when one of our ancestors lives in its scope. The ancestors
    of the become program that started us from elsewhere count as ours by their pids and
    scopes, not their terminals (``become_peers``: machinectl). And (issue 11.9) the
    session the controller runs in, when the controller is on this host.

    utmp hosts (issue 23 item 8): every channel with a terminal of one ssh connection is a
    record of its own, with the same login process (sshd's monitor) and audit session.
    Ansible's ControlPersist master carries its other channels (other tasks, other plays of
    the same controller): linked to us like our own, but on another terminal. Those are the
    controller's other connections, never "the session this task runs in". On logind hosts
    one connection is one session, whatever its channels.
    """
    sessions = list(sessions)
    table = _procfs.snapshot(proc) if table is None else table
    chain = _procfs.ancestry(os.getpid() if pid is None else pid, table)
    ours = _audit_session(chain[0].pid, proc) if chain else None
    # Only our own ancestry's terminals mark a session as ours: a session on a peer's terminal
    # is linked by its pids and scope or not at all (a forged peer protects no other session).
    ttys = {p.tty_nr for p in chain if p.tty_nr}
    # become_method machinectl: the connection's side of the become, and its ancestry.
    for peer in become_peers(chain, table, proc):
        chain += _procfs.ancestry(peer.pid, table)
    pids = {p.pid for p in chain}
    scopes = _logind.own_session_ids_from_cgroups(pids, proc) if backend == "logind" else set()
    own: list[str] = []
    others: list[str] = []
    for session in sessions:
        sid = str(session["id"])
        leader = session.get("pid")
        rdev = _procfs.tty_rdev(session["station"]) if session.get("station") else None
        on_our_terminal = bool(rdev and rdev in ttys)
        linked = (leader in pids or sid in scopes
                  or (ours is not None and leader and _audit_session(leader, proc) == ours))
        if on_our_terminal or (linked and backend != "utmp"):
            own.append(sid)
        elif linked:
            others.append(sid)
    for sid in controller_session_ids(sessions, controller, proc, machine_ids):
        if sid not in own:
            own.append(sid)
    return own, [sid for sid in others if sid not in own]


def own_session_ids(sessions: t.Iterable[dict[str, t.Any]], backend: str,
                    pid: int | None = None,
                    table: t.Mapping[int, _procfs.Proc] | None = None,
                    proc: str = _procfs.PROC,
                    controller: t.Mapping[str, t.Any] | None = None,
                    machine_ids: t.Sequence[str] = MACHINE_ID_PATHS) -> list[str]:
    """Every session the target refuses to touch (its own lock): the task's own sessions
    and the controller's other connections (see ``own_and_controller_ids``)."""
    own, others = own_and_controller_ids(sessions, backend, pid, table, proc, controller, machine_ids)
    return own + others


def is_admin() -> bool:
    return os.geteuid() == 0
