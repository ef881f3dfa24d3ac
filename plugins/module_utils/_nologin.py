# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Linux logon mode through pam_nologin's files, with the hold store next to them.

PRIVATE to the termserv.sessions collection: no compatibility promise.

pam_nologin refuses every non-root login while /etc/nologin or /run/nologin (Debian:
/var/run/nologin, the same directory) exists, and shows its text. ``drain`` and
``disabled`` write /etc/nologin, ``drain_until_restart`` writes /run/nologin (emptied at
boot).

The holds (plugin_utils/_holds.py decides about them on the controller) are kept in
``holds.json`` next to the file they keep: /etc/termserv-sessions for /etc/nologin,
/run/termserv-sessions for /run/nologin, so they live exactly as long as the file does,
across a reboot or not. The store also records the SHA-256 of the bytes we wrote: a
nologin file is ours only while its bytes are exactly those; anything else (an admin's
text, or ours replaced by an admin) is never overwritten nor removed unless ``force`` asks.

This code only reads, writes and arms the host's dead man's switch. The switch is
RELEASE_SOURCE below, written next to the holds as ``release.py`` and started by a
transient systemd timer, or as a detached sleeper where systemd does not run.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils import _xrdp_pam

ETC_NOLOGIN = "/etc/nologin"
RUN_NOLOGIN = "/run/nologin"
ETC_DIR = "/etc/termserv-sessions"
RUN_DIR = "/run/termserv-sessions"
DEFAULT_MSG = "Logons are disabled for maintenance. Please try again later.\n"
RANK = {"enabled": 0, "drain_until_restart": 1, "drain": 2, "disabled": 3}

