# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: one method call on a D-Bus bus, in Python's standard library.

PRIVATE to the termserv.sessions collection: no compatibility promise.

A desktop shows notices through ``org.freedesktop.Notifications`` on its session bus
(issue 24 item 2). Hosts may run no D-Bus library for Python, and a module may use only the
standard library, so this is the little of the D-Bus protocol one call needs: the SASL
EXTERNAL handshake (the bus takes our uid from the socket), ``Hello``, one method call and
its reply, with the wire format's marshalling (little-endian out, either order in, every
value aligned to its size, containers to 4 or 8). Replies are read strictly: their size is
capped, padding must be zero, strings must be UTF-8 and end in NUL, and only a reply whose
REPLY_SERIAL is the serial of our call (and, for Hello, whose sender is the bus) is taken.
One deadline bounds the whole conversation. Anything unexpected raises DBusError.

The caller decides which socket is the user's and connects as that user; ``call`` checks
the peer's uid (SO_PEERCRED) before it sends a byte.
"""
from __future__ import annotations

import re
import socket
import struct
import time
import typing as t

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
# Header field codes and the type each must have.
PATH, INTERFACE, MEMBER, ERROR_NAME, REPLY_SERIAL, DESTINATION, SENDER, SIGNATURE, UNIX_FDS = range(1, 10)
_FIELD_TYPES = {PATH: "o", INTERFACE: "s", MEMBER: "s", ERROR_NAME: "s", REPLY_SERIAL: "u",
                DESTINATION: "s", SENDER: "s", SIGNATURE: "g", UNIX_FDS: "u"}
BUS_NAME, BUS_PATH = "org.freedesktop.DBus", "/org/freedesktop/DBus"
TIMEOUT = 3.0             # the whole conversation with one bus
MAX_MESSAGE = 64 * 1024   # a reply we accept; Notify's is ~100 bytes, the spec allows 128 MiB
MAX_LINE = 512            # one line of the SASL handshake
MAX_SKIPPED = 64          # signals (NameAcquired ...) we read past while waiting for a reply
MAX_DEPTH = 32            # containers in containers (the spec allows 64 in total)
_ALIGN = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8,
          "s": 4, "o": 4, "g": 1, "v": 1, "a": 4, "(": 8, "{": 8}
_FIXED = {"y": "B", "b": "I", "n": "h", "q": "H", "i": "i", "u": "I", "x": "q", "t": "Q", "d": "d"}
_PEERCRED = struct.Struct("=iII")
# An error name has the grammar of an interface name: two or more elements of ASCII letters,
# digits and "_", none starting with a digit, at most 255 bytes in all. fullmatch, not $
# (which also matches before a trailing newline).
_ERROR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
MAX_NAME = 255
# What an ERROR whose name breaks that grammar is reported as: the name came from the peer
# (the user's bus or a program of theirs) and goes on into the operator's warnings.
GENERIC_ERROR = "org.freedesktop.DBus.Error.Failed"


class DBusError(Exception):
    """The bus or the peer did something this client does not accept."""


class NotReached(DBusError):
    """No conversation with the bus: nothing listens there, it is not the user's, or it
    refused our authentication. Nothing was sent but the handshake."""


def is_error_name(name: str) -> bool:
    """Whether ``name`` is a valid D-Bus error name (``org.freedesktop.DBus.Error.Failed``)."""
    return len(name) <= MAX_NAME and _ERROR_NAME_RE.fullmatch(name) is not None


class CallError(DBusError):
    """The call was answered with an ERROR message: ``name`` (GENERIC_ERROR when what the
    peer sent is not an error name) and its text (as sent: the caller bounds and cleans it)."""

    def __init__(self, name: str, text: str) -> None:
        name = name if is_error_name(name) else GENERIC_ERROR
        super().__init__(f"{name}: {text}" if text else name)
        self.name = name
        self.text = text


def split_signature(signature: str) -> list[str]:
    """The single complete types of ``signature`` ("susa{sv}" -> ["s", "u", "s", "a{sv}"])."""
    out = []
    pos = 0
    while pos < len(signature):
        end = _complete(signature, pos, 0)
        out.append(signature[pos:end])
        pos = end
    return out


def _complete(sig: str, pos: int, depth: int) -> int:
    """The end of the single complete type starting at ``pos``."""
    if depth > MAX_DEPTH:
        raise DBusError("signature nested too deeply")
    if pos >= len(sig):
        raise DBusError(f"signature {sig!r} ends inside a type")
    code = sig[pos]
    if code in _FIXED or code in "sogv":
        return pos + 1
    if code == "a":
        return _complete(sig, pos + 1, depth + 1)
    if code == "(":
        pos += 1
        if pos < len(sig) and sig[pos] == ")":
            raise DBusError("empty struct in signature")
        while pos < len(sig) and sig[pos] != ")":
            pos = _complete(sig, pos, depth + 1)
        if pos >= len(sig):
            raise DBusError(f"unclosed struct in signature {sig!r}")
        return pos + 1
    if code == "{":
        # A dict entry: only as an array's element, a basic key, one value.
        if pos == 0 or sig[pos - 1] != "a" or pos + 1 >= len(sig) or sig[pos + 1] not in _FIXED and sig[pos + 1] not in "sog":
            raise DBusError(f"bad dict entry in signature {sig!r}")
        end = _complete(sig, _complete(sig, pos + 1, depth + 1), depth + 1)
        if end >= len(sig) or sig[end] != "}":
            raise DBusError(f"bad dict entry in signature {sig!r}")
        return end + 1
    raise DBusError(f"unsupported type {code!r} in signature {sig!r}")


class Writer:
    """Marshals values, little-endian, at offsets counted from the start of the message."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def pad(self, size: int) -> None:
        self.buf += b"\0" * (-len(self.buf) % size)

    def write(self, signature: str, values: t.Sequence[t.Any]) -> Writer:
        types = split_signature(signature)
        if len(types) != len(values):
            raise DBusError(f"{len(values)} values for signature {signature!r}")
        for code, value in zip(types, values):
            self._one(code, value, 0)
        return self

    def _one(self, code: str, value: t.Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise DBusError("value nested too deeply")
        kind = code[0]
        self.pad(_ALIGN[kind])
        if kind in _FIXED:
            if kind == "b":
                value = 1 if value else 0
            try:
                self.buf += struct.pack("<" + _FIXED[kind], value)
            except struct.error as exc:
                raise DBusError(f"{value!r} does not fit type {kind}") from exc
        elif kind in "so":
            data = _text(value)
            self.buf += struct.pack("<I", len(data)) + data + b"\0"
        elif kind == "g":
            data = _text(value)
            if len(data) > 255:
                raise DBusError("signature longer than 255 bytes")
            split_signature(value)
            self.buf += bytes((len(data),)) + data + b"\0"
        elif kind == "v":
            inner, item = value
            if len(split_signature(inner)) != 1:
                raise DBusError(f"a variant holds one complete type, not {inner!r}")
            self._one("g", inner, depth)
            self._one(inner, item, depth + 1)
        elif kind == "a":
            self._array(code[1:], value, depth)
        elif kind == "(":
            fields = split_signature(code[1:-1])
            if len(fields) != len(value):
                raise DBusError(f"{len(value)} values for struct {code!r}")
            for field, item in zip(fields, value):
                self._one(field, item, depth + 1)
        else:  # "{": a (key, value) pair
            key, item = split_signature(code[1:-1])
            self._one(key, value[0], depth + 1)
            self._one(item, value[1], depth + 1)

    def _array(self, element: str, value: t.Any, depth: int) -> None:
        at = len(self.buf)
        self.buf += b"\0\0\0\0"
        self.pad(_ALIGN[element[0]])  # the padding before the first element is not counted
        start = len(self.buf)
        items = list(value.items()) if element[0] == "{" and isinstance(value, dict) else value
        for item in items:
            self._one(element, item, depth + 1)
        struct.pack_into("<I", self.buf, at, len(self.buf) - start)


def _text(value: str) -> bytes:
    data = value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError: the caller's input
    if b"\0" in data:
        raise DBusError("a D-Bus string cannot hold NUL")
    return data


class Reader:
    """Unmarshals values from ``data`` (a whole message) in byte order ``order`` ("<" or ">")."""

    def __init__(self, data: bytes, order: str = "<", pos: int = 0) -> None:
        self.data = data
        self.order = order
        self.pos = pos

    def _take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise DBusError("message ends inside a value")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def align(self, size: int) -> None:
        if any(self._take(-self.pos % size)):
            raise DBusError("padding that is not zero")

    def read(self, signature: str) -> list[t.Any]:
        return [self._one(code, 0) for code in split_signature(signature)]

    def _one(self, code: str, depth: int) -> t.Any:
        if depth > MAX_DEPTH:
            raise DBusError("value nested too deeply")
        kind = code[0]
        self.align(_ALIGN[kind])
        if kind in _FIXED:
            fmt = self.order + _FIXED[kind]
            value = struct.unpack(fmt, self._take(struct.calcsize(fmt)))[0]
            if kind == "b":
                if value not in (0, 1):
                    raise DBusError(f"boolean {value}")
                return bool(value)
            return value
        if kind in "sog":
            size = self._take(1)[0] if kind == "g" else struct.unpack(self.order + "I", self._take(4))[0]
            raw = self._take(size)
            if self._take(1) != b"\0" or b"\0" in raw:
                raise DBusError("string not ended by NUL")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DBusError("string that is not UTF-8") from exc
            if kind == "g":
                split_signature(text)
            return text
        if kind == "v":
            inner = self._one("g", depth)
            if len(split_signature(inner)) != 1:
                raise DBusError(f"variant of {inner!r}")
            return (inner, self._one(inner, depth + 1))
        if kind == "a":
            size = struct.unpack(self.order + "I", self._take(4))[0]
            if size > len(self.data) - self.pos:
                raise DBusError("array longer than the message")
            element = code[1:]
            self.align(_ALIGN[element[0]])
            end = self.pos + size
            items = []
            while self.pos < end:
                items.append(self._one(element, depth + 1))
            if self.pos != end:
                raise DBusError("array elements overrun its length")
            return dict(items) if element[0] == "{" else items
        if kind == "(":
            return tuple(self._one(field, depth + 1) for field in split_signature(code[1:-1]))
        key, item = split_signature(code[1:-1])
        return (self._one(key, depth + 1), self._one(item, depth + 1))


def message(kind: int, serial: int, fields: t.Mapping[int, t.Any], signature: str = "",
            body: t.Sequence[t.Any] = (), flags: int = 0) -> bytes:
    """A whole message: the fixed header, the header fields, padding to 8, the body."""
    payload = bytes(Writer().write(signature, body).buf)  # the body starts 8-aligned: offsets agree
    pairs = [(code, (_FIELD_TYPES[code], value)) for code, value in sorted(fields.items())]
    if signature:
        pairs.append((SIGNATURE, ("g", signature)))
    head = Writer().write("yyyyuua(yv)", [ord("l"), kind, flags, 1, len(payload), serial, pairs])
    head.pad(8)
    return bytes(head.buf) + payload


class Message(t.NamedTuple):
    kind: int
    serial: int
    fields: dict[int, t.Any]
    body: list[t.Any]


def parse(data: bytes) -> Message:
    """One whole message (as ``message_size`` measured it)."""
    if len(data) < 16 or data[:1] not in (b"l", b"B"):
        raise DBusError("not a D-Bus message")
    order = "<" if data[:1] == b"l" else ">"
    reader = Reader(data, order)
    _endian, kind, _flags, version, size, serial, pairs = reader.read("yyyyuua(yv)")
    if version != 1 or serial == 0 or kind not in (METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL):
        raise DBusError(f"message of version {version}, type {kind}, serial {serial}")
    fields: dict[int, t.Any] = {}
    for code, (sig, value) in pairs:
        expected = _FIELD_TYPES.get(code)
        if expected is not None:  # unknown fields must be ignored
            if sig != expected:
                raise DBusError(f"header field {code} of type {sig!r}")
            fields[code] = value
    reader.align(8)
    if len(data) - reader.pos != size:
        raise DBusError("body length does not match")
    if fields.get(UNIX_FDS):
        raise DBusError("a message with file descriptors")
    body = Reader(data, order, reader.pos).read(fields.get(SIGNATURE, "")) if size else []
    return Message(kind, serial, fields, body)


def message_size(head: bytes) -> int:
    """The whole size of the message whose first 16 bytes are ``head``."""
    if head[:1] not in (b"l", b"B"):
        raise DBusError("not a D-Bus message")
    order = "<" if head[:1] == b"l" else ">"
    body, fields = struct.unpack_from(order + "I4xI", head, 4)
    return 16 + fields + (-fields % 8) + body


def sasl_external(uid: int) -> bytes:
    """The client's side of the handshake up to the server's OK: NUL, then AUTH EXTERNAL."""
    return b"\0AUTH EXTERNAL " + str(uid).encode("ascii").hex().encode("ascii") + b"\r\n"


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a unix socket (the listener's, for a bus)."""
    return _PEERCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))[1]


