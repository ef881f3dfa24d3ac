# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What bench/callback_plugins/task_timer.py wrote: its rows, and the slowest host per task."""
from __future__ import annotations

import json
import typing as t
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, t.Any]]:
    """One row per task and host; none when the playbook never got to write the file."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def per_task(rows: t.Iterable[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Per task: its action, how many hosts ran (and skipped) it, and the slowest host's
    seconds, queued (controller before that host's worker) and run (worker to result)."""
    tasks: dict[str, dict[str, t.Any]] = {}
    for row in rows:
        entry = tasks.setdefault(row["task"], {"action": row["action"], "hosts": 0, "skipped": 0,
                                               "max_seconds": 0.0, "max_queued": 0.0, "max_run": 0.0})
        entry["hosts"] += 1
        entry["skipped"] += row["status"] == "skipped"
        for key in ("seconds", "queued", "run"):
            entry[f"max_{key}"] = round(max(entry[f"max_{key}"], row[key]), 3)
    return tasks
