# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task's own session through ``become_method: machinectl`` (issue 22 item 3), and a
terminal of another devpts instance is no host terminal, on a crafted /proc.

The process tree is the one seen on the farm's systemd 252 host (tests/farm/
test_controller_session.py makes it live): the connection's sshd, its shell and the
``machinectl shell`` client in session 7; machined's new session 9 whose shell was started
by PID 1 and runs the module. The task's directory is real (its owner is what a peer's uid is
checked against); so is, in one test, a devpts instance of a user namespace.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions, _procfs
from tests.unit.plugins.module_utils.linux_ground import Host

KEY = "BECOME-SUCCESS-" + "q" * 32
TASK = "ansible-tmp-1796611012.28-13805-39689165286086"


def scope(host: Host, pid: int, session: str) -> None:
    (host.proc / str(pid) / "cgroup").write_text(
        f"9:name=systemd:/user.slice/user-0.slice/session-{session}.scope\n"
        f"0::/user.slice/user-0.slice/session-{session}.scope\n")


def argv(host: Host, pid: int, *words: str) -> None:
    (host.proc / str(pid) / "cmdline").write_bytes(b"\0".join(w.encode() for w in words) + b"\0")


def uid(host: Host, pid: int, value: int) -> None:
    (host.proc / str(pid) / "status").write_text(f"Name:\tx\nUid:\t{value}\t{value}\t{value}\t{value}\n")


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
    """(host, sessions, the task's directory): the connection's pts/A, machined's pts/B."""
    host = Host(tmp_path)
    tmp = tmp_path / "home" / "admin" / ".ansible" / "tmp" / TASK
    tmp.mkdir(parents=True)
    become = f"echo {KEY}; /usr/bin/python3 {tmp}/AnsiballZ_session_info.py"
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
    argv(host, 210, "/bin/sh", "-c", f"machinectl -q shell root@ /bin/sh -c '{become}'")
    argv(host, 211, "machinectl", "-q", "shell", "root@", "/bin/sh", "-c", become)
    argv(host, 300, "/bin/sh", "-c", become)
    argv(host, 301, "/usr/bin/python3", f"{tmp}/AnsiballZ_session_info.py")
    master(host, 211, pts(shell_rdev))
    sessions = [{"id": "7", "user": "admin", "station": conn_tty, "kind": "terminal", "pid": 200},
                {"id": "9", "user": "root", "station": shell_tty, "kind": "terminal", "pid": 300}]
    yield host, sessions, tmp
    host.close()


def own(host: Host, sessions: list[dict], pid: int = 301) -> tuple[list[str], list[str]]:
    table = _procfs.snapshot(str(host.proc))
    return _linux_sessions.own_and_controller_ids(sessions, "logind", pid=pid, table=table, proc=str(host.proc))


def test_the_connection_that_ran_machinectl_is_the_tasks_own_session(machinectl):
    host, sessions, _tmp = machinectl
    assert own(host, sessions) == (["7", "9"], [])


def test_a_copied_command_line_without_the_terminal_master_links_nothing(machinectl):
    """Another user's process may carry our markers (command lines are readable by all); it
    does not hold the master side of our terminal, so its session is not ours."""
    host, sessions, tmp = machinectl
    other_tty, other_rdev = host.tty()
    host.process(400, ppid=1, sid=400, tty=other_rdev, comm="sh", uid=1001)
    scope(host, 400, "11")
    argv(host, 400, "sleep", KEY, str(tmp))
    master(host, 400, pts(other_rdev))
    # ... and the real client is gone: only the forger is left
    shutil.rmtree(host.proc / "211")
    sessions.append({"id": "11", "user": "mallory", "station": other_tty, "kind": "terminal", "pid": 400})
    assert own(host, sessions) == (["9"], [])


def test_a_peers_terminal_marks_no_session_as_ours(machinectl):
    """Only our own ancestry's terminals mark a session as ours: the peer's ancestry links
    the connection's session by its pids and scope, never another session on its terminal
    (which a forged peer would otherwise protect). Failed before: "12" was own_session."""
    host, sessions, _tmp = machinectl
    host.process(250, ppid=1, sid=250, tty=host.procs[210].tty_nr, comm="bash", uid=1001)
    scope(host, 250, "12")
    sessions.append({"id": "12", "user": "mallory", "station": sessions[0]["station"],
                     "kind": "terminal", "pid": 250})
    assert own(host, sessions) == (["7", "9"], [])


def test_a_peer_of_another_user_links_nothing(machinectl):
    """The peer must run as root or as the owner of the task's directory (the connection's
    user). Failed before: the uid-1001 client linked session 7."""
    host, sessions, tmp = machinectl
    os.chown(tmp, 1000, 1000)
    uid(host, 211, 1001)
    assert own(host, sessions) == (["9"], [])
    uid(host, 211, 1000)  # the connection's user, who owns the task's directory
    assert own(host, sessions) == (["7", "9"], [])


FORGER = """
import os, sys
want, fds = int(sys.argv[1]), []
while True:  # open masters on our own devpts until one has the number of the victim's pts
    fds.append(os.open("/dev/pts/ptmx", os.O_RDWR | os.O_NOCTTY))
    with open(f"/proc/self/fdinfo/{fds[-1]}") as info:
        got = int([l for l in info if l.startswith("tty-index:")][0].split()[1])
    if got >= want:
        break
print(got, flush=True)
sys.stdin.read()
"""


@pytest.fixture
def foreign_devpts():
    """A real process in a user + mount namespace with a devpts instance of its own: it opens
    masters there up to a given number (what any user who may create user namespaces can do)."""
    started = []

    def start(index: int) -> int:
        child = subprocess.Popen(
            ["unshare", "-Urm", "sh", "-c",
             'mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts && exec "$0" -c "$1" "$2"',
             sys.executable, FORGER, str(index)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started.append(child)
        line = child.stdout.readline()
        if not line:
            pytest.skip("no user namespaces with a devpts mount here")
        assert int(line) == index
        return child.pid

    yield start
    for child in started:
        child.stdin.close()
        child.wait(timeout=10)


def test_a_master_of_another_devpts_instance_links_nothing(machinectl, foreign_devpts):
    """pts numbers are per devpts instance: a master of our pts NUMBER on a devpts of the
    forger's own is not the master of our terminal. Failed before: the forger (even as
    root, so that only the instance check can refuse it) linked its session 11."""
    host, sessions, tmp = machinectl
    shutil.rmtree(host.proc / "211")  # only the forger is left
    forger = foreign_devpts(pts(host.procs[301].tty_nr))
    other_tty, other_rdev = host.tty()
    host.process(400, ppid=1, sid=400, tty=other_rdev, comm="sleep")
    scope(host, 400, "11")
    argv(host, 400, "sleep", KEY, str(tmp))
    for name in ("fd", "fdinfo"):  # its descriptors are the real forger's
        os.symlink(f"/proc/{forger}/{name}", host.proc / "400" / name)
    sessions.append({"id": "11", "user": "mallory", "station": other_tty, "kind": "terminal", "pid": 400})
    assert own(host, sessions) == (["9"], [])


def test_a_module_below_sshd_looks_for_no_become_peer(machinectl):
    """sudo and su keep the connection in our ancestry: no process table scan."""
    host, sessions, tmp = machinectl
    host.process(302, ppid=210, sid=210, tty=host.procs[210].tty_nr, comm="python3")
    argv(host, 302, "/usr/bin/python3", f"{tmp}/AnsiballZ_session_info.py")
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