class Connection:
    """One authenticated connection: reads of exact sizes under one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.serial = 0
        self.pending = b""

    def _recv(self, size: int) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("the bus is too slow")
        self.sock.settimeout(left)
        chunk = self.sock.recv(size)
        if not chunk:
            raise DBusError("the bus closed the connection")
        return chunk

    def read(self, size: int) -> bytes:
        while len(self.pending) < size:
            self.pending += self._recv(max(4096, size - len(self.pending)))
        chunk, self.pending = self.pending[:size], self.pending[size:]
        return chunk

    def line(self) -> bytes:
        while b"\r\n" not in self.pending:
            if len(self.pending) > MAX_LINE:
                raise DBusError("handshake line too long")
            self.pending += self._recv(MAX_LINE)
        line, self.pending = self.pending.split(b"\r\n", 1)
        return line

    def authenticate(self, uid: int) -> None:
        self.sock.sendall(sasl_external(uid))
        answer = self.line()
        if not answer.startswith(b"OK "):
            raise NotReached(f"the bus refused EXTERNAL authentication: {answer[:100]!r}")
        self.sock.sendall(b"BEGIN\r\n")

    def next_message(self) -> Message:
        head = self.read(16)
        size = message_size(head)
        if size > MAX_MESSAGE:
            raise DBusError(f"a message of {size} bytes")
        return parse(head + self.read(size - 16))

    def call(self, destination: str, path: str, interface: str, member: str,
             signature: str = "", body: t.Sequence[t.Any] = ()) -> Message:
        """Send one method call and return its METHOD_RETURN; an ERROR raises CallError."""
        self.serial += 1
        serial = self.serial
        self.sock.sendall(message(METHOD_CALL, serial, {PATH: path, INTERFACE: interface, MEMBER: member,
                                                        DESTINATION: destination}, signature, body))
        for _skipped in range(MAX_SKIPPED):
            reply = self.next_message()
            if reply.kind in (SIGNAL, METHOD_CALL):
                continue  # not for us to answer: we asked for nothing else
            if reply.fields.get(REPLY_SERIAL) != serial:
                raise DBusError(f"a reply to serial {reply.fields.get(REPLY_SERIAL)}, not to our {serial}")
            if reply.kind == ERROR:
                text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
                raise CallError(str(reply.fields.get(ERROR_NAME, "")), text)
            return reply
        raise DBusError(f"no reply among {MAX_SKIPPED} messages")

    def call_checked(self, destination: str, path: str, interface: str, member: str,
                     signature: str, body: t.Sequence[t.Any], reply_signature: str) -> list[t.Any]:
        """``call``, and the reply's body when its signature is ``reply_signature``."""
        reply = self.call(destination, path, interface, member, signature, body)
        if reply.fields.get(SIGNATURE, "") != reply_signature:
            raise DBusError(f"a reply of signature {reply.fields.get(SIGNATURE, '')!r}, not {reply_signature!r}")
        return reply.body


