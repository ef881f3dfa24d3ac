# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sessions from systemd-logind, through ``loginctl`` property output.

PRIVATE to the termserv.sessions collection: no compatibility promise.

``loginctl show-session ID... -p NAME...`` prints ``Name=value`` lines, one blank line
between sessions: a format meant for programs, unlike the tables of ``list-sessions``
(of which only the first column, the session id, is read). loginctl runs with
``LC_ALL=C TZ=UTC`` so that ``Timestamp`` always reads ``Tue 2026-11-24 19:11:18 UTC``.

``show-session A B C`` STOPS at the first id logind no longer knows (a session that ended
after ``list-sessions``): B and C are then not printed at all. ``show`` therefore asks
again for every id that was not printed, dropping only the one named in the error. A
session closing at that very moment fails differently (its object vanished while read:
"Invalid request descriptor"); that id is asked about alone once more.
Any other failure or a time-out is a ``LoginctlError``: an unanswered question about a
session is never read as "that session is gone".
"""
from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils._utmp import (
    idle_seconds,
    is_console,
    iso,
)

PROPERTIES = (
    "Id", "Name", "User", "State", "TTY", "Remote", "RemoteHost", "Seat", "Timestamp",
    "Leader", "IdleHint", "IdleSinceHint", "Type", "Class", "Scope", "Service",
)
_ENV = {"LC_ALL": "C", "TZ": "UTC", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": "",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
_TIMESTAMP_RE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_GRAPHICAL = ("x11", "wayland", "mir")
# The PAM service of xrdp's session manager: its sessions are desktops whatever Type says.
_XRDP_SERVICE = "xrdp-sesman"
# Seconds one loginctl call may take; logind answers in milliseconds when it is healthy.
TIMEOUT = 20.0
# What loginctl prints when logind does not know the id (org.freedesktop.login1.NoSuchSession).
_VANISHED_RE = re.compile(r"No session '([^']*)' known")
# Seen on a real logind (systemd 252) for a session closing at that moment: the id still
# resolved to an object path, but the object was gone when its properties were read
# (D-Bus UnknownObject, which sd-bus maps to EBADR).
_OBJECT_GONE = "Invalid request descriptor"


class LoginctlError(RuntimeError):
    pass


def available() -> bool:
    """systemd is PID 1 (sd_booted(): /run/systemd/system exists), logind has created
    /run/systemd/seats, and loginctl is installed.

    /run/systemd/seats alone is not enough: Debian containers ship it without systemd.
    """
    return (os.path.isdir("/run/systemd/system") and os.path.isdir("/run/systemd/seats")
            and shutil.which("loginctl") is not None)


def loginctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = shutil.which("loginctl", path=_ENV["PATH"]) or "loginctl"
    try:
        proc = subprocess.run([exe, "--no-pager", *args], capture_output=True, text=True,
                              env=_ENV, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise LoginctlError(f"loginctl {' '.join(args)} timed out after {TIMEOUT:g}s") from None
    if check and proc.returncode != 0:
        raise LoginctlError(f"loginctl {' '.join(args)} failed (rc={proc.returncode}): "
                            f"{proc.stderr.strip()}")
    return proc


def session_ids() -> list[str]:
    out = loginctl("list-sessions", "--no-legend").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def parse_properties(text: str) -> list[dict[str, str]]:
    """Blocks of ``Name=value`` lines separated by blank lines."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        name, sep, value = line.partition("=")
        if sep:
            current[name] = value
    if current:
        blocks.append(current)
    return blocks


def parse_timestamp(value: str) -> float | None:
    """``Tue 2026-11-24 19:11:18 UTC`` (loginctl under TZ=UTC) to epoch seconds."""
    match = _TIMESTAMP_RE.search(value or "")
    if not match:
        return None
    stamp = datetime.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _idle(props: dict[str, str], now: float) -> int | None:
    """Graphical sessions: logind's IdleHint/IdleSinceHint (what the desktop reported; the
    VT an X server sits on is not written to by input). Text sessions: the tty's atime."""
    graphical = props.get("Type") in _GRAPHICAL
    tty = props.get("TTY", "")
    if tty and not graphical:
        return idle_seconds(tty, now)
    since = _int(props.get("IdleSinceHint"))
    if props.get("IdleHint") == "yes" and since:
        return max(0, int(now - since / 1_000_000))
    if props.get("IdleHint") == "no" and graphical:
        # A desktop that reports idleness (GNOME, KDE) set the hint at some time: not idle
        # now. IdleSinceHint=0 is a hint nobody ever set (XFCE, MATE over xrdp; recorded):
        # unknown, never "idle 0" (issue 22 item 6). xorgxrdp sessions take the X server's
        # own idle time instead (_xrdp.apply).
        return 0 if since else None
    if tty:
        return idle_seconds(tty, now)
    return None


