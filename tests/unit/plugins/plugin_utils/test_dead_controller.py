# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 17: once the controller's main process is gone, nothing more is done on the host.

The flows with a recording host whose controller dies at a chosen moment, and the
parent watch and child-ending watchdog on real processes of this test run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller, _flow
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import logoff_options

from test_flow_sequence import TABLE, Host  # pylint: disable=import-error


class Dies:
    """A controller that dies after ``after`` module executions (or during the grace sleep)."""

    def __init__(self, host: Host, after: int | None = None, in_grace: bool = False):
        self.host = host
        self.after = after
        self.in_grace = in_grace
        self.dead = False

    def run(self, name, args):
        result = self.host(name, args)
        if self.after is not None and len(self.host.calls) >= self.after:
            self.dead = True
        return result

    def sleep(self, seconds):
        self.host.sleep(seconds)
        if self.in_grace:
            self.dead = True
            raise _controller.ControllerGone("waiting out the grace period")

    def stop(self, step):
        if self.dead:
            raise _controller.ControllerGone(step)


def logoff(ctl: Dies, **args):
    return _flow.logoff(logoff_options(args), ctl.run, ctl.sleep, False, False, stop=ctl.stop)


def test_killed_during_grace_no_logoff():
    ctl = Dies(Host(TABLE), in_grace=True)
    with pytest.raises(_controller.ControllerGone, match="grace"):
        logoff(ctl, notify_msg="bye", grace=30)
    assert ctl.host.names == ["session_info", "session_message"]


def test_killed_after_the_first_enumeration_sends_no_notice():
    ctl = Dies(Host(TABLE), after=1)
    with pytest.raises(_controller.ControllerGone, match="notice"):
        logoff(ctl, notify_msg="bye", grace=30)
    assert ctl.host.names == ["session_info"] and ctl.host.slept == []


def test_killed_after_the_second_enumeration_logs_nobody_off():
    ctl = Dies(Host(TABLE), after=3)
    with pytest.raises(_controller.ControllerGone, match="log"):
        logoff(ctl, notify_msg="bye", grace=1)
    assert "session_logoff" not in ctl.host.names


def test_killed_before_a_plain_logoff():
    ctl = Dies(Host(TABLE), after=1)
    with pytest.raises(_controller.ControllerGone):
        logoff(ctl)
    assert ctl.host.names == ["session_info"]


def test_message_flow_stops_too():
    from ansible_collections.termserv.sessions.plugins.plugin_utils._args import message_options
    ctl = Dies(Host(TABLE), after=1)
    with pytest.raises(_controller.ControllerGone):
        _flow.message(message_options({"msg": "hi"}), ctl.run, False, False, stop=ctl.stop)
    assert ctl.host.names == ["session_info"]


def test_controller_gone_is_a_target_error_with_a_clear_message():
    exc = _controller.ControllerGone("sending the logoff")
    assert isinstance(exc, _flow.TargetError)
    assert "controller" in str(exc) and "nothing more was done" in str(exc)


# ---- the parent watch on real processes ---------------------------------------------
WATCHED = r"""
import os, sys, time
sys.path[:0] = sys.argv[1:2]
from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller
watch = _controller.ParentWatch()
print("ready", flush=True)
try:
    watch.sleep(30, "waiting out the grace period")
except _controller.ControllerGone as exc:
    print("GONE", exc, flush=True)
    sys.exit(0)
print("SLEPT", flush=True)
"""


def _collections_path() -> str:
    import ansible_collections
    return os.path.dirname(list(ansible_collections.__path__)[0])


