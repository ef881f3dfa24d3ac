# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bench-only callback: write each task's wall time per host to $TASK_TIMER_FILE (JSON lines)."""
from __future__ import annotations

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Record task durations for the benchmarks
description:
  - Appends one JSON line per task result with the task name, host and seconds (from the
    task's start), C(queued) (task start to this host's worker start, the controller's time
    before the host's turn) and C(run) (this host's worker start to its result), and the
    result's status and action, so a run can be split per task, per host and controller
    vs target. For a result with C(logged_off) items, C(slowest) is the largest C(elapsed)
    the module reported (the slowest session's own exit) and C(logged_off) their number.
    C(epoch_start) and C(epoch_end) (task start and this result, wall clock) line a task up
    with what the target logged.
requirements:
  - enable in ansible.cfg or with ANSIBLE_CALLBACKS_ENABLED=task_timer
"""

import json
import os
import time
import typing as t

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._started: dict[str, float] = {}
        self._host_started: dict[tuple[str, str], float] = {}
        self._epoch: dict[str, float] = {}  # task start, wall clock: to line up with target-side logs

    def v2_playbook_on_task_start(self, task: t.Any, is_conditional: bool) -> None:
        self._started[task._uuid] = time.monotonic()
        self._epoch[task._uuid] = time.time()

    def v2_runner_on_start(self, host: t.Any, task: t.Any) -> None:
        self._host_started[(task._uuid, host.get_name())] = time.monotonic()

    def _record(self, result: t.Any, status: str) -> None:
        now = time.monotonic()
        started = self._started.get(result._task._uuid)
        path = os.environ.get("TASK_TIMER_FILE")
        if started is None or not path:
            return
        host = result._host.get_name()
        host_started = self._host_started.get((result._task._uuid, host), started)
        extra: dict[str, t.Any] = {}
        logged_off = result._result.get("logged_off") if isinstance(result._result, dict) else None
        if isinstance(logged_off, list) and logged_off:
            elapsed = [item.get("elapsed") for item in logged_off if isinstance(item, dict)]
            numbers = [float(e) for e in elapsed if isinstance(e, (int, float))]
            extra = {"logged_off": len(logged_off), "slowest": round(max(numbers), 3) if numbers else None}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"task": result._task.get_name(), "host": host,
                                     "action": result._task.action, "status": status,
                                     "seconds": round(now - started, 4),
                                     "queued": round(host_started - started, 4),
                                     "run": round(now - host_started, 4),
                                     "at": round(now, 4),
                                     "epoch_start": round(self._epoch.get(result._task._uuid, 0.0), 4),
                                     "epoch_end": round(time.time(), 4), **extra}) + "\n")

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._record(result, "skipped")
