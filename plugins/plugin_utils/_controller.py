# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller process itself: is it still there, and who is it.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Ansible runs each task in a worker process forked from the ``ansible-playbook`` main
process (the worker calls setsid, so a signal to the main process does not reach it).
When the main process dies (SIGKILL, the OOM killer, a crashed AWX node) the worker is
re-parented and would go on with the task on its own: wait out grace, log users off.
Nobody would ever see the result. The rule (issue 17): once the main process is gone,
nothing more is done on any host.

* ``ParentWatch`` records the parent at the start of the task. ``check()`` before every
  step that changes anything and ``sleep()`` in small steps raise ``ControllerGone``.
* While a target module runs (``_execute_module`` blocks), ``watchdog()`` runs a thread
  that, once the parent is gone, ends this worker's own child processes (the ssh client
  of the connection, or the local module's shell), identified by (pid, start time),
  never by name, so that the target sees its connection go away and stops
  (plugins/module_utils/_lifeline.py on Linux).

``identity()`` is the controller's own identity, passed to session_info as
``_controller`` so that a controller running on the host it manages protects its own
session (issue 11 item 9).
"""
from __future__ import annotations

import contextlib
import getpass
import os
import signal
import socket
import threading
import time
import typing as t
import uuid

from ansible_collections.termserv.sessions.plugins.plugin_utils._flow import TargetError

# /proc/self/sessionid when the process has no audit session ((u32)-1).
AUDIT_SESSION_UNSET = 4294967295
# How often the parent is looked at while waiting: small, so that a logoff that was due
# right after the death is not sent (a check costs one getppid()).
POLL_SECONDS = 0.2
# After SIGTERM, how long a child has to go before SIGKILL.
TERM_GRACE_SECONDS = 2.0


class ControllerGone(TargetError):
    """The ansible-playbook process that started this task is gone: stop, change nothing."""

    def __init__(self, step: str) -> None:
        super().__init__(
            f"the controller (the ansible-playbook process that started this task) went away "
            f"before {step}; stopped there and nothing more was done on this host")
        self.step = step


def start_time(pid: int) -> int | None:
    """The start time of ``pid`` (clock ticks since boot), None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[19])  # field 22 of stat(5); fields[0] is field 3 (state)


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[1])


