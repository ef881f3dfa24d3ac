# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux target mechanism: a notice on a graphical session's desktop (issue 24 item 2).

PRIVATE to the termserv.sessions collection: no compatibility promise.

A desktop (xrdp, X11, Wayland) has no terminal to write to; it shows notices that a program
sends to ``org.freedesktop.Notifications`` on the session's D-Bus session bus. Which bus:
the ``DBUS_SESSION_BUS_ADDRESS`` that the session's own processes (of its user) were
started with, then the user's ``/run/user/UID/bus`` (systemd's user bus). A path is used
only when it is a socket owned by the user, an abstract address only when the session
shares our network namespace (abstract names live there); the bus itself must be the
user's (SO_PEERCRED, checked by _dbus before anything is sent).

The call is made AS the user: a forked child drops to the user's groups, gid and uid before
it connects, so the bus authenticates the user (SASL EXTERNAL takes the uid of the socket)
and nothing root may reach is reached. After the switch the kernel makes the child
undumpable, so the user cannot read the copy of the module's memory it holds. The children
of one call run in parallel; the parent waits for them under one deadline and kills (by
pid, its own children only) those that did not answer. Each child reports facts; what they
mean for the task (reasons) is decided on the controller (plugin_utils/_notice.py).
"""
from __future__ import annotations

import dataclasses
import json
import os
import pwd
import select
import signal
import stat
import time
import typing as t
import urllib.parse

from ansible_collections.termserv.sessions.plugins.module_utils import _dbus

APP_NAME = "termserv.sessions"
RUN_USER = "/run/user"
MAX_ENVIRON = 256 * 1024   # a process's environ we read; a real one is a few KiB
MAX_ANSWER = 16 * 1024     # what a child reports
PARALLEL = 32              # children at once
SLACK = 0.5                # for the fork and the switch of user, beyond the bus's TIMEOUT


@dataclasses.dataclass
class Request:
    """One session to notify: its id, its user and the buses to try, in order."""

    sid: str
    uid: int
    gid: int
    groups: list[int]
    buses: list[tuple[str, bytes | str]]  # (address as the user reads it, socket address)


def parse_address(text: str) -> list[tuple[str, bytes | str]]:
    """The unix sockets of a D-Bus address (``unix:path=/run/user/1000/bus;...``).

    Only ``unix:path=`` and ``unix:abstract=``: nothing that would make us connect over a
    network, start a program (``autolaunch:``, ``unixexec:``) or choose a directory.
    """
    found: list[tuple[str, bytes | str]] = []
    for entry in text.split(";"):
        transport, _sep, rest = entry.partition(":")
        if transport != "unix":
            continue
        keys = {}
        for pair in rest.split(","):
            key, _sep, value = pair.partition("=")
            keys[key] = urllib.parse.unquote(value, errors="strict")
        if "path" in keys and keys["path"].startswith("/"):
            found.append((f"unix:path={keys['path']}", keys["path"]))
        elif "abstract" in keys and keys["abstract"]:
            found.append((f"unix:abstract={keys['abstract']}", b"\0" + os.fsencode(keys["abstract"])))
    return found


def environ_address(pid: int, proc: str = "/proc") -> str | None:
    """``DBUS_SESSION_BUS_ADDRESS`` from the environment process ``pid`` was started with."""
    try:
        fd = os.open(f"{proc}/{pid}/environ", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        data = os.read(fd, MAX_ENVIRON)
    except OSError:
        return None
    finally:
        os.close(fd)
    for item in data.split(b"\0"):
        if item.startswith(b"DBUS_SESSION_BUS_ADDRESS="):
            return item.split(b"=", 1)[1].decode("utf-8", "replace")
    return None


def _same_namespace(pid: int, kind: str, proc: str) -> bool:
    try:
        return os.stat(f"{proc}/{pid}/ns/{kind}").st_ino == os.stat(f"{proc}/self/ns/{kind}").st_ino
    except OSError:
        return False


def _owned_socket(path: str, uid: int) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISSOCK(info.st_mode) and info.st_uid == uid


def _owner(pid: int, proc: str) -> int | None:
    try:
        return os.stat(f"{proc}/{pid}").st_uid
    except OSError:
        return None


def buses(pids: t.Iterable[int], uid: int, proc: str = "/proc",
          run_user: str = RUN_USER) -> list[tuple[str, bytes | str]]:
    """The session buses of the session whose processes are ``pids``, best first.

    Its processes' own addresses (only those of processes of ``uid``: another user's
    environment says nothing about this user's bus), then ``/run/user/UID/bus``.
    """
    found: list[tuple[str, bytes | str]] = []
    for pid in pids:
        if _owner(pid, proc) != uid:
            continue
        text = environ_address(pid, proc)
        if not text:
            continue
        try:
            entries = parse_address(text)
        except UnicodeDecodeError:
            continue
        for label, address in entries:
            if isinstance(address, bytes):
                if _same_namespace(pid, "net", proc):
                    found.append((label, address))
                continue
            # The path as the session sees it: through its root when its mounts are not ours.
            path = address if _same_namespace(pid, "mnt", proc) else f"{proc}/{pid}/root{address}"
            if _owned_socket(path, uid):
                found.append((label, path))
    default = f"{run_user}/{uid}/bus"
    if _owned_socket(default, uid):
        found.append((f"unix:path={default}", default))
    unique: list[tuple[str, bytes | str]] = []
    for entry in found:
        if entry[1] not in [u[1] for u in unique]:
            unique.append(entry)
    return unique


def request(sid: str, user: str, pids: t.Iterable[int], proc: str = "/proc",
            run_user: str = RUN_USER) -> Request | None:
    """The request for session ``sid`` of ``user``; None when the user is unknown."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    return Request(sid, entry.pw_uid, entry.pw_gid, groups, buses(pids, entry.pw_uid, proc, run_user))


