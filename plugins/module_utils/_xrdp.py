# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: is an xrdp session's client connected, and since when not.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Enumeration only (docs/design.md, "xrdp: connected or disconnected"). logind does not know
whether an RDP client is connected (xrdp never tells it: a session keeps ``State=active``
after its client is gone), and xrdp-sesman 0.9 answers only to a user with a password. The
kernel does know: an xorgxrdp X server listens on a unix socket named
``xrdp_display_N`` (``/run/xrdp/sockdir/`` in Debian 12's xrdp 0.9.21, ``/tmp/.xrdp/`` in
older builds, ``/run/xrdp/UID/`` in 0.10) and the xrdp process serving the client's
connection is connected to it while, and only while, the client is there. The session's X server is
found among the processes of the session's own scope (never by display number alone), its
sockets by the inodes of its own open descriptors, and their state in
``/proc/PID/net/unix`` of that very process (its network namespace, which need not be
ours):

- a listening socket named ``xrdp_display_N`` and a CONNECTED one of the same name:
  ``connected`` (an accepted socket carries the name of the socket it was accepted on);
- the listening socket and no connected one: ``disconnected``;
- anything else (no X server in the scope, Xvnc, no such listening socket, /proc not
  readable): None, unknown: the session keeps logind's state and is never called
  disconnected on a guess.

