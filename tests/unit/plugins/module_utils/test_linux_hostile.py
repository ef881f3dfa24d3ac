# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11 (Linux): hostile hosts, on a crafted /proc tree and utmp file.

Every test builds the case the issue describes and asserts what must (and must not) be
signalled. Signals go to the fake host's recorder, never to a real process.
"""
from __future__ import annotations

import datetime
import pwd
import signal
import struct

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import (
    _linux_logoff,
    _linux_sessions,
    _utmp,
)
from tests.unit.plugins.module_utils.linux_ground import Host, some_uid

HUP, TERM, KILL = int(signal.SIGHUP), int(signal.SIGTERM), int(signal.SIGKILL)


@pytest.fixture
def host(tmp_path):
    ground = Host(tmp_path)
    yield ground
    ground.close()


def listing(host: Host) -> dict[str, dict]:
    _backend, sessions = _linux_sessions.enumerate_sessions("utmp", proc=str(host.proc),
                                                            utmp=str(host.utmp))
    return {s["id"]: s for s in sessions}


def target(host: Host, line: str, user: str, pid: int, tv_sec: int) -> dict:
    logon = datetime.datetime.fromtimestamp(tv_sec, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"id": line, "user": user, "domain": "", "logon_time": logon, "pid": pid, "station": line}


def logoff(host: Host, targets: list[dict], own: set[str] | None = None, timeout: float = 1.5,
           term_after: float = 0.1, kill_after: float = 0.2, self_pid: int = 99999) -> dict[str, dict]:
    results = _linux_logoff.logoff_utmp(targets, own or set(), timeout, term_after, kill_after,
                                        proc=str(host.proc), utmp=str(host.utmp),
                                        signaller=host.signaller(), self_pid=self_pid)
    return {r["id"]: r for r in results}


def a_live_ssh_session(host: Host, user_uid: int, user: str, tty: int, line: str,
                       base: int) -> int:
    """sshd [priv] (root) > sshd USER@pts (user) > shell (own session, on the tty)."""
    host.process(base, ppid=1, sid=base, comm="sshd", uid=0, age=3600, loginuid=user_uid)
    host.process(base + 1, ppid=base, sid=base, comm="sshd", uid=user_uid, age=3600)
    host.process(base + 2, ppid=base + 1, tty=tty, comm="bash", uid=user_uid, age=3599)
    return host.record(base, line, user, age=3599)


# ---- 11.1 stale record + reused pid ------------------------------------------------------
@pytest.mark.parametrize("daemon", ["young_daemon", "old_non_leader"])
def test_stale_record_whose_pid_was_reused_is_no_session_and_nothing_is_signalled(host, daemon):
    uid, name = some_uid()
    line, rdev = host.tty()
    # Another user's live session on that terminal, with no utmp record of its own
    # (screen, script...): its shell and a job.
    host.process(300, ppid=1, tty=rdev, comm="bash", uid=uid, age=600)
    host.process(301, ppid=300, sid=300, tty=rdev, comm="vim", uid=uid, age=500)
    # alice's record is stale: her login process died, and pid 500 is now someone else.
    if daemon == "young_daemon":  # a daemon started after the logon (pid reused)
        host.process(500, ppid=1, comm="sshd", age=10)
    else:  # an old process that is neither a login process nor a session leader
        host.process(500, ppid=1, sid=1, comm="cron", age=99000)
    tv = host.record(500, line, "alice", age=7200)

    assert line not in listing(host)
    result = logoff(host, [target(host, line, "alice", 500, tv)])
    assert result[line]["result"] == "gone"
    assert host.sent == []  # nothing, in particular not the other user's shell and vim


# ---- 11.1 membership hangs off the confirmed leader ----------------------------------------
def test_members_are_the_leaders_descendants_and_their_sessions_never_a_tty_neighbour(host):
    uid, name = some_uid()
    line, rdev = host.tty()
    tv = a_live_ssh_session(host, uid, name, rdev, line, 100)
    # A job of the shell's session that was reparented to init (nohup ... &).
    host.process(150, ppid=1, sid=102, comm="rsync", uid=uid, age=100, dies_on=(TERM, KILL))
    # A process of someone else that holds the same terminal in its own session.
    host.process(800, ppid=1, tty=rdev, comm="getty", uid=0, age=50)

    assert listing(host)[line]["user"] == name
    result = logoff(host, [target(host, line, name, 100, tv)])
    assert result[line]["result"] == "logged_off"
    signalled = {pid for pid, _sig in host.sent}
    assert 800 not in signalled
    assert 150 in signalled and 800 in host.procs


# ---- 11.2 reused session ids during escalation ---------------------------------------------
def test_a_session_id_reused_during_escalation_is_not_signalled(host):
    uid, name = some_uid()
    line, rdev = host.tty()
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600, dies_on=(KILL,))
    host.process(102, ppid=100, tty=rdev, comm="bash", uid=uid, age=3599, dies_on=(HUP,))
    tv = host.record(100, line, name, age=3599)
    signaller = host.signaller()
    sent_before = signaller.send

    def send(pid: int, start: int, sig: int) -> int:
        code = sent_before(pid, start, sig)
        if pid == 100 and sig == HUP:
            # The shell ends and its pid/sid goes to a new, unrelated session leader.
            host.end(102)
            host.process(102, ppid=1, comm="postgres", uid=0, age=0.5)
        return code

    signaller.send = send  # type: ignore[method-assign]
    results = _linux_logoff.logoff_utmp([target(host, line, name, 100, tv)], set(), 1.5, 0.1, 0.2,
                                        proc=str(host.proc), utmp=str(host.utmp),
                                        signaller=signaller, self_pid=99999)
    assert results[0]["result"] == "logged_off"
    assert all(pid != 102 for pid, _sig in host.sent), host.sent
    assert 102 in host.procs


def test_kill_is_sent_again_on_every_poll_while_members_live(host):
    uid, name = some_uid()
    line, rdev = host.tty()
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600)
    host.process(102, ppid=100, tty=rdev, comm="bash", uid=uid, age=3599, dies_on=())
    tv = host.record(100, line, name, age=3599)
    result = logoff(host, [target(host, line, name, 100, tv)], timeout=0.6,
                    term_after=0.05, kill_after=0.1)
    assert result[line]["result"] == "timeout"
    assert host.sent.count((102, KILL)) >= 3


# ---- 11.3 one ut_pid shared by several records --------------------------------------------
def test_logging_off_one_record_of_a_shared_leader_leaves_its_siblings(host):
    uid, name = some_uid()
    line_a, rdev_a = host.tty()
    line_b, rdev_b = host.tty()
    # One ssh connection (ControlMaster) with two terminals: one monitor, one user sshd,
    # a shell on each terminal.
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600, loginuid=uid)
    host.process(101, ppid=100, sid=100, comm="sshd", uid=uid, age=3600)
    host.process(102, ppid=101, tty=rdev_a, comm="bash", uid=uid, age=3599)
    host.process(103, ppid=102, sid=102, tty=rdev_a, comm="top", uid=uid, age=3000,
                 dies_on=(TERM, KILL))
    host.process(202, ppid=101, tty=rdev_b, comm="bash", uid=uid, age=1000)
    host.process(203, ppid=202, sid=202, tty=rdev_b, comm="make", uid=uid, age=900)
    tv_a = host.record(100, line_a, name, age=3599)
    host.record(100, line_b, name, age=1000)

    assert set(listing(host)) == {line_a, line_b}
    result = logoff(host, [target(host, line_a, name, 100, tv_a)])
    assert result[line_a]["result"] == "logged_off"
    signalled = {pid for pid, _sig in host.sent}
    assert signalled <= {102, 103}, host.sent
    assert {100, 101, 202, 203} <= set(host.procs)


# ---- 11.4 utmp layout per architecture -----------------------------------------------------
@pytest.mark.parametrize("machine, size", [
    ("x86_64", 384), ("i686", 384), ("aarch64", 400), ("riscv64", 400), ("loongarch64", 400)])
def test_records_are_read_with_the_layout_of_the_architecture(tmp_path, monkeypatch, machine, size):
    ground = Host(tmp_path, layout=size)
    tv = ground.record(4242, "pts/7", "alice", age=60, host="192.0.2.9")
    ground.record(4243, "pts/8", "bob", age=30)
    monkeypatch.setattr("platform.machine", lambda: machine)
    records = _utmp.read_records(str(ground.utmp))
    assert [(r.type, r.pid, r.line, r.user, r.tv_sec) for r in records] == [
        (7, 4242, "pts/7", "alice", tv), (7, 4243, "pts/8", "bob", tv + 30)]
    assert records[0].host == "192.0.2.9"


# Byte offsets counted by hand from glibc's bits/utmp.h, not from the code's struct strings:
# type (short) 0, pid 4, line[32] 8, id[4] 40, user[32] 44, host[256] 76, exit (2 shorts)
# 332, session 336; then with 32-bit time compatibility (x86_64, i686) tv_sec 340 (int32)
# in 384 bytes, and without it (aarch64, riscv64, loongarch64) session is 8 bytes and
# tv_sec is at 344 (int64) in 400 bytes.
@pytest.mark.parametrize("machine, size, tv_offset, tv_format", [
    ("x86_64", 384, 340, "<i"), ("aarch64", 400, 344, "<q")])
def test_fields_sit_at_the_offsets_glibc_gives_them(tmp_path, monkeypatch, machine, size, tv_offset, tv_format):
    raw = bytearray(size)
    struct.pack_into("<h", raw, 0, 7)
    struct.pack_into("<i", raw, 4, 4242)
    raw[8:8 + 5] = b"pts/7"
    raw[44:44 + 5] = b"alice"
    raw[76:76 + 9] = b"192.0.2.9"
    struct.pack_into(tv_format, raw, tv_offset, 1_790_000_000)
    path = tmp_path / "utmp"
    path.write_bytes(bytes(raw))
    monkeypatch.setattr("platform.machine", lambda: machine)
    [record] = _utmp.read_records(str(path))
    assert (record.type, record.pid, record.line, record.user, record.host, record.tv_sec) == (
        7, 4242, "pts/7", "alice", "192.0.2.9", 1_790_000_000)


def test_a_file_that_is_not_whole_records_is_a_clear_error(tmp_path, monkeypatch):
    ground = Host(tmp_path, layout=400)
    ground.record(4242, "pts/7", "alice")
    monkeypatch.setattr("platform.machine", lambda: "x86_64")  # 400 is not a multiple of 384
    with pytest.raises(Exception, match="not a multiple"):
        _utmp.read_records(str(ground.utmp))


# ---- 11.5 names that fail open ---------------------------------------------------------------
LONG = "svc_backup_longname_administrator_01"  # 36 bytes: utmp keeps 32


def test_a_truncated_utmp_name_is_replaced_by_the_leaders_full_name(host, monkeypatch):
    real = pwd.getpwuid

    def getpwuid(uid: int):
        if uid == 4242:
            return pwd.struct_passwd((LONG, "x", 4242, 4242, "", "/home/x", "/bin/bash"))
        return real(uid)

    monkeypatch.setattr(pwd, "getpwuid", getpwuid)
    line, rdev = host.tty()
    a_live_ssh_session(host, 4242, LONG[:32], rdev, line, 100)
    assert listing(host)[line]["user"] == LONG


def test_a_truncated_name_that_cannot_be_confirmed_is_no_user(host, monkeypatch):
    real = pwd.getpwuid

    def getpwuid(uid: int):
        if uid == 4242:
            raise KeyError(uid)
        return real(uid)

    monkeypatch.setattr(pwd, "getpwuid", getpwuid)
    line, rdev = host.tty()
    a_live_ssh_session(host, 4242, LONG[:32], rdev, line, 100)
    # Not the cut name: an exclusion pattern of the full name would miss it. "" is
    # never selected (reason no_user).
    assert listing(host)[line]["user"] == ""


# ---- 11.6 identity before own session -------------------------------------------------------
def test_a_selected_tty_reused_by_our_own_connection_is_gone(host):
    uid, name = some_uid()
    line, rdev = host.tty()
    # Selected: bob's session on the terminal (pid 100). Since then it ended and our own
    # connection (login 300, the module 305 below it) got the same terminal.
    old = target(host, line, name, 100, int(host.now - 3000))
    host.process(300, ppid=1, comm="sshd", uid=0, age=20)
    host.process(302, ppid=300, tty=rdev, comm="bash", uid=0, age=19)
    host.process(305, ppid=302, sid=302, tty=rdev, comm="python3", uid=0, age=1)
    host.record(300, line, "root", age=19)
    backend, sessions = _linux_sessions.enumerate_sessions("utmp", proc=str(host.proc),
                                                           utmp=str(host.utmp))
    own = set(_linux_sessions.own_session_ids(sessions, backend, pid=305, proc=str(host.proc)))
    assert own == {line}
    result = logoff(host, [old], own=own, self_pid=305)
    assert result[line]["result"] == "gone"
    assert host.sent == []


# ---- 11.9 the controller's own session ---------------------------------------------------------
@pytest.mark.parametrize("same_machine", [True, False])
@pytest.mark.parametrize("by", ["audit_session", "tty"])
def test_the_controllers_session_is_own_only_on_the_controllers_machine(host, tmp_path, same_machine, by):
    uid, name = some_uid()
    line, rdev = host.tty()
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600, loginuid=uid, sessionid=77)
    host.process(102, ppid=100, tty=rdev, comm="bash", uid=uid, age=3599, sessionid=77)
    host.record(100, line, name, age=3599)
    other, other_rdev = host.tty()
    host.process(200, ppid=1, comm="sshd", uid=0, age=3600, sessionid=78)
    host.process(202, ppid=200, tty=other_rdev, comm="bash", uid=uid, age=3599, sessionid=78)
    host.record(200, other, name, age=3599)
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    controller = {"machine_id": "0123456789abcdef0123456789abcdef" if same_machine else "f" * 32,
                  "audit_session": 77 if by == "audit_session" else None,
                  "tty": line if by == "tty" else None}
    backend, sessions = _linux_sessions.enumerate_sessions("utmp", proc=str(host.proc), utmp=str(host.utmp))
    own = _linux_sessions.own_session_ids(sessions, backend, pid=99999, proc=str(host.proc),
                                          controller=controller, machine_ids=[str(machine_id)])
    assert own == ([line] if same_machine else [])


def test_the_logoff_target_refuses_the_controllers_session_itself(host, tmp_path, monkeypatch):
    """The second lock: even if the controller selected its own session, the target refuses it."""
    uid, name = some_uid()
    line, rdev = host.tty()
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600, loginuid=uid, sessionid=77)
    host.process(102, ppid=100, tty=rdev, comm="bash", uid=uid, age=3599, sessionid=77)
    host.record(100, line, name, age=3599)
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("0123456789abcdef0123456789abcdef\n")
    controller = {"machine_id": "0123456789abcdef0123456789abcdef", "audit_session": 77, "tty": None}
    # logoff() on the crafted host: its /proc, its utmp, its machine-id, its signals.
    real_enumerate, real_own, real_utmp = (_linux_sessions.enumerate_sessions,
                                           _linux_sessions.own_session_ids, _linux_logoff.logoff_utmp)
    monkeypatch.setattr(_linux_sessions, "enumerate_sessions", lambda backend: real_enumerate(
        backend, proc=str(host.proc), utmp=str(host.utmp)))
    monkeypatch.setattr(_linux_sessions, "own_session_ids", lambda sessions, backend, controller=None: real_own(
        sessions, backend, pid=99999, proc=str(host.proc), controller=controller,
        machine_ids=[str(machine_id)]))
    monkeypatch.setattr(_linux_logoff, "logoff_utmp", lambda *args, **kwargs: real_utmp(
        *args, **kwargs, proc=str(host.proc), utmp=str(host.utmp), signaller=host.signaller(), self_pid=99999))
    [target] = [s for s in real_enumerate("utmp", proc=str(host.proc), utmp=str(host.utmp))[1]
                if s["id"] == line]
    identity = {k: target[k] for k in ("id", "user", "domain", "logon_time", "pid", "station")}
    [result] = _linux_logoff.logoff([identity], 1.5, 0.1, 0.2, backend="utmp", controller=controller)
    assert result["result"] == "error" and "the session this task runs in" in result["error"]
    assert host.sent == []
    # Without the controller's identity the same session would have been signalled.
    [unprotected] = _linux_logoff.logoff([identity], 1.5, 0.1, 0.2, backend="utmp")
    assert unprotected["result"] != "error" and host.sent


# ---- issue 12: the processes of a session ------------------------------------------------------
def test_processes_are_the_members_of_the_confirmed_session(host):
    uid, name = some_uid()
    line, rdev = host.tty()
    a_live_ssh_session(host, uid, name, rdev, line, 100)
    host.process(150, ppid=1, sid=102, comm="backup", uid=uid, age=100)
    host.process(800, ppid=1, tty=rdev, comm="getty", uid=0, age=50)
    backend, sessions = _linux_sessions.enumerate_sessions("utmp", proc=str(host.proc), utmp=str(host.utmp))
    _linux_sessions.add_processes(sessions, backend, proc=str(host.proc), utmp=str(host.utmp))
    [session] = sessions
    procs = {p["pid"]: p for p in session["processes"]}
    assert set(procs) == {100, 101, 102, 150}
    assert procs[150] == {"pid": 150, "name": "backup", "user": name, "argv0": "backup"}


# ---- issue 14 item 4: polling leaves the CPU to the exiting sessions ------------------------
class SlowClock:
    """A clock in which every snapshot of /proc takes ``cost`` seconds (500 sessions' worth)."""

    def __init__(self, cost: float) -> None:
        self.now, self.cost, self.sleeps = 1000.0, cost, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("cost", [0.001, 0.2])
def test_a_slow_poll_is_followed_by_a_rest_twice_as_long(host, monkeypatch, cost):
    uid, name = some_uid()
    line, rdev = host.tty()
    host.process(100, ppid=1, comm="sshd", uid=0, age=3600)
    host.process(102, ppid=100, tty=rdev, comm="bash", uid=uid, age=3599, dies_on=())
    tv = host.record(100, line, name, age=3599)
    clock = SlowClock(cost)
    snapshot = _linux_logoff._procfs.snapshot

    def slow_snapshot(proc: str = "/proc"):
        clock.now += clock.cost
        return snapshot(proc)

    monkeypatch.setattr(_linux_logoff, "time", clock)
    monkeypatch.setattr(_linux_logoff._procfs, "snapshot", slow_snapshot)
    result = logoff(host, [target(host, line, name, 100, tv)], timeout=3.0, term_after=1.0, kill_after=2.0)
    assert result[line]["result"] == "timeout"
    assert clock.sleeps and all(s >= max(_linux_logoff.POLL_SECONDS, 2 * cost) - 1e-9 for s in clock.sleeps)
    # The escalation keeps its times: TERM after 1 s and KILL after 2 s, whatever the cadence.
    assert [sig for _pid, sig in host.sent][:2] == [HUP, TERM] and KILL in {s for _p, s in host.sent}
