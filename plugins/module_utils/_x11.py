# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: how long an X server's user has been idle (MIT-SCREEN-SAVER).

PRIVATE to the termserv.sessions collection: no compatibility promise.

logind's IdleHint is only what a desktop reports (XFCE or MATE over xrdp report nothing),
but the X server itself knows when it last saw input: the MIT-SCREEN-SAVER extension's
QueryInfo answers ``ms-since-user-input``. This module asks it with the few X11 protocol
requests needed (connection setup, QueryExtension, ScreenSaverQueryInfo), in Python over
the X server's own unix socket: no xprintidle, no shell, no DISPLAY of ours.

Everything is the session's own: the socket is the X server's listening
``/tmp/.X11-unix/XN`` as its mount namespace has it (``/proc/PID/root/...``) and the peer
we reach must be that very process (SO_PEERCRED); the cookie is the MIT-MAGIC-COOKIE-1 of
the authority file the server was started with (``-auth``), opened without following a
symlink and only when the server's user owns it (so nothing another user may not read is
ever sent). Each step is bounded in time; anything unexpected is None (unknown).
"""
from __future__ import annotations

import os
import socket
import stat
import struct
import time
import typing as t

COOKIE = b"MIT-MAGIC-COOKIE-1"
FAMILY_LOCAL, FAMILY_WILD = 256, 65535
MAX_AUTHORITY = 64 * 1024  # a real one is ~100 bytes per display
MAX_SETUP = 1 << 20        # the server's setup answer; ~10 KiB on a real server
MAX_REPLY = 64 * 1024      # extra data of one reply; QueryExtension and QueryInfo have none
X_QUERY_EXTENSION = 98
SCREEN_SAVER_QUERY_INFO = 1
EXTENSION = b"MIT-SCREEN-SAVER"
TIMEOUT = 1.0              # the whole conversation with one X server
_PEERCRED = struct.Struct("=iII")


class X11Error(Exception):
    """The X server answered something this client does not accept."""


def _pad(n: int) -> int:
    return (4 - n % 4) % 4


def parse_authority(data: bytes) -> list[tuple[int, bytes, bytes, bytes, bytes]]:
    """Xauthority entries: (family, address, display number, auth name, auth data), big-endian."""
    out = []
    offset = 0
    try:
        while offset < len(data):
            family = struct.unpack_from(">H", data, offset)[0]
            offset += 2
            fields = []
            for dummy in range(4):
                size = struct.unpack_from(">H", data, offset)[0]
                offset += 2
                if offset + size > len(data):
                    raise X11Error("truncated authority entry")
                fields.append(data[offset:offset + size])
                offset += size
            out.append((family, *fields))
    except struct.error:
        return out  # a truncated tail: the complete entries before it stand
    except X11Error:
        return out
    return out


def cookie_for(entries: t.Sequence[tuple[int, bytes, bytes, bytes, bytes]], display: int) -> bytes | None:
    """The MIT-MAGIC-COOKIE-1 for ``display`` (a local or wildcard entry), else None."""
    number = str(display).encode()
    for family, _address, entry_number, name, data in entries:
        if name == COOKIE and family in (FAMILY_LOCAL, FAMILY_WILD) and entry_number in (number, b""):
            return data
    return None


def read_authority(path: str, uid: int) -> bytes | None:
    """The authority file's bytes, when it is a regular file owned by ``uid`` (no symlink followed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != uid or info.st_size > MAX_AUTHORITY:
            return None
        return os.read(fd, MAX_AUTHORITY)
    except OSError:
        return None
    finally:
        os.close(fd)


def setup_request(cookie: bytes) -> bytes:
    """Connection setup, little-endian ('l'), protocol 11.0, MIT-MAGIC-COOKIE-1."""
    head = struct.pack("<BxHHHHxx", ord("l"), 11, 0, len(COOKIE), len(cookie))
    return head + COOKIE + b"\0" * _pad(len(COOKIE)) + cookie + b"\0" * _pad(len(cookie))


def root_window(setup: bytes) -> int:
    """The first screen's root window from a successful setup answer (after its 8-byte head)."""
    if len(setup) < 32:
        raise X11Error("short setup answer")
    vendor_len = struct.unpack_from("<H", setup, 16)[0]
    formats = setup[21]
    offset = 32 + vendor_len + _pad(vendor_len) + 8 * formats
    if offset + 4 > len(setup) or setup[20] < 1:
        raise X11Error("no screen in the setup answer")
    return struct.unpack_from("<I", setup, offset)[0]


def query_extension_request(name: bytes) -> bytes:
    return struct.pack("<BxHHxx", X_QUERY_EXTENSION, 2 + (len(name) + _pad(len(name))) // 4, len(name)) \
        + name + b"\0" * _pad(len(name))


def query_info_request(major: int, drawable: int) -> bytes:
    return struct.pack("<BBHI", major, SCREEN_SAVER_QUERY_INFO, 2, drawable)


class _Conversation:
    """Reads of exact sizes from one socket under one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline

    def read(self, size: int) -> bytes:
        chunks, got = [], 0
        while got < size:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("X server too slow")
            self.sock.settimeout(left)
            chunk = self.sock.recv(size - got)
            if not chunk:
                raise X11Error("X server closed the connection")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def reply(self, sequence: int) -> bytes:
        """The 32-byte reply (plus extra) to request ``sequence``, skipping events; an error raises."""
        while True:
            head = self.read(32)
            if head[0] == 0:
                raise X11Error(f"X error {head[1]} for request {sequence}")
            if head[0] != 1:
                continue  # an event (we selected none, but a server may send some)
            extra = struct.unpack_from("<I", head, 4)[0] * 4
            if extra > MAX_REPLY:  # the two replies asked for carry no extra data
                raise X11Error(f"reply of {extra} extra bytes to request {sequence}")
            body = head + (self.read(extra) if extra else b"")
            if struct.unpack_from("<H", head, 2)[0] == sequence:
                return body


def peer_pid(sock: socket.socket) -> int:
    """The pid (in our PID namespace) of the process at the other end of a unix socket."""
    return _PEERCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))[0]


def idle_ms(path: str, cookie: bytes, server_pid: int | None = None, timeout: float = TIMEOUT) -> int | None:
    """Milliseconds since the X server at unix socket ``path`` last saw user input, or None.

    ``server_pid``: the connection is used only when its peer is that process (SO_PEERCRED).
    """
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            if server_pid is not None and peer_pid(sock) != server_pid:
                return None  # not the session's X server: never send its cookie elsewhere
            talk = _Conversation(sock, deadline)
            sock.sendall(setup_request(cookie))
            head = talk.read(8)
            length = struct.unpack_from("<H", head, 6)[0] * 4
            if head[0] != 1 or length > MAX_SETUP:
                return None  # refused (0) or asks for more authentication (2)
            root = root_window(talk.read(length))
            sock.sendall(query_extension_request(EXTENSION))
            answer = talk.reply(1)
            if not answer[8]:
                return None  # the server has no MIT-SCREEN-SAVER
            sock.sendall(query_info_request(answer[9], root))
            info = talk.reply(2)
            return int(struct.unpack_from("<I", info, 16)[0])
    except (OSError, X11Error, struct.error, IndexError):
        return None