Since when: the X server writes its log when the connection ends, so the log file's
modification time (read through the server's own descriptor) is at or after the moment
of disconnection: ``disconnected_seconds`` is never more than the truth (a session is
never selected by ``min_disconnected`` too early), and exact when nothing else was logged
since (measured: nothing is, while disconnected).
"""
from __future__ import annotations

import dataclasses
import os
import re
import socket
import struct
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _procfs

SERVICE = "xrdp-sesman"  # the PAM service xrdp-sesman opens its sessions with
X_SERVERS = frozenset({"Xorg"})  # xorgxrdp; an Xvnc session is reached over TCP: unknown
SO_ACCEPTCON = 0x00010000  # /proc/net/unix Flags: a listening socket
SS_CONNECTED = 3  # /proc/net/unix St
_DISPLAY_RE = re.compile(r":([0-9]+)(?:\.[0-9]+)?")
_SOCKET_RE = re.compile(r"socket:\[([0-9]+)\]")


@dataclasses.dataclass(frozen=True)
class UnixSocket:
    inode: int
    flags: int
    state: int
    path: str

    @property
    def listening(self) -> bool:
        return bool(self.flags & SO_ACCEPTCON)


@dataclasses.dataclass(frozen=True)
class Link:
    """What the kernel says about one xrdp session's display."""

    server: _procfs.Proc        # the session's X server
    display: int
    connected: bool
    since: float | None = None  # disconnected: epoch at or after the disconnection
    inode: int | None = None    # connected: the server's end of xrdp's connection


def parse_net_unix(text: str) -> dict[int, UnixSocket]:
    """``/proc/net/unix``: ``Num RefCount Protocol Flags Type St Inode [Path]`` (hex, decimal inode)."""
    out: dict[int, UnixSocket] = {}
    for line in text.splitlines()[1:]:
        fields = line.split(None, 7)
        if len(fields) < 7:
            continue
        try:
            flags, state, inode = int(fields[3], 16), int(fields[5], 16), int(fields[6])
        except ValueError:
            continue
        out[inode] = UnixSocket(inode=inode, flags=flags, state=state,
                                path=fields[7].rstrip("\n") if len(fields) > 7 else "")
    return out


def socket_inodes(pid: int, proc: str = _procfs.PROC) -> set[int]:
    """Inodes of the sockets ``pid`` holds open."""
    found: set[int] = set()
    try:
        fds = os.listdir(f"{proc}/{pid}/fd")
    except OSError:
        return found
    for fd in fds:
        try:
            match = _SOCKET_RE.fullmatch(os.readlink(f"{proc}/{pid}/fd/{fd}"))
        except OSError:
            continue
        if match:
            found.add(int(match.group(1)))
    return found


def argv(pid: int, proc: str = _procfs.PROC) -> list[str]:
    try:
        with open(f"{proc}/{pid}/cmdline", "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    return [os.fsdecode(a) for a in raw.split(b"\0") if a]


def display_number(args: t.Sequence[str]) -> int | None:
    """The X server's display from its command line (``Xorg :10 ...``)."""
    for arg in args[1:]:
        match = _DISPLAY_RE.fullmatch(arg)
        if match:
            return int(match.group(1))
    return None


def log_mtime(pid: int, args: t.Sequence[str], display: int, proc: str = _procfs.PROC) -> float | None:
    """Modification time of the X server's log, read through the server's own descriptor.

    The log is the ``-logfile`` argument (xrdp-sesman passes ``.xorgxrdp.%s.log``, which
    Xorg opens as ``.xorgxrdp.N.log`` in the user's home), else Xorg's default ``Xorg.N.log``; only a file the server holds open
    under that name counts (never a path resolved in our own mount namespace).
    """
    name = f"Xorg.{display}.log"
    for number, arg in enumerate(args[:-1]):
        if arg == "-logfile":
            # Xorg puts the display number in for "%s" (xrdp-sesman passes .xorgxrdp.%s.log).
            name = os.path.basename(args[number + 1]).replace("%s", str(display))
    try:
        fds = os.listdir(f"{proc}/{pid}/fd")
    except OSError:
        return None
    for fd in sorted(fds, key=lambda f: int(f) if f.isdigit() else -1):
        try:
            target = os.readlink(f"{proc}/{pid}/fd/{fd}")
        except OSError:
            continue
        if os.path.basename(target) == name:
            try:
                return os.stat(f"{proc}/{pid}/fd/{fd}").st_mtime
            except OSError:
                return None
    return None


def link(server: _procfs.Proc, proc: str = _procfs.PROC) -> Link | None:
    """The connection state of the xorgxrdp display that ``server`` serves, or None (unknown)."""
    if server.comm not in X_SERVERS or not server.alive:
        return None
    args = argv(server.pid, proc)
    display = display_number(args)
    if display is None:
        return None
    try:
        with open(f"{proc}/{server.pid}/net/unix", encoding="utf-8", errors="replace") as handle:
            table = parse_net_unix(handle.read())
    except OSError:
        return None
    name = f"xrdp_display_{display}"
    own = [table[i] for i in socket_inodes(server.pid, proc) if i in table]
    listening = {s.path for s in own if s.listening and os.path.basename(s.path) == name}
    if not listening:
        return None  # not an xorgxrdp display we can see: no guess
    connected = sorted(s.inode for s in own
                       if s.state == SS_CONNECTED and not s.listening and s.path in listening)
    if connected:
        return Link(server=server, display=display, connected=True,
                    inode=connected[0] if len(connected) == 1 else None)
    return Link(server=server, display=display, connected=False,
                since=log_mtime(server.pid, args, display, proc))


def session_link(members: t.Iterable[_procfs.Proc], proc: str = _procfs.PROC) -> Link | None:
    """The link of the one X server among a session's processes; None when not exactly one."""
    servers = [p for p in members if p.comm in X_SERVERS and p.alive]
    if len(servers) != 1:
        return None
    return link(servers[0], proc)


def apply(session: dict[str, t.Any], found: Link | None, now: float) -> None:
    """Set ``state`` and ``disconnected_seconds`` of an xrdp session from its link.

    Only a positively read link changes anything; a closing session stays ``closing``.
    """
    if found is None or session.get("state") == "closing":
        return
    # Private (the controller's report never shows it): an xrdp session whose link was read,
    # the only kind of Linux session session_disconnect can disconnect.
    session["_xrdp_display"] = found.display
    if found.connected:
        session["disconnected_seconds"] = None
        return
    session["state"] = "disconnected"
    session["disconnected_seconds"] = None if found.since is None else max(0, int(now - found.since))


# ----- the process of a connection (session_disconnect) ----------------------------------
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLMSG_ERROR = 2
UDIAG_SHOW_PEER = 0x4
UNIX_DIAG_PEER = 2
CLONE_NEWNET = 0x40000000
CLIENT_COMMS = frozenset({"xrdp"})  # xrdp's per-connection process (a child of the daemon)


def parse_peer(data: bytes, inode: int) -> int | None:
    """The peer inode in a sock_diag answer about unix socket ``inode`` (None: no answer)."""
    if len(data) < 16:
        return None
    length, kind = struct.unpack_from("=IH", data, 0)
    if kind != SOCK_DIAG_BY_FAMILY or length > len(data) or length < 32:
        return None  # NLMSG_ERROR (no such socket, no unix_diag) or garbage
    body = data[16:length]
    # struct unix_diag_msg: u8 family, type, state, pad; u32 ino; u32 cookie[2]
    if struct.unpack_from("=I", body, 4)[0] != inode:
        return None
    offset = 16
    while offset + 4 <= len(body):
        size, attr = struct.unpack_from("=HH", body, offset)
        if size < 4:
            return None
        if attr == UNIX_DIAG_PEER and size >= 8:
            return struct.unpack_from("=I", body, offset + 4)[0]
        offset += (size + 3) & ~3
    return None


def _ask_peer(inode: int) -> int | None:
    """Ask the kernel (sock_diag, this network namespace) for the peer of unix socket ``inode``."""
    request = struct.pack("=BBHIIIII", socket.AF_UNIX, 0, 0, 0xFFFFFFFF, inode, UDIAG_SHOW_PEER,
                          0xFFFFFFFF, 0xFFFFFFFF)
    header = struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as diag:
        diag.settimeout(5.0)
        diag.sendto(header + request, (0, 0))
        return parse_peer(diag.recv(65536), inode)


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)  # type: ignore[attr-defined]
        return
    import ctypes  # Python 3.9-3.11: the libc call
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def peer_inode(server_pid: int, inode: int, proc: str = _procfs.PROC) -> int | None:
    """The inode of the socket connected to the server's socket ``inode``; None if unknown.

    sock_diag answers only about sockets of the asker's network namespace: when the X
    server lives in another one (xrdp run with PrivateNetwork=), a child process enters it
    and asks there; we never change our own.
    """
    try:
        ours = os.stat("/proc/self/ns/net")
        theirs = os.stat(f"{proc}/{server_pid}/ns/net")
    except OSError:
        return None
    if (ours.st_dev, ours.st_ino) == (theirs.st_dev, theirs.st_ino):
        try:
            return _ask_peer(inode)
        except OSError:
            return None
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        code = 1
        try:
            os.close(read_end)
            fd = os.open(f"{proc}/{server_pid}/ns/net", os.O_RDONLY)
            _setns(fd)
            found = _ask_peer(inode)
            os.write(write_end, str(found if found is not None else "").encode())
            code = 0
        except BaseException:  # noqa: BLE001 - the child must never return into the module
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        chunks.append(pipe.read())
    os.waitpid(child, 0)
    text = b"".join(chunks).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def connection_process(found: Link, table: t.Mapping[int, _procfs.Proc],
                       proc: str = _procfs.PROC) -> _procfs.Proc | None:
    """xrdp's process serving this session's client, positively identified, or None.

    It is the process (``xrdp``, alive) that holds the socket the kernel names as the peer
    of the X server's connected display socket; exactly one such process, else None.
    """
    if not found.connected or found.inode is None:
        return None
    peer = peer_inode(found.server.pid, found.inode, proc)
    if not peer:
        return None
    holders = [p for p in table.values()
               if p.comm in CLIENT_COMMS and p.alive and peer in socket_inodes(p.pid, proc)]
    return holders[0] if len(holders) == 1 else None
