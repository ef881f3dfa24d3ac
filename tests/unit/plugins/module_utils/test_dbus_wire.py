# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The D-Bus client of module_utils/_dbus.py (issue 24 item 2).

Properties: what Writer marshals, Reader gives back, at any starting offset (alignment is
counted from the start of the message). Fixed vectors: the bytes the specification's rules
give for Hello, and the strict reader refusing what a hostile peer could send. Real:
dbus-daemon (libdbus checks every message it routes, so a malformed one would be refused)
and dunst under Xvfb show what we sent.
"""
from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.module_utils import _dbus
from tests.unit.plugins.module_utils import desktop_bus

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=20)
BASIC = {
    "y": st.integers(0, 255), "b": st.booleans(), "n": st.integers(-2**15, 2**15 - 1),
    "q": st.integers(0, 2**16 - 1), "i": st.integers(-2**31, 2**31 - 1), "u": st.integers(0, 2**32 - 1),
    "x": st.integers(-2**63, 2**63 - 1), "t": st.integers(0, 2**64 - 1),
    "d": st.floats(allow_nan=False), "s": TEXT, "o": st.just("/org/freedesktop/Notifications"),
    "g": st.sampled_from(["", "s", "a{sv}", "(iu)"]),
}
KEYS = "ynqiuxtso"


def typed(depth: int = 0) -> st.SearchStrategy:
    """(signature, strategy of a value of it), containers up to 3 deep."""
    basic = st.sampled_from(sorted(BASIC)).map(lambda code: (code, BASIC[code]))
    if depth >= 3:
        return basic

    def array(inner):
        code, values = inner
        return ("a" + code, st.lists(values, max_size=4))

    def struct_(inners):
        return ("(" + "".join(c for c, _v in inners) + ")", st.tuples(*(v for _c, v in inners)))

    def dict_(pair):
        key, (code, values) = pair
        return ("a{" + key + code + "}", st.dictionaries(BASIC[key], values, max_size=3))

    def variant(inner):
        code, values = inner
        return ("v", values.map(lambda value: (code, value)))

    sub = typed(depth + 1)
    return st.one_of(basic, sub.map(array), st.lists(sub, min_size=1, max_size=3).map(struct_),
                     st.tuples(st.sampled_from(KEYS), sub).map(dict_), sub.map(variant))


@st.composite
def signed_values(draw):
    types = draw(st.lists(typed(), min_size=1, max_size=4))
    return "".join(c for c, _v in types), [draw(v) for _c, v in types]


def _normal(code: str, value):
    """What the reader gives back for ``value`` of ``code`` (structs as tuples)."""
    if code.startswith("a{"):
        key, item = _dbus.split_signature(code[2:-1])
        return {_normal(key, k): _normal(item, v) for k, v in value.items()}
    if code[0] == "a":
        return [_normal(code[1:], v) for v in value]
    if code[0] == "(":
        return tuple(_normal(c, v) for c, v in zip(_dbus.split_signature(code[1:-1]), value))
    if code == "v":
        return (value[0], _normal(value[0], value[1]))
    return value


@settings(max_examples=500, deadline=None)
@given(signed_values(), st.integers(0, 7))
def test_what_is_written_reads_back_the_same_at_any_offset(sv, offset):
    signature, values = sv
    writer = _dbus.Writer()
    writer.buf += b"\0" * offset  # bytes before the body: alignment counts from the start
    writer.write(signature, values)
    data = bytes(writer.buf)
    reader = _dbus.Reader(data, "<", offset)
    got = reader.read(signature)
    assert got == [_normal(c, v) for c, v in zip(_dbus.split_signature(signature), values)]
    assert reader.pos == len(data)


@settings(max_examples=300, deadline=None)
@given(signed_values(), st.integers(1, 2**31))
def test_a_whole_message_parses_back(sv, serial):
    signature, values = sv
    data = _dbus.message(_dbus.METHOD_RETURN, serial, {_dbus.REPLY_SERIAL: 7, _dbus.SENDER: ":1.4"},
                         signature, values)
    assert _dbus.message_size(data[:16]) == len(data)
    parsed = _dbus.parse(data)
    assert parsed.kind == _dbus.METHOD_RETURN and parsed.serial == serial
    assert parsed.fields[_dbus.REPLY_SERIAL] == 7 and parsed.fields[_dbus.SIGNATURE] == signature
    assert parsed.body == [_normal(c, v) for c, v in zip(_dbus.split_signature(signature), values)]


def test_hello_is_the_bytes_the_specification_gives():
    """Fixed header, then a(yv) of PATH, INTERFACE, MEMBER, DESTINATION, each field struct
    8-aligned, strings with their length and NUL, padding to 8 before the (empty) body."""
    data = _dbus.message(_dbus.METHOD_CALL, 1, {_dbus.PATH: "/org/freedesktop/DBus",
                                                _dbus.INTERFACE: "org.freedesktop.DBus",
                                                _dbus.MEMBER: "Hello",
                                                _dbus.DESTINATION: "org.freedesktop.DBus"})

    def field(code: int, sig: bytes, text: bytes) -> bytes:
        raw = bytes((code, 1)) + sig + b"\0" + struct.pack("<I", len(text)) + text + b"\0"
        return raw + b"\0" * (-len(raw) % 8)

    fields = (field(1, b"o", b"/org/freedesktop/DBus") + field(2, b"s", b"org.freedesktop.DBus")
              + field(3, b"s", b"Hello") + field(6, b"s", b"org.freedesktop.DBus"))
    fields = fields[:-(-(4 + 1 + 3 + len(b"org.freedesktop.DBus") + 1) % 8) or None]  # no pad after the last
    expected = b"l\x01\x00\x01" + struct.pack("<III", 0, 1, len(fields)) + fields
    expected += b"\0" * (-len(expected) % 8)
    assert data == expected


def test_notify_body_has_the_alignment_of_susssasa_sv_i():
    body = bytes(_dbus.Writer().write("susssasa{sv}i", ["a", 0, "", "T", "B", [], {"urgency": ("y", 2)}, 0]).buf)
    assert body == (b"\x01\0\0\0a\0" + b"\0\0"          # s "a", padded to 4 for the u
                    + b"\0\0\0\0"                         # u 0 (replaces_id) at 8
                    + b"\0\0\0\0\0" + b"\0\0\0"            # s "" at 12: length 0, NUL; pad
                    + b"\x01\0\0\0T\0" + b"\0\0"          # s "T" at 20
                    + b"\x01\0\0\0B\0" + b"\0\0"          # s "B" at 28
                    + b"\0\0\0\0"                         # as [] at 36
                    # a{sv} at 40: length 16, counted from the entry 8-aligned at 48
                    + b"\x10\0\0\0" + b"\0\0\0\0"
                    + b"\x07\0\0\0urgency\0" + b"\x01y\0" + b"\x02"
                    + b"\0\0\0\0")                        # i 0 (expire_timeout) at 64


@pytest.mark.parametrize("mutate, why", [
    (lambda d: d[:4] + struct.pack("<I", 1 << 30) + d[8:], "body length"),
    (lambda d: d[:-1], "truncated"),
    (lambda d: b"X" + d[1:], "endianness"),
    (lambda d: d[:3] + b"\x02" + d[4:], "version"),
])
def test_the_reader_refuses_broken_messages(mutate, why):
    good = _dbus.message(_dbus.METHOD_RETURN, 5, {_dbus.REPLY_SERIAL: 2}, "u", [9])
    assert _dbus.parse(good).body == [9]
    with pytest.raises(_dbus.DBusError):
        _dbus.parse(mutate(good))


def test_the_reader_refuses_nonzero_padding_bad_booleans_and_strings_without_nul():
    with pytest.raises(_dbus.DBusError, match="padding"):
        _dbus.Reader(b"\x01\x07\0\0\x05\0\0\0").read("yu")
    with pytest.raises(_dbus.DBusError, match="boolean"):
        _dbus.Reader(struct.pack("<I", 2)).read("b")
    with pytest.raises(_dbus.DBusError, match="NUL"):
        _dbus.Reader(struct.pack("<I", 1) + b"ab").read("s")
    with pytest.raises(_dbus.DBusError, match="UTF-8"):
        _dbus.Reader(struct.pack("<I", 1) + b"\xff\0").read("s")
    with pytest.raises(_dbus.DBusError, match="longer than the message"):
        _dbus.Reader(struct.pack("<I", 1 << 20)).read("ay")
    with pytest.raises(_dbus.DBusError):
        _dbus.Writer().write("s", ["a\0b"])


class FakeBus:
    """A unix socket that answers the handshake, then the given raw replies."""

    def __init__(self, path: str, replies: list[bytes], hang: bool = False) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.replies = replies
        self.hang = hang
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _peer = self.sock.accept()
        with conn, contextlib.suppress(OSError):  # the client may hang up first: that is its test
            conn.recv(4096)
            if self.hang:
                time.sleep(5)
                return
            conn.sendall(b"OK 0123456789abcdef0123456789abcdef\r\n")
            for reply in self.replies:
                conn.recv(4096)
                conn.sendall(reply)
            time.sleep(0.5)


def hello_reply(serial: int = 1) -> bytes:
    return _dbus.message(_dbus.METHOD_RETURN, 1, {_dbus.REPLY_SERIAL: serial, _dbus.SENDER: _dbus.BUS_NAME},
                         "s", [":1.9"])


def test_a_reply_to_another_serial_is_refused(tmp_path):
    path = str(tmp_path / "bus")
    FakeBus(path, [hello_reply(serial=4)])
    with pytest.raises(_dbus.DBusError, match="serial"):
        _dbus.notify(path, os.getuid(), "a", "s", "b", timeout=2)


def test_hello_must_come_from_the_bus(tmp_path):
    path = str(tmp_path / "bus")
    reply = _dbus.message(_dbus.METHOD_RETURN, 1, {_dbus.REPLY_SERIAL: 1, _dbus.SENDER: ":1.66"}, "s", [":1.9"])
    FakeBus(path, [reply])
    with pytest.raises(_dbus.DBusError, match="Hello"):
        _dbus.notify(path, os.getuid(), "a", "s", "b", timeout=2)


@pytest.mark.parametrize("name, valid", [
    ("org.freedesktop.DBus.Error.ServiceUnknown", True),
    ("a.b", True),
    ("_x.y_2", True),
    ("single", False),
    ("a..b", False),
    ("a.2b", False),
    (".a.b", False),
    ("a.b.", False),
    ("org.x\x1b[2J.y", False),
    ("org.x.y\nfake warning", False),
    ("a." + "b" * 254, False),  # over 255 bytes
    ("", False),
])
def test_error_names_follow_the_dbus_name_grammar(name, valid):
    assert _dbus.is_error_name(name) is valid


def test_an_error_with_a_name_outside_the_grammar_is_reported_under_a_generic_name(tmp_path):
    """The peer chooses the error's name; one with escapes or newlines never travels on.
    Before the fix CallError carried the name as sent."""
    path = str(tmp_path / "bus")
    error = _dbus.message(_dbus.ERROR, 2, {_dbus.REPLY_SERIAL: 2, _dbus.ERROR_NAME: "org.x\x1b]0;pwn\x07.y\nz"},
                          "s", ["why"])
    FakeBus(path, [hello_reply(), error])
    with pytest.raises(_dbus.CallError) as info:
        _dbus.notify(path, os.getuid(), "a", "s", "b", timeout=2)
    assert info.value.name == _dbus.GENERIC_ERROR and info.value.text == "why"


def test_a_reply_bigger_than_the_cap_is_refused_before_it_is_read(tmp_path):
    path = str(tmp_path / "bus")
    big = _dbus.message(_dbus.METHOD_RETURN, 1, {_dbus.REPLY_SERIAL: 1, _dbus.SENDER: _dbus.BUS_NAME},
                        "s", ["x" * (_dbus.MAX_MESSAGE + 1)])
    FakeBus(path, [big[:64]])
    with pytest.raises(_dbus.DBusError, match="bytes"):
        _dbus.notify(path, os.getuid(), "a", "s", "b", timeout=2)


def test_a_bus_that_never_answers_costs_the_timeout_only(tmp_path):
    path = str(tmp_path / "bus")
    FakeBus(path, [], hang=True)
    start = time.monotonic()
    with pytest.raises(OSError):
        _dbus.notify(path, os.getuid(), "a", "s", "b", timeout=0.5)
    assert time.monotonic() - start < 1.5


def test_a_bus_of_another_user_gets_not_a_byte(tmp_path):
    path = str(tmp_path / "bus")
    bus = FakeBus(path, [hello_reply()])
    with pytest.raises(_dbus.NotReached, match="belongs to uid"):
        _dbus.notify(path, os.getuid() + 1, "a", "s", "b", timeout=1)
    del bus


needs_desktop = pytest.mark.skipif(not desktop_bus.available() or os.geteuid() != 0,
                                   reason="needs root, Xvfb, dbus-daemon and dunst")


def _as_user(uid: int, gid: int, work) -> object:
    """``work()`` in a child that became ``uid`` (the bus authenticates the socket's uid)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.write(write_end, repr(work()).encode())
            code = 0
        except BaseException as exc:  # pylint: disable=broad-except
            os.write(write_end, repr(exc).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    data = os.read(read_end, 65536).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    return data


@needs_desktop
def test_dunst_shows_the_notice_critical_with_title_and_text():
    with desktop_bus.desktop() as box:
        got = _as_user(box.uid, box.gid, lambda: _dbus.notify(box.bus, box.uid, "termserv.sessions",
                                                              "Maintenance tonight", "Log off by 22:00.\nThanks"))
        assert got.isdigit() and int(got) > 0, got
        [shown] = box.history()
        assert shown["id"] == int(got)
        assert shown["summary"] == "Maintenance tonight" and shown["body"] == "Log off by 22:00.\nThanks"
        assert shown["appname"] == "termserv.sessions"
        assert shown["message"].startswith("urgency=critical|"), shown
        # dunst reads body markup: what looks like markup is escaped, shown as typed
        _as_user(box.uid, box.gid, lambda: _dbus.notify(box.bus, box.uid, "t", "a <b> & c", "x < y & <i>z</i>"))
        [_first, second] = sorted(box.history(), key=lambda s: s["id"])
        assert second["summary"] == "a <b> & c" and second["body"] == "x &lt; y &amp; &lt;i&gt;z&lt;/i&gt;"


@needs_desktop
def test_a_bus_without_a_notification_server_says_service_unknown():
    with desktop_bus.desktop(server=False) as box:
        got = _as_user(box.uid, box.gid, lambda: _dbus.notify(box.bus, box.uid, "a", "s", "b"))
        assert "CallError" in got and "org.freedesktop.DBus.Error.ServiceUnknown" in got, got


@needs_desktop
def test_root_is_refused_by_the_users_bus_and_sends_no_notice():
    with desktop_bus.desktop() as box:
        with pytest.raises(_dbus.NotReached, match="EXTERNAL"):
            _dbus.notify(box.bus, box.uid, "a", "s", "b")  # we are root: the socket says uid 0
        assert box.history() == []
