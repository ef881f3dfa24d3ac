# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task's own session through ``become_method: machinectl`` (issue 22 item 3), and a
terminal of another devpts instance is no host terminal, on a crafted /proc.

The process tree is the one seen on the farm's systemd 252 host (tests/farm/
test_controller_session.py makes it live): the connection's sshd, its shell and the
``machinectl shell`` client in session 7; machined's new session 9 whose shell was started
by PID 1 and runs the module.
"""
from __future__ import annotations

import os
import shutil
import stat

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions, _procfs
from tests.unit.plugins.module_utils.linux_ground import Host

KEY = "BECOME-SUCCESS-" + "q" * 32
TMP = "/home/admin/.ansible/tmp/ansible-tmp-1796611012.28-13805-39689165286086"
BECOME = f"echo {KEY}; /usr/bin/python3 {TMP}/AnsiballZ_session_info.py"


def scope(host: Host, pid: int, session: str) -> None:
    (host.proc / str(pid) / "cgroup").write_text(
        f"9:name=systemd:/user.slice/user-0.slice/session-{session}.scope\n"
        f"0::/user.slice/user-0.slice/session-{session}.scope\n")


def argv(host: Host, pid: int, *words: str) -> None:
    (host.proc / str(pid) / "cmdline").write_bytes(b"\0".join(w.encode() for w in words) + b"\0")


def pts(rdev: int) -> int:
    """N of pts/N from its device number (Documentation/admin-guide/devices.txt)."""
    return (os.major(rdev) - 136) * 256 + os.minor(rdev)


def master(host: Host, pid: int, index: int, fd: int = 5) -> None:
    """``pid`` holds the master side of pts/``index`` (what /proc shows for it)."""
    (host.proc / str(pid) / "fd").mkdir(exist_ok=True)
    (host.proc / str(pid) / "fdinfo").mkdir(exist_ok=True)
    os.symlink("/dev/ptmx", host.proc / str(pid) / "fd" / str(fd))
    (host.proc / str(pid) / "fdinfo" / str(fd)).write_text(f"pos:\t0\nflags:\t02\nmnt_id:\t24\ntty-index:\t{index}\n")


@pytest.fixture
def machinectl(tmp_path):
    """(host, sessions, the module's pid): the connection's pts/A, machined's pts/B."""
    host = Host(tmp_path)
    conn_tty, conn_rdev = host.tty()
    shell_tty, shell_rdev = host.tty()
    host.process(1, ppid=0, comm="systemd")
    host.process(100, comm="sshd")                                   # the listener
    host.process(200, ppid=100, comm="sshd")                         # the connection's sshd
    host.process(210, ppid=200, sid=210, tty=conn_rdev, comm="sh")
    host.process(211, ppid=210, sid=210, tty=conn_rdev, comm="machinectl")
    host.process(300, ppid=1, sid=300, tty=shell_rdev, comm="sh")    # machined's session
    host.process(301, ppid=300, sid=300, tty=shell_rdev, comm="python3")
    for pid in (200, 210, 211):
        scope(host, pid, "7")
    for pid in (300, 301):
        scope(host, pid, "9")
    argv(host, 210, "/bin/sh", "-c", f"machinectl -q shell root@ /bin/sh -c '{BECOME}'")
    argv(host, 211, "machinectl", "-q", "shell", "root@", "/bin/sh", "-c", BECOME)
    argv(host, 300, "/bin/sh", "-c", BECOME)
    argv(host, 301, "/usr/bin/python3", f"{TMP}/AnsiballZ_session_info.py")
    master(host, 211, pts(shell_rdev))
    sessions = [{"id": "7", "user": "admin", "station": conn_tty, "kind": "terminal", "pid": 200},
                {"id": "9", "user": "root", "station": shell_tty, "kind": "terminal", "pid": 300}]
    yield host, sessions
    host.close()


def own(host: Host, sessions: list[dict], pid: int = 301) -> tuple[list[str], list[str]]:
    table = _procfs.snapshot(str(host.proc))
    return _linux_sessions.own_and_controller_ids(sessions, "logind", pid=pid, table=table, proc=str(host.proc))


def test_the_connection_that_ran_machinectl_is_the_tasks_own_session(machinectl):
    host, sessions = machinectl
    assert own(host, sessions) == (["7", "9"], [])


def test_a_copied_command_line_without_the_terminal_master_links_nothing(machinectl):
    """Another user's process may carry our markers (command lines are readable by all); it
    does not hold the master side of our terminal, so its session is not ours."""
    host, sessions = machinectl
    other_tty, other_rdev = host.tty()
    host.process(400, ppid=1, sid=400, tty=other_rdev, comm="sh", uid=1001)
    scope(host, 400, "11")
    argv(host, 400, "sleep", KEY, TMP)
    master(host, 400, pts(other_rdev))
    # ... and the real client is gone: only the forger is left
    shutil.rmtree(host.proc / "211")
    sessions.append({"id": "11", "user": "mallory", "station": other_tty, "kind": "terminal", "pid": 400})
    assert own(host, sessions) == (["9"], [])


def test_a_module_below_sshd_looks_for_no_become_peer(machinectl):
    """sudo and su keep the connection in our ancestry: no process table scan."""
    host, sessions = machinectl
    host.process(302, ppid=210, sid=210, tty=host.procs[210].tty_nr, comm="python3")
    argv(host, 302, "/usr/bin/python3", f"{TMP}/AnsiballZ_session_info.py")
    chain = _procfs.ancestry(302, _procfs.snapshot(str(host.proc)))
    assert _linux_sessions.become_peers(chain, _procfs.snapshot(str(host.proc)), str(host.proc)) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_terminal_of_another_devpts_instance_is_no_host_terminal(tmp_path):
    """A container's pts/N has the host's pts/N device number; the process has it open on
    the container's devpts, whose device (st_dev) is not the host's /dev/pts."""
    host = Host(tmp_path / "host")
    station, rdev = host.tty()
    host.process(500, ppid=1, sid=500, tty=rdev, comm="bash")
    (host.proc / "500" / "fd").mkdir()
    foreign = tmp_path / "container-pts"
    os.mknod(foreign, stat.S_IFCHR | 0o600, rdev)  # same device number, another file system
    os.symlink(str(foreign), host.proc / "500" / "fd" / "0")
    assert _procfs.tty_name(rdev, 500, str(host.proc)) is None
    os.unlink(host.proc / "500" / "fd" / "0")
    os.symlink(f"/dev/{station}", host.proc / "500" / "fd" / "0")  # the host's own terminal
    assert _procfs.tty_name(rdev, 500, str(host.proc)) == station
    assert _procfs.tty_name(rdev, None, str(host.proc)) == station
    host.close()
