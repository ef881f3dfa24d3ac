# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""CPU seconds of a command's whole process tree, and of farm hosts, from their cgroups.

``wait4``'s rusage (or RUSAGE_CHILDREN) misses part of ``ansible-playbook``'s tree: the ssh
ControlPersist masters daemonize, leave the tree and are never reaped by it, yet they do
the encryption of every module transfer. A cgroup keeps every process that was ever in it,
daemonized or not, so the command runs in a cgroup of its own (cgroup v1 ``cpuacct`` or
cgroup v2), and its usage is read once the command and every process it left are gone.
The farm hosts' side (sshd, the module's Python, the sessions' own exits) is read from the
processes of their PID namespaces.
"""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.farm.farm import Farm, _cgroup_hierarchies  # noqa: E402  pylint: disable=wrong-import-position

GROUP = "termserv-bench"


def usage_seconds(path: Path) -> float | None:
    """CPU seconds (user + system) of every process that ever ran in the cgroup ``path``."""
    v1 = path / "cpuacct.usage"
    if v1.exists():
        return int(v1.read_text()) / 1e9
    v2 = path / "cpu.stat"
    if v2.exists():
        fields = dict(line.split() for line in v2.read_text().splitlines())
        # cgroup v1's cpu controller has a cpu.stat too, without usage
        return int(fields["usage_usec"]) / 1e6 if "usage_usec" in fields else None
    return None


def _accounting_dir(name: str) -> Path | None:
    """A new cgroup under ours that accounts CPU: cpuacct (v1) or the unified hierarchy."""
    for mount, base in _cgroup_hierarchies():
        if mount.name in ("cpuacct", "cpu,cpuacct") or (mount / "cgroup.controllers").exists():
            path = mount / base / GROUP / name
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
            if usage_seconds(path) is not None:
                return path
    return None


def _procs(path: Path) -> list[int]:
    try:
        return [int(pid) for pid in (path / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def run_accounted(argv: list[str], env: dict[str, str],
                  timeout: float) -> tuple[subprocess.CompletedProcess, float, str]:
    """Run ``argv`` to its end; (its result, CPU seconds of its whole tree, how they were counted).

    What the tree leaves running (ssh ControlPersist masters) is ended by PID afterwards,
    as a fresh controller would not find them: every run pays its own ssh connections.
    """
    path = _accounting_dir(f"run-{os.getpid()}")
    if path is None:  # no cgroup to write: the reaped tree only (no ssh masters)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return proc, cpu, "rusage of reaped children (ssh masters not counted)"
    start = usage_seconds(path) or 0.0
    procs_file = str(path / "cgroup.procs")

    def join() -> None:  # in the child, before exec: everything it starts stays in the group
        with open(procs_file, "w", encoding="ascii") as handle:
            handle.write(str(os.getpid()))

    try:
        # pylint: disable-next=subprocess-popen-preexec-fn
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False,
                              preexec_fn=join)
    finally:
        deadline = time.monotonic() + 10
        while _procs(path) and time.monotonic() < deadline:
            for pid in _procs(path):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
    cpu = (usage_seconds(path) or 0.0) - start
    for group in (path, path.parent):  # the parent too, when no other run uses it
        try:
            group.rmdir()
        except OSError:
            pass
    return proc, cpu, f"cgroup {path.parent}"


def _ticks(stat: str) -> int:
    """utime + stime + cutime + cstime of one /proc/PID/stat (the process and what it reaped)."""
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15])


def hosts_usage(farm: Farm, hosts: t.Iterable[str]) -> float:
    """CPU seconds the farm ``hosts`` have used: every process of their PID namespaces,
    with what each has reaped. utmp hosts have no cgroup of their own; their init (sshd)
    reaps every connection's process tree, and orphans it never reaps stay as zombies,
    whose times /proc still shows."""
    namespaces = set()
    for host in hosts:
        pid = farm.init_pid(host)
        if pid is not None:
            namespaces.add(os.readlink(f"/proc/{pid}/ns/pid"))
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "ns" / "pid") in namespaces:
                ticks += _ticks((entry / "stat").read_text())
        except OSError:  # gone meanwhile
            continue
    return ticks / os.sysconf("SC_CLK_TCK")
