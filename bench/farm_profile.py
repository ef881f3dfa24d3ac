# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the logoff_all playbook's time goes (issue 14 item 1), on a small farm.

H utmp hosts x S real sessions whose shells take 1 s to exit. For each way of running
(Ansible's defaults, SSH pipelining, strategy free, and a one-task playbook as the floor),
open the sessions, run the playbook with the task timer callback, record the whole wall
time and every task's time per host (queued on the controller vs running for that host),
then close what is left. Run under the machine-wide lock; writes
bench/results/profile-LABEL.json.

    flock /work/.real-sessions.lock .venv/bin/python bench/farm_profile.py LABEL
    BENCH_PROFILE_HOSTS=4 BENCH_PROFILE_SESSIONS=10 BENCH_PROFILE_WAYS=defaults,pipelining ...

A way named ``old-WAY`` runs WAY with the collection in $BENCH_PROFILE_OLD (a directory
holding ansible_collections/termserv/sessions, e.g. ``git archive`` of an older commit),
so that before and after are measured in one run, interleaved, on the same machine.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "build" / "collections"))

from bench.task_times import per_task, read_rows  # noqa: E402
from tests.farm.farm import Farm  # noqa: E402
from tests.integration.ansible_run import playbook  # noqa: E402

HOSTS = int(os.environ.get("BENCH_PROFILE_HOSTS", "4"))
SESSIONS = int(os.environ.get("BENCH_PROFILE_SESSIONS", "10"))
WAYS = os.environ.get("BENCH_PROFILE_WAYS", "defaults,pipelining,free,floor").split(",")
EXIT_DELAY = 1.0
USER = "admin2"
RESULTS = REPO / "bench" / "results"
FLOOR = [{"name": "One session_logoff task (the floor)", "hosts": "farm", "gather_facts": False,
          "tasks": [{"name": "Log off", "termserv.sessions.session_logoff": {"users": USER, "timeout": 60}}]}]


def run_way(farm: Farm, inventory: str, way: str, tmp: Path, index: int) -> dict[str, t.Any]:
    handles = []
    for name in sorted(farm.hosts()):
        handles += farm.open(name, USER, SESSIONS, behaviour="slow_exit", exit_delay=EXIT_DELAY, timeout=90)
    name = way
    timer = tmp / f"{index}-{way}.jsonl"  # one file per run: a way may run more than once
    collection = REPO
    extra: dict[str, str] = {}
    if way.startswith("old-"):
        old = Path(os.environ["BENCH_PROFILE_OLD"])
        collection = old / "ansible_collections" / "termserv" / "sessions"
        extra["ANSIBLE_COLLECTIONS_PATH"] = str(old)
        way = way[len("old-"):]
    extra.update({"ANSIBLE_CALLBACK_PLUGINS": str(REPO / "bench" / "callback_plugins"),
                  "ANSIBLE_CALLBACKS_ENABLED": "task_timer", "TASK_TIMER_FILE": str(timer)})
    book = str(collection / "playbooks" / "logoff_all.yml")
    args = ["-i", inventory, "-f", str(HOSTS), "-e",
            json.dumps({"target": "farm", "logoff_all_users": USER, "logoff_all_timeout": "60"})]
    if way == "pipelining":
        extra["ANSIBLE_PIPELINING"] = "1"
    elif way == "free":
        extra["ANSIBLE_STRATEGY"] = "free"
    elif way == "floor":
        floor = tmp / "floor.yml"
        floor.write_text(yaml.safe_dump(FLOOR, sort_keys=False))
        book = str(floor)
    start = time.monotonic()
    proc = playbook(book, *args, timeout=600, **extra)
    wall = time.monotonic() - start
    left = sum(1 for h in handles if farm.alive(h))
    for handle in handles:
        farm.close(handle)
    rows = read_rows(timer)
    tasks = per_task(rows)
    return {"way": name, "rc": proc.returncode, "wall_seconds": round(wall, 2), "sessions_left": left,
            "tasks_seconds_sum": round(sum(v["max_seconds"] for v in tasks.values()), 2),
            "tasks": tasks, "rows": rows,
            "tail": (proc.stdout + proc.stderr)[-1500:] if proc.returncode else ""}


def main() -> int:
    label = sys.argv[1] if len(sys.argv) > 1 else "now"
    farm = Farm()
    farm.down()
    out: dict[str, t.Any] = {"label": label, "hosts": HOSTS, "sessions_per_host": SESSIONS,
                             "exit_delay": EXIT_DELAY, "runs": []}
    try:
        farm.up(utmp=HOSTS, systemd=0, timeout=90)
        inventory = str(farm.write_inventory())
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            for index, way in enumerate(WAYS):
                result = run_way(farm, inventory, way, Path(tmp), index)
                out["runs"].append(result)
                print(way, result["rc"], result["wall_seconds"], "left", result["sessions_left"], flush=True)
                for name, task in result["tasks"].items():
                    print(f"   {task['max_seconds']:6.2f} q{task['max_queued']:5.2f} r{task['max_run']:5.2f}"
                          f" {task['action'][:28]:28} {name[:70]}", flush=True)
    finally:
        farm.down()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"profile-{label}.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
