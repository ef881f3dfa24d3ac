# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Farm benchmark (issue 10 item 5): H hosts x S real sessions whose shells take 1 s to exit.

Both ways run across the whole farm with ansible-playbook, hosts in parallel (forks = H):
  (a) the batch-file loop, as a ``shell`` task would run it on each host: for every session
      in ``who -u``, hang it up and wait until nothing runs on its terminal, then the next;
  (b) the logoff_all playbook (users: the test user), whole playbook wall time.
The physical limit is the slowest session's own exit (EXIT_DELAY). Run under the
machine-wide lock; writes bench/results/farm.json and farm.md.

    flock /work/.real-sessions.lock .venv/bin/python bench/farm_logoff.py
    BENCH_FARM_HOSTS=3 BENCH_FARM_SESSIONS=5 ...   (smaller)
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "build" / "collections"))

from tests.farm.farm import Farm  # noqa: E402
from tests.integration.ansible_run import playbook  # noqa: E402

HOSTS = int(os.environ.get("BENCH_FARM_HOSTS", "8"))
SESSIONS = int(os.environ.get("BENCH_FARM_SESSIONS", "25"))
SYSTEMD_HOSTS = int(os.environ.get("BENCH_FARM_SYSTEMD", "1"))
EXIT_DELAY = 1.0
USER = "admin2"
RESULTS = REPO / "bench" / "results"
LOOP = r"""
who -u | awk -v u="$USER_NAME" '$1 == u {print $2, $6}' | while read -r line pid; do
  kill -HUP "$pid" 2>/dev/null || true
  while ps -t "$line" -o pid= | grep -q .; do sleep 0.02; done
done
"""


def open_all(farm: Farm) -> list:
    handles = []
    for name in sorted(farm.hosts()):
        handles += farm.open(name, USER, SESSIONS, behaviour="slow_exit", exit_delay=EXIT_DELAY, timeout=90)
    return handles


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.monotonic()
    proc = playbook(*argv, timeout=600)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout + proc.stderr)
    return wall, proc.stdout


def main() -> int:
    farm = Farm()
    farm.down()
    results: dict = {"hosts": HOSTS, "sessions_per_host": SESSIONS, "exit_delay": EXIT_DELAY}
    try:
        farm.up(utmp=HOSTS - SYSTEMD_HOSTS, systemd=SYSTEMD_HOSTS, timeout=90)
        inventory = str(farm.write_inventory())
        forks = ["-f", str(HOSTS)]
        with tempfile.TemporaryDirectory(prefix="bench-farm-") as tmp:
            loop_book = Path(tmp) / "loop.yml"
            loop_book.write_text(yaml.safe_dump([{
                "name": "Batch-file loop on every host", "hosts": "farm", "gather_facts": False,
                "tasks": [{"name": "Log off one session at a time", "ansible.builtin.shell": LOOP,
                           "environment": {"USER_NAME": USER}}]}], sort_keys=False))
            handles = open_all(farm)
            wall, _out = timed([str(loop_book), "-i", inventory, *forks])
            left = sum(1 for h in handles if farm.alive(h))
            results["loop"] = {"wall_seconds": round(wall, 2), "sessions_left": left}
            for handle in handles:
                farm.close(handle)

            handles = open_all(farm)
            wall, _out = timed([str(REPO / "playbooks" / "logoff_all.yml"), "-i", inventory, *forks,
                                "-e", json.dumps({"target": "farm", "logoff_all_users": USER,
                                                  "logoff_all_timeout": "60"})])
            left = sum(1 for h in handles if farm.alive(h))
            results["logoff_all"] = {"wall_seconds": round(wall, 2), "sessions_left": left}
            for handle in handles:
                farm.close(handle)
    finally:
        farm.down()
    results["speedup"] = round(results["loop"]["wall_seconds"] / results["logoff_all"]["wall_seconds"], 1)
    results["physical_limit_seconds"] = EXIT_DELAY
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "farm.json").write_text(json.dumps(results, indent=1) + "\n")
    (RESULTS / "farm.md").write_text(
        f"# Farm benchmark\n\n{HOSTS} hosts ({SYSTEMD_HOSTS} systemd) x {SESSIONS} real sessions, "
        f"each shell exits {EXIT_DELAY:g} s after a hang-up; hosts in parallel (forks={HOSTS}).\n\n"
        "| way | whole playbook wall time (s) | sessions left |\n|---|---|---|\n"
        f"| batch-file loop per host (`shell`) | {results['loop']['wall_seconds']} | "
        f"{results['loop']['sessions_left']} |\n"
        f"| `logoff_all` playbook | {results['logoff_all']['wall_seconds']} | "
        f"{results['logoff_all']['sessions_left']} |\n\n"
        f"Speed-up {results['speedup']}x; physical limit: the slowest exit, {EXIT_DELAY:g} s.\n")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
