# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sandbox of REAL interactive sessions: a private sshd on 127.0.0.1 and ``ssh -tt`` logins.

Library (tests, benchmarks) and command line (``make demo``):

    python3 tests/sandbox/sandbox.py up
    python3 tests/sandbox/sandbox.py open admin2 --count 2 --behaviour slow_exit
    python3 tests/sandbox/sandbox.py list
    python3 tests/sandbox/sandbox.py down

What it changes on the machine: installs openssh-server/-client when missing, creates
/run/utmp when missing (as a boot would), creates the test users below, and runs one
sshd of its own on a free loopback port with all its files in the state directory
(/var/lib/termserv-sessions/sandbox-HASH, one per checkout, or $TERMSERV_SANDBOX_DIR). It ends only processes it started, by PID.

Each session is found without parsing ``who``: the ssh client sends a unique marker
in the environment (``SetEnv``, accepted by our sshd's ``AcceptEnv``); the session's
processes carry it in /proc/PID/environ, which gives the terminal, and the utmp record
of that terminal gives the login process and logon time.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What sshd and the sessions read (keys, host keys, configs) must be readable by every user
# and seen by every farm host, wherever the checkout is: not under a 0700 home such as /root
# (another user's sshd cannot open its authorized keys there), not under /tmp (a systemd
# farm host mounts its own). /var/lib is on the machine's root file system, the lower layer
# of each systemd host's overlay. See state_dir().
STATE_ROOT = Path("/var/lib/termserv-sessions")


def state_dir(kind: str, repo: Path = REPO) -> Path:
    """The state directory of this checkout's ``kind`` ("sandbox", "farm"): one per checkout
    (named by a hash of its path, so two clones never share keys or hosts)."""
    digest = hashlib.sha256(str(repo).encode("utf-8")).hexdigest()[:12]
    return STATE_ROOT / f"{kind}-{digest}"


def make_state_dir(path: Path) -> Path:
    """Create ``path``; under STATE_ROOT, traversable by every user whatever the umask."""
    path.mkdir(parents=True, exist_ok=True)
    if path.is_relative_to(STATE_ROOT):
        for directory in (STATE_ROOT, path):
            directory.chmod(0o755)
    return path


STATE_DIR = Path(os.environ.get("TERMSERV_SANDBOX_DIR", state_dir("sandbox")))
USERS = ("admin", "admin2", "TsuUp", "carol", "tsü3")
MARK = "TERMSERV_SANDBOX_MARK"
UTMP = Path("/run/utmp")
UTMP_RECORD = struct.Struct("hi32s4s32s256shhiii4i20s")
SHELLS = {
    "normal": "sleep 600",
    # SIG_IGN is inherited across exec: sleep ignores HUP and TERM too.
    "ignore_hup": 'trap "" HUP TERM; sleep 600',
    # On hang-up the shell takes EXIT_DELAY seconds to leave.
    "slow_exit": 'trap "sleep {delay}; exit 0" HUP; sleep 600 & wait',
    # Lives on through HUP and TERM and writes each one it gets to signals_file(marker).
    "log_signals": ('log=/tmp/termserv-signals-$' + MARK + '; : > "$log"; '
                    'trap "echo HUP >> $log" HUP; trap "echo TERM >> $log" TERM; '
                    'while :; do sleep 0.2; done'),
}


def signals_file(marker: str) -> Path:
    """Where a ``log_signals`` session writes the signals it got, one name per line."""
    return Path(f"/tmp/termserv-signals-{marker}")


def signals_received(marker: str) -> list[str]:
    """The signals a ``log_signals`` session got so far, in order."""
    try:
        return signals_file(marker).read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return []


class SandboxError(RuntimeError):
    pass


@dataclasses.dataclass
class Handle:
    """One session the sandbox opened."""

    user: str
    marker: str
    behaviour: str
    client_pid: int
    tty: str = ""
    ut_pid: int = 0
    id: str = ""  # the session id the collection reports: the tty on a utmp host
    logon_time: str = ""
    output: str = ""  # file receiving everything the session's terminal printed

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def _run(argv: list[str], **kwargs: t.Any) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def utmp_records() -> list[tuple[int, int, str, str, str, int]]:
    """(type, pid, line, user, host, tv_sec) of every utmp record: an independent reader."""
    try:
        data = UTMP.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for offset in range(0, len(data) - UTMP_RECORD.size + 1, UTMP_RECORD.size):
        f = UTMP_RECORD.unpack_from(data, offset)
        text = [x.split(b"\0", 1)[0].decode("utf-8", "replace") for x in (f[2], f[4], f[5])]
        out.append((f[0], f[1], text[0], text[1], text[2], f[9]))
    return out


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, tty_nr) of a process, or None when it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[4])


