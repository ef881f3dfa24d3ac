# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A farm of REAL Linux hosts on one machine: namespaced hosts on 127.0.0.N, reached over ssh.

Library (pytest fixtures, ``make demo``, ``make bench``) and command line:

    python3 tests/farm/farm.py up --utmp 2 --systemd 1     # hosts on 127.0.0.11, .12, .13
    python3 tests/farm/farm.py inventory                   # path of the inventory it wrote
    python3 tests/farm/farm.py open systemd13 admin2 --count 2 --behaviour slow_exit
    python3 tests/farm/farm.py list
    python3 tests/farm/farm.py reboot systemd13            # systemctl reboot in it, boots again
    python3 tests/farm/farm.py down                        # everything, nothing left mounted

A host is a mount + PID + UTS + IPC namespace (``unshare``) with its own /etc (an overlay:
its own /etc/nologin and /etc/machine-id), its own /run (its own /run/utmp), its own
processes, and an sshd listening on 127.0.0.N:22. Kinds:

``utmp``
    sshd is the namespace's init; sessions live only in utmp (a host without systemd).
``systemd``
    systemd is PID 1 of the namespace, on an overlay of / entered with ``pivot_root``
    (never the machine's own root: systemd-tmpfiles would empty the shared /tmp), with its
    own cgroup namespace and a private cgroup subtree, and fresh tmpfs /run and /tmp. The
    overlay's upper layer is the host's disk, ``hosts/HOST/disk`` in the farm's directory
    (wiped by a fresh start and by ``down``): ``reboot`` runs ``systemctl reboot`` in the
    host (reboot(2) in a PID namespace ends its init with SIGHUP instead of rebooting the
    machine) and boots it again on the same disk, so /etc and /var persist as on a real
    reboot. Units that could touch the machine are masked (timesyncd, udev, getty,
    networkd, sysctl, binfmt, timers, pstore, postgresql ...). journald (volatile), dbus,
    logind and ssh.service run for real.

Everything a host mounts lives in its private mount namespace and goes with it (what a
systemd host writes to its / stays in its disk directory, never in the machine's files); the
farm ends only the processes it started (each host's namespace init, recorded as pid + start
time), then removes the cgroup directories it made. Sessions are opened with ``ssh -tt``
carrying a unique marker in the environment (as tests/sandbox does) and found from the
machine's /proc: the terminal from the marked processes, the login process from the host's
own /run/utmp, the logind session id from the marked process's cgroup.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.sandbox.sandbox import (  # noqa: E402  pylint: disable=wrong-import-position
    MARK,
    SHELLS,
    UTMP_RECORD,
    Sandbox,
    _proc_stat,
    _tty_of,
    marked_processes,
)

FARM_DIR = Path(os.environ.get("TERMSERV_FARM_DIR", REPO / "build" / "farm"))
KINDS = ("utmp", "systemd", "xrdp")
# Kinds booted by systemd (overlay of /, own cgroup namespace, real logind).
SYSTEMD_KINDS = ("systemd", "xrdp")
FIRST_OCTET = 11
PORT = 22
SYSTEMD = "/lib/systemd/systemd"
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "termserv-farm"
# Units a farm host must not run: they could change the machine (clock, sysctls, binfmt,
# devices, network), wait for hardware that is not there, or are just noise.
MASKED = (
    "systemd-timesyncd.service", "getty@tty1.service", "getty.target", "console-getty.service",
    "serial-getty@.service", "container-getty@.service", "postgresql.service",
    "systemd-udevd.service", "systemd-udevd-control.socket", "systemd-udevd-kernel.socket",
    "systemd-udev-trigger.service", "systemd-udev-settle.service",
    "systemd-networkd.service", "systemd-networkd.socket", "systemd-networkd-wait-online.service",
    "systemd-network-generator.service", "systemd-resolved.service",
    "systemd-pstore.service", "systemd-sysctl.service", "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount", "proc-sys-fs-binfmt_misc.mount",
    "systemd-modules-load.service", "kmod-static-nodes.service", "systemd-hwdb-update.service",
    "systemd-random-seed.service", "systemd-firstboot.service", "systemd-machine-id-commit.service",
    "e2scrub_reap.service", "remote-fs.target", "podman.service", "podman.socket",
    "podman-auto-update.service", "podman-restart.service", "podman-clean-transient.service",
    "timers.target", "systemd-tmpfiles-clean.timer", "apt-daily.timer", "apt-daily-upgrade.timer",
    "dpkg-db-backup.timer", "e2scrub_all.timer", "fstrim.timer", "man-db.timer",
    "podman-auto-update.timer", "cron.service", "anacron.service", "anacron.timer",
    "ssh.socket", "rescue.service", "emergency.service",
    # Installed on the machine (tests/apt-packages.txt) for the xrdp kind only: a systemd host
    # shares the machine's network, where xrdp would listen on 0.0.0.0:3389.
    "xrdp.service", "xrdp-sesman.service",
)
XRDP_UNITS = ("xrdp.service", "xrdp-sesman.service")
# What an xrdp session runs instead of a desktop: the session is its X server + this.
XRDP_STARTWM = "#!/bin/sh\n# termserv.sessions farm: no desktop, the session just lives\nexec sleep 600\n"
# How an xrdp host is set up (a parameter of the host, Farm.up(xrdp_setup=...)):
#   tcp:  xrdp.ini [Xorg] ip= another address than 127.0.0.1: xrdp reaches sesman there and
#         the X server over TCP, port 6200+N, instead of the unix socket xrdp_display_N
#   fork: xrdp.ini fork=; false serves each connection in a thread of the daemon
XRDP_SETUP = {"tcp": False, "fork": True}
# The "host address" of the TCP set-up inside xrdp's private network namespace (only lo
# there: any 127/8 address is the host itself); not 127.0.0.1, which means the unix socket.
XRDP_TCP_ADDRESS = "127.0.0.2"
XRDP_ADDRCONFIG_ADDRESS = "::ffff:127.0.0.2/128"  # see _xrdp_setup_lines


UTMP_INIT = r"""
set -eu
D="$1"; ADDR="$2"; NAME="$3"
mount --make-rprivate /
mount -t tmpfs -o mode=700,size=64m farm "$D/ns"
mkdir -p "$D/ns/etc-up" "$D/ns/etc-work"
# A whiteout: the machine's own /etc/nologin (if any, now or later) never shows here.
mknod "$D/ns/etc-up/nologin" c 0 0
cp "$D/machine-id" "$D/ns/etc-up/machine-id"
echo "$NAME" > "$D/ns/etc-up/hostname"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$D/ns/etc-up,workdir=$D/ns/etc-work" /etc
# root logs in with /bin/sh here: the machine's root ~/.bashrc (pyenv init) costs ~1 s a login
sed -i 's|^\(root:[^:]*:0:0:[^:]*:[^:]*:\).*$|\1/bin/sh|' /etc/passwd
mount -t tmpfs -o mode=755,size=64m run /run
mkdir -p /run/sshd
install -m 664 -g utmp /dev/null /run/utmp
mount -t proc proc /proc
hostname "$NAME"
exec /usr/sbin/sshd -D -f "$D/sshd_config" -E "$D/sshd.log" -o "ListenAddress=$ADDR"
"""

SYSTEMD_INIT = r"""
set -eu
D="$1"; ADDR="$2"; NAME="$3"
mount --make-rprivate /
# Only the mount point of the host's / lives on this tmpfs (it goes with the namespace).
mount -t tmpfs -o mode=755,size=1m farm "$D/ns"
R="$D/ns/root"
# The host's disk: the overlay's upper layer in the farm's directory on the machine's disk,
# so that it outlives the namespace (Farm.reboot starts the host again on it). A fresh start
# and Farm.down wipe it. (The host cannot reach it: a lookup of its own layers is ELOOP.)
mkdir -p "$D/disk/up/etc" "$D/disk/work" "$R"
# A whiteout: the machine's /etc/nologin (if any, now or later) never shows here; a
# nologin file the host wrote itself stays across a reboot.
[ -e "$D/disk/up/etc/nologin" ] || [ -L "$D/disk/up/etc/nologin" ] || mknod "$D/disk/up/etc/nologin" c 0 0
mount -t overlay overlay -o "lowerdir=/,upperdir=$D/disk/up,workdir=$D/disk/work" "$R"
mkdir -p "$R/dev" "$R/sys" "$R/proc" "$R/run" "$R/tmp" "$R/.oldroot"
mount --rbind /dev "$R/dev"
mount --rbind /sys "$R/sys"
mount --make-rslave "$R/sys"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,size=128m run "$R/run"
mount -t tmpfs -o mode=1777,size=256m tmp "$R/tmp"
# Our own cgroup namespace: fresh cgroup mounts show only this host's subtree.
mount -t tmpfs -o mode=755 cgroup "$R/sys/fs/cgroup"
mkdir -p "$R/sys/fs/cgroup/systemd" "$R/sys/fs/cgroup/unified"
mount -t cgroup -o none,name=systemd cgroup "$R/sys/fs/cgroup/systemd"
mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup/unified" || true
sh "$D/configure.sh" "$R"
cd "$R"
pivot_root . .oldroot
umount -l /.oldroot
cd /
hostname "$NAME"
exec env -i container=other TERM=dumb PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  /lib/systemd/systemd --log-target=console --show-status=no </dev/null
"""


class FarmError(RuntimeError):
    pass


@dataclasses.dataclass
class Handle:
    """One session the farm opened on one host."""

    host: str
    user: str
    marker: str
    behaviour: str
    client_pid: int
    id: str = ""          # what the collection reports as the session id (tty or logind id)
    tty: str = ""
    ut_pid: int = 0       # the login process, as the host's own PID namespace numbers it
    logon_time: str = ""
    output: str = ""
    display: str = ""     # rdp handles: the session's X display (":10")

    def to_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def _start_time(pid: int) -> int | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    return int(data[data.rfind(")") + 2:].split()[19])


def _same(pid: int | None, start: int | None) -> bool:
    if not pid or start is None:
        return False
    stat = _proc_stat(pid)
    return bool(stat) and stat[0] not in ("Z", "X") and _start_time(pid) == start


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(x) for x in task.read_text().split()]
        except OSError:
            pass
    return out


