# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The X server's idle time over the X11 protocol (issue 22 item 6), against a fake X server.

The fake speaks the wire format of the X11 core protocol and MIT-SCREEN-SAVER (setup,
QueryExtension, ScreenSaverQueryInfo); the farm's test_xrdp_sessions.py asks the real
xorgxrdp server the same questions.
"""
from __future__ import annotations

import os
import socket
import struct
import threading
import time
import typing as t
from pathlib import Path

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _x11

COOKIE = bytes(range(16))
ROOT, MAJOR, IDLE = 0x000003D5, 147, 123456


def authority_entry(family: int, address: bytes, number: bytes, name: bytes, data: bytes) -> bytes:
    out = struct.pack(">H", family)
    for field in (address, number, name, data):
        out += struct.pack(">H", len(field)) + field
    return out


# The farm's ~/.Xauthority as xrdp-sesman wrote it (od -c): one local entry for display 10.
RECORDED = authority_entry(256, b"xrdp11", b"10", b"MIT-MAGIC-COOKIE-1", COOKIE)


def setup_answer(screens: int = 1) -> bytes:
    vendor = b"The X.Org Foundation"
    body = struct.pack("<IIIIHHBBBBBBBBxxxx", 12101006, 0x00200000, 0x001FFFFF, 256, len(vendor), 65535,
                       screens, 1, 0, 0, 32, 32, 8, 255)
    body += vendor + b"\0" * ((4 - len(vendor) % 4) % 4) + struct.pack("<BBBxxxxx", 24, 32, 32)
    body += struct.pack("<IIIII", ROOT, 0x20, 0xFFFFFF, 0, 0) + b"\0" * 20 if screens else b""
    return struct.pack("<BxHHH", 1, 11, 0, len(body) // 4) + body


class FakeX:
    """One connection at a time on a unix socket; ``mode`` picks how it misbehaves."""

    def __init__(self, path: Path, mode: str = "ok") -> None:
        self.mode = mode
        self.seen: list[bytes] = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    @staticmethod
    def read(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def serve(self) -> None:
        try:
            conn, _address = self.listener.accept()
        except OSError:
            return
        with conn:
            try:
                self.talk(conn)
            except (EOFError, OSError):
                pass

    def talk(self, conn: socket.socket) -> None:
        head = self.read(conn, 12)
        name_len, data_len = struct.unpack_from("<HH", head, 6)
        rest = self.read(conn, name_len + (-name_len % 4) + data_len + (-data_len % 4))
        cookie = rest[name_len + (-name_len % 4):][:data_len]
        self.seen.append(cookie)
        if self.mode == "silent":
            time.sleep(3)
            return
        if cookie != COOKIE or self.mode == "refuse":
            reason = b"No protocol specified"
            conn.sendall(struct.pack("<BBHHH", 0, len(reason), 11, 0, 8) + reason.ljust(32, b"\0"))
            return
        conn.sendall(setup_answer(0 if self.mode == "no_screen" else 1))
        sequence = 0
        while True:
            request = self.read(conn, 4)
            sequence += 1
            length = struct.unpack_from("<H", request, 2)[0] * 4
            body = self.read(conn, length - 4)
            if request[0] == 98:  # QueryExtension
                present = 0 if self.mode == "no_extension" else 1
                if self.mode == "huge_reply":  # claims 4 GiB of extra data, sends none
                    conn.sendall(struct.pack("<BxHIBBBB", 1, sequence, 0xFFFFFFFF, 1, MAJOR, 0, 0) + b"\0" * 20)
                    time.sleep(3)
                    return
                if self.mode == "event_first":
                    conn.sendall(bytes([12]) + b"\0" * 31)  # an Expose event before the reply
                conn.sendall(struct.pack("<BxHIBBBB", 1, sequence, 0, present, MAJOR, 0, 0) + b"\0" * 20)
            elif request[0] == MAJOR and request[1] == 1:
                if self.mode == "x_error":
                    conn.sendall(struct.pack("<BBHI", 0, 9, sequence, struct.unpack_from("<I", body)[0]) + b"\0" * 24)
                    continue
                window = struct.unpack_from("<I", body)[0]
                conn.sendall(struct.pack("<BBHIIIIB", 1, 0, sequence, 0, window, 0, IDLE, 0) + b"\0" * 11)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def x_socket(tmp_path) -> t.Iterator[t.Callable[[str], tuple[str, FakeX]]]:
    servers: list[FakeX] = []

    def start(mode: str = "ok") -> tuple[str, FakeX]:
        path = tmp_path / f"X{10 + len(servers)}"
        server = FakeX(path, mode)
        servers.append(server)
        return str(path), server

    yield start
    for server in servers:
        server.close()


def test_the_idle_time_is_the_servers_ms_since_user_input(x_socket):
    path, server = x_socket()
    assert _x11.idle_ms(path, COOKIE) == IDLE
    assert server.seen == [COOKIE]


@pytest.mark.parametrize("mode", ["refuse", "no_extension", "x_error", "no_screen"])
def test_anything_but_an_answer_is_unknown(x_socket, mode):
    path, _server = x_socket(mode)
    assert _x11.idle_ms(path, COOKIE) is None


def test_events_before_the_reply_are_skipped(x_socket):
    path, _server = x_socket("event_first")
    assert _x11.idle_ms(path, COOKIE) == IDLE


def test_a_server_that_does_not_answer_costs_the_bound_only(x_socket):
    path, _server = x_socket("silent")
    started = time.monotonic()
    assert _x11.idle_ms(path, COOKIE, timeout=0.3) is None
    assert time.monotonic() - started < 1.5


def test_a_reply_claiming_gigabytes_is_unknown_at_once(x_socket):
    """Review finding: the reply's length was read as is; a server the user controls could
    make the module wait for (and allocate) 16 GiB."""
    path, _server = x_socket("huge_reply")
    started = time.monotonic()
    assert _x11.idle_ms(path, COOKIE, timeout=2.0) is None
    assert time.monotonic() - started < 1.0


def test_no_server_is_unknown(tmp_path):
    assert _x11.idle_ms(str(tmp_path / "X99"), COOKIE, timeout=0.3) is None


def test_the_cookie_goes_only_to_the_expected_process(x_socket):
    """SO_PEERCRED: a socket answered by another process than the X server gets nothing."""
    path, server = x_socket()
    assert _x11.idle_ms(path, COOKIE, server_pid=os.getpid() + 1) is None
    assert server.seen == []
    path, server = x_socket()  # (the fake serves one connection) expected this time: answers
    assert _x11.idle_ms(path, COOKIE, server_pid=os.getpid()) == IDLE


def test_the_recorded_authority_file_gives_its_cookie():
    entries = _x11.parse_authority(RECORDED)
    assert entries == [(256, b"xrdp11", b"10", b"MIT-MAGIC-COOKIE-1", COOKIE)]
    assert _x11.cookie_for(entries, 10) == COOKIE
    assert _x11.cookie_for(entries, 11) is None


def test_authority_entries_of_other_kinds_or_displays_are_not_used():
    data = (authority_entry(0, b"\x7f\x00\x00\x01", b"10", b"MIT-MAGIC-COOKIE-1", b"inet")
            + authority_entry(256, b"h", b"10", b"XDM-AUTHORIZATION-1", b"xdm")
            + authority_entry(256, b"h", b"11", b"MIT-MAGIC-COOKIE-1", b"eleven")
            + authority_entry(65535, b"", b"", b"MIT-MAGIC-COOKIE-1", b"wild"))
    assert _x11.cookie_for(_x11.parse_authority(data), 10) == b"wild"
    assert _x11.cookie_for(_x11.parse_authority(data), 11) == b"eleven"
    # a truncated tail: the complete entries before it stand
    assert len(_x11.parse_authority(data + b"\x01\x00\x00")) == 4


def test_the_authority_file_is_read_only_when_the_servers_user_owns_it(tmp_path):
    """Nothing another user may not read is ever sent to a user's X server."""
    own = tmp_path / "own"
    own.write_bytes(RECORDED)
    os.chown(own, 1002, 1002)
    assert _x11.read_authority(str(own), 1002) == RECORDED
    assert _x11.read_authority(str(own), 1003) is None
    secret = tmp_path / "secret"
    secret.write_bytes(b"root's")
    link = tmp_path / "link"
    link.symlink_to(secret)
    os.lchown(link, 1002, 1002)
    assert _x11.read_authority(str(link), 0) is None  # a symlink is never followed
    assert _x11.read_authority(str(tmp_path), 0) is None  # not a regular file
    assert _x11.read_authority(str(tmp_path / "none"), 0) is None
