# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A snapshot of the Linux process table from /proc.

PRIVATE to the termserv.sessions collection: no compatibility promise.
"""
from __future__ import annotations

import dataclasses
import os
import typing as t

PROC = "/proc"


@dataclasses.dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    sid: int
    tty_nr: int
    state: str
    starttime: int  # clock ticks after boot: with pid, names a process uniquely

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.starttime)

    @property
    def alive(self) -> bool:
        # A zombie has ended; it only waits for its parent (often a late-reaping PID 1).
        return self.state not in ("Z", "X", "x")


def read_stat(pid: int, proc: str = PROC) -> Proc | None:
    """Parse /proc/PID/stat; None when the process is gone."""
    try:
        with open(f"{proc}/{pid}/stat", "rb") as handle:
            data = handle.read().decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may hold spaces and parentheses: split at the LAST ')'.
    rest = data[data.rfind(")") + 2:].split()
    return Proc(pid=pid, ppid=int(rest[1]), sid=int(rest[3]), tty_nr=int(rest[4]),
                state=rest[0], starttime=int(rest[19]))


def snapshot(proc: str = PROC) -> dict[int, Proc]:
    """Every process visible now, by pid."""
    table: dict[int, Proc] = {}
    for name in os.listdir(proc):
        if name.isdigit():
            entry = read_stat(int(name), proc)
            if entry is not None:
                table[entry.pid] = entry
    return table


def ancestry(pid: int, table: t.Mapping[int, Proc]) -> list[Proc]:
    """``pid`` and its parents up to PID 1 (bounded: a corrupt table cannot loop)."""
    chain: list[Proc] = []
    seen: set[int] = set()
    while pid in table and pid not in seen and len(chain) < 4096:
        seen.add(pid)
        chain.append(table[pid])
        pid = table[pid].ppid
    return chain


def descendants(roots: t.Iterable[int], table: t.Mapping[int, Proc]) -> set[int]:
    """The pids of ``roots`` and all their children, grandchildren..."""
    children: dict[int, list[int]] = {}
    for entry in table.values():
        children.setdefault(entry.ppid, []).append(entry.pid)
    found: set[int] = set()
    todo = [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo.extend(children.get(pid, ()))
    return found


def boot_time(proc: str = PROC) -> float:
    with open(f"{proc}/stat", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise RuntimeError("no btime in /proc/stat")


def start_epoch(entry: Proc, proc: str = PROC) -> float:
    """When the process started, in seconds since the epoch."""
    return boot_time(proc) + entry.starttime / os.sysconf("SC_CLK_TCK")


def tty_rdev(station: str) -> int | None:
    """The device number of /dev/STATION as /proc/PID/stat's tty_nr gives it."""
    try:
        return os.stat(f"/dev/{station}").st_rdev
    except OSError:
        return None