def _become(req: Request) -> None:
    """Drop to the user for good: groups, gid, uid (in that order: after setuid nothing else may)."""
    if os.geteuid() == req.uid and os.getuid() == req.uid:
        return
    os.setgroups(req.groups)
    os.setgid(req.gid)
    os.setuid(req.uid)
    if os.geteuid() != req.uid or os.getuid() != req.uid:
        raise OSError("could not become the session's user")


def attempt(req: Request, summary: str, body: str, deadline: float) -> dict[str, t.Any]:
    """Try the request's buses in order (as whoever we are now); the facts of the outcome.

    ``notification_id`` when a server took it; else ``bus`` (the last bus that answered,
    None when none did), ``dbus_error`` (the error's name, when one was returned), ``error``.
    """
    outcome: dict[str, t.Any] = {"bus": None, "error": "no D-Bus session bus of the session's user was found"}
    for label, address in req.buses:
        try:
            number = _dbus.notify(address, req.uid, APP_NAME, summary, body, deadline=deadline)
            return {"bus": label, "notification_id": number}
        except _dbus.NotReached as exc:
            if outcome["bus"] is None:
                outcome["error"] = f"{label}: {exc}"
        except _dbus.CallError as exc:
            outcome = {"bus": label, "dbus_error": exc.name, "error": f"{label}: {exc}"}
        except (_dbus.DBusError, OSError, UnicodeError, ValueError) as exc:
            outcome = {"bus": label, "error": f"{label}: {exc}"}
        if time.monotonic() >= deadline:
            break
    return outcome


def _child(req: Request, summary: str, body: str, deadline: float, out: int) -> t.NoReturn:
    code = 0
    try:
        try:
            os.chdir("/")
            _become(req)
            answer = attempt(req, summary, body, deadline)
        # Reported, never raised out of a fork.
        except Exception as exc:  # pylint: disable=broad-except
            answer = {"bus": None, "error": f"cannot act as the session's user: {exc}"}
        data = json.dumps(answer).encode("utf-8")[:MAX_ANSWER]
        while data:
            data = data[os.write(out, data):]
    except BaseException:  # pylint: disable=broad-except
        code = 1
    finally:
        os._exit(code)  # never return into the module: no atexit, no second exit_json


def notify_all(requests: t.Sequence[Request], summary: str, body: str,
               timeout: float = _dbus.TIMEOUT) -> dict[str, dict[str, t.Any]]:
    """Session id -> the facts of its notice; PARALLEL children at a time, each bounded."""
    results: dict[str, dict[str, t.Any]] = {}
    for first in range(0, len(requests), PARALLEL):
        results.update(_batch(requests[first:first + PARALLEL], summary, body, timeout))
    return results


def _batch(requests: t.Sequence[Request], summary: str, body: str, timeout: float) -> dict[str, dict[str, t.Any]]:
    results: dict[str, dict[str, t.Any]] = {}
    running: dict[int, tuple[Request, int, bytearray]] = {}  # read end -> (request, pid, data)
    deadline = time.monotonic() + timeout
    for req in requests:
        if not req.buses:
            results[req.sid] = {"bus": None, "error": "no D-Bus session bus of the session's user was found"}
            continue
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child, measured by the tests through its answer
            os.close(read_end)
            _child(req, summary, body, deadline, write_end)
        os.close(write_end)
        running[read_end] = (req, pid, bytearray())
    try:
        while running:
            left = deadline + SLACK - time.monotonic()
            if left <= 0:
                break
            ready, _w, _x = select.select(list(running), [], [], left)
            for fd in ready:
                chunk = os.read(fd, MAX_ANSWER)
                req, pid, data = running[fd]
                if chunk and len(data) < MAX_ANSWER:
                    data += chunk
                    continue
                del running[fd]
                os.close(fd)
                _reap(pid)
                results[req.sid] = _answer(bytes(data))
    finally:
        for fd, (req, pid, _data) in running.items():
            os.close(fd)
            try:
                os.kill(pid, signal.SIGKILL)  # our own child, not yet reaped: the pid is still ours
            except ProcessLookupError:
                pass
            _reap(pid)
            results[req.sid] = {"bus": req.buses[0][0],
                                "error": f"no answer from the session bus within {timeout:g} s"}
    return results


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _answer(data: bytes) -> dict[str, t.Any]:
    try:
        answer = json.loads(data.decode("utf-8"))
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return {"bus": None, "error": "the notifying process ended without an answer"}
    return answer
