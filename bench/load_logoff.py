# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load held on one host (issue 14 item 4): 100 / 250 / 500 real sessions, one session_logoff.

One utmp farm host of its own (tests/farm: its own PID namespace, /run/utmp and sshd on
127.0.0.11), so that the machine stays usable. For each N:
  1. a bystander session of another user (carol) and a process of the user outside any
     session (setsid, no terminal, no utmp record) are started on the host;
  2. N real ``ssh -tt`` sessions of admin2 whose shells take 1 s to exit after a hang-up
     are opened, in batches the host's sshd accepts (MaxStartups), until its utmp holds N;
  3. one ``termserv.sessions.session_logoff`` task (users: admin2) runs through
     ansible-playbook with Ansible's defaults; the task time comes from the task timer
     callback, the slowest session's own exit from the module's ``elapsed``;
  4. the target module's peak memory and CPU time: the host's Python interpreter is a
     wrapper (ansible_python_interpreter) that runs /usr/bin/python3 as a child and
     records its ``getrusage(RUSAGE_CHILDREN)`` (ru_maxrss, user + system time) and wall
     time, per module execution (session_info: the enumeration, session_logoff: the logoff);
  5. afterwards: no process of the N sessions is alive, no utmp record of admin2 is left,
     the bystander session and the user's outside process are alive.
Run under the machine-wide lock; writes bench/results/load.json and load.md.

    flock /work/.real-sessions.lock .venv/bin/python bench/load_logoff.py
    BENCH_LOAD_SIZES=100 ...    (one size)
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "build" / "collections"))

from bench.fast_sessions import end_sessions, marked, open_sessions, user_records  # noqa: E402
from bench.task_times import read_rows  # noqa: E402
from tests.farm.farm import MARK, Farm  # noqa: E402
from tests.integration.ansible_run import playbook  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_LOAD_SIZES", "100,250,500").split(",")]
# defaults (load.json) or pipelining (load-pipelining.json): one per run, so that each run
# holds the machine-wide lock for ~3 minutes only.
WAY = os.environ.get("BENCH_LOAD_WAY", "defaults")
EXIT_DELAY = 1.0
USER = "admin2"
BYSTANDER = "carol"
RESULTS = REPO / "bench" / "results"
WORK = REPO / "build" / "bench"
TARGET_MARGIN = 2.0
HOW = {"defaults": "Ansible's defaults", "pipelining": "SSH pipelining"}

# The host's python: /usr/bin/python3 as a child, whose rusage is then appended to LOG.
# It sees the machine's file system (a utmp host overlays only /etc and /run).
WRAPPER = r'''#!/usr/bin/python3
import json, os, resource, subprocess, sys, time
start, epoch = time.monotonic(), time.time()
child = subprocess.Popen(["/usr/bin/python3", *sys.argv[1:]])
rc = child.wait()
wall = time.monotonic() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(LOG, "a") as log:
    log.write(json.dumps({"module": os.path.basename(sys.argv[1]) if len(sys.argv) > 1 else "-",
                          "rc": rc, "wall": round(wall, 3), "epoch_start": round(epoch, 4),
                          "epoch_end": round(time.time(), 4), "maxrss_kib": use.ru_maxrss,
                          "user": round(use.ru_utime, 3), "system": round(use.ru_stime, 3)}) + "\n")
sys.exit(rc)
'''


def outside_process(farm: Farm, host: str, marker: str) -> None:
    """A process of USER on the host outside any session: own session, no terminal, no utmp."""
    proc = farm.nsenter(host, ["sh", "-c", f"env {MARK}={marker} setsid -f setpriv --reuid={USER} "
                               f"--regid={USER} --init-groups sleep 900 </dev/null >/dev/null 2>&1"])
    if proc.returncode:
        raise RuntimeError(f"could not start the outside process: {proc.stderr}")


