# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11.2: the real signaller names a process by (pid, start time), on a child of ours."""
from __future__ import annotations

import signal
import subprocess

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _procfs


@pytest.mark.parametrize("pidfds", [True, False], ids=["pidfd", "kill"])
def test_a_signal_reaches_only_the_process_with_that_start_time(pidfds):
    child = subprocess.Popen(["sleep", "30"])
    try:
        entry = _procfs.read_stat(child.pid)
        assert entry is not None
        signaller = _procfs.Signaller()
        signaller.pidfds = signaller.pidfds and pidfds
        # The same pid with another start time is another process: not signalled, no error.
        assert signaller.send(child.pid, entry.starttime + 1, signal.SIGTERM) == 0
        # poll() at once would pass even if SIGTERM had been sent: the child needs a moment
        # to die. Wait long enough for a delivered SIGTERM to show.
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=0.5)
        assert signaller.send(child.pid, entry.starttime, signal.SIGTERM) == 0
        assert child.wait(timeout=5) == -signal.SIGTERM
        # Gone (reaped): nothing to do, no error.
        assert signaller.send(child.pid, entry.starttime, signal.SIGTERM) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_pid_1_and_below_are_never_signalled():
    assert _procfs.Signaller().send(1, 0, signal.SIGTERM) != 0