def marked(markers: set[str]) -> dict[str, list[int]]:
    """Live (non-zombie) processes per marker, in one pass over /proc."""
    needles = {m: f"{MARK}={m}".encode() + b"\0" for m in markers}
    found: dict[str, list[int]] = {m: [] for m in markers}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes() + b"\0"
        except OSError:
            continue
        if MARK.encode() not in environ:
            continue
        for marker, needle in needles.items():
            if needle in environ:
                stat = _proc_stat(int(name))
                if stat and stat[0] not in ("Z", "X"):
                    found[marker].append(int(name))
    return found


def marked_processes(marker: str) -> list[int]:
    """Live (non-zombie) processes whose environment carries ``marker``."""
    return marked({marker})[marker]


def _tty_of(pids: list[int]) -> str:
    for pid in pids:
        try:
            target = os.readlink(f"/proc/{pid}/fd/0")
        except OSError:
            continue
        if target.startswith("/dev/pts/"):
            return target[len("/dev/"):]
    return ""


def _free_port(start: int = 2222) -> int:
    for port in range(start, start + 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SandboxError("no free port on 127.0.0.1")


class Sandbox:
    """The machine itself as the ground: sessions in its utmp, tasks with ``connection: local``."""

    name = "sandbox"
    kind = "utmp"
    backend = "utmp"
    local = True  # tasks run on this machine: its /etc/nologin is the machine's own
    addr = "127.0.0.1"  # where its sshd listens, as the farm hosts' addr

    def __init__(self, state_dir: Path = STATE_DIR) -> None:
        self.dir = Path(state_dir)
        self.state_file = self.dir / "state.json"

    # ----- state -------------------------------------------------------------------
    def _load(self) -> dict[str, t.Any]:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return {"port": 0, "sessions": []}

    def _save(self, state: dict[str, t.Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_file)

    @property
    def port(self) -> int:
        return int(self._load()["port"])

    def sshd_pid(self) -> int | None:
        try:
            pid = int((self.dir / "sshd.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        stat = _proc_stat(pid)
        return pid if stat and stat[0] not in ("Z", "X") else None

    # ----- setup -------------------------------------------------------------------
    @staticmethod
    def install() -> None:
        if shutil.which("sshd", path="/usr/sbin:/usr/bin") and shutil.which("ssh"):
            return
        _run(["apt-get", "update", "-qq"])
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
              "openssh-server", "openssh-client"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})

    def users(self) -> list[str]:
        """Create the test users that are missing; return those that exist."""
        made = []
        for user in USERS:
            try:
                pwd.getpwnam(user)
            except KeyError:
                proc = subprocess.run(["useradd", "-m", "-s", "/bin/bash", user],
                                      capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    continue  # e.g. a useradd that refuses non-ASCII names
            made.append(user)
        return made

    def up(self) -> dict[str, t.Any]:
        """Start the sandbox (idempotent)."""
        if os.geteuid() != 0:
            raise SandboxError("the sandbox needs root (users, utmp, sshd)")
        self.install()
        make_state_dir(self.dir)
        (self.dir / "keys").mkdir(mode=0o755, exist_ok=True)
        (self.dir / "out").mkdir(exist_ok=True)
        if not UTMP.exists():  # nothing creates it without systemd; sshd needs it to exist
            _run(["install", "-m", "664", "-g", "utmp", "/dev/null", str(UTMP)])
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        for key in ("host_key", "client_key"):
            if not (self.dir / key).exists():
                _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / key)])
        users = self.users() + ["root"]
        public = (self.dir / "client_key.pub").read_text()
        for user in users:
            (self.dir / "keys" / user).write_text(public)
            (self.dir / "keys" / user).chmod(0o644)  # read by the user's own sshd process
        state = self._load()
        if self.sshd_pid() is None:
            state["port"] = _free_port()
            config = self.dir / "sshd_config"
            config.write_text("\n".join([
                f"Port {state['port']}",
                "ListenAddress 127.0.0.1",
                f"HostKey {self.dir / 'host_key'}",
                f"PidFile {self.dir / 'sshd.pid'}",
                "UsePAM yes",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                f"AuthorizedKeysFile {self.dir / 'keys'}/%u",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "MaxStartups 200",
                "MaxSessions 200",
                f"AcceptEnv {MARK}",
                "PrintMotd no",
                "LogLevel VERBOSE",
            ]) + "\n")
            _run(["/usr/sbin/sshd", "-f", str(config), "-E", str(self.dir / "sshd.log")])
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", state["port"])) == 0:
                        break
                time.sleep(0.05)
            else:
                raise SandboxError(f"sshd did not start; see {self.dir / 'sshd.log'}")
            state["sessions"] = [s for s in state["sessions"] if marked_processes(s["marker"])]
            self._save(state)
        return {"port": state["port"], "users": users, "dir": str(self.dir)}

    # ----- sessions ----------------------------------------------------------------
    def _ssh(self, user: str, command: str, marker: str | None = None) -> list[str]:
        argv = ["ssh", "-tt", "-p", str(self.port), "-i", str(self.dir / "client_key"),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
        if marker:
            argv += ["-o", f"SetEnv={MARK}={marker}"]
        return argv + [f"{user}@127.0.0.1", command]

    def open(self, user: str, count: int = 1, behaviour: str = "normal",
             exit_delay: float = 1.0, timeout: float = 20.0) -> list[Handle]:
        """Open ``count`` interactive sessions for ``user``; return when all are in utmp."""
        if behaviour not in SHELLS:
            raise SandboxError(f"unknown behaviour {behaviour!r}; expected one of {sorted(SHELLS)}")
        command = SHELLS[behaviour].format(delay=float(exit_delay))
        handles = []
        for _number in range(count):
            marker = secrets.token_hex(8)
            out = self.dir / "out" / f"{marker}.txt"
            with open(out, "wb") as sink:
                client = subprocess.Popen(self._ssh(user, command, marker), stdin=subprocess.DEVNULL,
                                          stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
            handles.append(Handle(user=user, marker=marker, behaviour=behaviour,
                                  client_pid=client.pid, output=str(out)))
        state = self._load()
        state["sessions"].extend(h.to_dict() for h in handles)
        self._save(state)
        deadline = time.monotonic() + timeout
        pending = list(handles)
        while pending and time.monotonic() < deadline:
            records = {r[2]: r for r in utmp_records() if r[0] == 7}
            for handle in list(pending):
                tty = _tty_of(marked_processes(handle.marker))
                record = records.get(tty)
                if tty and record and record[3] == user:
                    handle.tty, handle.ut_pid, handle.id = tty, record[1], tty
                    handle.logon_time = datetime.datetime.fromtimestamp(
                        record[5], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    pending.remove(handle)
            if pending:
                time.sleep(0.05)
        state = self._load()
        by_marker = {h.marker: h.to_dict() for h in handles}
        state["sessions"] = [by_marker.get(s["marker"], s) for s in state["sessions"]]
        self._save(state)
        if pending:
            for handle in pending:
                self.close(handle)
            raise SandboxError(f"{len(pending)} session(s) for {user} did not appear in utmp "
                               f"within {timeout}s; see {self.dir / 'sshd.log'}")
        return handles

    def alive(self, handle: Handle) -> bool:
        """True while any process of the session is running (zombies do not count)."""
        return bool(marked_processes(handle.marker))

    def terminal_output(self, handle: Handle) -> str:
        return Path(handle.output).read_text(encoding="utf-8", errors="replace")

    def close(self, handle: Handle | dict[str, t.Any], timeout: float = 10.0) -> None:
        """End one session the sandbox opened: its marked processes and its ssh client."""
        info = handle.to_dict() if isinstance(handle, Handle) else handle
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = marked_processes(info["marker"])
            client = _proc_stat(info["client_pid"])
            if client and client[0] not in ("Z", "X"):
                pids.append(info["client_pid"])
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        signals_file(info["marker"]).unlink(missing_ok=True)
        state = self._load()
        state["sessions"] = [s for s in state["sessions"] if s["marker"] != info["marker"]]
        self._save(state)

    def sessions(self) -> list[dict[str, t.Any]]:
        return [dict(s, alive=bool(marked_processes(s["marker"]))) for s in self._load()["sessions"]]

    def close_all(self) -> None:
        for session in self._load()["sessions"]:
            self.close(session)

    def down(self) -> None:
        """End every session the sandbox opened and its sshd."""
        self.close_all()
        pid = self.sshd_pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self.sshd_pid() is not None and time.monotonic() < deadline:
                time.sleep(0.05)

    # ----- helpers for tests -------------------------------------------------------
    def try_login(self, user: str, timeout: float = 20) -> int:
        """rc of a non-interactive ssh login running ``true``: 0 allowed, 255 refused."""
        argv = self._ssh(user, "true")
        argv.remove("-tt")
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False).returncode

    def run(self, tasks: list[dict[str, t.Any]], **kwargs: t.Any) -> t.Any:
        """Run tasks on this ground (here: localhost, ``connection: local``)."""
        from tests.integration.ansible_run import run_tasks
        return run_tasks(tasks, **kwargs)

    def as_user(self, user: str, tasks: list[dict[str, t.Any]]) -> tuple[int, str]:
        """Run tasks over ssh as a non-root ``user`` of the sandbox (no become).

        The controller is this process's ansible-playbook; the target is 127.0.0.1 through
        the sandbox's sshd, so the module runs as that user with the system Python.
        """
        from tests.integration.ansible_run import run_tasks
        for number, task in enumerate(tasks):
            task.setdefault("register", f"task_{number}")
        result = run_tasks(tasks, play={
            "hosts": "sandbox", "vars": {
                "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": self.port,
                "ansible_user": user, "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": str(self.dir / "client_key"),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            }}, inventory="sandbox,")
        return result.rc, result.stdout + result.stderr

    def run_in_root_session(self, argv: list[str], timeout: float = 240) -> tuple[int, str]:
        """Run ``argv`` inside a real interactive (``-tt``) root session; return rc and output."""
        marker = secrets.token_hex(8)
        proc = subprocess.run(self._ssh("root", shlex.join(argv), marker), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, check=False)
        return proc.returncode, proc.stdout + proc.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    sub.add_parser("up", help="start sshd and create users (idempotent)")
    opener = sub.add_parser("open", help="open sessions for a user")
    opener.add_argument("user")
    opener.add_argument("--count", type=int, default=1)
    opener.add_argument("--behaviour", choices=sorted(SHELLS), default="normal")
    opener.add_argument("--exit-delay", type=float, default=1.0)
    sub.add_parser("list", help="the sessions the sandbox opened")
    sub.add_parser("close-all", help="end every sandbox session, keep sshd")
    sub.add_parser("down", help="end every sandbox session and sshd")
    args = parser.parse_args(argv)
    box = Sandbox()
    if args.verb == "up":
        out: t.Any = box.up()
    elif args.verb == "open":
        out = [h.to_dict() for h in box.open(args.user, args.count, args.behaviour, args.exit_delay)]
    elif args.verb == "list":
        out = box.sessions()
    elif args.verb == "close-all":
        box.close_all()
        out = box.sessions()
    else:
        box.down()
        out = {"down": True}
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