def test_parent_watch_notices_the_parent_dying_during_a_sleep(tmp_path):
    """A middle process starts the watcher and is SIGKILLed; the watcher stops sleeping."""
    out = tmp_path / "out"
    middle = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys, time\n"
                               f"p = subprocess.Popen([sys.executable, '-c', {WATCHED!r}, {_collections_path()!r}],"
                               f" stdout=open({str(out)!r}, 'w'))\n"
                               "print(p.pid, flush=True)\n"
                               "time.sleep(60)\n"], stdout=subprocess.PIPE, text=True)
    watcher = int(middle.stdout.readline())
    deadline = time.monotonic() + 20
    while "ready" not in out.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_at = time.monotonic()
    middle.kill()
    middle.wait()
    while "GONE" not in out.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    noticed = time.monotonic() - killed_at
    try:
        assert "GONE" in out.read_text(), out.read_text()
        assert noticed < 3.0
    finally:
        try:
            os.kill(watcher, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_parent_watch_is_quiet_while_the_parent_lives():
    watch = _controller.ParentWatch()
    started = time.monotonic()
    watch.sleep(0.3, "grace")
    assert time.monotonic() - started >= 0.3
    watch.check("anything")  # no exception


def test_watchdog_ends_own_children_when_the_parent_is_gone():
    """The watchdog ends this process's children once the parent is gone, nothing else.

    The child is a shell with a background grandchild: the shell (ours, identified by
    pid and start time) is ended; the grandchild is not our child and is left alone.
    """
    child = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    grandchild_started = _controller.start_time(grandchild)
    watch = _controller.ParentWatch()
    watch.parent = -1  # as if the recorded parent had died
    try:
        with watch.watchdog(poll=0.05):
            child.wait(timeout=10)
        assert child.returncode in (-signal.SIGTERM, -signal.SIGKILL)
        assert _controller.start_time(grandchild) == grandchild_started
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if _controller.start_time(grandchild) == grandchild_started:
            os.kill(grandchild, signal.SIGKILL)


def test_watchdog_does_nothing_while_the_parent_lives():
    child = subprocess.Popen(["sleep", "30"])
    watch = _controller.ParentWatch()
    try:
        with watch.watchdog(poll=0.05):
            time.sleep(0.3)
        assert child.poll() is None
    finally:
        child.kill()
        child.wait()


def test_children_are_identified_by_pid_and_start_time():
    child = subprocess.Popen(["sleep", "30"])
    try:
        found = dict(_controller.children(os.getpid()))
        assert child.pid in found and found[child.pid] == _controller.start_time(child.pid)
        assert _controller.start_time(child.pid) is not None
    finally:
        child.kill()
        child.wait()
    assert _controller.start_time(child.pid) is None


# ---- the controller's identity (issue 11 item 9) -------------------------------------
@pytest.mark.parametrize("tty_nr, name", [
    (0, None), ((136 << 8) | 3, "pts/3"), ((137 << 8) | 4, "pts/260"),
    ((136 << 8) | (1 << 20), "pts/256"), ((4 << 8) | 2, "tty2"), ((4 << 8) | 64, None), ((5 << 8) | 1, None),
])
def test_tty_names_from_tty_nr(tty_nr, name):
    assert _controller.tty_name(tty_nr) == name


def test_audit_session_unset_is_none(tmp_path):
    path = tmp_path / "sessionid"
    path.write_text("4294967295")
    assert _controller._audit_session(str(path)) is None
    path.write_text("17\n")
    assert _controller._audit_session(str(path)) == 17
    assert _controller._audit_session(str(tmp_path / "missing")) is None


def test_machine_id(tmp_path):
    path = tmp_path / "machine-id"
    path.write_text("0123456789abcdef0123456789abcdef\n")
    assert _controller._machine_id(str(path)) == "0123456789abcdef0123456789abcdef"
    path.write_text("")
    assert _controller._machine_id(str(path)) is None


def test_controller_tty_is_found_on_an_ancestor():
    """A child in its own session has no tty; its parent's terminal is the controller's."""
    import pty
    script = ("import sys, os; sys.path[:0] = [sys.argv[1]];"
              "from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller as c;"
              "os.setsid(); print('TTY', c.controller_tty(), os.ttyname(0) if os.isatty(0) else None)")
    pid, fd = pty.fork()
    if pid == 0:  # child: on a new pty, start a grandchild that detaches like a worker
        os.execv(sys.executable, [sys.executable, "-c",
                                  "import subprocess, sys; subprocess.run([sys.executable, '-c', "
                                  f"{script!r}, {_collections_path()!r}], stdin=subprocess.DEVNULL)"])
    output = b""
    try:
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            output += chunk
    except OSError:
        pass
    os.waitpid(pid, 0)
    line = [part for part in output.decode().splitlines() if part.startswith("TTY")][0]
    found = line.split()[1]
    assert found.startswith("pts/"), line
    assert os.path.exists(f"/dev/{found}")


def test_requester_names_the_awx_job_or_the_user():
    assert _controller.requester({"awx_job_id": 123}) == "AWX job 123"
    assert _controller.requester({"tower_job_id": "7"}) == "AWX job 7"
    import getpass
    import socket
    assert _controller.requester({}) == f"{getpass.getuser()}@{socket.gethostname()}"
