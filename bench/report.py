# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of `make bench`: one short table of every figure, and the farm/load plot.

Reads bench/results/results.json (bench/linux_logoff.py), farm.json (bench/farm_logoff.py),
load.json / load-pipelining.json (bench/load_logoff.py) and scaling.json (bench/farm_scaling.py),
whichever exist; writes bench/results/farm-load.png, docs/farm-scaling.png (bench/scaling_plot.py)
and bench/results/summary.md, and prints the summary. Opens no session: no lock needed.
"""
from __future__ import annotations

import json
import sys
import typing as t
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.scaling_plot import plot_scaling  # noqa: E402  pylint: disable=wrong-import-position

RESULTS = REPO / "bench" / "results"


def load(name: str) -> dict[str, t.Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def summary(single: dict | None, farm: dict | None, heavy: list[dict], scaling: dict | None = None) -> str:
    lines = ["# make bench: summary", ""]
    if single:
        lines += [f"One host, N sessions x {single['exit_delay_s']:g} s exit (sandbox, sequential loop vs one "
                  "session_logoff task):", "",
                  "| N | batch-file loop (s) | session_logoff task (s) | slowest exit (s) | speed-up |",
                  "|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['n']} | {r['sequential_s']} | {r['module_task_s']} | {r['module_slowest_session_s']} | "
                  f"x{r['speedup']} |" for r in single["linux"]]
        lines.append("")
    if farm:
        limit = farm["physical_limit_seconds"]
        loop = next((r["wall_seconds"] for r in farm["runs"] if r["way"] == "loop"), None)
        lines += [f"Farm, {farm['hosts']} hosts x {farm['sessions_per_host']} sessions, whole playbook "
                  f"(physical limit: slowest exit {limit} s; target defaults <= {limit + 3:.2f} s):", "",
                  "| way | forks | wall (s) | over its slowest exit (s) | vs loop | left |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in farm["runs"]:
            floor = r["way"] in ("ping", "ping2")  # Ansible itself, no session: bench/farm_logoff.py
            ratio = f"x{loop / r['wall_seconds']:.1f}" if loop and r["way"] != "loop" and not floor else ""
            # that run's own slowest exit
            over = "" if floor else f"{r['wall_seconds'] - (r.get('slowest_exit_seconds') or limit):+.2f}"
            lines.append(f"| {r['way']} | {r['forks']} | {r['wall_seconds']} | {over} | "
                         f"{ratio} | {r['sessions_left']} |")
        lines.append("")
        if farm.get("floor_seconds"):
            lines += [f"Ansible's floor: two `ping` tasks + slowest exit = {farm['floor_seconds']} s (one `ping`: "
                      f"{farm['floor_one_seconds']} s); session_logoff executes its target twice.", ""]
    if heavy:
        lines += ["Load on one farm host, one session_logoff task (target: task <= slowest exit + 2 s):", "",
                  "| way | N | task (s) | slowest exit (s) | over (s) | peak RSS (MiB) | CPU (s) | left "
                  "| others untouched |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in [dict(r, way=h.get("way", "defaults")) for h in heavy for r in h["rounds"]]:
            lines.append(f"| {r['way']} | {r['n']} | {r['task_seconds']} | {r['slowest_exit_seconds']} | "
                         f"{r.get('over_slowest_exit_seconds')} | {r['module_max_rss_mib']} | "
                         f"{r['module_cpu_seconds']} | {r['processes_left']} | "
                         f"{'yes' if r['bystander_alive'] and r['outside_alive'] else 'NO'} |")
        lines.append("")
    if scaling and scaling.get("marginal"):
        lines += [f"Farm scaling, {'/'.join(map(str, scaling['sizes']))} hosts, marginal cost per host "
                  "(slope over every run; target: logoff_all <= 2.5x ping):", "",
                  "| metric | ping (s/host) | logoff_all (s/host) | ratio |", "|---|---:|---:|---:|"]
        lines += [f"| {metric} | {scaling['marginal']['ping'][metric]['per_host']} | "
                  f"{scaling['marginal']['defaults'][metric]['per_host']} | x{ratio} |"
                  for metric, ratio in scaling["ratio"].items()]
        lines.append("")
    return "\n".join(lines)


def plot(farm: dict | None, heavy: list[dict], scaling: dict | None = None) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
        return
    if scaling and scaling.get("marginal"):
        plot_scaling(scaling, plt)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    if farm:
        runs = farm["runs"]
        limit = farm["physical_limit_seconds"]
        names = [r["way"] for r in runs]
        left.bar(names, [r["wall_seconds"] for r in runs],
                 color=["tab:gray" if n == "loop" else "tab:orange" if n in ("ping", "ping2") else "tab:blue"
                        for n in names])
        left.axhline(limit, color="tab:red", label=f"physical limit: slowest exit ({limit} s)")
        left.axhline(limit + 3, color="tab:red", linestyle="--", label="target: slowest exit + 3 s")
        if farm.get("floor_seconds"):
            left.axhline(farm["floor_seconds"], color="tab:orange", linestyle=":",
                         label="Ansible's floor: 2 pings + slowest exit")
        left.set_title(f"Farm: {farm['hosts']} hosts x {farm['sessions_per_host']} sessions, whole playbook")
        left.set_ylabel("seconds")
        left.tick_params(axis="x", labelrotation=30)
        left.legend(fontsize=8)
    if heavy:
        for index, data in enumerate(heavy):
            rounds = data["rounds"]
            way = data.get("way", "defaults")
            sizes = [r["n"] for r in rounds]
            slowest = [r["slowest_exit_seconds"] or 0 for r in rounds]
            right.plot(sizes, [r["task_seconds"] or 0 for r in rounds], "o-" if index == 0 else "o--",
                       color="tab:blue", label=f"session_logoff task ({way})")
            right.plot(sizes, [r["logoff_execution_wall_seconds"] or 0 for r in rounds],
                       "s-" if index == 0 else "s--", color="tab:purple",
                       label=f"its logoff execution on the target ({way})")
            if index == 0:
                right.plot(sizes, slowest, "o-", color="tab:red", label="physical limit: slowest exit")
                right.plot(sizes, [s + 2 for s in slowest], "--", color="tab:red",
                           label="target: slowest exit + 2 s")
        right.set_title("Load on one host (1 s exits)")
        right.set_xlabel("sessions")
        right.set_ylabel("seconds")
        right.set_ylim(bottom=0)
        right.legend(fontsize=7, loc="upper left")
        mem = right.twinx()
        mem.plot([r["n"] for r in heavy[0]["rounds"]], [r["module_max_rss_mib"] for r in heavy[0]["rounds"]],
                 "^:", color="tab:green")
        mem.set_ylabel("module peak RSS (MiB, green)")
        mem.set_ylim(0, 64)
    fig.tight_layout()
    fig.savefig(RESULTS / "farm-load.png", dpi=100)


def main() -> int:
    single, farm = load("results.json"), load("farm.json")
    heavy = [data for data in (load("load.json"), load("load-pipelining.json")) if data]
    scaling = load("scaling.json")
    text = summary(single, farm, heavy, scaling)
    (RESULTS / "summary.md").write_text(text + "\n")
    plot(farm, heavy, scaling)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
