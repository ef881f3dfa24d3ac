# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of termserv.sessions.logon_mode: validate, then run the Linux or Windows code."""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.module_utils._spec import LOGON_MODE_SPEC
from ansible_collections.termserv.sessions.plugins.plugin_utils import _args, _logon_mode
from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction


class ActionModule(SessionAction):
    _VALID_ARGS = frozenset(LOGON_MODE_SPEC)

    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        params = _args.validate("logon_mode", self._task.args)
        result = self.run_target(windows, task_vars)("logon_mode", params)
        result.pop("invocation", None)
        if windows and not result.get("failed"):
            # The Windows module returns raw registry values; what they mean is decided here.
            result = _logon_mode.windows_result(params["state"], result,
                                                check_mode=bool(self._task.check_mode))
        if not self._task.diff:
            result.pop("diff", None)
        return result