def round_n(farm: Farm, host: str, inventory: Path, n: int, log: Path, tmp: Path,
            clients: list[subprocess.Popen]) -> dict[str, t.Any]:
    marker = secrets.token_hex(8)
    opened = open_sessions(farm, {host: n}, USER, marker, clients, EXIT_DELAY)
    before = len(marked({marker})[marker])
    timer = tmp / f"timer-{n}.jsonl"
    book = tmp / f"logoff-{n}.yml"
    book.write_text(json.dumps([{"name": "Load", "hosts": "farm", "gather_facts": False, "tasks": [{
        "name": "Log off", "termserv.sessions.session_logoff": {"users": [USER], "timeout": 60}}]}]))
    log.unlink(missing_ok=True)
    start = time.monotonic()
    proc = playbook(book, "-i", str(inventory), timeout=240,
                    ANSIBLE_PIPELINING="1" if WAY == "pipelining" else "0",
                    ANSIBLE_CALLBACK_PLUGINS=str(REPO / "bench" / "callback_plugins"),
                    ANSIBLE_CALLBACKS_ENABLED="task_timer", TASK_TIMER_FILE=str(timer))
    wall = time.monotonic() - start
    after = len(marked({marker})[marker])
    records_left = user_records(farm, host, USER)
    rows = read_rows(timer)
    task = next((r for r in rows if r["task"] == "Log off"), {})
    executions = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    for index, execution in enumerate(executions):
        # With pipelining the module comes on stdin, not as a file name: a logoff without a
        # notice executes the enumeration, then the logoff (docs/performance.md).
        if execution["module"] == "-" and index < 2:
            execution["module"] = ("AnsiballZ_session_info.py", "AnsiballZ_session_logoff.py")[index]
    end_sessions(clients, marker)
    result = {"n": n, "rc": proc.returncode, "open_seconds": round(opened, 1), "processes_before": before,
              "playbook_wall_seconds": round(wall, 2), "task_seconds": task.get("seconds"),
              "logged_off": task.get("logged_off"), "slowest_exit_seconds": task.get("slowest"),
              "processes_left": after, "utmp_records_left": records_left, "executions": executions,
              "tail": (proc.stdout + proc.stderr)[-2000:] if proc.returncode else ""}
    logoff = [e for e in executions if "session_logoff" in e["module"]]
    result["module_max_rss_mib"] = round(max((e["maxrss_kib"] for e in executions), default=0) / 1024, 1)
    result["module_cpu_seconds"] = round(sum(e["user"] + e["system"] for e in executions), 2)
    result["logoff_execution_wall_seconds"] = logoff[-1]["wall"] if logoff else None
    if task.get("epoch_start") and len(executions) == 2:
        # Where the task's time goes: controller + ssh + module transfer before, between and
        # after the two target executions (the interpreter wrapper's own start is in them).
        first, second = executions
        result["breakdown_seconds"] = {
            "before_enumeration": round(first["epoch_start"] - task["epoch_start"], 2),
            "enumeration": first["wall"],
            "between": round(second["epoch_start"] - first["epoch_end"], 2),
            "logoff": second["wall"],
            "after_logoff": round(task["epoch_end"] - second["epoch_end"], 2)}
    if task.get("seconds") is not None and task.get("slowest") is not None:
        result["over_slowest_exit_seconds"] = round(task["seconds"] - task["slowest"], 2)
        result["within_target"] = result["over_slowest_exit_seconds"] <= TARGET_MARGIN
    return result


