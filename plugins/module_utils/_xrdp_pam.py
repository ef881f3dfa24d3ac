# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which logon paths a nologin drain covers, and the account lines that make it cover xrdp.

PRIVATE to the termserv.sessions collection: no compatibility promise.

pam_nologin refuses a login only for PAM services whose stack calls it. Debian's sshd and
login do; Debian's (and upstream's Red Hat and SUSE) xrdp-sesman does not, so a drain
alone leaves RDP logons open. While one of our nologin files exists, the collection puts
two lines of its own, each marked with MARKER, at the top of /etc/pam.d/xrdp-sesman:

    account [success=1 default=ignore] pam_exec.so quiet PYTHON -I /etc/termserv-sessions/xrdp-reconnect.py
    account requisite pam_nologin.so

xrdp-sesman runs pam_acct_mgmt for every logon, a reconnection included, before it looks
for the user's existing session; the first line lets a user who already has an xrdp
session through (what a Windows drain does), the second refuses everyone else while a
nologin file exists (root is always let in by pam_nologin itself). ``disabled`` installs
only the second line: Windows refuses reconnections then too. PAM reads the file at each
pam_start, so no daemon is restarted. The lines go when our nologin file goes, by the
module or by the host's release switch (UNHOOK_SOURCE runs inside release.py).
"""
from __future__ import annotations

import os
import typing as t

PAM_DIR = "/etc/pam.d"
XRDP_SERVICE = "xrdp-sesman"
MARKER = "# termserv.sessions drain: removed when the drain ends"
# The logon paths reported, with what a person calls them.
SERVICES = {"sshd": "ssh", "login": "console", XRDP_SERVICE: "xrdp"}

# Shared with release.py (which must run without this collection): remove our marked lines.
UNHOOK_SOURCE = r'''
import os, tempfile


def write_like(path, text):
    """Replace ``path`` atomically, keeping its mode and owner (PAM never reads half a file)."""
    info = os.stat(path)
    fd, tmp = tempfile.mkstemp(prefix=".termserv.", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, info.st_mode & 0o7777)
        os.chown(tmp, info.st_uid, info.st_gid)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def unhook(pam_file, helper=None, marker="# termserv.sessions drain: removed when the drain ends"):
    if helper:
        try:
            os.unlink(helper)
        except OSError:
            pass
    try:
        with open(pam_file, "r", encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError:
        return False
    lines = text.splitlines(True)
    # rstrip() as hooked() reads them: an editor's trailing blank must not keep a line of ours.
    kept = [line for line in lines if not line.rstrip().endswith(marker)]
    if len(kept) == len(lines):
        return False
    write_like(pam_file, "".join(kept))
    return True
'''
_ns: dict[str, t.Any] = {}
exec(compile(UNHOOK_SOURCE, "termserv-sessions-unhook", "exec"), _ns)  # pylint: disable=exec-used
unhook: t.Callable[..., bool] = _ns["unhook"]
_write_like: t.Callable[[str, str], None] = _ns["write_like"]

# pam_exec's helper: exit 0 when PAM_USER already has an xrdp session on this host (a
# process of the user's whose parent is xrdp-sesman: the X server, the window manager,
# chansrv), anything else otherwise. Standard library only; reads /proc, writes nothing.
RECONNECT_SOURCE = r'''
import os, pwd, sys

# xrdp-sesman forks each session from itself (0.9); 0.10 runs them under xrdp-sesexec.
SESMAN = ("xrdp-sesman", "xrdp-sesexec")


def has_xrdp_session(user):
    try:
        uid = pwd.getpwnam(user).pw_uid
    except (KeyError, TypeError):
        return False
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat("/proc/" + name).st_uid != uid:
                continue
            with open("/proc/%s/stat" % name, "rb") as handle:
                ppid = handle.read().rsplit(b")", 1)[1].split()[1].decode()
            # comm is chosen by whoever runs the program: the parent must be root's and
            # its executable the installed xrdp-sesman.
            if os.stat("/proc/" + ppid).st_uid != 0:
                continue
            if os.path.basename(os.readlink("/proc/%s/exe" % ppid)) in SESMAN:
                return True
        except (OSError, IndexError):
            continue
    return False


if __name__ == "__main__":
    sys.exit(0 if has_xrdp_session(os.environ.get("PAM_USER")) else 1)
'''


class HookError(OSError):
    """xrdp-sesman's PAM file cannot be given our lines."""


