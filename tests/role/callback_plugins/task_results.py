# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: every task result as JSON lines in $TERMSERV_TASK_RESULTS.

The role scenarios assert on what the role's tasks registered (issue 13 item 8), not on
the text a stdout callback prints. A line is written as each task ends, so a run that is
interrupted or killed still leaves what it did before.
"""
from __future__ import annotations

import json
import os
import typing as t

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_results
type: aggregate
short_description: write every task result as a JSON line (tests only)
description: Writes one JSON line per task result to the file named by TERMSERV_TASK_RESULTS.
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status: str, result: t.Any) -> None:
        path = os.environ.get("TERMSERV_TASK_RESULTS")
        if not path:
            return
        line = {"task": result.task_name, "host": result._host.get_name(), "status": status,
                "result": result._result}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._write("ok", result)

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._write("failed", result)

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._write("skipped", result)
