# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of termserv.sessions.session_message: select here, write on the host."""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _args, _flow
from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction


class ActionModule(SessionAction):
    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        opts = _args.message_options(self._task.args)
        return _flow.message(opts, self.run_target(windows, task_vars), windows,
                             check_mode=bool(self._task.check_mode), stop=self.stop,
                             audit=self.audit(opts.audit, task_vars))
