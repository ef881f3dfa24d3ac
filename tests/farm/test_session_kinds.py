# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a session is on a real logind host (issue 22 items 1, 2, 7, 8), with real connections of the farm.

On the systemd host, at once: a non-interactive ssh connection (what sftp, rsync, git and
other Ansible jobs make: a logind session without a terminal), a root login with a terminal
that logind knows no TTY for, a session left ``closing``
with a program on a terminal (what mosh does: its ssh connection ends, mosh-server and the
shell on its own pty live on), and a login on the serial console ttyS0 (a pty bound over
/dev/ttyS0 in the host's own mount namespace, logged in by ``login`` as a unit of the host's
systemd, so that pam_systemd and logind see TTY=ttyS0, as on a cloud serial console).
One playbook lists, notifies and logs off; the host is the judge afterwards. (The task's
own connection is a root session too: it stays, ``own_session``.)
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import typing as t

import pytest

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.integration.ansible_run import run_tasks
from tests.sandbox.sandbox import MARK, marked_processes

INFO = "termserv.sessions.session_info"
LOGOFF = "termserv.sessions.session_logoff"

# Holds a pty whose slave is bound over /dev/ttyS0 in the host's mount namespace; drains the
# master so that the shell on the console never blocks on output; ends when stdin closes.
CONSOLE_HOLDER = r"""
import os, pty, select, subprocess, sys
master, slave = pty.openpty()
subprocess.run(["mount", "--bind", os.ttyname(slave), "/dev/ttyS0"], check=True)
print("ready", flush=True)
while True:
    ready, _, _ = select.select([master, 0], [], [], 1.0)
    if 0 in ready and not os.read(0, 1):
        break
    if master in ready:
        try:
            os.read(master, 4096)
        except OSError:
            pass
subprocess.run(["umount", "/dev/ttyS0"], check=False)
"""


