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
import platform
import re
import struct
import time
import typing as t

UTMP_PATH = "/run/utmp"
# struct utmp of glibc on Linux: type, (pad), pid, line, id, user, host, exit (2 shorts:
# fields 6 and 7), session (8), tv_sec (9), tv_usec (10), addr_v6 (4 ints), unused.
# Where glibc keeps 32-bit time compatibility (x86_64, and every 32-bit architecture)
# session and tv are int32: 384 bytes. Where it does not (aarch64, riscv64, loongarch64),
# they are 64-bit, and the record is padded to 400. Native byte order, explicit padding.
RECORD = struct.Struct("=h2xi32s4s32s256shhiii4i20s")
RECORD_TIME64 = struct.Struct("=h2xi32s4s32s256shhqqq4i20s4x")
TIME64_MACHINES = frozenset({"aarch64", "arm64", "aarch64_be", "riscv64", "loongarch64"})
USER_PROCESS = 7
NAME_BYTES = 32  # ut_user: a name of this many bytes may have been cut


class UtmpError(Exception):
    """The utmp file cannot be read as records of this architecture."""


def layout(machine: str | None = None) -> struct.Struct:
    """The record layout of glibc on this machine's architecture."""
    name = (platform.machine() if machine is None else machine).lower()
    return RECORD_TIME64 if name in TIME64_MACHINES else RECORD


@dataclasses.dataclass(frozen=True)
class Record:
    type: int
    pid: int
    line: str
    user: str
    host: str
    tv_sec: int
    user_raw: bytes = b""  # the name's bytes as stored: NAME_BYTES of them may be a cut name

    @property
    def name_may_be_cut(self) -> bool:
        return len(self.user_raw) >= NAME_BYTES


def _text(raw: bytes) -> str:
    # Fixed-size, NUL-padded fields; user names may be UTF-8 (useradd accepts "tsü3").
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _read(path: str, size: int) -> bytes | None:
    # glibc appends or rewrites a record with one write() under a lock; a read racing
    # it may see a short tail, so try again a few times before calling the file broken.
    data = b""
    for _attempt in range(5):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        if len(data) % size == 0:
            return data
        time.sleep(0.02)
    raise UtmpError(f"{path} is {len(data)} bytes, not a multiple of the {size}-byte utmp "
                    f"record of this architecture ({platform.machine()}): not read, so that "
                    f"no session is taken from misaligned bytes")


def read_records(path: str = UTMP_PATH, machine: str | None = None) -> list[Record]:
    """Every record of ``path``; an absent file means no sessions."""
    record = layout(machine)
    data = _read(path, record.size)
    if data is None:
        return []
    records = []
    for offset in range(0, len(data), record.size):
        fields = record.unpack_from(data, offset)
        raw_user = fields[4].split(b"\0", 1)[0]
        records.append(Record(type=fields[0], pid=fields[1], line=_text(fields[2]),
                              user=_text(fields[4]), host=_text(fields[5]),
                              tv_sec=fields[9], user_raw=raw_user))
    return records


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    stamp = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


# Serial and out-of-band consoles (issue 22 item 2): the 8250/16550 UARTs (ttyS), the
# hypervisor consoles of KVM/Xen/POWER (hvc), the ARM PL011 UARTs (ttyAMA, Raspberry Pi,
# ARM clouds) and the s390 SCLP consoles (ttysclp). Cloud serial consoles, IPMI SOL and
# Proxmox's xterm.js console log in there: the admin's way in when the network is down.
SERIAL_CONSOLE_RE = re.compile(r"(?:ttyS|hvc|ttyAMA|ttysclp)[0-9]+")


def is_console(line: str) -> bool:
    """A local virtual terminal, the system console or a serial / out-of-band console; not
    a pseudo-terminal."""
    line = line or ""
    return (line == "console" or (line.startswith("tty") and line[3:].isdigit())
            or SERIAL_CONSOLE_RE.fullmatch(line) is not None)


def idle_seconds(line: str, now: float) -> int | None:
    """Seconds since the terminal was last read from, as ``w`` computes it."""
    try:
        atime = os.stat(f"/dev/{line}").st_atime
    except OSError:
        return None
    return max(0, int(now - atime))


def session_of(record: Record, now: float, user: str | None = None) -> dict[str, t.Any]:
    return {
        "id": record.line,
        "user": record.user if user is None else user,
        "domain": "",
        "state": "active",
        "station": record.line,
        "client": record.host,
        "logon_time": iso(record.tv_sec),
        "idle_seconds": idle_seconds(record.line, now),
        "disconnected_seconds": None,
        "console": is_console(record.line),
        "pid": record.pid,
        # A utmp record is a login on a terminal: connections without one make no record.
        "kind": "terminal",
    }


def user_records(path: str = UTMP_PATH) -> list[Record]:
    """The login records: USER_PROCESS with a user and a line (NOT yet confirmed live)."""
    return [r for r in read_records(path) if r.type == USER_PROCESS and r.user and r.line]
