# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 17 on real sessions: once ansible-playbook is gone, nothing more happens on the host.

The main ansible-playbook process is killed (SIGKILL, as the OOM killer or a crashed AWX
node does) or interrupted (SIGINT, as a cancel) while session_logoff waits out grace or
escalates on a session that lives through HUP and TERM and writes down each signal it
gets. Its orphaned worker must not go on: the sessions are still there well after the
moment they would have been logged off, and the escalating session got the HUP and
nothing after it. Both with a local connection and over ssh to the sandbox's sshd with
Ansible's default ControlPersist, where the worker's ssh client is only a client of a
master that outlives the job: the target must still notice.

Run only under the machine-wide lock:
    flock /work/.real-sessions.lock .venv/bin/python -m pytest -q tests/integration/test_dead_controller.py
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.sandbox.sandbox import signals_received

from .ansible_run import BIN, env


@pytest.fixture(scope="session")
def ground(sandbox_ground):
    """This machine only: the play runs on localhost, so the sessions must be local ones."""
    return sandbox_ground


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, start time) of ``pid``, None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _descendants(root: int) -> dict[int, int]:
    """Every live descendant of ``root`` as {pid: start time}."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (info := _stat(int(entry))):
            table[int(entry)] = info
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def _is_ssh_master(pid: int) -> bool:
    """Ansible's ControlPersist master (``ssh: PATH [mux]``): it outlives every job by design."""
    cmdline = _cmdline(pid)
    return cmdline.startswith("ssh: ") and cmdline.rstrip().endswith("[mux]")


class Playbook:
    """ansible-playbook with one session_logoff task, started in the background."""

    def __init__(self, task_args: dict, connection: str, ground) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="termserv-dead-"))
        self.control_dir = self.dir / "cp"
        book = self.dir / "play.yml"
        if connection == "local":
            hosts, inventory = "localhost", ["-i", "localhost,", "-c", "local"]
        else:
            # root over the sandbox's sshd, with Ansible's default ssh arguments
            # (ControlMaster=auto, ControlPersist=60s) and a control path of our own.
            hosts = "sandbox"
            (self.dir / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"sandbox": {
                "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": ground.port,
                "ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": str(ground.dir / "client_key"),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            }}}}), encoding="utf-8")
            inventory = ["-i", str(self.dir / "hosts.yml")]
        book.write_text(yaml.safe_dump([{
            "name": "Logoff whose controller dies", "hosts": hosts, "gather_facts": False,
            "tasks": [{"name": "Log off", "termserv.sessions.session_logoff": task_args}],
        }], sort_keys=False), encoding="utf-8")
        self.log = open(self.dir / "output.txt", "w", encoding="utf-8")  # noqa: SIM115 pylint: disable=consider-using-with
        # A session of its own, as a shell would start it: the kill reaches only the main
        # process, exactly like the OOM killer does.
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(BIN / "ansible-playbook"), *inventory, str(book)],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=env(ANSIBLE_SSH_CONTROL_PATH_DIR=str(self.control_dir)), start_new_session=True)
        self.seen: dict[int, int] = {}

    def wait_for_module(self, module: str, timeout: float = 60) -> None:
        """Wait until the target module ``module`` runs under this playbook."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _descendants(self.proc.pid)
            self.seen.update(found)
            if any(module in _cmdline(pid) for pid in found):
                return
            assert self.proc.poll() is None, self.output()
            time.sleep(0.05)
        raise AssertionError(f"{module} never ran:\n{self.output()}")

    def kill(self, signum: int) -> None:
        self.seen.update(_descendants(self.proc.pid))
        os.kill(self.proc.pid, signum)

    def leftovers(self, wait: float) -> dict[int, int]:
        """The processes this playbook started that still run after ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while True:
            alive = {pid: started for pid, started in self.seen.items()
                     if (info := _stat(pid)) and info[1] == started and not _is_ssh_master(pid)}
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.1)

    def output(self) -> str:
        self.log.flush()
        return (self.dir / "output.txt").read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        """End whatever of ours is left (by pid and start time), so nothing keeps running."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for pid, started in self.leftovers(0).items():
            if (info := _stat(pid)) and info[1] == started:
                os.kill(pid, signal.SIGKILL)
        # The ControlPersist master is asked to leave by its own protocol, not signalled.
        for socket in (self.control_dir.iterdir() if self.control_dir.is_dir() else []):
            subprocess.run(["ssh", "-O", "exit", "-o", f"ControlPath={socket}", "sandbox"],
                           capture_output=True, timeout=30, check=False)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def playbook(ground):
    started: list[Playbook] = []

    def start(connection: str, **task_args) -> Playbook:
        book = Playbook(task_args, connection, ground)
        started.append(book)
        return book

    yield start
    for book in started:
        book.close()


# Over ssh only SIGKILL: what differs there is how the target learns of it, not the signal.
CASES = [pytest.param("local", signal.SIGKILL, id="local-SIGKILL"),
         pytest.param("local", signal.SIGINT, id="local-SIGINT"),
         pytest.param("ssh", signal.SIGKILL, id="ssh-SIGKILL")]


@pytest.mark.parametrize("connection, signum", CASES)
def test_killed_during_grace_nobody_is_logged_off(open_sessions, is_alive, terminal_output, playbook,
                                                  connection, signum):
    sessions = open_sessions("admin2", 2)
    grace = 6
    book = playbook(connection, users=["admin2"], notify_msg="DEADCTL notice", grace=grace, timeout=10)
    # The notice on the terminal proves the task is in its grace period. Seen as soon as it is
    # written; the bound covers Ansible's start and the ssh connection on a loaded machine
    # (5 s was short once in CI: the playbook was still enumerating).
    assert "DEADCTL notice" in terminal_output(sessions[0], "DEADCTL notice", 30), book.output()
    book.kill(signum)
    killed = time.monotonic()
    # Well past the end of grace, when the orphan would have enumerated and logged off.
    time.sleep(max(0.0, grace + 6 - (time.monotonic() - killed)))
    assert all(is_alive(h) for h in sessions), book.output()
    assert book.leftovers(wait=10) == {}, "the orphaned worker is still running"


@pytest.mark.parametrize("connection, signum", CASES)
def test_killed_during_escalation_no_further_signals(open_sessions, is_alive, playbook, connection, signum):
    stubborn = open_sessions("TsuUp", behaviour="log_signals")[0]
    # timeout 18: HUP at once, TERM after 6 s, KILL after 12 s (the session lives through
    # HUP and TERM and writes each down).
    book = playbook(connection, users=["TsuUp"], timeout=18)
    book.wait_for_module("session_logoff", timeout=90)
    deadline = time.monotonic() + 20
    while signals_received(stubborn.marker) != ["HUP"] and time.monotonic() < deadline:
        assert book.proc.poll() is None, book.output()
        time.sleep(0.05)
    assert signals_received(stubborn.marker) == ["HUP"], ("the logoff never sent its HUP", book.output())
    hup = time.monotonic()
    book.kill(signum)
    # Past the TERM (6 s) and KILL (12 s) stages: nothing more may arrive.
    time.sleep(max(0.0, 14 - (time.monotonic() - hup)))
    assert signals_received(stubborn.marker) == ["HUP"], book.output()
    assert is_alive(stubborn), book.output()
    assert book.leftovers(wait=10) == {}, "processes of the dead controller still run"
