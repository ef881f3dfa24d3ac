# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A snapshot of the Linux process table from /proc.

PRIVATE to the termserv.sessions collection: no compatibility promise.
"""
from __future__ import annotations

import dataclasses
import errno
import functools
import os
import signal
import stat
import time
import typing as t

PROC = "/proc"
LOGINUID_UNSET = 4294967295  # (u32)-1: not started by a login


@dataclasses.dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    sid: int
    tty_nr: int
    state: str
    starttime: int  # clock ticks after boot: with pid, names a process uniquely
    comm: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.starttime)

    @property
    def alive(self) -> bool:
        # A zombie has ended; it only waits for its parent (often a late-reaping PID 1).
        return self.state not in ("Z", "X", "x")


def read_stat(pid: int, proc: str = PROC) -> Proc | None:
    """Parse /proc/PID/stat; None when the process is gone."""
    # os.open/os.read, not open(): a poll reads every process's stat file, and the
    # buffered file object costs about as much again as the read (500 sessions: 2500 reads
    # a poll). The file is under 1 KiB (52 numbers and a comm of at most 64 bytes).
    try:
        handle = os.open(f"{proc}/{pid}/stat", os.O_RDONLY)
        try:
            data = os.read(handle, 4096).decode("utf-8", "replace")
        finally:
            os.close(handle)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm (field 2) may hold spaces and parentheses: split at the LAST ')'.
    close = data.rfind(")")
    rest = data[close + 2:].split()
    try:
        return Proc(pid=pid, ppid=int(rest[1]), sid=int(rest[3]), tty_nr=int(rest[4]),
                    state=rest[0], starttime=int(rest[19]), comm=data[data.find("(") + 1:close])
    except (IndexError, ValueError):
        return None  # read while the process was being torn down


class Table(dict):  # type: ignore[type-arg] - pid -> Proc
    """A snapshot of the process table, by pid, with indexes built once on first use.

    Finding one session's processes by scanning the whole table made a poll over 500
    sessions (2500 processes) cost 0.34 s of the CPU their exits need; with these
    indexes it costs 0.006 s (docs/performance.md, "Load"). A snapshot is never changed
    after it is taken, so the indexes stay true.
    """

    def _grouped(self, key: t.Callable[[Proc], int]) -> dict[int, list[Proc]]:
        found: dict[int, list[Proc]] = {}
        for entry in self.values():
            found.setdefault(key(entry), []).append(entry)
        return found

    @functools.cached_property
    def children(self) -> dict[int, list[Proc]]:
        return self._grouped(lambda entry: entry.ppid)

    @functools.cached_property
    def by_sid(self) -> dict[int, list[Proc]]:
        return self._grouped(lambda entry: entry.sid)


def indexed(table: t.Mapping[int, Proc]) -> Table:
    """``table`` with its indexes: itself when it is a snapshot, else an indexed copy."""
    return table if isinstance(table, Table) else Table(table)


def snapshot(proc: str = PROC) -> Table:
    """Every process visible now, by pid."""
    table = Table()
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
    children = indexed(table).children
    found: set[int] = set()
    todo = [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        todo.extend(child.pid for child in children.get(pid, ()))
    return found


def boot_time(proc: str = PROC) -> float:
    """When the machine booted, in seconds since the epoch.

    From the kernel's CLOCK_BOOTTIME, the clock /proc/PID/stat's start times count in
    (issue 22 item 9): in LXD, Incus and Proxmox containers lxcfs replaces /proc/uptime with
    the container's own uptime, and every login process would then seem to have started
    after its logon, so that no session is confirmed. /proc/uptime (1/100 s) is read only
    for another ``proc`` (tests) or where the clock is missing; /proc/stat's whole-second
    btime last (a truncated btime would eat half of the ~2 s a start is compared within).
    """
    if proc == PROC and hasattr(time, "CLOCK_BOOTTIME"):
        try:
            return time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
        except OSError:
            pass
    try:
        with open(f"{proc}/uptime", encoding="ascii") as handle:
            return time.time() - float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    with open(f"{proc}/stat", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("btime "):
                return float(line.split()[1])
    raise RuntimeError("no btime in /proc/stat")


def start_epoch(entry: Proc, proc: str = PROC, boot: float | None = None) -> float:
    """When the process started, in seconds since the epoch."""
    return (boot_time(proc) if boot is None else boot) + entry.starttime / os.sysconf("SC_CLK_TCK")


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def uid_of(pid: int, proc: str = PROC) -> int | None:
    """The real uid of a process (/proc/PID/status), None when it is gone."""
    try:
        with open(f"{proc}/{pid}/status", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def loginuid(pid: int, proc: str = PROC) -> int | None:
    """The audit login uid pam_loginuid gave the login process, None when unset."""
    value = _read_int(f"{proc}/{pid}/loginuid")
    return None if value in (None, LOGINUID_UNSET) else value


def audit_session(pid: int, proc: str = PROC) -> int | None:
    """The audit session id (/proc/PID/sessionid), None when unset."""
    value = _read_int(f"{proc}/{pid}/sessionid")
    return None if value in (None, LOGINUID_UNSET) else value


class Signaller:
    """Sends a signal to the process (pid, start time), never to a later owner of the pid.

    With pidfds (Linux 5.3+, Python 3.9+) the pid is pinned first and its start time
    checked after: the signal can only reach the process that was checked. Without them,
    the start time is checked right before ``kill`` (a window of microseconds, not of a
    whole poll).
    """

    def __init__(self, proc: str = PROC) -> None:
        self.proc = proc
        self.pidfds = hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")

    def _same(self, pid: int, start: int) -> bool:
        entry = read_stat(pid, self.proc)
        return entry is not None and entry.starttime == start and entry.alive

    def send(self, pid: int, start: int, sig: int) -> int:
        """0 when sent or when the process is gone; else the errno."""
        if pid <= 1:
            return errno.EPERM
        if self.pidfds:
            try:
                fd = os.pidfd_open(pid)  # type: ignore[attr-defined]
            except OSError as exc:
                if exc.errno == errno.ESRCH:
                    return 0
                if exc.errno not in (errno.ENOSYS, errno.EINVAL):
                    return exc.errno or 0
                self.pidfds = False  # an older kernel: fall back below
            else:
                try:
                    if not self._same(pid, start):
                        return 0
                    signal.pidfd_send_signal(fd, sig)  # type: ignore[attr-defined]
                except OSError as exc:
                    return 0 if exc.errno == errno.ESRCH else (exc.errno or 0)
                finally:
                    os.close(fd)
                return 0
        if not self._same(pid, start):
            return 0
        try:
            os.kill(pid, sig)
        except OSError as exc:
            if exc.errno != errno.ESRCH:
                return exc.errno or 0
        return 0


def tty_rdev(station: str) -> int | None:
    """The device number of /dev/STATION as /proc/PID/stat's tty_nr gives it."""
    try:
        return os.stat(f"/dev/{station}").st_rdev
    except OSError:
        return None