# The host's dead man's switch: a standalone script (Python 3.6+, standard library only),
# so that it runs after the module and its temporary files are gone. argv: store path,
# lock path, generation, and optionally --sleep-until EPOCH for the detached sleeper.
# It removes our nologin file (and the store) only if the store is still the generation it
# was armed for: a later run that took or released a hold wrote a new generation and armed
# its own switch. Linux holds always start from "enabled" (a host refused by someone else
# is never held, see _holds.py), so releasing means removing our own file, never another's.
RELEASE_SOURCE = _xrdp_pam.UNHOOK_SOURCE + r'''
import fcntl, hashlib, json, os, sys, time


def load(store_path):
    """The hold store, or None when it is missing or damaged (read under the lock)."""
    try:
        with open(store_path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


def release(store_path, lock_path, generation):
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = load(store_path)
        if store is None:
            return "no store"
        if store.get("generation") != generation:
            return "superseded"
        now = time.time()
        if any(h.get("until", 0) > now for h in store.get("holds", [])):
            return "not expired"
        info = store.get("file") or {}
        path = info.get("path")
        if path:
            try:
                with open(path, "rb") as handle:
                    ours = hashlib.sha256(handle.read()).hexdigest() == info.get("sha256")
            except OSError:
                ours = False
            if ours:
                os.unlink(path)
        # The account lines that made xrdp-sesman honour the drain go with it.
        pam = store.get("pam") or {}
        if pam.get("file"):
            unhook(pam["file"], helper=pam.get("helper"))
        drop_boot_unit(os.path.dirname(lock_path))
        os.unlink(store_path)
        return "released"


BOOT_UNIT = "termserv-sessions-holds.service"


def boot_unit_paths(etc_dir):
    """The boot unit and its wants link, in the systemd/system beside our /etc directory."""
    unit_dir = os.path.join(os.path.dirname(etc_dir), "systemd", "system")
    return (os.path.join(unit_dir, BOOT_UNIT),
            os.path.join(unit_dir, "multi-user.target.wants", BOOT_UNIT))


def drop_boot_unit(etc_dir):
    for path in reversed(boot_unit_paths(etc_dir)):
        try:
            os.unlink(path)
        except OSError:
            pass


def boot(store_path, lock_path, python, script):
    """At boot, after systemd-user-sessions (which on systemd <= 253 deletes /etc/nologin):
    put our nologin file back while a hold lives and arm its expiry again (the transient
    timer did not survive the reboot); release what expired while the host was down."""
    etc_dir = os.path.dirname(lock_path)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = load(store_path)
        if store is None:
            return "no store"
        generation = int(store.get("generation", 0))
        until = max([h.get("until", 0) for h in store.get("holds", [])] or [0])
        info = store.get("file") or {}
        restored = False
        if until > time.time() and info.get("path") and isinstance(info.get("text"), str) \
                and not os.path.exists(info["path"]):
            data = info["text"].encode("utf-8")
            if hashlib.sha256(data).hexdigest() == info.get("sha256"):
                tmp = info["path"] + ".termserv-boot"
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, info["path"])
                restored = True
    if until <= time.time():
        return "expired while the host was down: " + release(store_path, lock_path, generation)
    import subprocess
    unit = "termserv-sessions-release-%d-boot" % generation
    command = ["--timer-property=AccuracySec=1s", "--", python, script, store_path, lock_path, str(generation)]
    # A realtime timer at the hold's own epoch (+1 s: release() wants it passed), not
    # "in N seconds": at boot the clock may still be wrong (no RTC, before NTP), and systemd
    # moves a realtime timer with the clock when it is corrected. systemd before 234 refuses
    # the @EPOCH form: then "in N seconds" from the clock we have, rather than a drain
    # that never expires.
    rc = -1
    for when in ("--on-calendar=@%d" % (int(until) + 1), "--on-active=%ds" % max(1, int(until - time.time()) + 1)):
        try:
            rc = subprocess.call(["systemd-run", "--quiet", "--unit=" + unit, when] + command,
                                 stdin=subprocess.DEVNULL)
        except OSError:
            rc = -1
        if rc == 0:
            break
    if rc == 0:
        with open(os.path.join(etc_dir, "switch.json"), "w") as handle:
            json.dump({"switch": "systemd-run", "unit": unit}, handle)
    return "%s; expiry %s" % ("nologin file put back" if restored else "nologin file kept",
                              "armed again" if rc == 0 else "NOT armed (systemd-run failed)")


def main(argv):
    if argv[0] == "--boot":
        outcome = boot(argv[1], argv[2], sys.executable, os.path.abspath(__file__))
        _log("logon hold switch at boot: %s" % outcome)
        return outcome
    store_path, lock_path, generation = argv[0], argv[1], int(argv[2])
    if len(argv) > 4 and argv[3] == "--sleep-until":
        until = float(argv[4])
        while time.time() < until:
            time.sleep(min(60.0, max(0.2, until - time.time())))
    outcome = release(store_path, lock_path, generation)
    _log("logon hold switch (generation %d): %s" % (generation, outcome))
    return outcome


def _log(text):
    try:
        import syslog
        syslog.openlog("termserv.sessions")
        syslog.syslog(syslog.LOG_NOTICE, text)
    except Exception:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
'''

_release_ns: dict[str, t.Any] = {}
exec(compile(RELEASE_SOURCE, "termserv-sessions-release", "exec"), _release_ns)  # pylint: disable=exec-used
release = _release_ns["release"]
release_main = _release_ns["main"]
boot = _release_ns["boot"]
boot_unit_paths = _release_ns["boot_unit_paths"]
drop_boot_unit = _release_ns["drop_boot_unit"]


class Conflict(RuntimeError):
    """Another run wrote the hold store between our read and our write."""


class Paths(t.NamedTuple):
    etc: str = ETC_NOLOGIN
    run: str = RUN_NOLOGIN
    etc_dir: str = ETC_DIR
    run_dir: str = RUN_DIR
    # None: the pam.d beside the nologin file (/etc/pam.d for /etc/nologin), so that paths
    # under a test's directory never reach the machine's own PAM files.
    pam_dir: str | None = None

    @property
    def pam(self) -> str:
        return self.pam_dir or os.path.join(os.path.dirname(self.etc), "pam.d")

    def store_dir(self, path: str) -> str:
        return self.run_dir if path == self.run else self.etc_dir

    def store(self, path: str) -> str:
        return os.path.join(self.store_dir(path), "holds.json")

    @property
    def lock(self) -> str:
        # One lock for both stores, in /etc so that it always exists with its directory.
        return os.path.join(self.etc_dir, "lock")


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_store(paths: Paths) -> tuple[str | None, dict[str, t.Any] | None]:
    """The hold store and the nologin file it belongs to (None, None when there is none)."""
    for path in (paths.etc, paths.run):
        raw = _read(paths.store(path))
        if raw is None:
            continue
        try:
            return path, json.loads(raw.decode("utf-8"))
        except ValueError:
            # A damaged store is reported to the controller, which refuses to decide on it.
            return path, {"damaged": raw.decode("utf-8", "replace")}
    return None, None