def _cgroup_hierarchies() -> list[tuple[Path, str]]:
    """(mount point, our cgroup path in it) for every cgroup hierarchy of the machine."""
    mine: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _num, controllers, path = line.split(":", 2)
        mine[controllers] = path
    out = []
    if not CGROUP_ROOT.is_dir():
        return out
    for entry in sorted(CGROUP_ROOT.iterdir()):
        # cpuset refuses tasks in a new group until cpus/mems are set; systemd does not need it.
        if not (entry / "cgroup.procs").exists() or entry.name == "cpuset":
            continue
        key = "name=systemd" if entry.name == "systemd" else ("" if entry.name == "unified" else entry.name)
        if entry.name in ("cpu", "cpuacct") and "cpu,cpuacct" in mine:
            key = "cpu,cpuacct"
        if key in mine:
            out.append((entry, mine[key].lstrip("/")))
    if not out and (CGROUP_ROOT / "cgroup.procs").exists():  # pure cgroup v2
        out.append((CGROUP_ROOT, mine.get("", "/").lstrip("/")))
    return out


def _rmdir_tree(path: Path) -> None:
    """Remove an (empty of processes) cgroup subtree, deepest first."""
    if not path.is_dir():
        return
    for child in sorted((p for p in path.iterdir() if p.is_dir()), reverse=True):
        _rmdir_tree(child)
    try:
        path.rmdir()
    except OSError:
        pass


