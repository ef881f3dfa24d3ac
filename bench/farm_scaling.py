# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost as the estate grows (issue 26 item 3): the role and Ansible's floor on 8, 16, 32 hosts.

The whole ``logoff_all`` playbook (bench/farm_logoff.py's way ``defaults``: forks = hosts,
``-e target=farm``, S real sessions of ``admin2`` on every host, 1 s exits), one
``session_logoff`` task alone (way ``task``, the same sessions: the module without the role)
and Ansible's floor (way ``ping``: a playbook of one ``ansible.builtin.ping`` task, no session) run on the
first H utmp farm hosts for each H, in interleaved rounds (sizes up, then down; the two ways
alternate first), so that a drift of the machine spreads over every size. Each run records
its wall time, the ``ansible-playbook`` tree's CPU (user + system, ssh ControlPersist
masters included; they are ended after each run so that every run opens its own
connections, as a fresh job does) and the hosts' own CPU (bench/cpu_account.py).

A least-squares line over (hosts, cost) per way and metric gives the marginal cost per
host (its slope) and the fixed cost (its intercept; bench/line_fit.py). Target: the role's
per-host marginal cost <= 2.5x the ping playbook's, in the same run. Writes
bench/results/scaling.json and scaling.md (bench/report.py plots them into
docs/farm-scaling.png). Run under the machine-wide lock:

    flock /work/.real-sessions.lock .venv/bin/python bench/farm_scaling.py
    BENCH_SCALING_HOSTS=8 BENCH_SCALING_ROUNDS=1 ...   (one size: how long a run takes)
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.farm_logoff import RESULTS, USER, WAY_TEXT, bring_down, print_run, run_way  # noqa: E402
from bench.line_fit import marginal_costs  # noqa: E402
from tests.farm.farm import Farm  # noqa: E402

SIZES = sorted({int(n) for n in os.environ.get("BENCH_SCALING_HOSTS", "8,16,32").split(",")})
SESSIONS = int(os.environ.get("BENCH_SCALING_SESSIONS", "2"))
ROUNDS = int(os.environ.get("BENCH_SCALING_ROUNDS", "2"))
# ping: Ansible's floor, one execution; task: one session_logoff task alone (its two
# executions, no role), what the role cannot go below; defaults: the whole playbook.
WAYS = os.environ.get("BENCH_SCALING_WAYS", "ping,task,defaults").split(",")
METRICS = {"wall_seconds": "wall (s)", "controller_cpu_seconds": "controller CPU (s)",
           "hosts_cpu_seconds": "hosts' CPU (s)"}
TARGET_RATIO = 2.5


def subset_inventory(text: str, hosts: t.Collection[str]) -> str:
    """The farm's inventory with only ``hosts`` in its groups (its vars unchanged)."""
    section = ""
    out = []
    for line in text.splitlines():
        if line.startswith("["):
            section = line
        elif line.strip() and ":vars" not in section and line.split()[0] not in hosts:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def ratios(costs: dict[str, dict[str, dict[str, float]]], way: str = "defaults") -> dict[str, float | None]:
    """Per metric: ``way``'s marginal cost per host (the role's by default) over the ping playbook's."""
    out: dict[str, float | None] = {}
    for metric in METRICS:
        floor = costs["ping"][metric]["per_host"]
        out[metric] = round(costs[way][metric]["per_host"] / floor, 2) if floor > 0 else None
    return out