def _rules(path: str) -> list[list[str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return []
    return [line.split("#", 1)[0].split() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def calls_nologin(service: str, pam_dir: str = PAM_DIR, own: bool = False, _seen: set[str] | None = None) -> bool:
    """Whether ``service``'s account or auth stack calls pam_nologin, following its
    includes (``@include``, ``include``, ``substack``). Our own marked lines count only
    with ``own``."""
    seen = _seen if _seen is not None else set()
    if service in seen:
        return False
    seen.add(service)
    path = os.path.join(pam_dir, service)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False
    for line in lines:
        if not own and line.rstrip().endswith(MARKER):
            continue
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "@include" and len(words) > 1:
            if calls_nologin(words[1], pam_dir, own, seen):
                return True
            continue
        kind = words[0].lstrip("-")
        if kind not in ("account", "auth") or len(words) < 3:
            continue
        # The control is one word or a bracketed list that may contain spaces.
        rest = words[1:]
        if rest[0].startswith("["):
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
        rest = rest[1:]
        if not rest:
            continue
        if words[1] in ("include", "substack"):
            if calls_nologin(rest[0], pam_dir, own, seen):
                return True
        elif os.path.basename(rest[0]) == "pam_nologin.so":
            return True
    return False


def hooked(pam_dir: str = PAM_DIR) -> bool:
    path = os.path.join(pam_dir, XRDP_SERVICE)
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.rstrip().endswith(MARKER) for line in handle)
    except OSError:
        return False


def needs_hook(pam_dir: str = PAM_DIR) -> bool:
    """xrdp-sesman is installed and its own stack does not call pam_nologin."""
    return os.path.exists(os.path.join(pam_dir, XRDP_SERVICE)) and not calls_nologin(XRDP_SERVICE, pam_dir)


def hook_lines(python: str, helper: str, reconnect: bool) -> list[str]:
    lines = [f"account requisite pam_nologin.so {MARKER}\n"]
    if reconnect:
        lines.insert(0, f"account [success=1 default=ignore] pam_exec.so quiet {python} -I {helper} {MARKER}\n")
    return lines


def hook(pam_dir: str, python: str, helper: str, reconnect: bool) -> bool:
    """Put our lines at the top of xrdp-sesman's rules (replacing older ones of ours).
    Returns whether the file changed. A symlinked file is not ours to replace (a rewrite
    would cut it from its target): HookError, the drain reports xrdp uncovered."""
    path = os.path.join(pam_dir, XRDP_SERVICE)
    if os.path.islink(path):
        raise HookError(f"{path} is a symbolic link; it is left as it is")
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        lines = handle.read().splitlines(True)
    mine = [line for line in lines if line.rstrip().endswith(MARKER)]
    wanted = hook_lines(python, helper, reconnect)
    if mine == wanted and _top(lines, wanted):
        return False
    rest = [line for line in lines if not line.rstrip().endswith(MARKER)]
    # After the leading comments (#%PAM-1.0): the first rules of the file, so that the
    # account stack meets ours first.
    at = 0
    while at < len(rest) and (not rest[at].strip() or rest[at].lstrip().startswith("#")):
        at += 1
    if at and not rest[at - 1].endswith("\n"):
        rest[at - 1] += "\n"
    _write_like(path, "".join(rest[:at] + wanted + rest[at:]))
    return True


def _top(lines: list[str], wanted: list[str]) -> bool:
    rules = [line for line in lines if line.strip() and not line.lstrip().startswith("#")
             or line.rstrip().endswith(MARKER)]
    return rules[:len(wanted)] == wanted


def mechanisms(pam_dir: str = PAM_DIR) -> dict[str, dict[str, t.Any]]:
    """Per logon path this host serves (its PAM service file exists): whether a nologin
    file refuses it and why."""
    out: dict[str, dict[str, t.Any]] = {}
    for service, path_name in SERVICES.items():
        if not os.path.exists(os.path.join(pam_dir, service)):
            continue
        native = calls_nologin(service, pam_dir)
        ours = service == XRDP_SERVICE and hooked(pam_dir)
        if native:
            how = f"pam_nologin in /etc/pam.d/{service}'s own stack"
        elif ours:
            how = f"pam_nologin put in /etc/pam.d/{service} by termserv.sessions for this drain"
        else:
            how = f"none: /etc/pam.d/{service} does not call pam_nologin"
        # hookable: a drain of ours would cover it (what check mode reports on).
        out[path_name] = {"service": service, "covered": native or ours, "how": how,
                          "hookable": service == XRDP_SERVICE and not native}
    return out
