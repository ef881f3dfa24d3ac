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
import fcntl
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
# The user writes their processes' environment: what it costs root is bounded. A real
# address has one or two entries, a session one or two buses.
MAX_ENTRIES = 4            # the entries of one address we read
MAX_BUSES = 8              # the buses of one session we try (/run/user/UID/bus among them)
MAX_TEXT = 200             # characters of one peer-given text (a bus's label, an error) we report
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
    problem: str = ""  # why no bus could be looked for (reported as the session's error)


def clean(text: str) -> str:
    """``text`` as it may go into the operator's report: control and format characters shown
    escaped (no escape sequence, newline or bidi override reaches a terminal or a log), at
    most MAX_TEXT characters. The user chooses it (their environment, their bus's answers)."""
    shown = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text[:MAX_TEXT])
    return shown[:MAX_TEXT] + "..." if len(shown) > MAX_TEXT or len(text) > MAX_TEXT else shown


def parse_address(text: str) -> list[tuple[str, bytes | str]]:
    """The unix sockets of a D-Bus address (``unix:path=/run/user/1000/bus;...``).

    Only ``unix:path=`` and ``unix:abstract=``: nothing that would make us connect over a
    network, start a program (``autolaunch:``, ``unixexec:``) or choose a directory. Only
    the first MAX_ENTRIES entries; an entry with an (escaped) NUL is no socket's name.
    """
    found: list[tuple[str, bytes | str]] = []
    for entry in text.split(";", MAX_ENTRIES)[:MAX_ENTRIES]:
        transport, _sep, rest = entry.partition(":")
        if transport != "unix":
            continue
        keys = {}
        for pair in rest.split(","):
            key, _sep, value = pair.partition("=")
            keys[key] = urllib.parse.unquote(value, errors="strict")
        if any("\0" in value for value in keys.values()):
            continue
        if "path" in keys and keys["path"].startswith("/"):
            found.append((clean(f"unix:path={keys['path']}"), keys["path"]))
        elif "abstract" in keys and keys["abstract"]:
            found.append((clean(f"unix:abstract={keys['abstract']}"), b"\0" + os.fsencode(keys["abstract"])))
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
    except (OSError, ValueError):  # ValueError: a NUL in the path
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
    environment says nothing about this user's bus), then ``/run/user/UID/bus``; each bus
    once, at most MAX_BUSES. A process whose address we cannot use costs only itself.
    """
    found: dict[bytes | str, str] = {}  # address -> label; a dict keeps the order
    for pid in pids:
        if len(found) >= MAX_BUSES - 1:  # the last place is /run/user/UID/bus's
            break
        if _owner(pid, proc) != uid:
            continue
        try:
            found.update((address, label) for label, address in _process_buses(pid, uid, proc)
                         if address not in found)
        except (OSError, UnicodeError, ValueError):
            continue
    unique = [(label, address) for address, label in found.items()][:MAX_BUSES - 1]
    default = f"{run_user}/{uid}/bus"
    if default not in found and _owned_socket(default, uid):
        unique.append((f"unix:path={default}", default))
    return unique


def _process_buses(pid: int, uid: int, proc: str) -> list[tuple[str, bytes | str]]:
    """The usable buses of the address process ``pid`` was started with."""
    text = environ_address(pid, proc)
    out: list[tuple[str, bytes | str]] = []
    for label, address in parse_address(text) if text else []:
        if isinstance(address, bytes):
            if _same_namespace(pid, "net", proc):
                out.append((label, address))
            continue
        # The path as the session sees it: through its root when its mounts are not ours.
        path = address if _same_namespace(pid, "mnt", proc) else f"{proc}/{pid}/root{address}"
        if _owned_socket(path, uid):
            out.append((label, path))
    return out


def request(sid: str, user: str, pids: t.Iterable[int], proc: str = "/proc",
            run_user: str = RUN_USER) -> Request | None:
    """The request for session ``sid`` of ``user``; None when the user is unknown."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    groups = os.getgrouplist(entry.pw_name, entry.pw_gid)
    try:
        found = buses(pids, entry.pw_uid, proc, run_user)
    # One session's trouble (what its user put in their processes) is that session's
    # outcome, never the module's failure: other sessions still get their notice.
    except Exception as exc:  # pylint: disable=broad-except
        return Request(sid, entry.pw_uid, entry.pw_gid, groups, [],
                       problem=clean(f"cannot look for the session's D-Bus bus: {exc}"))
    return Request(sid, entry.pw_uid, entry.pw_gid, groups, found)


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

    ``notification_id`` when a server took it; else ``bus`` (the bus that answered, None
    when none did), ``dbus_error`` (the error's name, when one was returned), ``error``.

    The next bus is tried only when this one was not reached. A bus that answered (even
    ServiceUnknown) is the session's: a later one (``/run/user/UID/bus``) may be another
    desktop of the same user, and a notice shown there is not one shown here. What the peer
    said is reported cleaned and bounded (clean).
    """
    outcome: dict[str, t.Any] = {"bus": None, "error": "no D-Bus session bus of the session's user was found"}
    for label, address in req.buses:
        label = clean(label)
        try:
            number = _dbus.notify(address, req.uid, APP_NAME, summary, body, deadline=deadline)
            return {"bus": label, "notification_id": number}
        except _dbus.NotReached as exc:
            outcome["error"] = f"{label}: {clean(str(exc))}"
        except _dbus.CallError as exc:
            return {"bus": label, "dbus_error": exc.name, "error": f"{label}: {clean(str(exc))}"}
        except (_dbus.DBusError, OSError, UnicodeError, ValueError) as exc:
            return {"bus": label, "error": f"{label}: {clean(str(exc))}"}
        if time.monotonic() >= deadline:
            break
    return outcome


def _only_answer_fd(out: int) -> int:
    """Keep, of the module's fds, only the answer pipe (returned, above 2); 0-2 /dev/null.

    The child becomes the user: the module's stdin/stdout/stderr (its channel to the
    controller) and the pipes of earlier children must not be theirs to read or write.
    """
    if out <= 2:  # a module started with 0-2 closed: keep the pipe clear of them
        out = fcntl.fcntl(out, fcntl.F_DUPFD, 3)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if null != fd:
            os.dup2(null, fd)
    os.closerange(3, out)  # /dev/null's own fd among them
    os.closerange(out + 1, max(os.sysconf("SC_OPEN_MAX"), 65536))
    return out


def _child(req: Request, summary: str, body: str, deadline: float, out: int) -> t.NoReturn:
    code = 0
    try:
        try:
            out = _only_answer_fd(out)
            os.chdir("/")
            _become(req)
            answer = attempt(req, summary, body, deadline)
        # Reported, never raised out of a fork.
        except Exception as exc:  # pylint: disable=broad-except
            answer = {"bus": None, "error": clean(f"cannot act as the session's user: {exc}")}
        data = json.dumps(answer).encode("utf-8")
        if len(data) > MAX_ANSWER:  # never cut: a cut answer is no answer
            data = json.dumps({"bus": answer.get("bus"), "error": "the answer was too long"}).encode("utf-8")
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
            results[req.sid] = {"bus": None,
                                "error": req.problem or "no D-Bus session bus of the session's user was found"}
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