def kind_of(props: dict[str, str]) -> str:
    """``graphical``, ``terminal`` or ``non_interactive`` as far as logind's properties tell.

    pam_systemd makes every sshd connection a session (Type=tty), also those without a
    terminal: sftp, scp, rsync, git, monitoring, other Ansible jobs. A session without a TTY
    may still have one that logind does not know (ControlMaster channels, mosh, root logins
    matched late through utmp): _linux_sessions.classify looks at its processes.
    """
    if props.get("Type") in _GRAPHICAL or props.get("Service") == _XRDP_SERVICE:
        return "graphical"
    return "terminal" if props.get("TTY") else "non_interactive"


def session_of(props: dict[str, str], now: float) -> dict[str, t.Any]:
    tty = props.get("TTY", "")
    return {
        "id": props.get("Id", ""),
        "user": props.get("Name", ""),
        "domain": "",
        "state": props.get("State", ""),
        "station": tty or props.get("Seat", "") or props.get("Type", ""),
        "client": props.get("RemoteHost", ""),
        "logon_time": iso(parse_timestamp(props.get("Timestamp", ""))),
        "idle_seconds": _idle(props, now),
        "disconnected_seconds": None,
        # A seat's local session, or a serial / out-of-band console (no seat: issue 22.2).
        "console": ((bool(props.get("Seat")) and props.get("Remote") != "yes")
                    or (props.get("Remote") != "yes" and is_console(tty))),
        "pid": _int(props.get("Leader")),
        "kind": kind_of(props),
    }


def vanished(proc: subprocess.CompletedProcess) -> str | None:
    """The id loginctl said logind does not know, or None for any other outcome."""
    match = _VANISHED_RE.search(proc.stderr or "")
    return match.group(1) if proc.returncode != 0 and match else None


def show(ids: t.Sequence[str]) -> list[dict[str, str]]:
    """Properties of every id that still exists; ids that vanished are left out.

    loginctl stops at the first unknown id, so after a failure the ids it did not print
    are asked for again without the one it named. Raises LoginctlError for any failure
    that is not "no such session" (the caller must not guess) and when loginctl times out.
    """
    remaining = [str(i) for i in ids]
    blocks: list[dict[str, str]] = []
    props: list[str] = []
    for name in PROPERTIES:
        props += ["-p", name]
    # Each round either ends or drops one id: bounded by len(ids) + 1 calls.
    for _round in range(len(remaining) + 1):
        if not remaining:
            break
        proc = loginctl("show-session", *remaining, *props, check=False)
        got = parse_properties(proc.stdout)
        blocks.extend(got)
        printed = {b.get("Id") for b in got}
        remaining = [i for i in remaining if i not in printed]
        if proc.returncode == 0 or not remaining:
            break
        gone = vanished(proc)
        if gone is None and _OBJECT_GONE in (proc.stderr or ""):
            # The first id not printed went away while being read. Ask about it alone, once:
            # only logind's "no such session" (or its properties) settles it.
            culprit = remaining[0]
            again = loginctl("show-session", culprit, *props, check=False)
            if again.returncode == 0:
                blocks.extend(parse_properties(again.stdout))
                remaining.remove(culprit)
                continue
            gone = vanished(again)
            proc = again
        if gone is None or gone not in remaining:
            raise LoginctlError(f"loginctl show-session {' '.join(remaining)} failed "
                                f"(rc={proc.returncode}): {proc.stderr.strip()}")
        remaining.remove(gone)
    return blocks


def sessions_with_properties(now: float | None = None) -> list[tuple[dict[str, t.Any], dict[str, str]]]:
    """(session, logind's properties of it) for every user session."""
    stamp = time.time() if now is None else now
    result = []
    for props in show(session_ids()):
        # Greeters, lock screens and systemd's own manager sessions are not user logons.
        if not props.get("Class", "user").startswith("user"):
            continue
        result.append((session_of(props, stamp), props))
    return result


def sessions(now: float | None = None) -> list[dict[str, t.Any]]:
    return [session for session, _props in sessions_with_properties(now)]


def own_session_ids_from_cgroups(pids: t.Iterable[int], proc: str = "/proc") -> set[str]:
    """logind session ids of the scopes ``pids`` live in (``.../session-5.scope``)."""
    found: set[str] = set()
    for pid in pids:
        try:
            with open(f"{proc}/{pid}/cgroup", encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            continue
        for match in re.finditer(r"/session-([^/.]+)\.scope", text):
            found.add(match.group(1))
    return found


def terminate(session_id: str) -> subprocess.CompletedProcess:
    return loginctl("terminate-session", session_id, check=False)


def kill(session_id: str, signal_name: str) -> subprocess.CompletedProcess:
    return loginctl("kill-session", f"--signal={signal_name}", session_id, check=False)


def exists(session_id: str) -> bool:
    """The session is still known to logind (True) or logind said it does not know it
    (False). Raises LoginctlError when loginctl fails otherwise or times out: a question
    logind did not answer is never "the session is gone"."""
    blocks = show([session_id])
    return bool(blocks) and blocks[0].get("Id") == session_id