def markdown(data: dict[str, t.Any]) -> str:
    lines = [f"# Load held on one host ({data['date'][:10]})", "",
             f"One utmp farm host (own PID namespace, sshd on 127.0.0.11), {data['cores']} cores. N real "
             f"`ssh -tt` sessions of `{USER}` (shells exit {EXIT_DELAY:g} s after a hang-up), logged off by one "
             f"`termserv.sessions.session_logoff` task ({HOW[data['way']]}). Task = task timer, task start to "
             "result; slowest exit = the largest `elapsed` the module reported; memory and CPU = the module "
             "executions on the target (getrusage of the interpreter's child: peak RSS of the largest, CPU "
             "of all).", "",
             "| sessions | task (s) | slowest exit (s) | over it (s) | logoff execution (s) | peak RSS (MiB) "
             "| CPU (s) | left | bystanders alive | rc |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in data["rounds"]:
        lines.append(f"| {r['n']} | {r['task_seconds']} | {r['slowest_exit_seconds']} | "
                     f"{r.get('over_slowest_exit_seconds')} | {r['logoff_execution_wall_seconds']} | "
                     f"{r['module_max_rss_mib']} | {r['module_cpu_seconds']} | "
                     f"{r['processes_left']} proc, {r['utmp_records_left']} utmp | "
                     f"session {r['bystander_alive']}, process {r['outside_alive']} | {r['rc']} |")
    lines += ["", f"Target (issue 14): the task within the slowest exit + {TARGET_MARGIN:g} s.", "",
              "Where the task's time goes (s): before the enumeration (controller, ssh, module transfer), "
              "the enumeration, between (controller: selection; ssh, transfer), the logoff execution, after:", ""]
    for r in data["rounds"]:
        parts = r.get("breakdown_seconds")
        if parts:
            lines.append(f"* N={r['n']}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in parts.items()))
    lines += ["",
              "Module executions (wall, peak RSS, CPU):", ""]
    for r in data["rounds"]:
        lines.append(f"* N={r['n']}: " + "; ".join(
            f"{e['module'].replace('AnsiballZ_', '').replace('.py', '')} {e['wall']} s, "
            f"{e['maxrss_kib'] / 1024:.1f} MiB, {e['user'] + e['system']:.2f} s CPU" for e in r["executions"]))
    return "\n".join(lines) + "\n"


def main() -> int:
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    farm = Farm()
    farm.down()
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / "load-rusage.jsonl"
    wrapper = WORK / "rusage-python3"
    wrapper.write_text(WRAPPER.replace("open(LOG,", f"open({str(log)!r},"))
    wrapper.chmod(0o755)
    if WAY not in ("defaults", "pipelining"):
        raise SystemExit(f"BENCH_LOAD_WAY={WAY!r}: expected defaults or pipelining")
    data: dict[str, t.Any] = {"way": WAY, "exit_delay": EXIT_DELAY, "cores": os.cpu_count(),
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rounds": []}
    clients: list[subprocess.Popen] = []
    failed = False
    try:
        farm.up(utmp=1, systemd=0, timeout=60)
        host = sorted(farm.hosts())[0]
        inventory = WORK / "load-inventory.ini"
        inventory.write_text(farm.write_inventory().read_text().replace(
            "ansible_python_interpreter=/usr/bin/python3", f"ansible_python_interpreter={wrapper}"))
        bystander = farm.open(host, BYSTANDER, 1, behaviour="normal", timeout=30)[0]
        outside = secrets.token_hex(8)
        outside_process(farm, host, outside)
        with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
            for n in SIZES:
                result = round_n(farm, host, inventory, n, log, Path(tmp), clients)
                result["bystander_alive"] = farm.alive(bystander) and user_records(farm, host, BYSTANDER) == 1
                result["outside_alive"] = len(marked({outside})[outside]) == 1
                data["rounds"].append(result)
                failed |= bool(result["rc"] or result["processes_left"] or result["utmp_records_left"]
                               or not result["bystander_alive"] or not result["outside_alive"])
                print(f"load {n}: rc {result['rc']} task {result['task_seconds']} s, slowest exit "
                      f"{result['slowest_exit_seconds']} s, peak RSS {result['module_max_rss_mib']} MiB, "
                      f"CPU {result['module_cpu_seconds']} s, left {result['processes_left']}, bystanders "
                      f"{result['bystander_alive']}/{result['outside_alive']} (opened in "
                      f"{result['open_seconds']} s)", flush=True)
                if result["rc"]:
                    print(result["tail"], file=sys.stderr)
    finally:
        for client in clients:  # a round that failed half-way: its ssh clients, by PID
            if client.poll() is None:
                client.kill()
                client.wait(timeout=10)
        farm.down()
        left = farm.leftovers()
        if left:
            print("farm mounts left:", left, file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "load" if WAY == "defaults" else f"load-{WAY}"
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(data))
    print(markdown(data))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