def ours(path: str, paths: Paths, store: dict[str, t.Any] | None = None) -> bool:
    """True when ``path`` holds exactly the bytes this collection wrote there."""
    if store is None:
        store = read_store(paths)[1]
    info = (store or {}).get("file") or {}
    data = _read(path)
    return data is not None and info.get("path") == path and info.get("sha256") == _digest(data)


def _generation(store: dict[str, t.Any] | None) -> int:
    return int((store or {}).get("generation", 0))


def facts(paths: Paths = Paths()) -> dict[str, t.Any]:
    """What the controller decides on: the mode, its text, whose it is, and the holds."""
    _raw, store = read_store(paths)
    state, msg, foreign = "enabled", None, False
    for path, refusing in ((paths.etc, "drain"), (paths.run, "drain_until_restart")):
        data = _read(path)
        if data is None:
            continue
        mine = ours(path, paths, store)
        if msg is None:
            state = (store or {}).get("mode", refusing) if mine else refusing
            msg = data.decode("utf-8", "replace")
        foreign = foreign or not mine
    plain = None
    if store is not None:
        plain = {k: v for k, v in store.items() if k not in ("file", "mode", "pam")}
    # What apply() compares, sent back by the controller as its generation (0 for a
    # damaged store, which apply() reads the same way).
    return {"now": int(time.time()), "state": state, "msg": msg, "foreign": foreign,
            "store": plain, "generation": _generation(store),
            "mechanisms": _xrdp_pam.mechanisms(paths.pam)}


