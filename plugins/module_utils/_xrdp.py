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
older builds, ``/run/xrdp/UID/`` in 0.10), an X server reached over TCP (X11rdp, older
xorgxrdp) on TCP port 6200+N, and the xrdp process serving the client's connection is
connected to it while, and only while, the client is there. The session's X server is
found among the processes of the session's own scope (never by display number alone), its
sockets by the inodes of its own open descriptors, and their state in ``/proc/PID/net/unix``
and ``net/tcp``/``tcp6`` of that very process (its network namespace, which need not be
ours):

- an accepted connection on one of its listeners (a CONNECTED unix socket named like its
  listening ``xrdp_display_N`` -- an accepted socket carries the name of the socket it was
  accepted on -- or an ESTABLISHED TCP socket on its own port 6200+N listener):
  ``connected``;
- listening, no accepted connection, and the server's own log saying that its last
  connection ended (xorgxrdp writes ``rdpClientConDisconnect`` when it does):
  ``disconnected``. Without that word the absence proves nothing: xrdp set up for TCP
  (xrdp.ini [Xorg] ``ip=`` another address than 127.0.0.1) with an xorgxrdp that
  listens only on the unix socket (0.9.19, measured) never reaches the X server, while
  its client is connected all the same;
- anything else (no X server in the scope, Xvnc, no such listener, /proc not readable):
  unknown: the session keeps logind's state and is never called disconnected on a guess.

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

from ansible_collections.termserv.sessions.plugins.module_utils import _procfs, _x11

SERVICE = "xrdp-sesman"  # the PAM service xrdp-sesman opens its sessions with
X_SERVERS = frozenset({"Xorg"})  # xorgxrdp; an Xvnc session is reached over TCP: unknown
SO_ACCEPTCON = 0x00010000  # /proc/net/unix Flags: a listening socket
SS_CONNECTED = 3  # /proc/net/unix St
TCP_ESTABLISHED, TCP_LISTEN = 0x01, 0x0A  # /proc/net/tcp st
XRDP_TCP_BASE = 6200  # X11rdp / xorgxrdp over TCP: display N listens on 6200+N
ENDED, BEGAN = b"rdpClientConDisconnect", b"rdpClientConGotConnection"  # xorgxrdp's log
LOG_TAIL = 1 << 20  # how much of the end of the X server's log is searched for them
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
class TcpSocket:
    inode: int
    state: int
    local: tuple[str, int]   # (address as /proc prints it, port)
    remote: tuple[str, int]


@dataclasses.dataclass(frozen=True)
class Link:
    """What the kernel says about one xrdp session's display."""

    server: _procfs.Proc        # the session's X server
    display: int
    connected: bool | None      # None: the state cannot be read (unknown)
    since: float | None = None  # disconnected: epoch at or after the disconnection
    inode: int | None = None    # connected: the server's end of xrdp's connection
    tcp: TcpSocket | None = None  # ... when that end is a TCP socket
    idle_ms: int | None = None  # the X server's own idle time (MIT-SCREEN-SAVER)


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


def parse_net_tcp(text: str) -> dict[int, TcpSocket]:
    """``/proc/net/tcp`` or ``tcp6``: ``sl local rem st ... uid timeout inode`` (hex address:port)."""
    out: dict[int, TcpSocket] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        try:
            (laddr, lport), (raddr, rport) = (f.split(":") for f in fields[1:3])
            entry = TcpSocket(inode=int(fields[9]), state=int(fields[3], 16),
                              local=(laddr, int(lport, 16)), remote=(raddr, int(rport, 16)))
        except ValueError:
            continue
        if entry.inode:
            out[entry.inode] = entry
    return out


def net_tcp(pid: int, proc: str = _procfs.PROC) -> dict[int, TcpSocket] | None:
    """The TCP sockets of ``pid``'s network namespace (IPv4 and IPv6); None if unreadable."""
    out: dict[int, TcpSocket] = {}
    read = False
    for name in ("tcp", "tcp6"):
        try:
            with open(f"{proc}/{pid}/net/{name}", encoding="ascii", errors="replace") as handle:
                out.update(parse_net_tcp(handle.read()))
            read = True
        except OSError:
            continue  # a kernel without IPv6 has no tcp6
    return out if read else None


