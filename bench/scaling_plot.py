# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plot of bench/farm_scaling.py's figures, for docs/performance.md: docs/farm-scaling.png.

Every run as a point and each way's fitted line (slope = marginal cost per host), wall time
on the left, CPU seconds on the right. Called by bench/report.py; opens no session.
"""
from __future__ import annotations

import typing as t
from pathlib import Path

PNG = Path(__file__).resolve().parents[1] / "docs" / "farm-scaling.png"
COLOURS = {"ping": "tab:orange", "task": "tab:green", "defaults": "tab:blue"}
NAMES = {"ping": "ping playbook", "task": "one session_logoff task", "defaults": "logoff_all"}


def plot_scaling(data: dict[str, t.Any], plt: t.Any) -> Path:
    """Draw ``data`` (bench/results/scaling.json) with matplotlib's ``plt``; the PNG's path."""
    fig, (wall, cpu) = plt.subplots(1, 2, figsize=(11, 4.2))
    sizes = data["sizes"]
    span = [0, max(sizes)]
    panels = ((wall, [("wall_seconds", "o", "-")]),
              (cpu, [("controller_cpu_seconds", "s", "-"), ("hosts_cpu_seconds", "^", ":")]))
    for axis, metrics in panels:
        for way, colour in COLOURS.items():
            if way not in data["marginal"]:  # an older run without that way
                continue
            runs = [run for run in data["runs"] if run["way"] == way and not run["rc"]]
            for metric, marker, style in metrics:
                line = data["marginal"][way][metric]
                where = "" if metric == "wall_seconds" else (
                    "controller, " if metric.startswith("controller") else "hosts, ")
                axis.plot([run["hosts"] for run in runs], [run[metric] for run in runs], marker, color=colour,
                          alpha=0.6)
                axis.plot(span, [line["fixed"] + line["per_host"] * x for x in span], style, color=colour,
                          label=f"{NAMES[way]} ({where}{line['per_host']:.3f} s/host)")
        axis.set_xlabel("farm hosts (forks = hosts)")
        axis.set_xticks([0, *sizes])
        axis.set_ylim(bottom=0)
        axis.legend(fontsize=8, loc="upper left")
    ratio = data["ratio"]
    wall.set_ylabel("seconds, whole ansible-playbook run")
    wall.set_title(f"Wall time: logoff_all / ping per host = x{ratio['wall_seconds']}")
    cpu.set_ylabel("CPU seconds (user + system)")
    cpu.set_title(f"CPU: controller x{ratio['controller_cpu_seconds']}, hosts x{ratio['hosts_cpu_seconds']}")
    fig.suptitle(f"{data['cores']} cores shared by the controller and every host, {data['date'][:10]} "
                 f"(target: logoff_all per host <= 2.5x ping's)", fontsize=9)
    fig.tight_layout()
    fig.savefig(PNG, dpi=100)
    plt.close(fig)
    return PNG