def pts_index(tty_nr: int) -> int | None:
    """The number N of a Unix98 pseudo-terminal ``pts/N`` from its device number, else None."""
    major = os.major(tty_nr)
    if tty_nr and 136 <= major <= 143:
        return (major - 136) * 256 + os.minor(tty_nr)
    return None


def _other_devpts(tty_nr: int, index: int, pid: int, proc: str = PROC) -> bool:
    """A standard descriptor of ``pid`` is the terminal ``tty_nr`` on another devpts
    instance than this host's /dev/pts. False when none is that terminal (cannot tell)."""
    try:
        host = os.stat(f"/dev/pts/{index}").st_dev
    except OSError:
        try:
            host = os.stat("/dev/pts").st_dev
        except OSError:
            return False
    for fd in (0, 1, 2):
        try:
            found = os.stat(f"{proc}/{pid}/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISCHR(found.st_mode) and found.st_rdev == tty_nr:
            return found.st_dev != host
    return False


DEVPTS = "/dev/pts"
PTMX = "/dev/ptmx"
PTMX_RDEV = os.makedev(5, 2)  # /dev/ptmx and every devpts instance's ptmx


def _host_ptmx() -> tuple[int | None, tuple[int, int] | None]:
    """(st_dev of this host's /dev/pts, (st_dev, st_ino) of /dev/ptmx when it is a device node
    outside devpts, as on devtmpfs); None for what cannot be read."""
    try:
        pts = os.stat(DEVPTS).st_dev
    except OSError:
        pts = None
    try:
        node = os.stat(PTMX)
    except OSError:
        return pts, None
    return pts, (node.st_dev, node.st_ino) if node.st_dev != pts else None


def pty_masters(pid: int, proc: str = PROC) -> set[int]:
    """The numbers N of this host's pseudo-terminals ``pts/N`` whose master side ``pid`` holds
    open (/proc/PID/fdinfo's ``tty-index`` of its ptmx descriptors; root or its owner only).

    Every devpts instance numbers its terminals from 0, and any user who may create a user
    namespace can mount an instance of their own and open masters up to any number: only
    masters of the host's instance count. A master opened through a devpts's own ``ptmx``
    (/dev/pts/ptmx, or a /dev/ptmx bound or linked to it) is a file of that instance: its
    st_dev must be /dev/pts's. One opened through the /dev/ptmx device node (devtmpfs)
    belongs to the devpts at ``pts`` beside the node where it was opened, which no stat
    shows: it counts when it is the host's node, and the caller's uid check is what holds
    against a namespace that mounted its own ``pts`` beside it.
    """
    found: set[int] = set()
    try:
        fds = os.listdir(f"{proc}/{pid}/fd")
    except OSError:
        return found
    host_pts, host_node = _host_ptmx()
    for fd in fds:
        try:
            held = os.stat(f"{proc}/{pid}/fd/{fd}")
            if not stat.S_ISCHR(held.st_mode) or held.st_rdev != PTMX_RDEV:
                continue
            if held.st_dev != host_pts and (held.st_dev, held.st_ino) != host_node:
                continue
            with open(f"{proc}/{pid}/fdinfo/{fd}", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("tty-index:"):
                        found.add(int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return found


def cmdline(pid: int, proc: str = PROC) -> bytes:
    """The raw command line of ``pid`` (NUL-separated), b"" when gone or unreadable."""
    try:
        with open(f"{proc}/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def tty_name(tty_nr: int, pid: int | None = None, proc: str = PROC) -> str | None:
    """The name (``pts/3``, ``tty2``, ``ttyS0``) of a ``tty_nr`` of /proc/PID/stat.

    Pseudo-terminals and virtual consoles by their device numbers (Documentation/
    admin-guide/devices.txt); any other terminal by the file a standard descriptor of
    ``pid`` has open, believed only when that file is the device ``tty_nr``. None for no
    terminal or an unknown one.
    """
    if not tty_nr:
        return None
    major, minor = os.major(tty_nr), os.minor(tty_nr)
    index = pts_index(tty_nr)
    if index is not None:
        # Every devpts instance numbers its terminals from 0: a container's pts/0 has the
        # host's pts/0 device number. Not a host terminal when ``pid`` has it open on another
        # instance (a container's own, inside a host session without a terminal).
        if pid is not None and _other_devpts(tty_nr, index, pid, proc):
            return None
        return f"pts/{index}"
    if major == 4 and 0 < minor < 64:  # virtual consoles
        return f"tty{minor}"
    if major == 4 and 64 <= minor < 256:  # 8250 serial ports
        return f"ttyS{minor - 64}"
    for fd in (0, 1, 2) if pid is not None else ():
        try:
            path = os.readlink(f"{proc}/{pid}/fd/{fd}")
        except OSError:
            continue
        if path.startswith("/dev/") and tty_rdev(path[5:]) == tty_nr:
            return path[5:]
    return None


def _hidepid(proc: str = PROC) -> str | None:
    """The hidepid= option of the proc mount at ``proc`` ("2", "invisible", ...), None when
    other users' processes are visible."""
    try:
        with open(f"{proc}/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 5 or fields[4] != proc or " - proc " not in line:
            continue
        for option in line.split(" - ", 1)[1].split()[-1].split(","):
            name, _sep, value = option.partition("=")
            if name == "hidepid" and value not in ("0", "off"):
                return value
    return None


def unreadable_facts(proc: str = PROC, euid: int | None = None) -> list[str]:
    """What this process cannot read about other users' sessions (issue 22 item 10).

    Empty for root. Otherwise the facts a preview without root misses, so that it can say
    so instead of showing a different selection than the real run will make.
    """
    if (os.geteuid() if euid is None else euid) == 0:
        return []
    facts = []
    hidden = _hidepid(proc)
    if hidden is not None:
        facts.append(f"other users' processes ({proc} is mounted with hidepid={hidden}): their "
                     "utmp sessions cannot be confirmed and are not listed")
    facts.append(f"other users' {proc}/PID/exe and {proc}/PID/fd (program names for "
                 "exclude_processes, the terminal of a session logind knows no TTY for)")
    return facts