def ssh_argv(farm: Farm, host: str, user: str, *options: str) -> list[str]:  # noqa: F811
    info = farm.host(host)
    return ["ssh", "-p", str(info["port"]), "-i", str(farm.dir / "client_key"),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", *options, f"{user}@{info['addr']}"]


def wait_for(what: t.Callable[[], t.Any], timeout: float = 20.0, step: float = 0.05) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Started:
    """Processes this test started, ended by PID at the end (never by name)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []
        self.markers: list[str] = []

    def popen(self, argv: list[str], **kwargs: t.Any) -> subprocess.Popen:
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def marker(self) -> str:
        value = secrets.token_hex(8)
        self.markers.append(value)
        return value

    def end(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                if proc.stdin:
                    proc.stdin.close()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        for marker in self.markers:
            for pid in marked_processes(marker):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def started() -> t.Iterator[Started]:
    box = Started()
    try:
        yield box
    finally:
        box.end()


def by_id(items: list[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    return {str(s["id"]): s for s in items}


def test_each_kind_of_session_on_a_logind_host_is_classified_and_treated_as_such(farm: Farm, started: Started, tmp_path):  # noqa: F811
    host = farm_host(farm, "systemd")
    begin = time.monotonic()

    # 22.1: a connection without a terminal (as sftp, rsync, another Ansible job).
    plain_mark = started.marker()
    plain = started.popen(ssh_argv(farm, host, "carol", "-o", f"SetEnv={MARK}={plain_mark}") + ["sleep 600"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    plain_id = wait_for(lambda: Farm.logind_id(marked_processes(plain_mark)))

    # 22.7: a root login over ssh with a terminal: systemd 252's logind matches it to its
    # utmp record by the shell's pid and never fills in its TTY (measured on the farm).
    # (A ControlMaster channel's TTY is filled in late by the same logind: the same code
    # path, covered by the unit test on recorded properties.)
    root = farm.open(host, "root")[0]
    channel_id, channel_tty, channel_mark = root.id, root.tty, root.marker
    assert farm.nsenter(host, ["loginctl", "show-session", channel_id, "-p", "TTY", "--value"]).stdout.strip() == ""

    # 22.8: what mosh does: the ssh connection starts a detached program on its own pty and
    # ends; with KillUserProcesses=no (the default) the session stays, "closing".
    mosh_mark = started.marker()
    subprocess.run(ssh_argv(farm, host, "TsuUp", "-o", f"SetEnv={MARK}={mosh_mark}")
                   + ["setsid -f script -qfc 'sleep 600' /dev/null </dev/null >/dev/null 2>&1"],
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=True)
    mosh_id = wait_for(lambda: Farm.logind_id(marked_processes(mosh_mark)))
    wait_for(lambda: farm.nsenter(host, ["loginctl", "show-session", mosh_id, "-p", "State", "--value"]
                                  ).stdout.strip() == "closing")

    # 22.2: a login on the serial console ttyS0.
    holder = started.popen(["nsenter", "-t", str(farm.init_pid(host)), "-m", "-p", "-u", "-i",
                            "python3", "-c", CONSOLE_HOLDER],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b"ready", holder.stderr.read()
    unit = f"termserv-serial-{secrets.token_hex(4)}"
    run = farm.nsenter(host, ["systemd-run", f"--unit={unit}", "-p", "TTYPath=/dev/ttyS0",
                              "-p", "StandardInput=tty", "-p", "StandardOutput=tty", "-p", "StandardError=tty",
                              "/bin/login", "-f", "admin"])
    assert run.returncode == 0, run.stderr

    def serial_id() -> str:
        out = farm.nsenter(host, ["loginctl", "list-sessions", "--no-legend", "--no-pager"]).stdout
        for line in out.splitlines():
            fields = line.split()
            if "admin" in fields and "ttyS0" in fields:
                return fields[0]
        return ""
    try:
        console_id = wait_for(serial_id)
        setup = time.monotonic() - begin

        users = ["carol", "root", "TsuUp", "admin"]
        result = run_tasks([
            {"name": "Default selection", INFO: {"users": users}, "register": "default"},
            {"name": "With non-interactive connections", INFO: {"users": users, "include_non_interactive": True},
             "register": "wide"},
            {"name": "Log off with a notice", LOGOFF: {"users": users, "notify_msg": "bye", "grace": 1,
                                                       "timeout": 20}, "register": "logoff"},
        ], play={"hosts": host}, inventory=str(farm.write_inventory()), timeout=180)
        assert result.rc == 0, result.stdout + result.stderr
        playbook = time.monotonic() - begin - setup

        default = result["default"]
        listed, skipped = by_id(default["sessions"]), by_id(default["skipped_sessions"])
        # 22.1: listed, with its reason, never selected by default; selected on purpose.
        assert plain_id in skipped and skipped[plain_id]["reason"] == "non_interactive", default
        assert plain_id in by_id(result["wide"]["sessions"])
        # 22.7: the channel's terminal, from the session's own processes; selected.
        assert listed[channel_id]["station"] == channel_tty, listed[channel_id]
        assert listed[channel_id]["idle_seconds"] is not None
        # 22.8: listed with its real state and selected like any interactive session.
        assert listed[mosh_id]["state"] == "closing"
        # 22.2: the serial console is the console.
        assert skipped[console_id]["reason"] == "console" and skipped[console_id]["console"] is True

        logoff = result["logoff"]
        assert sorted(by_id(logoff["logged_off"])) == sorted([channel_id, mosh_id]), logoff
        assert sorted(by_id(logoff["notified"])) == sorted([channel_id, mosh_id]), logoff
        assert not any(s["reason"] == "identity_changed" for s in logoff["skipped_sessions"]), logoff
        # The host is the judge: the other job's connection and the console live on.
        assert plain.poll() is None and marked_processes(plain_mark)
        assert serial_id() == console_id
        assert not marked_processes(channel_mark) and not marked_processes(mosh_mark)
        print(f"\nsession kinds: setup {setup:.1f}s, playbook {playbook:.1f}s")
    finally:
        farm.nsenter(host, ["systemctl", "stop", unit])


def test_the_controllers_other_channels_on_a_utmp_host_are_controller_sessions(farm: Farm, started: Started):  # noqa: F811
    """Issue 23 item 8: Ansible's ControlPersist master carries another channel with a
    terminal (another task or play of the same controller): on a utmp host it is a record
    of its own, with the same login process as the task's own. Reported once as own, the
    other as ``controller_session``, the same in the preview and in the run."""
    host = farm_host(farm, "utmp")
    control = f"/tmp/termserv-cp-{secrets.token_hex(4)}"
    started.popen(ssh_argv(farm, host, "root", "-o", "ControlMaster=yes", "-o", "ControlPersist=yes",
                           "-o", f"ControlPath={control}", "-N"),
                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(control))
        before = set(utmp_lines(farm, host))
        started.popen(["ssh", "-tt", "-o", f"ControlPath={control}", "x", "sleep 600"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sibling = wait_for(lambda: sorted(set(utmp_lines(farm, host)) - before))[0]
        common = f"-o ControlMaster=auto -o ControlPersist=60s -o ControlPath={control}"
        play = {"hosts": host, "vars": {"ansible_ssh_common_args": common}}
        tasks = [
            {"name": "Preview", LOGOFF: {"users": ["root"]}, "register": "preview", "check_mode": True},
            {"name": "Run", LOGOFF: {"users": ["root"]}, "register": "run"},
        ]
        result = run_tasks(tasks, play=play, inventory=str(farm.write_inventory()), timeout=120)
        assert result.rc == 0, result.stdout + result.stderr
        for name in ("preview", "run"):
            got = result[name]
            reasons = sorted(s["reason"] for s in got["skipped_sessions"])
            assert reasons == ["controller_session", "own_session"], (name, got)
            assert by_id(got["skipped_sessions"])[sibling]["reason"] == "controller_session"
            assert got["logged_off"] == [], (name, got)
        assert sibling in utmp_lines(farm, host), "the controller's other channel was ended"
    finally:
        subprocess.run(["ssh", "-o", f"ControlPath={control}", "-O", "exit", "x"], capture_output=True,
                       timeout=10, check=False)


def utmp_lines(farm: Farm, host: str) -> list[str]:  # noqa: F811
    """The terminals of the host's USER_PROCESS records (its own /run/utmp)."""
    from tests.sandbox.sandbox import UTMP_RECORD
    data = (farm.root(host) / "run" / "utmp").read_bytes()
    lines = []
    for offset in range(0, len(data) - UTMP_RECORD.size + 1, UTMP_RECORD.size):
        fields = UTMP_RECORD.unpack_from(data, offset)
        if fields[0] == 7:
            lines.append(fields[2].split(b"\0", 1)[0].decode())
    return lines


def test_a_utmp_host_that_cannot_see_its_sessions_says_so(farm: Farm):  # noqa: F811
    """Issue 22 item 9, on a real utmp host: lxcfs's /proc/uptime (the container's own uptime,
    here a file bound over /proc/uptime in the host's mount namespace, as lxcfs does) must not
    hide the sessions; a host without /run/utmp warns instead of reporting "no sessions"."""
    host = farm_host(farm, "utmp")
    handle = farm.open(host, "carol")[0]
    fake = farm.root(host) / "run" / "lxcfs-uptime"
    fake.write_text("12.00 10.00\n")
    bound = farm.nsenter(host, ["mount", "--bind", "/run/lxcfs-uptime", "/proc/uptime"])
    assert bound.returncode == 0, bound.stderr
    try:
        first = run_tasks([{"name": "List", INFO: {"users": ["carol"]}, "register": "listed"}],
                          play={"hosts": host}, inventory=str(farm.write_inventory()), timeout=120)
    finally:
        farm.nsenter(host, ["umount", "/proc/uptime"])
    assert first.rc == 0, first.stdout + first.stderr
    assert [s["id"] for s in first["listed"]["sessions"]] == [handle.id], first["listed"]

    utmp = farm.root(host) / "run" / "utmp"
    saved = utmp.read_bytes()
    utmp.unlink()
    try:
        second = run_tasks([{"name": "List", INFO: {"users": ["carol"]}, "register": "listed"}],
                           play={"hosts": host}, inventory=str(farm.write_inventory()), timeout=120)
    finally:
        farm.nsenter(host, ["install", "-m", "664", "-g", "utmp", "/dev/null", "/run/utmp"])
        utmp.write_bytes(saved)
        farm.close(handle)
    assert second.rc == 0, second.stdout + second.stderr
    assert "/run/utmp does not exist" in second.stdout + second.stderr


def test_a_preview_without_root_says_what_it_could_not_read(farm: Farm):  # noqa: F811
    """Issue 22 item 10, on a real utmp host whose /proc hides other users' processes
    (hidepid=2): a user without root sees no session of others; the preview says why."""
    host = farm_host(farm, "utmp")
    handle = farm.open(host, "admin")[0]
    hidden = farm.nsenter(host, ["mount", "-o", "remount,hidepid=2", "/proc"])
    assert hidden.returncode == 0, hidden.stderr
    try:
        result = run_tasks([{"name": "Preview as carol", LOGOFF: {"users": ["admin"]}, "check_mode": True,
                             "register": "preview"}],
                           play={"hosts": host, "vars": {"ansible_user": "carol"}},
                           inventory=str(farm.write_inventory()), timeout=120)
    finally:
        farm.nsenter(host, ["mount", "-o", "remount,hidepid=0", "/proc"])
        farm.close(handle)
    assert result.rc == 0, result.stdout + result.stderr
    output = " ".join((result.stdout + result.stderr).split())
    assert "hidepid=" in output and "not running as root" in output, output
