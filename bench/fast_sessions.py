# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many real sessions on farm hosts, fast: one marker per batch, one pass over /proc per check.

``Farm.open`` finds every session's terminal and login process, scanning /proc once per
pending session: right for tests, too slow for 200-500 sessions (minutes of lock time).
The benches only need the sessions to exist, be counted and be ended, so these open them
with ``Farm._ssh``'s command line, count them in the host's own utmp, and find their
processes by a marker shared by the whole batch.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.farm.farm import SHELLS, Farm  # noqa: E402  pylint: disable=wrong-import-position
from tests.sandbox.sandbox import marked  # noqa: E402  pylint: disable=wrong-import-position

# The farm's sshd accepts at most 200 unauthenticated connections at a time (MaxStartups
# 200): open in batches well below that and wait for each batch to log in.
BATCH = int(os.environ.get("BENCH_OPEN_BATCH", "50"))


def user_records(farm: Farm, host: str, user: str) -> int:
    """USER_PROCESS records of ``user`` in the host's own /run/utmp."""
    return sum(1 for record in farm._utmp(host).values() if record[2] == user)  # pylint: disable=protected-access


def open_sessions(farm: Farm, want: dict[str, int], user: str, marker: str, clients: list[subprocess.Popen],
                  exit_delay: float = 1.0, timeout: float = 120) -> float:
    """``want[host]`` slow-exit sessions of ``user`` on each host, all carrying ``marker``; seconds."""
    command = SHELLS["slow_exit"].format(delay=float(exit_delay))
    start = time.monotonic()
    base = {host: user_records(farm, host, user) for host in want}
    done = dict.fromkeys(want, 0)
    while any(done[host] < want[host] for host in want):
        for host, total in want.items():
            count = min(BATCH, total - done[host])
            for _number in range(count):
                argv = farm._ssh(host, user, command, marker)  # pylint: disable=protected-access
                clients.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL, start_new_session=True))
            done[host] += count
        deadline = time.monotonic() + timeout
        while any(user_records(farm, host, user) < base[host] + done[host] for host in want):
            if time.monotonic() > deadline:
                raise RuntimeError(f"sessions of {user} did not all log in within {timeout:g} s: "
                                   + ", ".join(f"{h} {user_records(farm, h, user) - base[h]}/{done[h]}"
                                               for h in want))
            time.sleep(0.1)
    return time.monotonic() - start


def end_sessions(clients: list[subprocess.Popen], marker: str) -> None:
    """End the ssh clients this bench started and any process still carrying ``marker``, by PID."""
    for client in clients:
        if client.poll() is None:
            client.kill()
    for pid in marked({marker})[marker]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for client in clients:
        try:
            client.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    clients.clear()