def _listening(addr: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((addr, port)) == 0


class Farm:
    """The farm in ``state_dir``: its hosts, their sessions, its inventory."""

    def __init__(self, state_dir: Path = FARM_DIR) -> None:
        self.dir = Path(state_dir)
        self.state_file = self.dir / "state.json"
        self.inventory = self.dir / "inventory.ini"

    # ----- state -------------------------------------------------------------------
    def _load(self) -> dict[str, t.Any]:
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return {"hosts": {}, "sessions": []}

    def _save(self, state: dict[str, t.Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state_file)

    def hosts(self) -> dict[str, dict[str, t.Any]]:
        return self._load()["hosts"]

    def host(self, name: str) -> dict[str, t.Any]:
        try:
            return self.hosts()[name]
        except KeyError:
            raise FarmError(f"no farm host {name!r}; hosts: {sorted(self.hosts())}") from None

    def init_pid(self, name: str) -> int | None:
        """The machine's pid of the host's namespace init while it runs, else None."""
        host = self.hosts().get(name)
        if host and _same(host.get("init_pid"), host.get("init_start")):
            return int(host["init_pid"])
        return None

    def root(self, name: str) -> Path:
        """The host's / seen from the machine (its /etc, /run/utmp, /etc/nologin ...)."""
        pid = self.init_pid(name)
        if pid is None:
            raise FarmError(f"farm host {name} is not running")
        return Path(f"/proc/{pid}/root")

    def disk(self, name: str) -> Path:
        """A systemd host's disk as the machine sees it: its overlay's upper layer, what the
        host wrote to its / (whiteouts for what it removed), kept across Farm.reboot."""
        return Path(self.host(name)["dir"]) / "disk" / "up"

    # ----- up ----------------------------------------------------------------------
    def _common_setup(self) -> None:
        if os.geteuid() != 0:
            raise FarmError("the farm needs root (namespaces, mounts, users)")
        box = Sandbox(self.dir / "sandbox-users")
        box.install()
        box.users()  # the same test users as the sandbox, made on the machine before any host
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "keys").mkdir(exist_ok=True)
        (self.dir / "out").mkdir(exist_ok=True)
        for key in ("host_key", "client_key"):
            if not (self.dir / key).exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / key)],
                               check=True, capture_output=True)
        public = (self.dir / "client_key.pub").read_text()
        import pwd
        for entry in pwd.getpwall():
            if entry.pw_uid == 0 or entry.pw_uid >= 1000:
                (self.dir / "keys" / entry.pw_name).write_text(public)

    def _sshd_lines(self) -> list[str]:
        return [
            f"Port {PORT}",
            f"HostKey {self.dir / 'host_key'}",
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
        ]

    def _write_host_files(self, name: str, kind: str, addr: str,
                          xrdp_setup: t.Mapping[str, bool] | None = None) -> Path:
        hdir = self.dir / "hosts" / name
        (hdir / "ns").mkdir(parents=True, exist_ok=True)
        (hdir / "machine-id").write_text(secrets.token_hex(16) + "\n")
        if kind == "utmp":
            # (systemd hosts read the machine's sshd_config too, which defines sftp already)
            (hdir / "sshd_config").write_text("\n".join(self._sshd_lines() + [
                "Subsystem sftp internal-sftp"]) + "\n")
            (hdir / "init.sh").write_text(UTMP_INIT)
            return hdir
        self._wipe_disk(hdir)  # a fresh host: nothing of an earlier one on its disk
        lines = self._sshd_lines() + [f"ListenAddress {addr}"]
        masks = " ".join(shlex.quote(u) for u in MASKED)
        (hdir / "configure.sh").write_text("\n".join([
            "set -eu",
            'R="$1"',
            f"D={shlex.quote(str(hdir))}",
            'cp "$D/machine-id" "$R/etc/machine-id"',
            # root logs in with /bin/sh on farm hosts: the machine's root ~/.bashrc runs
            # `pyenv init` (~1 s per login; logins hung on systemd hosts). Measured: docs/design.md.
            "sed -i 's|^\\(root:[^:]*:0:0:[^:]*:[^:]*:\\).*$|\\1/bin/sh|' \"$R/etc/passwd\"",
            f'echo {shlex.quote(name)} > "$R/etc/hostname"',
            'mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/etc/ssh/sshd_config.d"',
            f'for u in {masks}; do ln -sfn /dev/null "$R/etc/systemd/system/$u"; done',
            'ln -sfn /lib/systemd/system/ssh.service "$R/etc/systemd/system/multi-user.target.wants/ssh.service"',
            "cat > \"$R/etc/ssh/sshd_config.d/00-farm.conf\" <<'EOF'\n" + "\n".join(lines) + "\nEOF",
            # sftp through the user's shell hung on these hosts (root's ~/.bashrc runs pyenv
            # init); the host's own copy of sshd_config uses sshd's internal sftp server.
            'sed -i "s|^Subsystem[[:space:]]\\+sftp[[:space:]].*|Subsystem sftp internal-sftp|" "$R/etc/ssh/sshd_config"',
            # journald: keep the journal in /run (the tmpfs), never on the machine's disk.
            'mkdir -p "$R/etc/systemd/journald.conf.d"',
            'printf "[Journal]\\nStorage=volatile\\n" > "$R/etc/systemd/journald.conf.d/farm.conf"',
            *(self._xrdp_lines(xrdp_setup or XRDP_SETUP) if kind == "xrdp" else []),
        ]) + "\n")
        (hdir / "init.sh").write_text(SYSTEMD_INIT)
        return hdir

    def _rdp_password(self) -> str:
        """The farm's RDP password (every test user on every xrdp host), made once."""
        path = self.dir / "rdp_password"
        if not path.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(12) + "\n")
            path.chmod(0o600)
        return path.read_text().strip()

    def _xrdp_lines(self, setup: t.Mapping[str, bool]) -> list[str]:
        """configure.sh lines that turn a systemd host into an xrdp terminal server.

        ``setup`` (XRDP_SETUP's keys): ``tcp`` sets xrdp.ini [Xorg] ``ip=`` to
        XRDP_TCP_ADDRESS and sesman's ListenAddress to it (xrdp reaches sesman at that
        address); ``fork`` is xrdp.ini's ``fork=``.

        xrdp and xrdp-sesman run as the package's own units, each with PrivateNetwork=yes
        and the same network namespace (JoinsNamespaceOf): 3389 and 3350 listen only inside
        it, never on the machine's network that the host's sshd shares. A session's X server,
        chansrv and "desktop" (``exec sleep 600``) are forked by sesman, so they live there too.
        """
        import pwd
        users = sorted(e.pw_name for e in pwd.getpwall() if 1000 <= e.pw_uid < 60000)
        password = self._rdp_password()
        secret = self.dir / "chpasswd"
        secret.write_text("".join(f"{u}:{password}\n" for u in users), encoding="utf-8")
        secret.chmod(0o600)
        wants = '"$R/etc/systemd/system/multi-user.target.wants"'
        return [
            *(f'rm -f "$R/etc/systemd/system/{u}"' for u in XRDP_UNITS),
            *(f'ln -sfn /lib/systemd/system/{u} {wants}/{u}' for u in XRDP_UNITS),
            'mkdir -p "$R/etc/systemd/system/xrdp.service.d" "$R/etc/systemd/system/xrdp-sesman.service.d"',
            # --nodaemon (Type=simple): no fork-and-pidfile race at boot; readiness is the
            # listening sockets, checked in _xrdp_listening.
            'printf "[Service]\\nPrivateNetwork=yes\\nType=simple\\nPIDFile=\\nExecStart=\\n'
            'ExecStart=/usr/sbin/xrdp-sesman --nodaemon\\nExecStop=\\n"'
            ' > "$R/etc/systemd/system/xrdp-sesman.service.d/farm.conf"',
            'printf "[Unit]\\nJoinsNamespaceOf=xrdp-sesman.service\\n[Service]\\nPrivateNetwork=yes\\n'
            'Type=simple\\nPIDFile=\\nExecStart=\\nExecStart=/usr/sbin/xrdp --nodaemon\\nExecStop=\\n"'
            ' > "$R/etc/systemd/system/xrdp.service.d/farm.conf"',
            # xrdp (User=xrdp) reads its TLS key itself: a copy it owns, in the host's /etc only.
            'rm -f "$R/etc/xrdp/key.pem" "$R/etc/xrdp/cert.pem"',
            'cp /etc/ssl/private/ssl-cert-snakeoil.key "$R/etc/xrdp/key.pem"',
            'cp /etc/ssl/certs/ssl-cert-snakeoil.pem "$R/etc/xrdp/cert.pem"',
            'chown xrdp "$R/etc/xrdp/key.pem"; chmod 600 "$R/etc/xrdp/key.pem"',
            f'printf {shlex.quote(XRDP_STARTWM)} > "$R/etc/xrdp/startwm.sh"',
            'chmod 755 "$R/etc/xrdp/startwm.sh"',
            f'chpasswd -R "$R" < {shlex.quote(str(secret))}',
            *(self._xrdp_setup_lines(setup)),
        ]

    @staticmethod
    def _xrdp_setup_lines(setup: t.Mapping[str, bool]) -> list[str]:
        unknown = set(setup) - set(XRDP_SETUP)
        if unknown:
            raise FarmError(f"unknown xrdp_setup keys {sorted(unknown)}; expected {sorted(XRDP_SETUP)}")
        setup = {**XRDP_SETUP, **setup}
        ini, sesman = '"$R/etc/xrdp/xrdp.ini"', '"$R/etc/xrdp/sesman.ini"'
        lines = [f"sed -i 's/^fork=.*/fork={'true' if setup['fork'] else 'false'}/' {ini}"]
        if setup["tcp"]:
            lines += [
                # only the [Xorg] section's ip= (the Xvnc and neutrinordp ones stay)
                f"sed -i '/^\\[Xorg\\]/,/^\\[/ s/^ip=.*/ip={XRDP_TCP_ADDRESS}/' {ini}",
                f"sed -i 's/^ListenAddress=.*/ListenAddress={XRDP_TCP_ADDRESS}/' {sesman}",
                # xrdp resolves any address but 127.0.0.1 with getaddrinfo(AF_INET6,
                # AI_V4MAPPED | AI_ADDRCONFIG), which answers nothing while the namespace has
                # no IPv6 address but ::1 (glibc ignores ::1 and link-local there): a real
                # host has one. XRDP_TCP_ADDRESS itself in its IPv4-mapped form, on the
                # private namespace's own lo, stands in for it: still 127.0.0.0/8, the only
                # addresses the farm may use (nothing connects to the mapped form).
                'printf "[Service]\\nExecStartPre=+/usr/sbin/ip -6 addr add '
                f'{XRDP_ADDRCONFIG_ADDRESS} dev lo nodad\\n"'
                ' > "$R/etc/systemd/system/xrdp-sesman.service.d/tcp.conf"',
            ]
        return lines

    def _cgroup_dirs(self, name: str) -> list[Path]:
        return [mount / base / CGROUP_NAME / name for mount, base in _cgroup_hierarchies()]

    @staticmethod
    def _wipe_disk(hdir: Path) -> None:
        """Remove a systemd host's disk (its overlay's upper and work directories)."""
        shutil.rmtree(hdir / "disk", ignore_errors=True)

    def _start(self, name: str, kind: str, addr: str,
               xrdp_setup: t.Mapping[str, bool] | None = None) -> dict[str, t.Any]:
        hdir = self._write_host_files(name, kind, addr, xrdp_setup)
        return self._launch(name, kind, addr, hdir, xrdp_setup)

    def _launch(self, name: str, kind: str, addr: str, hdir: Path,
                xrdp_setup: t.Mapping[str, bool] | None = None, again: bool = False) -> dict[str, t.Any]:
        """Start the host's namespace init from the files in ``hdir`` (a boot; ``again``:
        a reboot, whose console output follows the previous boot's)."""
        flags = ["--mount", "--pid", "--uts", "--ipc", "--fork"]
        cgroups: list[Path] = []
        if kind in SYSTEMD_KINDS:
            flags.append("--cgroup")
            cgroups = self._cgroup_dirs(name)
            for path in cgroups:
                path.mkdir(parents=True, exist_ok=True)

        def enter_cgroups() -> None:  # runs in the child before exec: unshare --cgroup roots here
            for path in cgroups:
                with open(path / "cgroup.procs", "w", encoding="ascii") as handle:
                    handle.write(str(os.getpid()))

        log = open(hdir / "console.log", "ab" if again else "wb")  # pylint: disable=consider-using-with
        proc = subprocess.Popen(["unshare", *flags, "/bin/sh", str(hdir / "init.sh"), str(hdir), addr, name],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, preexec_fn=enter_cgroups if cgroups else None)
        log.close()
        deadline = time.monotonic() + 5
        init = None
        while time.monotonic() < deadline and init is None:
            kids = _children(proc.pid)
            init = kids[0] if kids else None
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        if init is None:
            raise FarmError(f"host {name} did not start; see {hdir / 'console.log'}")
        return {"name": name, "kind": kind, "addr": addr, "port": PORT, "dir": str(hdir),
                "unshare_pid": proc.pid, "unshare_start": _start_time(proc.pid),
                "init_pid": init, "init_start": _start_time(init),
                "machine_id": (hdir / "machine-id").read_text().strip(),
                "backend": "logind" if kind in SYSTEMD_KINDS else "utmp",
                "cgroups": [str(p) for p in cgroups],
                **({"xrdp_setup": {**XRDP_SETUP, **(xrdp_setup or {})}} if kind == "xrdp" else {})}

    def _wait_ready(self, host: dict[str, t.Any], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _same(host["init_pid"], host["init_start"]):
                break
            with socket.socket() as sock:
                sock.settimeout(0.5)
                if sock.connect_ex((host["addr"], host["port"])) == 0:
                    if host["kind"] not in SYSTEMD_KINDS or self._logind_ready(host):
                        return
            time.sleep(0.1)
        failed = ""
        if host["kind"] in SYSTEMD_KINDS and _same(host["init_pid"], host["init_start"]):
            failed = subprocess.run(["nsenter", "-t", str(host["init_pid"]), "-m", "-p",
                                     "systemctl", "--failed", "--no-legend"], capture_output=True,
                                    text=True, timeout=10, check=False).stdout.strip()
        raise FarmError(f"host {host['name']} not reachable on {host['addr']}:{host['port']} "
                        f"within {timeout:g}s; failed units: {failed or 'none'}; "
                        f"see {host['dir']}/console.log")

    @staticmethod
    def _logind_ready(host: dict[str, t.Any]) -> bool:
        units = ["systemd-logind.service", "dbus.service"]
        if host["kind"] == "xrdp":
            units += list(XRDP_UNITS)
        proc = subprocess.run(["nsenter", "-t", str(host["init_pid"]), "-m", "-p", "-u", "-i",
                               "systemctl", "is-active", *units],
                              capture_output=True, text=True, timeout=10, check=False)
        # is-active exits 0 when ANY of the units is active: every line must say so.
        states = proc.stdout.split()
        ready = len(states) == len(units) and all(state == "active" for state in states)
        if ready and host["kind"] == "xrdp":
            ready = Farm._xrdp_listening(host)
        return ready

    @staticmethod
    def _xrdp_listening(host: dict[str, t.Any]) -> bool:
        """xrdp (3389) and xrdp-sesman (3350) listen in their network namespace."""
        script = ('pid=$(systemctl show -p MainPID --value xrdp.service); [ "${pid:-0}" != 0 ] && '
                  'nsenter --net=/proc/$pid/ns/net ss -Hltn')
        proc = subprocess.run(["nsenter", "-t", str(host["init_pid"]), "-m", "-p", "-u", "-i",
                               "sh", "-c", script], capture_output=True, text=True, timeout=10, check=False)
        ports = {line.split()[3].rsplit(":", 1)[-1] for line in proc.stdout.splitlines() if len(line.split()) > 3}
        return {"3389", "3350"} <= ports

    def up(self, utmp: int = 1, systemd: int = 0, timeout: float = 60.0, xrdp: int = 0,
           xrdp_setup: t.Mapping[str, bool] | None = None) -> dict[str, t.Any]:
        """Start the hosts that are missing so there are ``utmp`` + ``systemd`` + ``xrdp`` hosts (idempotent).

        ``xrdp_setup`` (keys of XRDP_SETUP, e.g. ``{"tcp": True}``): the set-up of the xrdp
        hosts; only hosts with exactly that set-up count towards ``xrdp``.
        """
        setup = {**XRDP_SETUP, **(xrdp_setup or {})}
        self._xrdp_setup_lines(setup)  # unknown keys: an error before anything starts
        self._common_setup()
        state = self._load()
        running = {n: h for n, h in state["hosts"].items() if _same(h["init_pid"], h["init_start"])}
        for name in set(state["hosts"]) - set(running):
            self._cleanup_host(state["hosts"][name])
        state["hosts"] = running
        wanted = {"utmp": utmp, "systemd": systemd, "xrdp": xrdp}
        used = {int(h["addr"].rsplit(".", 1)[1]) for h in running.values()}
        started = []
        for kind in KINDS:
            have = sum(1 for h in running.values() if h["kind"] == kind
                       and (kind != "xrdp" or h.get("xrdp_setup", XRDP_SETUP) == setup))
            for _number in range(max(0, wanted[kind] - have)):
                # An address where something already listens (another farm with another
                # TERMSERV_FARM_DIR, a test's sshd) is skipped: with host keys unchecked,
                # Ansible would otherwise reach that foreign host as if it were ours.
                octet = next((n for n in range(FIRST_OCTET, 255)
                              if n not in used and not _listening(f"127.0.0.{n}", PORT)), None)
                if octet is None:
                    raise FarmError(f"no free 127.0.0.N:{PORT} address from 127.0.0.{FIRST_OCTET} on")
                used.add(octet)
                name = f"{kind}{octet}"
                host = self._start(name, kind, f"127.0.0.{octet}", setup if kind == "xrdp" else None)
                state["hosts"][name] = host
                self._save(state)
                started.append(host)
        try:
            for host in started:
                self._wait_ready(host, timeout)
        except FarmError:
            self.down()
            raise
        self.write_inventory()
        return {"hosts": {n: {k: h[k] for k in ("kind", "addr", "backend")} for n, h in state["hosts"].items()},
                "inventory": str(self.inventory)}

    def write_inventory(self) -> Path:
        """An INI inventory: group ``farm`` and one group per kind, ssh as root with the farm key."""
        hosts = self.hosts()
        lines = []
        for group in ("farm", *KINDS):
            lines.append(f"[{group}]")
            for name, host in sorted(hosts.items()):
                if group in ("farm", host["kind"]):
                    lines.append(f"{name} ansible_host={host['addr']} ansible_port={host['port']}")
            lines.append("")
        lines += ["[farm:vars]", "ansible_connection=ssh", "ansible_user=root",
                  "ansible_python_interpreter=/usr/bin/python3",
                  f"ansible_ssh_private_key_file={self.dir / 'client_key'}",
                  "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'", ""]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.inventory.write_text("\n".join(lines))
        return self.inventory

    # ----- reboot ------------------------------------------------------------------
    def reboot(self, name: str, timeout: float = 60.0, downtime: float = 0.0) -> dict[str, t.Any]:
        """Reboot systemd host ``name`` for real: ``systemctl reboot`` inside it, then the
        host starts again on the same disk (its overlay's upper layer): what it wrote to
        /etc and /var stays, /run and /tmp start empty, its processes and sessions are gone.

        systemd (PID 1 of the namespace, ``container=other``) stops its units, then
        systemd-shutdown calls reboot(2), which in a PID namespace other than the machine's
        ends the namespace's init with SIGHUP (SIGINT for a halt) instead of rebooting the
        machine: what container managers watch for to start the container again. Waits
        (bounded by ``timeout``) for the init the farm recorded (pid + start time) to be
        gone, stays down ``downtime`` seconds, boots the host (same name, address and
        machine-id) and waits until it is ready again. The farm's sessions on the host are
        forgotten (their clients ended). Returns what happened, with timings."""
        host = self.host(name)
        if host["kind"] not in SYSTEMD_KINDS:
            raise FarmError(f"farm host {name} is a {host['kind']} host: only systemd hosts reboot")
        pid, start = host["init_pid"], host["init_start"]
        if not _same(pid, start):
            raise FarmError(f"farm host {name} is not running")
        state = self._load()
        for session in [s for s in state["sessions"] if s["host"] == name]:
            self._end_client(session)
        state["sessions"] = [s for s in state["sessions"] if s["host"] != name]
        self._save(state)
        began = time.monotonic()
        # systemctl returns once the job is queued (or is killed with the namespace first).
        asked = self.nsenter(name, ["systemctl", "reboot"], timeout=timeout)
        deadline = began + timeout
        upid, ustart = host["unshare_pid"], host["unshare_start"]
        while (_same(pid, start) or _same(upid, ustart)) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _same(pid, start):
            raise FarmError(f"farm host {name} did not shut down within {timeout:g}s after systemctl "
                            f"reboot (rc {asked.returncode}: {asked.stderr.strip()}); see {host['dir']}/console.log")
        ended = self._reap(host)
        down_at = time.monotonic()
        self._cleanup_host(host)
        if downtime > 0:
            time.sleep(downtime)
        booted = self._launch(name, host["kind"], host["addr"], Path(host["dir"]),
                              host.get("xrdp_setup"), again=True)
        state = self._load()
        state["hosts"][name] = booted
        self._save(state)
        self._wait_ready(booted, timeout)
        return {"host": name, "ended": ended, "shutdown_seconds": round(down_at - began, 2),
                "boot_seconds": round(time.monotonic() - down_at - max(0.0, downtime), 2)}

    @staticmethod
    def _reap(host: dict[str, t.Any]) -> str:
        """How the host's ``unshare`` ended, when we are its parent (it re-raises the signal
        its child, the namespace's init, died of); "unknown" otherwise (the CLI)."""
        try:
            reaped, status = os.waitpid(host["unshare_pid"], os.WNOHANG)
        except ChildProcessError:
            return "unknown"
        if reaped == 0:
            return "unknown"
        if os.WIFSIGNALED(status):
            return signal.Signals(os.WTERMSIG(status)).name
        return f"exit {os.WEXITSTATUS(status)}"

    # ----- down --------------------------------------------------------------------
    def kill_host(self, name: str, timeout: float = 10.0) -> None:
        """End a host at once (SIGKILL to its namespace init): a host lost mid-run."""
        host = self.hosts().get(name)
        if host is None:
            return
        pid, start = host["init_pid"], host["init_start"]
        if _same(pid, start):
            os.kill(pid, signal.SIGKILL)  # PID 1 of the namespace: every process in it goes too
        deadline = time.monotonic() + timeout
        while _same(pid, start) and time.monotonic() < deadline:
            time.sleep(0.02)
        upid, ustart = host["unshare_pid"], host["unshare_start"]
        while _same(upid, ustart) and time.monotonic() < deadline:
            time.sleep(0.02)
        self._cleanup_host(host)

    def remove_host(self, name: str) -> None:
        """End a host and its farm sessions and forget it (the inventory no longer lists it)."""
        state = self._load()
        for session in [s for s in state["sessions"] if s["host"] == name]:
            self._end_client(session)
        self.kill_host(name)
        state = self._load()
        state["hosts"].pop(name, None)
        state["sessions"] = [s for s in state["sessions"] if s["host"] != name]
        self._save(state)
        self.write_inventory()

    def _cleanup_host(self, host: dict[str, t.Any]) -> None:
        upid = host.get("unshare_pid")
        if upid:
            try:
                os.waitpid(upid, os.WNOHANG)  # reap it when we are its parent (library use)
            except ChildProcessError:
                pass
        for path in host.get("cgroups", []):
            _rmdir_tree(Path(path))

    def down(self) -> dict[str, t.Any]:
        state = self._load()
        for session in state["sessions"]:
            self._end_client(session)
        for name in list(state["hosts"]):
            self.kill_host(name)
        for mount, base in _cgroup_hierarchies():
            _rmdir_tree(mount / base / CGROUP_NAME)
        for hdir in sorted((self.dir / "hosts").glob("*")):
            self._wipe_disk(hdir)  # the hosts' disks (Farm.reboot) go with them
        self._save({"hosts": {}, "sessions": []})
        return {"down": True}

    # ----- sessions ----------------------------------------------------------------
    def _ssh(self, name: str, user: str, command: str, marker: str | None = None,
             tty: bool = True) -> list[str]:
        host = self.host(name)
        argv = ["ssh", "-p", str(host["port"]), "-i", str(self.dir / "client_key"),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10"]
        if tty:
            argv.insert(1, "-tt")
        if marker:
            argv += ["-o", f"SetEnv={MARK}={marker}"]
        return argv + [f"{user}@{host['addr']}", command]

    def _utmp(self, name: str) -> dict[str, tuple[int, int, str]]:
        """tty -> (ut_pid, tv_sec, user) of the host's own USER_PROCESS records."""
        try:
            data = (self.root(name) / "run" / "utmp").read_bytes()
        except OSError:
            return {}
        out = {}
        for offset in range(0, len(data) - UTMP_RECORD.size + 1, UTMP_RECORD.size):
            f = UTMP_RECORD.unpack_from(data, offset)
            if f[0] == 7:
                line = f[2].split(b"\0", 1)[0].decode()
                out[line] = (f[1], f[9], f[4].split(b"\0", 1)[0].decode("utf-8", "replace"))
        return out

    @staticmethod
    def logind_id(pids: t.Iterable[int]) -> str:
        """The logind session whose scope holds the first of ``pids`` that lives in one; "" for none."""
        for pid in pids:
            try:
                text = Path(f"/proc/{pid}/cgroup").read_text()
            except OSError:
                continue
            match = re.search(r"/session-([^/.]+)\.scope", text)
            if match:
                return match.group(1)
        return ""

    def open(self, name: str, user: str, count: int = 1, behaviour: str = "normal",
             exit_delay: float = 1.0, timeout: float = 30.0) -> list[Handle]:
        """Open ``count`` interactive sessions for ``user`` on host ``name``."""
        if behaviour not in SHELLS:
            raise FarmError(f"unknown behaviour {behaviour!r}; expected one of {sorted(SHELLS)}")
        host = self.host(name)
        command = SHELLS[behaviour].format(delay=float(exit_delay))
        handles = []
        for _number in range(count):
            marker = secrets.token_hex(8)
            out = self.dir / "out" / f"{marker}.txt"
            with open(out, "wb") as sink:
                client = subprocess.Popen(self._ssh(name, user, command, marker), stdin=subprocess.DEVNULL,
                                          stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
            handles.append(Handle(host=name, user=user, marker=marker, behaviour=behaviour,
                                  client_pid=client.pid, output=str(out)))
        state = self._load()
        state["sessions"].extend(h.to_dict() for h in handles)
        self._save(state)
        deadline = time.monotonic() + timeout
        pending = list(handles)
        while pending and time.monotonic() < deadline:
            records = self._utmp(name)
            for handle in list(pending):
                pids = marked_processes(handle.marker)
                tty = _tty_of(pids)
                record = records.get(tty)
                if not (tty and record and record[2] == user):
                    continue
                sid = tty
                if host["backend"] == "logind":
                    sid = self.logind_id(pids)
                    if not sid:
                        continue
                handle.id, handle.tty, handle.ut_pid = sid, tty, record[0]
                handle.logon_time = datetime.datetime.fromtimestamp(
                    record[1], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
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
            raise FarmError(f"{len(pending)} session(s) for {user} on {name} did not appear "
                            f"within {timeout}s; see {host['dir']}")
        return handles

    @staticmethod
    def alive(handle: Handle | dict[str, t.Any]) -> bool:
        marker = handle.marker if isinstance(handle, Handle) else handle["marker"]
        return bool(marked_processes(marker))

    @staticmethod
    def _end_client(info: dict[str, t.Any], timeout: float = 10.0) -> None:
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
        try:
            os.waitpid(info["client_pid"], os.WNOHANG)
        except ChildProcessError:
            pass

    def close(self, handle: Handle | dict[str, t.Any]) -> None:
        info = handle.to_dict() if isinstance(handle, Handle) else handle
        self._end_client(info)
        state = self._load()
        state["sessions"] = [s for s in state["sessions"] if s["marker"] != info["marker"]]
        self._save(state)

    def close_all(self) -> None:
        for session in self._load()["sessions"]:
            self.close(session)

    def sessions(self) -> list[dict[str, t.Any]]:
        return [dict(s, alive=self.alive(s)) for s in self._load()["sessions"]]

    # ----- xrdp sessions -----------------------------------------------------------
    def _xrdp_host(self, name: str) -> dict[str, t.Any]:
        host = self.host(name)
        if host["kind"] != "xrdp":
            raise FarmError(f"farm host {name} is a {host['kind']} host, not an xrdp host")
        return host

    def _logind_sessions(self, name: str) -> dict[str, dict[str, str]]:
        """The host's logind sessions: id -> properties (as ``loginctl show-session`` prints them)."""
        proc = self.nsenter(name, ["loginctl", "list-sessions", "--no-legend", "--no-pager"])
        ids = [line.split()[0] for line in proc.stdout.splitlines() if line.split()]
        out = {}
        for sid in ids:
            show = self.nsenter(name, ["loginctl", "show-session", sid, "--no-pager"])
            if show.returncode == 0:
                out[sid] = dict(line.split("=", 1) for line in show.stdout.splitlines() if "=" in line)
        return out

    def xrdp_netns(self, name: str) -> str:
        """The path (inside the host) of the network namespace xrdp and its sessions live in."""
        proc = self.nsenter(name, ["systemctl", "show", "-p", "MainPID", "--value", "xrdp.service"])
        pid = proc.stdout.strip()
        if not pid.isdigit() or pid == "0":
            raise FarmError(f"xrdp is not running on {name}: {proc.stdout}{proc.stderr}")
        return f"/proc/{pid}/ns/net"

    def open_rdp(self, name: str, user: str, timeout: float = 30.0, wait_display: bool = True) -> Handle:
        """A real RDP session for ``user`` on xrdp host ``name``: xfreerdp under Xvfb.

        The client runs in the host's mount namespace and xrdp's network namespace (as root,
        in the machine's PID namespace, so its PID is ours to end). It carries the farm's
        marker in its environment; the session is the new logind session of ``user`` opened by
        xrdp-sesman, waited for (bounded). One open at a time: the new session is identified
        as the one that was not there before. xrdp's default policy reconnects a user to their
        existing session: open at most one session per user and host.

        ``wait_display=False``: return once the session exists and its client still runs,
        without waiting for xrdp to reach the X server (an xrdp host with ``tcp`` set up
        never does: xorgxrdp 0.9.19 listens only on its unix socket).
        """
        host = self._xrdp_host(name)
        before = set(self._logind_sessions(name))
        marker = secrets.token_hex(8)
        state = self._load()
        client, out = self._rdp_client(name, user, marker, state)
        handle = Handle(host=name, user=user, marker=marker, behaviour="rdp", client_pid=client.pid,
                        output=str(out))
        state["sessions"].append(handle.to_dict())
        self._save(state)
        deadline = time.monotonic() + timeout
        found: dict[str, str] = {}
        while time.monotonic() < deadline:
            if client.poll() is not None:
                break
            new = {sid: props for sid, props in self._logind_sessions(name).items()
                   if sid not in before and props.get("Name") == user
                   and props.get("Service") == "xrdp-sesman"}
            if new:
                sid, found = sorted(new.items())[0]
                handle.id = sid
                break
            time.sleep(0.2)
        if not handle.id:
            self.close(handle)
            raise FarmError(f"no xrdp session for {user} on {name} within {timeout}s "
                            f"(client rc {client.poll()}); see {out} and {host['dir']}")
        handle.display = found.get("Display", "")
        handle.logon_time = found.get("Timestamp", "")
        state = self._load()
        state["sessions"] = [handle.to_dict() if s["marker"] == marker else s for s in state["sessions"]]
        self._save(state)
        # The logind session exists before xrdp has connected to the new X server: wait
        # until the connection is established (what "connected" means for the tests).
        if not wait_display and client.poll() is None:
            return handle
        while time.monotonic() < deadline and client.poll() is None:
            if self.rdp_connected(handle):
                return handle
            time.sleep(0.1)
        self.close(handle)
        raise FarmError(f"the xrdp session of {user} on {name} never got its client connected "
                        f"within {timeout}s; see {out}")

    def _rdp_client(self, name: str, user: str, marker: str, state: dict[str, t.Any],
                    display: int | None = None) -> tuple[subprocess.Popen, Path]:
        """Start xfreerdp (under its own Xvfb) for ``user`` against host ``name``'s xrdp."""
        host = self._xrdp_host(name)
        out = self.dir / "out" / f"{marker}.txt"
        if display is None:
            display = self._free_display(name, 100 + len([s for s in state["sessions"] if s["behaviour"] == "rdp"]) % 500)
        script = (
            'D="$1"; shift\n'
            'Xvfb ":$D" -nolisten tcp -screen 0 1024x768x24 >/dev/null 2>&1 &\n'
            'i=0; while [ ! -S "/tmp/.X11-unix/X$D" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n'
            'DISPLAY=":$D" exec "$@"\n')
        argv = ["nsenter", "-t", str(host["init_pid"]), "-m", "-u", "-i", "--",
                "nsenter", f"--net={self.xrdp_netns(name)}", "--",
                "sh", "-c", script, "rdp-client", str(display),
                "xfreerdp", "/v:127.0.0.1", f"/u:{user}", f"/p:{self._rdp_password()}", "/cert:ignore", "/sec:tls",
                "/size:800x600", "-clipboard", "-wallpaper"]
        env = dict(os.environ, **{MARK: marker})
        with open(out, "wb") as sink:
            client = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                      start_new_session=True, env=env)
        return client, out

    def _free_display(self, name: str, first: int) -> int:
        """The first X display from ``first`` (100..599, wrapping) with neither a lock file nor
        a socket in the host's /tmp: a client closed by close_rdp leaves its Xvfb's lock
        behind, and counting the recorded sessions alone would pick that display again."""
        tmp = self.root(name) / "tmp"
        for step in range(500):
            display = 100 + (first - 100 + step) % 500
            if not (tmp / f".X{display}-lock").exists() and not (tmp / ".X11-unix" / f"X{display}").exists():
                return display
        raise FarmError(f"no free X display 100..599 in {name}'s /tmp")

    def try_rdp(self, name: str, user: str, seconds: float = 12.0,
                reconnect: Handle | dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """One RDP logon attempt of ``user``, watched for ``seconds`` (a refused xrdp logon
        leaves the client on xrdp's login screen, so there is no exit code to wait for),
        then the client is ended. ``new_sessions``: the logind sessions xrdp-sesman opened
        for the user meanwhile (they stay: close them with loginctl). ``reconnected``: with
        ``reconnect`` (a disconnected handle of the same user), whether xrdp got connected
        to that session's X server again."""
        before = set(self._logind_sessions(name))
        marker = secrets.token_hex(8)
        # A display of its own: a killed Xvfb leaves its lock file, and try_rdp's clients
        # are not recorded in the state open_rdp counts from.
        client, out = self._rdp_client(name, user, marker, self._load(), display=600 + secrets.randbelow(300))
        info = {"marker": marker, "client_pid": client.pid}
        deadline = time.monotonic() + seconds
        new: list[str] = []
        reconnected = False
        try:
            while time.monotonic() < deadline and client.poll() is None:
                new = sorted(sid for sid, props in self._logind_sessions(name).items()
                             if sid not in before and props.get("Name") == user
                             and props.get("Service") == "xrdp-sesman")
                reconnected = reconnect is not None and self.rdp_connected(reconnect)
                if new or reconnected:
                    break
                time.sleep(0.3)
        finally:
            self._end_client(info)
        return {"new_sessions": new, "reconnected": reconnected, "client_rc": client.poll(),
                "output": str(out)}

    def rdp_connected(self, handle: Handle | dict[str, t.Any]) -> bool:
        """xrdp is connected to the session's X server, as ``ss`` (sock_diag) sees it in the
        xrdp network namespace: an established stream socket on ``xrdp_display_N``, or
        (xrdp over TCP) an established TCP connection to port 6200+N. (The collection reads
        /proc/PID/net/unix and net/tcp instead: two different views of the kernel.)"""
        info = handle.to_dict() if isinstance(handle, Handle) else handle
        number = info["display"].lstrip(":").split(".")[0]
        if not number.isdigit():
            return False
        proc = self.nsenter(info["host"], ["nsenter", f"--net={self.xrdp_netns(info['host'])}",
                                           "ss", "-Hxtn", "state", "established"])
        name, port = f"/xrdp_display_{number}", f":{6200 + int(number)}"
        return any(line.split()[0] == "u_str" and any(f.endswith(name) for f in line.split())
                   or line.split()[0] == "tcp" and len(line.split()) > 4 and line.split()[3].endswith(port)
                   for line in proc.stdout.splitlines() if line.split())

    def disconnect(self, handle: Handle | dict[str, t.Any], timeout: float = 10.0) -> None:
        """End an RDP handle's client (xfreerdp and its Xvfb, by PID): the session stays,
        disconnected. Waits (bounded) until xrdp's connection to the X server is gone."""
        info = handle.to_dict() if isinstance(handle, Handle) else handle
        self._end_client(info)
        deadline = time.monotonic() + timeout
        while self.rdp_connected(info):
            if time.monotonic() > deadline:
                raise FarmError(f"xrdp still connected to {info['display']} on {info['host']} "
                                f"{timeout}s after its client ended")
            time.sleep(0.05)

    def close_rdp(self, handle: Handle | dict[str, t.Any]) -> None:
        """End the client, then the session itself (``loginctl terminate-session`` on the host)."""
        info = handle.to_dict() if isinstance(handle, Handle) else handle
        self._end_client(info)
        if info.get("id") and self.init_pid(info["host"]) is not None:
            self.nsenter(info["host"], ["loginctl", "terminate-session", info["id"]])
        state = self._load()
        state["sessions"] = [s for s in state["sessions"] if s["marker"] != info["marker"]]
        self._save(state)

    # ----- helpers for tests -------------------------------------------------------
    def try_login(self, name: str, user: str, timeout: float = 20) -> int:
        """rc of a non-interactive ssh login running ``true``: 0 allowed, 255 refused."""
        return subprocess.run(self._ssh(name, user, "true", tty=False), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False).returncode

    def run_in_root_session(self, name: str, argv: list[str], timeout: float = 240) -> tuple[int, str]:
        """Run ``argv`` inside a real interactive (``-tt``) root session on host ``name``."""
        proc = subprocess.run(self._ssh(name, "root", shlex.join(argv), secrets.token_hex(8)),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def nsenter(self, name: str, argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess:
        """Run ``argv`` inside host ``name`` as root (its mounts, PIDs, hostname)."""
        pid = self.init_pid(name)
        if pid is None:
            raise FarmError(f"farm host {name} is not running")
        return subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "-u", "-i", *argv],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def leftovers(self) -> list[str]:
        """Mounts of the machine that mention the farm (should always be empty)."""
        text = Path("/proc/self/mountinfo").read_text()
        return [line for line in text.splitlines() if str(self.dir) in line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    upper = sub.add_parser("up", help="start the hosts (idempotent)")
    upper.add_argument("--utmp", type=int, default=2)
    upper.add_argument("--systemd", type=int, default=1)
    upper.add_argument("--xrdp", type=int, default=0)
    upper.add_argument("--xrdp-tcp", action="store_true",
                       help="xrdp hosts reach their X servers over TCP (xrdp.ini [Xorg] ip=)")
    upper.add_argument("--xrdp-no-fork", action="store_true",
                       help="xrdp hosts serve connections in threads of the daemon (fork=false)")
    upper.add_argument("--timeout", type=float, default=60.0)
    sub.add_parser("down", help="end every host and session; nothing stays mounted")
    sub.add_parser("list", help="hosts and the sessions the farm opened")
    sub.add_parser("inventory", help="(re)write and print the inventory path")
    opener = sub.add_parser("open", help="open sessions on a host")
    opener.add_argument("host")
    opener.add_argument("user")
    opener.add_argument("--count", type=int, default=1)
    opener.add_argument("--behaviour", choices=sorted(SHELLS), default="normal")
    opener.add_argument("--exit-delay", type=float, default=1.0)
    sub.add_parser("close-all", help="end every farm session, keep the hosts")
    booter = sub.add_parser("reboot", help="reboot a systemd host for real (systemctl reboot), same disk")
    booter.add_argument("host")
    booter.add_argument("--downtime", type=float, default=0.0, help="seconds the host stays down")
    booter.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    farm = Farm()
    out: t.Any
    if args.verb == "up":
        out = farm.up(args.utmp, args.systemd, args.timeout, args.xrdp,
                      {"tcp": args.xrdp_tcp, "fork": not args.xrdp_no_fork})
    elif args.verb == "down":
        out = farm.down()
        out["mounts_left"] = farm.leftovers()
    elif args.verb == "list":
        out = {"hosts": {n: dict(h, running=farm.init_pid(n) is not None) for n, h in farm.hosts().items()},
               "sessions": farm.sessions()}
    elif args.verb == "inventory":
        out = str(farm.write_inventory())
    elif args.verb == "open":
        out = [h.to_dict() for h in farm.open(args.host, args.user, args.count, args.behaviour,
                                              args.exit_delay)]
    elif args.verb == "reboot":
        out = farm.reboot(args.host, args.timeout, args.downtime)
    else:
        farm.close_all()
        out = farm.sessions()
    print(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