def open_bus(sock: socket.socket, address: bytes | str, uid: int, deadline: float) -> Connection:
    """Connect ``sock`` to the bus at ``address``, check it is ``uid``'s, authenticate, Hello."""
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.connect(address)
        owner = peer_uid(sock)
    except OSError as exc:
        raise NotReached(f"cannot connect: {exc.strerror or exc}") from exc
    if owner != uid:
        raise NotReached(f"the bus belongs to uid {owner}, not to {uid}")
    conn = Connection(sock, deadline)
    conn.authenticate(uid)
    hello = conn.call(BUS_NAME, BUS_PATH, BUS_NAME, "Hello")
    if hello.fields.get(SENDER) != BUS_NAME or hello.fields.get(SIGNATURE) != "s":
        raise DBusError("Hello was not answered by the bus")
    return conn


NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
URGENCY_CRITICAL = 2


def escape_markup(text: str) -> str:
    """``text`` as a server that reads body markup shows it literally (the spec's XML subset)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def notify(address: bytes | str, uid: int, app_name: str, summary: str, body: str,
           timeout: float = TIMEOUT, deadline: float | None = None) -> int:
    """Show one critical notification that does not expire by itself; the server's id.

    ``expire_timeout`` 0: it stays until the user closes it (a user away from the desk
    sees it on return); urgency critical (the byte 2): daemons show it above others. The
    body is escaped when the server says it reads markup (capability ``body-markup``), so
    that ``<`` and ``&`` show as typed; the summary is plain text by the specification.
    """
    deadline = time.monotonic() + timeout if deadline is None else deadline
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        conn = open_bus(sock, address, uid, deadline)
        [capabilities] = conn.call_checked(NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS,
                                           "GetCapabilities", "", [], "as")
        if "body-markup" in capabilities:
            body = escape_markup(body)
        [number] = conn.call_checked(
            NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Notify", "susssasa{sv}i",
            [app_name, 0, "", summary, body, [], {"urgency": ("y", URGENCY_CRITICAL)}, 0], "u")
        return int(number)