def markdown(results: dict[str, t.Any]) -> str:
    costs, ratio = results["marginal"], results["ratio"]
    lines = [f"# Farm scaling benchmark ({results['date'][:10]})", "",
             f"{', '.join(map(str, results['sizes']))} utmp farm hosts, {results['rounds']} interleaved rounds; "
             f"`logoff_all`: {results['sessions_per_host']} real ssh sessions of `{USER}` per host (1 s exits); "
             f"forks = hosts; {results['cores']} cores shared by the controller and every host. "
             f"Farm up ({max(results['sizes'])} hosts): {results['farm_up_seconds']} s. "
             f"Controller CPU: {results['cpu_source']}.", "",
             "| round | hosts | way | wall (s) | controller CPU (s) | hosts' CPU (s) | sessions left | rc |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for run in results["runs"]:
        lines.append(f"| {run['round']} | {run['hosts']} | {run['way']} | {run['wall_seconds']} | "
                     f"{run['controller_cpu_seconds']} | {run['hosts_cpu_seconds']} | "
                     f"{run['sessions_left']} + {run['processes_left']} proc | {run['rc']} |")
    lines += ["", "Marginal cost per host (slope of the least-squares line over every run) and fixed cost "
              "(its intercept):", "",
              "| metric | ping per host | ping fixed | logoff_all per host | logoff_all fixed | ratio "
              f"(target <= {TARGET_RATIO:g}) |", "|---|---:|---:|---:|---:|---:|"]
    for metric, name in METRICS.items():
        ping, role = costs["ping"][metric], costs["defaults"][metric]
        held = "" if ratio[metric] is None else (" (met)" if ratio[metric] <= TARGET_RATIO else " (NOT met)")
        lines.append(f"| {name} | {ping['per_host']} | {ping['fixed']} | {role['per_host']} | {role['fixed']} | "
                     f"x{ratio[metric]}{held} |")
    if "task" in costs:
        lines += ["", "One `session_logoff` task alone (no role: its two executions per host), what no role "
                  "built on it can go below:", "",
                  "| metric | task per host | task fixed | task / ping | logoff_all / task |", "|---|---:|---:|---:|---:|"]
        for metric, name in METRICS.items():
            task = costs["task"][metric]
            over = round(costs["defaults"][metric]["per_host"] / task["per_host"], 2) if task["per_host"] > 0 else None
            lines.append(f"| {name} | {task['per_host']} | {task['fixed']} | x{results['ratio_task'][metric]} | "
                         f"x{over} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))  # leave through `finally`
    farm = Farm()
    farm.down()
    results: dict[str, t.Any] = {"sizes": SIZES, "rounds": ROUNDS, "sessions_per_host": SESSIONS,
                                 "cores": os.cpu_count(), "ways": {w: WAY_TEXT[w] for w in WAYS},
                                 "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": []}
    started = time.monotonic()
    try:
        up = time.monotonic()
        farm.up(utmp=max(SIZES), timeout=120)
        results["farm_up_seconds"] = round(time.monotonic() - up, 2)
        names = sorted(farm.hosts(), key=lambda name: int(farm.host(name)["addr"].rsplit(".", 1)[1]))
        full = farm.write_inventory().read_text()
        with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
            for number in range(ROUNDS):
                for size in SIZES if number % 2 == 0 else SIZES[::-1]:
                    hosts = names[:size]
                    inventory = Path(tmp) / f"inventory-{size}.ini"
                    inventory.write_text(subset_inventory(full, hosts))
                    for way in WAYS if (number + SIZES.index(size)) % 2 == 0 else WAYS[::-1]:
                        workdir = Path(tmp) / f"{number}-{size}-{way}"
                        workdir.mkdir()
                        run = run_way(farm, str(inventory), way, workdir, hosts=hosts, sessions=SESSIONS)
                        run.pop("rows")
                        results["runs"].append({"round": number + 1, **run})
                        print_run(f"scaling round {number + 1}, {size} hosts, {way}", run)
    finally:
        bring_down(farm)
    results["bench_seconds"] = round(time.monotonic() - started, 1)
    results["cpu_source"] = results["runs"][0]["cpu_source"] if results["runs"] else ""
    failed = any(r["rc"] or r["sessions_left"] or r["processes_left"] for r in results["runs"])
    if len(SIZES) > 1:
        results["marginal"] = marginal_costs(results["runs"], WAYS, METRICS)
        results["ratio"] = ratios(results["marginal"])
        if "task" in WAYS:
            results["ratio_task"] = ratios(results["marginal"], "task")
    RESULTS.mkdir(parents=True, exist_ok=True)
    # one size (a probe of how long a run takes) has no slope: kept apart from the real figures
    name = "scaling.json" if "marginal" in results else f"scaling-{SIZES[0]}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=1) + "\n")
    if "marginal" in results:
        (RESULTS / "scaling.md").write_text(markdown(results))
        print(markdown(results))
    print(f"farm scaling: {results['bench_seconds']} s in all", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
