# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A crafted Linux host for the target code: a fake /proc tree and a utmp file in a tmp dir.

The terminals are REAL pseudo-terminals opened by the test (so /dev/pts/N exists and its
device number is what the fake processes carry as tty_nr); the processes are not real:
signals go to a recorder that plays each fake process's behaviour (which signals end it),
never to a real pid.
"""
from __future__ import annotations

import dataclasses
import os
import pwd
import struct
import time
import typing as t
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
# glibc struct utmp: x86_64 and 32-bit (32-bit ut_session/ut_tv) and 64-bit-time arches.
LAYOUTS = {
    384: struct.Struct("=h2xi32s4s32s256shhiii4i20s"),
    400: struct.Struct("=h2xi32s4s32s256shhqqq4i20s4x"),
}
USER_PROCESS = 7
DEAD_PROCESS = 8


@dataclasses.dataclass
class FakeProc:
    pid: int
    ppid: int
    sid: int
    tty_nr: int
    start: float  # epoch
    comm: str
    uid: int
    dies_on: frozenset[int]
    loginuid: int = 4294967295
    sessionid: int = 4294967295
    state: str = "S"


class Host:
    """Build the host with ``process`` and ``record``; read what was signalled in ``sent``."""

    def __init__(self, root: Path, layout: int = 384) -> None:
        self.root = root
        self.proc = root / "proc"
        self.proc.mkdir(parents=True)
        self.utmp = root / "utmp"
        self.utmp.write_bytes(b"")
        self.layout = LAYOUTS[layout]
        self.now = time.time()
        self.boot = int(self.now - 100000)
        (self.proc / "stat").write_text(f"cpu 0 0 0 0\nbtime {self.boot}\n")
        (self.proc / "uptime").write_text(f"{self.now - self.boot:.2f} 0.00\n")
        self.procs: dict[int, FakeProc] = {}
        self.sent: list[tuple[int, int]] = []
        self._ptys: list[int] = []

    # ----- terminals ------------------------------------------------------------------
    def tty(self) -> tuple[str, int]:
        """A real pseudo-terminal: (station like 'pts/5', its device number)."""
        master, slave = os.openpty()
        self._ptys += [master, slave]
        name = os.ttyname(slave)
        return name[len("/dev/"):], os.stat(name).st_rdev

    def close(self) -> None:
        for fd in self._ptys:
            os.close(fd)
        self._ptys = []

    # ----- processes ------------------------------------------------------------------
    def process(self, pid: int, ppid: int = 1, sid: int | None = None, tty: int = 0,
                age: float = 3600.0, comm: str = "bash", uid: int = 0,
                dies_on: t.Iterable[int] = (1, 15, 9), loginuid: int | None = None,
                sessionid: int | None = None) -> FakeProc:
        """A process started ``age`` seconds ago; ``dies_on``: the signals that end it."""
        entry = FakeProc(pid=pid, ppid=ppid, sid=pid if sid is None else sid, tty_nr=tty,
                         start=self.now - age, comm=comm, uid=uid, dies_on=frozenset(dies_on))
        if loginuid is not None:
            entry.loginuid = loginuid
        if sessionid is not None:
            entry.sessionid = sessionid
        self.procs[pid] = entry
        self._write(entry)
        return entry

    def _write(self, p: FakeProc) -> None:
        d = self.proc / str(p.pid)
        d.mkdir(exist_ok=True)
        ticks = int(round((p.start - self.boot) * HZ))
        # Fields after comm: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
        # cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
        rest = [p.state, p.ppid, p.sid, p.sid, p.tty_nr, -1] + [0] * 13 + [ticks, 0, 0]
        (d / "stat").write_text(f"{p.pid} ({p.comm}) " + " ".join(str(x) for x in rest) + "\n")
        (d / "comm").write_text(p.comm + "\n")
        (d / "status").write_text(f"Name:\t{p.comm}\nUid:\t{p.uid}\t{p.uid}\t{p.uid}\t{p.uid}\n")
        (d / "loginuid").write_text(str(p.loginuid))
        (d / "sessionid").write_text(str(p.sessionid))
        (d / "cmdline").write_bytes(p.comm.encode() + b"\0")

    def starttime(self, pid: int) -> int:
        return int(round((self.procs[pid].start - self.boot) * HZ))

    def end(self, pid: int) -> None:
        """The process exits (and is reaped)."""
        self.procs.pop(pid, None)
        d = self.proc / str(pid)
        if d.exists():
            for f in d.iterdir():
                f.unlink()
            d.rmdir()

    # ----- utmp -----------------------------------------------------------------------
    def record(self, pid: int, line: str, user: str | bytes, age: float = 3600.0,
               host: str = "10.0.0.1", kind: int = USER_PROCESS) -> int:
        """Append a utmp record; returns its tv_sec."""
        tv_sec = int(self.now - age)
        name = user if isinstance(user, bytes) else user.encode()
        data = self.layout.pack(kind, pid, line.encode(), line[-4:].encode(), name, host.encode(),
                                0, 0, 0, tv_sec, 0, 0, 0, 0, 0, b"")
        with open(self.utmp, "ab") as handle:
            handle.write(data)
        return tv_sec

    # ----- signals ----------------------------------------------------------------------
    def signaller(self) -> "FakeSignaller":
        return FakeSignaller(self)


class FakeSignaller:
    """Plays a signal on the fake host: recorded, and the process ends when it dies of it."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def send(self, pid: int, start: int, sig: int) -> int:
        entry = self.host.procs.get(pid)
        if entry is None or self.host.starttime(pid) != start:
            return 0  # gone, or another process now: never signalled
        self.host.sent.append((pid, sig))
        if sig in entry.dies_on:
            self.host.end(pid)
        return 0


def some_uid() -> tuple[int, str]:
    """A uid and its name from this machine's passwd (not root)."""
    for entry in pwd.getpwall():
        if entry.pw_uid != 0:
            return entry.pw_uid, entry.pw_name
    raise RuntimeError("no non-root user in passwd")
