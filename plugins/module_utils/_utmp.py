# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sessions from the binary utmp file (no logind): parse records with struct.

PRIVATE to the termserv.sessions collection: no compatibility promise.

``who`` prints the same records as text, but its text depends on locale and version;
the record layout of glibc on Linux does not.
"""
from __future__ import annotations

import dataclasses
import datetime
import os
import struct
import time
import typing as t

UTMP_PATH = "/run/utmp"
# struct utmp of glibc on Linux (x86_64, aarch64...): type, pid, line, id, user, host,
# exit (2 shorts: fields 6 and 7), session (8), tv_sec (9), tv_usec (10) as int32,
# addr_v6 (4 ints), unused.
RECORD = struct.Struct("hi32s4s32s256shhiii4i20s")
USER_PROCESS = 7


@dataclasses.dataclass(frozen=True)
class Record:
    type: int
    pid: int
    line: str
    user: str
    host: str
    tv_sec: int


def _text(raw: bytes) -> str:
    # Fixed-size, NUL-padded fields; user names may be UTF-8 (useradd accepts "tsü3").
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_records(path: str = UTMP_PATH) -> list[Record]:
    """Every record of ``path``; an absent file means no sessions."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return []
    records = []
    for offset in range(0, len(data) - RECORD.size + 1, RECORD.size):
        fields = RECORD.unpack_from(data, offset)
        records.append(Record(type=fields[0], pid=fields[1], line=_text(fields[2]),
                              user=_text(fields[4]), host=_text(fields[5]),
                              tv_sec=fields[9]))
    return records


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    stamp = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_console(line: str) -> bool:
    """A local virtual terminal or the system console, not a pseudo-terminal."""
    return line == "console" or (line.startswith("tty") and line[3:].isdigit())


def idle_seconds(line: str, now: float) -> int | None:
    """Seconds since the terminal was last read from, as ``w`` computes it."""
    try:
        atime = os.stat(f"/dev/{line}").st_atime
    except OSError:
        return None
    return max(0, int(now - atime))


def session_of(record: Record, now: float) -> dict[str, t.Any]:
    return {
        "id": record.line,
        "user": record.user,
        "domain": "",
        "state": "active",
        "station": record.line,
        "client": record.host,
        "logon_time": iso(record.tv_sec),
        "idle_seconds": idle_seconds(record.line, now),
        "disconnected_seconds": None,
        "console": is_console(record.line),
        "pid": record.pid,
    }


def user_records(path: str = UTMP_PATH) -> list[Record]:
    """The login records: USER_PROCESS with a user and a line."""
    return [r for r in read_records(path) if r.type == USER_PROCESS and r.user and r.line]


def sessions(path: str = UTMP_PATH, now: float | None = None) -> list[dict[str, t.Any]]:
    stamp = time.time() if now is None else now
    return [session_of(r, stamp) for r in user_records(path)]
