# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of termserv.sessions.session_info: enumerate on the host, filter here."""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _args, _flow
from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction


class ActionModule(SessionAction):
    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        opts = _args.info_options(self._task.args)
        return _flow.info(opts, self.run_target(windows, task_vars), windows)
