# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is the controller still there? (issue 17: a dead controller does nothing more)

PRIVATE to the termserv.sessions collection: no compatibility promise.

Every waiting or escalating loop on a Linux target asks ``gone()`` on each poll and stops
signalling when it says yes. The controller is gone when:

* the module's stdout (fd 1), the way its result goes back, reports POLLERR or POLLHUP:
  the ssh channel (or the local worker's pipe) was closed, so nobody reads the result;
* any process of the module's ancestry recorded at start (its parent shell, sudo/su,
  sshd's session process, the local worker...) is no longer the same (pid, start time):
  a killed worker or connection takes its place in the chain away.

Cheap enough for every poll: one poll(2) with a zero timeout and a few /proc reads.
"""
from __future__ import annotations

import os
import select
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _procfs


class Lifeline:
    """Recorded at module start; ``gone()`` answers on every poll."""

    def __init__(self, fd: int = 1, pid: int | None = None, proc: str = _procfs.PROC) -> None:
        self.fd = fd
        self.proc = proc
        pid = os.getpid() if pid is None else pid
        # Walk up by /proc/PID/stat (not a whole /proc snapshot: this runs in every
        # module start). Ourselves and PID 1 say nothing about the controller.
        self.ancestry: list[tuple[int, int]] = []
        entry = _procfs.read_stat(pid, proc)
        seen = {pid}
        while entry is not None and entry.ppid > 1 and entry.ppid not in seen and len(seen) < 4096:
            seen.add(entry.ppid)
            entry = _procfs.read_stat(entry.ppid, proc)
            if entry is not None:
                self.ancestry.append(entry.key)
        self.reason = ""

    def _stdout_closed(self) -> bool:
        try:
            poller = select.poll()
            poller.register(self.fd, select.POLLERR | select.POLLHUP)
            events = poller.poll(0)
        except (OSError, ValueError):
            return False  # no fd 1 to ask: rely on the ancestry
        return any(mask & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _fd, mask in events)

    def gone(self) -> bool:
        if self._stdout_closed():
            self.reason = "the module's output is no longer read"
            return True
        for pid, start in self.ancestry:
            entry = _procfs.read_stat(pid, self.proc)
            if entry is None or entry.starttime != start or not entry.alive:
                self.reason = f"process {pid} of the module's ancestry has ended"
                return True
        return False


class _Never:
    """For callers without a controller (tests, direct library use)."""

    reason = ""

    def gone(self) -> bool:
        return False


NEVER: t.Any = _Never()


def start() -> Lifeline:
    """Record the module's ancestry now; call this first thing in main()."""
    return Lifeline()
