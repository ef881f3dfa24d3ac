# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: save what each task with ``register`` returned, per host, as JSON.

The farm tests read the role's registered results. A play of our own after the role can
save them only for the hosts still in the run: a host the role FAILED on takes no part in
later plays, and clearing its error would change the run's outcome. This callback sees
every task result (ok, failed, skipped, unreachable) without changing anything; at the end
it writes {host: {register name: result}} to $TERMSERV_SAVE_REGISTERED.
"""
from __future__ import annotations

import json
import os
import typing as t

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: save_registered
type: aggregate
short_description: Save registered task results per host as JSON (termserv.sessions tests)
description:
  - "Writes C({host: {register name: result}}) to the file named by E(TERMSERV_SAVE_REGISTERED)."
requirements:
  - enabled with E(ANSIBLE_CALLBACKS_ENABLED)
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "save_registered"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[str, dict[str, t.Any]] = {}

    def _save(self, result: t.Any, failed: bool = False) -> None:
        task = getattr(result, "task", None) or result._task
        name = getattr(task, "register", None)
        if not name:
            return
        host = (getattr(result, "host", None) or result._host).get_name()
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        # Through the callback's own serialiser: internal keys stripped, tagged values plain.
        saved = json.loads(self._dump_results(data))
        if failed:  # the registered variable says so; the result handed to callbacks may not
            saved["failed"] = True
        self.saved.setdefault(host, {})[name] = saved

    def v2_runner_on_ok(self, result: t.Any) -> None:
        self._save(result)

    def v2_runner_on_failed(self, result: t.Any, ignore_errors: bool = False) -> None:
        self._save(result, failed=True)

    def v2_runner_on_skipped(self, result: t.Any) -> None:
        self._save(result)

    def v2_runner_on_unreachable(self, result: t.Any) -> None:
        self._save(result)

    def v2_playbook_on_stats(self, stats: t.Any) -> None:
        path = os.environ.get("TERMSERV_SAVE_REGISTERED")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.saved, handle)