def children(pid: int) -> list[tuple[int, int]]:
    """The direct child processes of ``pid`` as (pid, start time)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        child = int(entry)
        if _ppid(child) != pid:
            continue
        started = start_time(child)
        if started is not None:
            found.append((child, started))
    return found


def _signal_same(pid: int, started: int, signum: int) -> bool:
    """Send ``signum`` to ``pid`` only if it is still the process that started at ``started``.

    With a pidfd (Linux 5.3+, Python 3.9+) the check and the signal cannot race with a
    reused pid; without one the identity is re-read right before ``kill``.
    """
    pidfd_open = getattr(os, "pidfd_open", None)
    send = getattr(signal, "pidfd_send_signal", None)
    if pidfd_open is not None and send is not None:
        try:
            fd = pidfd_open(pid)
        except OSError:
            return False
        try:
            if start_time(pid) != started:
                return False
            send(fd, signum)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)
    if start_time(pid) != started:
        return False
    try:
        os.kill(pid, signum)
        return True
    except OSError:
        return False


def end_children(pid: int | None = None, term_grace: float = TERM_GRACE_SECONDS) -> list[int]:
    """SIGTERM the direct children of ``pid`` (default: this process), SIGKILL the stubborn.

    Returns the pids that were signalled. Only processes that are positively this
    process's children, by (pid, start time), are signalled.
    """
    me = os.getpid() if pid is None else pid
    targets = [(c, s) for c, s in children(me) if _signal_same(c, s, signal.SIGTERM)]
    deadline = time.monotonic() + term_grace
    while time.monotonic() < deadline and any(start_time(c) == s for c, s in targets):
        time.sleep(0.05)
    for child, started in targets:
        if start_time(child) == started and _ppid(child) == me:
            _signal_same(child, started, signal.SIGKILL)
    return [c for c, _s in targets]


class ParentWatch:
    """Is the process that started this task (the ansible-playbook main process) still there?"""

    def __init__(self) -> None:
        self.parent = os.getppid()
        self.parent_started = start_time(self.parent)

    def gone(self) -> bool:
        # A dead parent's children are re-parented (to init or a subreaper), so getppid()
        # changes; the start time guards against a watch created in a forked child.
        if os.getppid() != self.parent:
            return True
        return self.parent_started is not None and start_time(self.parent) != self.parent_started

    def check(self, step: str) -> None:
        """Raise ControllerGone when the controller is gone; call before ``step``."""
        if self.gone():
            raise ControllerGone(step)

    def sleep(self, seconds: float, step: str = "the end of the grace period") -> None:
        """Sleep ``seconds`` in small steps; raise ControllerGone as soon as it is gone."""
        deadline = time.monotonic() + seconds
        self.check(step)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(POLL_SECONDS, left))
            self.check(step)

    @contextlib.contextmanager
    def watchdog(self, poll: float = POLL_SECONDS) -> t.Iterator[None]:
        """While the body runs, end this process's children if the controller dies.

        The body is a blocking module execution: the children are the connection's ssh
        client or the local module's shell. Ending them closes the target's stdout and
        changes its ancestry, which the target-side lifeline watches.
        """
        done = threading.Event()

        def watch() -> None:
            while not done.wait(poll):
                if self.gone():
                    end_children()
                    return

        thread = threading.Thread(target=watch, name="termserv-controller-watchdog", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=TERM_GRACE_SECONDS + 1)


# ---- who the controller is -----------------------------------------------------------
def _machine_id(path: str = "/etc/machine-id") -> str | None:
    try:
        with open(path, encoding="ascii") as handle:
            value = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return value or None


def _audit_session(path: str = "/proc/self/sessionid") -> int | None:
    try:
        with open(path, encoding="ascii") as handle:
            value = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return None if value == AUDIT_SESSION_UNSET else value


def tty_name(tty_nr: int) -> str | None:
    """The name (``pts/3``, ``tty2``) of a tty_nr of /proc/PID/stat; None for none/unknown."""
    if tty_nr == 0:
        return None
    major = (tty_nr >> 8) & 0xFFF
    minor = (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    if 136 <= major <= 143:  # Unix98 pseudo-terminals
        return f"pts/{(major - 136) * 256 + minor}"
    if major == 4 and minor < 64:  # virtual consoles
        return f"tty{minor}"
    return None


def _tty_nr(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[4])  # field 7 of stat(5)


def controller_tty(pid: int | None = None) -> str | None:
    """The terminal of this process or of its nearest ancestor that has one.

    The worker itself has none (it calls setsid); ansible-playbook, or the shell that
    started it, does when an admin runs it from a terminal.
    """
    current = os.getpid() if pid is None else pid
    seen = set()
    while current and current > 1 and current not in seen:
        seen.add(current)
        name = tty_name(_tty_nr(current) or 0)
        if name:
            return name
        current = _ppid(current) or 0
    return None


def cgroup_links(path: str = "/proc/self/cgroup") -> dict[str, t.Any]:
    """What the controller's own cgroup ties it to (issue 22 item 3).

    ``logind_session``: the logind session whose scope the controller runs in (a terminal
    started inside an xrdp session: xrdp-sesman has no pam_loginuid, so the audit session is
    unset and the session's station is ``x11``, not the terminal's). ``user_manager_uid``:
    the uid whose systemd user manager runs it (GNOME and KDE start terminals in
    ``app-*.scope`` under ``user@UID.service``, outside every session scope).
    """
    import re
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return {"logind_session": None, "user_manager_uid": None}
    scope = re.search(r"/session-([^/.]+)\.scope(?:/|$)", text, re.MULTILINE)
    manager = re.search(r"/user@([0-9]+)\.service(?:/|$)", text, re.MULTILINE)
    return {"logind_session": scope.group(1) if scope else None,
            "user_manager_uid": int(manager.group(1)) if manager else None}


def identity() -> dict[str, t.Any]:
    """``_controller`` for session_info and session_logoff: see INTERFACES.md.

    The machine, audit session and terminal of the controller, and the cgroup links of
    ``cgroup_links`` (issue 22 item 3), which tie a controller started from a desktop's
    terminal to its session where the audit session and the terminal do not.
    """
    found = {"machine_id": _machine_id(), "audit_session": _audit_session(), "tty": controller_tty()}
    found.update(cgroup_links())
    return found


def requester(task_vars: t.Mapping[str, t.Any]) -> str:
    """Who asked, for the host's audit record: the AWX job, else the controller's user@host."""
    for var in ("awx_job_id", "tower_job_id"):
        job = task_vars.get(var)
        if job not in (None, ""):
            return f"AWX job {job}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def audit_record(task_vars: t.Mapping[str, t.Any], watch: ParentWatch | None) -> dict[str, str]:
    """``_audit`` for the targets: who asked and one id for this playbook run.

    The run id is the same for every task and host of one ansible-playbook run (it is
    derived from the main process's pid and start time on this controller), so that the
    host's records of a notice and of the logoff that followed can be put together.
    """
    parent = watch.parent if watch else os.getppid()
    started = watch.parent_started if watch else start_time(parent)
    seed = f"{socket.gethostname()}/{parent}/{started}"
    return {"requester": requester(task_vars), "run_id": str(uuid.uuid5(uuid.NAMESPACE_URL, seed))}