def net_unix(pid: int, proc: str = _procfs.PROC) -> dict[int, UnixSocket] | None:
    try:
        with open(f"{proc}/{pid}/net/unix", encoding="utf-8", errors="replace") as handle:
            return parse_net_unix(handle.read())
    except OSError:
        return None


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


def log_path(pid: int, args: t.Sequence[str], display: int, proc: str = _procfs.PROC) -> str | None:
    """The X server's log as its own descriptor (``/proc/PID/fd/N``), or None.

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
            return f"{proc}/{pid}/fd/{fd}"
    return None


def log_mtime(pid: int, args: t.Sequence[str], display: int, proc: str = _procfs.PROC) -> float | None:
    """Modification time of the X server's log, read through the server's own descriptor."""
    path = log_path(pid, args, display, proc)
    try:
        return os.stat(path).st_mtime if path else None
    except OSError:
        return None


def connection_ended(pid: int, args: t.Sequence[str], display: int, proc: str = _procfs.PROC) -> bool:
    """True when the X server's log says its last client connection ended (xorgxrdp's
    ``rdpClientConDisconnect`` after its last ``rdpClientConGotConnection``)."""
    path = log_path(pid, args, display, proc)
    if path is None:
        return False
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - LOG_TAIL))
            tail = handle.read(LOG_TAIL)
    except OSError:
        return False
    ended = tail.rfind(ENDED)
    return ended >= 0 and ended > tail.rfind(BEGAN)


def auth_path(pid: int, args: t.Sequence[str], proc: str = _procfs.PROC) -> str | None:
    """The server's ``-auth`` file as the server sees it (relative: to its working directory)."""
    for number, arg in enumerate(args[:-1]):
        if arg == "-auth":
            name = args[number + 1]
            return f"{proc}/{pid}/root{name}" if name.startswith("/") else f"{proc}/{pid}/cwd/{name}"
    return None


def x_idle_ms(server: _procfs.Proc, args: t.Sequence[str], display: int, unix: t.Mapping[int, UnixSocket],
              own: t.Iterable[int], proc: str = _procfs.PROC) -> int | None:
    """The X server's own idle time, asked on its own listening socket with its own cookie."""
    name = f"/tmp/.X11-unix/X{display}"
    if not any(unix[i].listening and unix[i].path == name for i in own if i in unix):
        return None  # not a socket of this server's (an abstract one needs its netns)
    path, uid = auth_path(server.pid, args, proc), _procfs.uid_of(server.pid, proc)
    data = _x11.read_authority(path, uid) if path and uid is not None else None
    cookie = _x11.cookie_for(_x11.parse_authority(data), display) if data else None
    if cookie is None:
        return None
    return _x11.idle_ms(f"{proc}/{server.pid}/root{name}", cookie, server.pid)


def link(server: _procfs.Proc, proc: str = _procfs.PROC) -> Link | None:
    """The connection state (and idle time) of the X server of an xrdp session, or None."""
    if server.comm not in X_SERVERS or not server.alive:
        return None
    args = argv(server.pid, proc)
    display = display_number(args)
    unix = net_unix(server.pid, proc)
    if display is None or unix is None:
        return None
    inodes = socket_inodes(server.pid, proc)
    idle = x_idle_ms(server, args, display, unix, inodes, proc)
    name, port = f"xrdp_display_{display}", XRDP_TCP_BASE + display
    own = [unix[i] for i in inodes if i in unix]
    listening = {s.path for s in own if s.listening and os.path.basename(s.path) == name}
    # The namespace's TCP table only when the server holds a socket that is not a unix one
    # (a busy host's table is long; an xorgxrdp server on its unix socket holds none).
    tcp = (net_tcp(server.pid, proc) or {}) if any(i not in unix for i in inodes) else {}
    own_tcp = [tcp[i] for i in inodes if i in tcp and tcp[i].local[1] == port]
    tcp_listening = any(s.state == TCP_LISTEN for s in own_tcp)
    if not listening and not tcp_listening:
        return Link(server=server, display=display, connected=None, idle_ms=idle)  # no display we can see
    accepted = sorted(s.inode for s in own if s.state == SS_CONNECTED and not s.listening and s.path in listening)
    accepted_tcp = [s for s in own_tcp if tcp_listening and s.state == TCP_ESTABLISHED]
    if accepted or accepted_tcp:
        single = len(accepted) + len(accepted_tcp) == 1
        return Link(server=server, display=display, connected=True, idle_ms=idle,
                    inode=(accepted or [s.inode for s in accepted_tcp])[0] if single else None,
                    tcp=accepted_tcp[0] if single and accepted_tcp else None)
    if not connection_ended(server.pid, args, display, proc):
        # Listening and nobody connected, but the server never said its client left: xrdp
        # may be reaching for it another way (TCP to a server that listens only on the
        # unix socket), or has not connected yet. Not a disconnection we can see.
        return Link(server=server, display=display, connected=None, idle_ms=idle)
    return Link(server=server, display=display, connected=False, idle_ms=idle,
                since=log_mtime(server.pid, args, display, proc))


