# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of termserv.sessions.session_disconnect: the sequence is in _disconnect."""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _disconnect
from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction


class ActionModule(SessionAction):
    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        opts = _disconnect.options(self._task.args)
        result = _disconnect.disconnect(opts, self.run_target(windows, task_vars), windows,
                                        check_mode=bool(self._task.check_mode), stop=self.stop,
                                        audit=self.audit(opts.audit, task_vars))
        if not self._task.diff:
            result.pop("diff", None)
        return result
