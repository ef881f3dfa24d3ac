# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux logon mode through pam_nologin's files.

PRIVATE to the termserv.sessions collection: no compatibility promise.

pam_nologin refuses every non-root login while /etc/nologin or /run/nologin (Debian:
/var/run/nologin, the same directory) exists, and shows its text. /run is emptied at
boot, which gives ``drain_until_restart`` for free. Linux has no reconnection to keep
open, so ``drain`` and ``disabled`` both write /etc/nologin; a small owner record in
/run/termserv-sessions says which one we meant and that the file is ours, so we never
remove a nologin file that someone else wrote unless ``enabled`` is asked for.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import typing as t

ETC_NOLOGIN = "/etc/nologin"
RUN_NOLOGIN = "/run/nologin"
OWNER_DIR = "/run/termserv-sessions"
DEFAULT_MSG = "Logons are disabled for maintenance. Please try again later.\n"


class Paths(t.NamedTuple):
    etc: str = ETC_NOLOGIN
    run: str = RUN_NOLOGIN
    owner_dir: str = OWNER_DIR

    @property
    def owner(self) -> str:
        return os.path.join(self.owner_dir, "nologin.json")


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _owner(paths: Paths) -> dict[str, t.Any]:
    raw = _read(paths.owner)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ours(path: str, paths: Paths) -> bool:
    """True when ``path`` holds exactly what this module last wrote there."""
    data = _read(path)
    return data is not None and _owner(paths).get(path) == _digest(data)


def current_state(paths: Paths = Paths()) -> str:
    if _read(paths.etc) is not None:
        return "disabled" if ours(paths.etc, paths) and _owner(paths).get("state") == "disabled" else "drain"
    if _read(paths.run) is not None:
        return "drain_until_restart"
    return "enabled"


def current_msg(paths: Paths = Paths()) -> str | None:
    for path in (paths.etc, paths.run):
        data = _read(path)
        if data is not None:
            return data.decode("utf-8", "replace")
    return None


def atomic_write(path: str, data: bytes) -> None:
    """Write via a temporary file and rename, so pam_nologin never reads half a file."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".nologin.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _record(paths: Paths, path: str | None, data: bytes | None, state: str) -> None:
    """Remember which nologin file we wrote (by digest) and the state we meant."""
    os.makedirs(paths.owner_dir, mode=0o755, exist_ok=True)
    owner = _owner(paths)
    for key in (paths.etc, paths.run):
        if key != path and not ours(key, paths):
            owner.pop(key, None)
    if path and data is not None:
        owner[path] = _digest(data)
    owner["state"] = state
    atomic_write(paths.owner, json.dumps(owner, sort_keys=True).encode())


def plan(state: str, msg: str | None, paths: Paths = Paths()) -> dict[str, t.Any]:
    """What ``apply`` would do: the file to write (or none) and the files to remove."""
    text = (msg if msg else DEFAULT_MSG)
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode("utf-8")
    want = {"enabled": None, "drain_until_restart": paths.run}.get(state, paths.etc)
    write = want if (want and (_read(want) != data or current_state(paths) != state)) else None
    remove = []
    for path in (paths.etc, paths.run):
        if path == want or _read(path) is None:
            continue
        # Another admin's nologin file stays unless logons are explicitly enabled.
        if state == "enabled" or ours(path, paths):
            remove.append(path)
    return {"write": write, "data": data if write else None, "remove": remove, "state": state}


def apply(todo: dict[str, t.Any], paths: Paths = Paths()) -> None:
    for path in todo["remove"]:
        os.unlink(path)
    if todo["write"]:
        atomic_write(todo["write"], todo["data"])
    _record(paths, todo["write"], todo["data"], todo["state"])