def atomic_write(path: str, data: bytes) -> None:
    """Write via a temporary file and rename, so pam_nologin never reads half a file."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".termserv.", dir=directory)
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


def text_bytes(msg: str | None) -> bytes:
    text = msg if msg else DEFAULT_MSG
    if not text.endswith("\n"):
        text += "\n"
    return text.encode("utf-8")


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def apply(paths: Paths, *, generation: int, store: dict[str, t.Any] | None, set_state: str | None,
          msg: str | None, force: bool = False, write_store: bool = True) -> dict[str, t.Any]:
    """Set the mode and write the store, if the store is still ``generation``.

    Returns ``{"changed": bool, "store_path": str|None, "generation": int|None}``.
    """
    os.makedirs(paths.etc_dir, mode=0o755, exist_ok=True)
    with open(paths.lock, "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _raw, found = read_store(paths)
        if _generation(found) != generation:
            raise Conflict(f"hold store changed under us (generation {(found or {}).get('generation')}, "
                           f"expected {generation})")
        changed = False
        target = None
        if set_state == "enabled":
            for path in (paths.etc, paths.run):
                if force or ours(path, paths, found):
                    changed |= _unlink(path)
        elif set_state is not None:
            target = paths.run if set_state == "drain_until_restart" else paths.etc
            other = paths.etc if target == paths.run else paths.run
            if ours(other, paths, found):
                changed |= _unlink(other)
            data = text_bytes(msg)
            current = _read(target)
            if current is not None and not ours(target, paths, found):
                # Someone else's file appeared since the controller read: it stays.
                target = None
            elif current != data:
                atomic_write(target, data)
                changed = True
        if set_state == "enabled":
            changed |= _unhook(paths)
        elif set_state is not None and target is not None:
            changed |= _hook(paths, reconnect=set_state != "disabled")
        if not write_store:
            return {"changed": changed, "store_path": None, "generation": generation}
        for path in (paths.etc, paths.run):
            _unlink(paths.store(path))
        if store is None:
            changed |= _unhook(paths)  # no hold left: nothing of ours may refuse RDP logons
            return {"changed": changed, "store_path": None, "generation": None}
        held = ((found or {}).get("file") or {}).get("path")
        if target is None and held and ours(held, paths, found):
            target = held  # nothing written now: the file we hold is still exactly ours
        record = dict(store)
        data = _read(target) if target else None
        if data is not None:
            # Only bytes we wrote are claimed: a file someone else put there since the
            # controller read (or while we held) is never recorded as ours, so no release
            # of ours can remove it.
            record["file"] = {"path": target, "sha256": _digest(data),
                              "text": data.decode("utf-8", "replace")}  # for boot() to put back
        record["mode"] = set_state or (found or {}).get("mode")
        if _xrdp_pam.hooked(paths.pam):
            # For release.py, which removes the lines with our nologin file.
            record["pam"] = {"file": os.path.join(paths.pam, _xrdp_pam.XRDP_SERVICE),
                             "helper": _helper(paths)}
        store_path = paths.store(target or held or paths.etc)
        os.makedirs(os.path.dirname(store_path), mode=0o755, exist_ok=True)
        atomic_write(store_path, json.dumps(record, sort_keys=True).encode("utf-8"))
        return {"changed": changed, "store_path": store_path, "generation": int(store["generation"])}


def _helper(paths: Paths) -> str:
    return os.path.join(paths.etc_dir, "xrdp-reconnect.py")


def _python() -> str:
    """The interpreter pam_exec runs the helper with: ours, unless its path could not be one
    word of a PAM line."""
    python = sys.executable or ""
    if not python.startswith("/") or any(c.isspace() or c in "#[]" for c in python):
        return "/usr/bin/python3"
    return python


def _hook(paths: Paths, reconnect: bool) -> bool:
    """Make xrdp-sesman honour our nologin file, where its own PAM stack does not.

    Never raises: the nologin file is already written when this runs, and a failure here
    (a read-only /etc/pam.d, a symlinked PAM file) must not leave that file without the
    store that lets a release or the expiry remove it. xrdp is then not covered, which
    ``mechanisms`` reports and the controller warns about."""
    try:
        if not _xrdp_pam.needs_hook(paths.pam):
            return False
        helper = _helper(paths)
        if reconnect and _read(helper) != _xrdp_pam.RECONNECT_SOURCE.encode("utf-8"):
            atomic_write(helper, _xrdp_pam.RECONNECT_SOURCE.encode("utf-8"))
        return _xrdp_pam.hook(paths.pam, _python(), helper, reconnect)
    except (OSError, ValueError):
        return False


def _unhook(paths: Paths) -> bool:
    return _xrdp_pam.unhook(os.path.join(paths.pam, _xrdp_pam.XRDP_SERVICE), helper=_helper(paths))


def systemd_runs() -> bool:
    """systemd is the init system (the test sd_booted() does) and systemd-run exists."""
    return os.path.isdir("/run/systemd/system") and shutil.which("systemd-run") is not None


def arm(paths: Paths, store_path: str, generation: int, wake_at: int,
        python: str = sys.executable, use_systemd: bool | None = None) -> dict[str, t.Any]:
    """Start the host's dead man's switch for the store of ``generation``.

    Only our own fixed paths and integers reach the command lines: no shell, no user text.
    """
    disarm(paths)
    script = os.path.join(os.path.dirname(store_path), "release.py")
    atomic_write(script, RELEASE_SOURCE.encode("utf-8"))
    delay = max(1, int(wake_at - time.time()) + 1)
    argv = [python, script, store_path, paths.lock, str(int(generation))]
    if use_systemd is None:
        use_systemd = systemd_runs()
    if use_systemd and os.path.dirname(store_path) == paths.etc_dir:
        install_boot_unit(paths, python, script, store_path)
    else:
        drop_boot_unit(paths.etc_dir)  # /run holds end at a reboot by design
    if use_systemd:
        unit = f"termserv-sessions-release-{int(generation)}-{os.getpid()}"
        proc = subprocess.run(
            ["systemd-run", "--quiet", f"--unit={unit}", f"--on-active={delay}s",
             "--timer-property=AccuracySec=1s", "--"] + argv,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            atomic_write(_switch_file(paths), json.dumps({"switch": "systemd-run", "unit": unit}).encode("utf-8"))
            return {"switch": "systemd-run", "unit": unit, "in_seconds": delay}
        fallback = f"systemd-run failed ({proc.stderr.strip()}); "
    else:
        fallback = ""
    # A sleeper in its own session (setsid): no SIGHUP when the ssh connection closes, and
    # no signal for the controller's process group. Its stdio is /dev/null, so the
    # connection does not wait for it. Double fork: the module does not leave a zombie;
    # the middle process tells us the sleeper's pid through a pipe.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, checked by the tests through its effect
        try:
            os.close(read_end)
            os.setsid()
            sleeper = os.fork()
            if sleeper != 0:
                os.write(write_end, str(sleeper).encode())
                os._exit(0)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, 4096)
            os.execv(python, argv + ["--sleep-until", str(int(wake_at))])
        finally:
            os._exit(1)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        sleeper_pid = int(pipe.read() or b"0")
    os.waitpid(pid, 0)
    record = {"switch": "watcher", "pid": sleeper_pid, "start": _start_time(sleeper_pid)}
    atomic_write(_switch_file(paths), json.dumps(record).encode("utf-8"))
    return {"switch": "watcher", "in_seconds": delay, "note": fallback.strip() or None}


def install_boot_unit(paths: Paths, python: str, script: str, store_path: str) -> None:
    """A unit enabled for the next boot that runs release.py --boot after
    systemd-user-sessions and before the logon services (systemd issue 26965: systemd
    <= 253 deletes /etc/nologin at boot). Only our fixed paths reach it; it does nothing
    once the store is gone (ConditionPathExists) and release.py removes it with the store."""
    unit, wants = boot_unit_paths(paths.etc_dir)
    text = ("# Installed by termserv.sessions while a logon hold exists; removed with the last hold.\n"
            "[Unit]\nDescription=termserv.sessions logon holds: restore a drain after boot\n"
            "After=systemd-user-sessions.service\n"
            "Before=ssh.service sshd.service xrdp-sesman.service xrdp.service getty.target\n"
            f"ConditionPathExists={store_path}\n\n"
            # Bounded: a oneshot unit has no start timeout by default, and the logon
            # services wait for this one.
            f"[Service]\nType=oneshot\nTimeoutStartSec=30s\n"
            f"ExecStart={python} -I {script} --boot {store_path} {paths.lock}\n\n"
            "[Install]\nWantedBy=multi-user.target\n").encode("utf-8")
    os.makedirs(os.path.dirname(wants), mode=0o755, exist_ok=True)
    if _read(unit) != text:
        atomic_write(unit, text)
    if os.path.islink(wants) and os.readlink(wants) == unit:
        return
    _unlink(wants)
    os.symlink(unit, wants)


def _switch_file(paths: Paths) -> str:
    return os.path.join(paths.etc_dir, "switch.json")


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def disarm(paths: Paths) -> None:
    """Stop the switch armed for an older generation: it has nothing left to do.

    (It would only find a newer generation and exit; this just does not leave it waiting.)
    A watcher is signalled only if it is positively the process we started (pid and start
    time); a systemd timer by the unit name we gave it.
    """
    raw = _read(_switch_file(paths))
    if raw is None:
        return
    try:
        record = json.loads(raw.decode("utf-8"))
    except ValueError:
        record = {}
    if record.get("switch") == "watcher" and record.get("pid") and record.get("start"):
        if _start_time(int(record["pid"])) == record["start"]:
            try:
                os.kill(int(record["pid"]), 15)
            except OSError:
                pass
    elif record.get("switch") == "systemd-run" and str(record.get("unit", "")).startswith("termserv-sessions-release-"):
        subprocess.run(["systemctl", "stop", f"{record['unit']}.timer"], stdin=subprocess.DEVNULL,
                       capture_output=True, check=False)
    _unlink(_switch_file(paths))