def session_link(members: t.Iterable[_procfs.Proc], proc: str = _procfs.PROC) -> Link | None:
    """The link of the one X server among a session's processes; None when not exactly one."""
    servers = [p for p in members if p.comm in X_SERVERS and p.alive]
    if len(servers) != 1:
        return None
    return link(servers[0], proc)


def apply(session: dict[str, t.Any], found: Link | None, now: float) -> None:
    """Set ``state``, ``disconnected_seconds`` and ``idle_seconds`` of an xrdp session from its link.

    Only what was positively read changes anything; a closing session stays ``closing``.
    """
    if found is None:
        return
    if found.idle_ms is not None:
        session["idle_seconds"] = found.idle_ms // 1000  # the X server's word beats IdleHint
    if found.connected is None or session.get("state") == "closing":
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


def tcp_peer(found: Link, proc: str = _procfs.PROC) -> int | None:
    """The inode of the other end of the X server's accepted TCP connection (same namespace:
    the socket whose local and remote ends are the server's remote and local ones)."""
    if found.tcp is None:
        return None
    table = net_tcp(found.server.pid, proc) or {}
    peers = [s.inode for s in table.values()
             if s.local == found.tcp.remote and s.remote == found.tcp.local and s.state == TCP_ESTABLISHED]
    return peers[0] if len(peers) == 1 else None


def listens(pid: int, proc: str = _procfs.PROC) -> bool | None:
    """Whether ``pid`` holds a listening socket (unix or TCP); None if that cannot be read."""
    inodes = socket_inodes(pid, proc)
    unix, tcp = net_unix(pid, proc), net_tcp(pid, proc)
    if unix is None or tcp is None:
        return None
    return any(unix[i].listening for i in inodes if i in unix) or \
        any(tcp[i].state == TCP_LISTEN for i in inodes if i in tcp)


def serves_one_client(holder: _procfs.Proc, table: t.Mapping[int, _procfs.Proc],
                      proc: str = _procfs.PROC) -> bool:
    """Whether ``holder`` is a per-connection child of the xrdp daemon (xrdp.ini ``fork=true``).

    With ``fork=false`` the daemon serves every client in its own threads: signalling it
    would drop them all, and stop xrdp. The daemon listens (3389); a forked child does not,
    and its parent is the daemon.
    """
    parent = table.get(holder.ppid)
    return (parent is not None and parent.comm in CLIENT_COMMS and parent.alive
            and listens(holder.pid, proc) is False)


def connection_process(found: Link, table: t.Mapping[int, _procfs.Proc],
                       proc: str = _procfs.PROC) -> _procfs.Proc | None:
    """xrdp's process serving this session's client, positively identified, or None.

    It is the process (``xrdp``, alive) that holds the socket the kernel names as the peer
    of the X server's connected display socket (unix: sock_diag; TCP: the matching ends in
    the namespace's table); exactly one such process, and one that serves only this client
    (never the daemon itself: see serves_one_client), else None.
    """
    if not found.connected or found.inode is None:
        return None
    peer = tcp_peer(found, proc) if found.tcp is not None else peer_inode(found.server.pid, found.inode, proc)
    if not peer:
        return None
    holders = [p for p in table.values()
               if p.comm in CLIENT_COMMS and p.alive and peer in socket_inodes(p.pid, proc)]
    if len(holders) != 1 or not serves_one_client(holders[0], table, proc):
        return None
    return holders[0]
