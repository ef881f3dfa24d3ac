# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal options shared by the target modules (linux_NAME, win_NAME). PRIVATE to the collection.

The user-facing modules do not take these; the targets take nothing else (issue 13 item 5).
"""
from __future__ import annotations


class ModuleDocFragment:
    TARGETS = r"""
options:
  _targets:
    description:
      - Internal use only, set by the action plugin.
      - The identities (C(id), C(user), C(domain), C(logon_time), C(pid), C(station)) of the
        sessions selected on the controller.
    type: list
    elements: dict
    default: []
"""

    LOGOFF_INTERNAL = r"""
options:
  _timeout:
    description:
      - Internal use only, set by the action plugin from O(termserv.sessions.session_logoff#module:timeout)
        and O(termserv.sessions.session_logoff#module:wait).
    type: float
    default: 60.0
  _term_after:
    description:
      - Internal use only, set by the action plugin from O(termserv.sessions.session_logoff#module:timeout).
    type: float
    default: 10.0
  _kill_after:
    description:
      - Internal use only, set by the action plugin from O(termserv.sessions.session_logoff#module:timeout).
    type: float
    default: 20.0
  _controller:
    description:
      - Internal use only, set by the action plugin.
      - The controller's own identity (C(machine_id), C(audit_session), C(tty), C(logind_session), C(user_manager_uid)); on the host
        whose machine-id it is, a selected session that matches it is refused like the task's own.
    type: dict
"""

    AUDIT = r"""
options:
  _audit:
    description:
      - Internal use only, set by the action plugin from the user-facing module's C(audit) option.
      - V(null) writes no audit record. Otherwise a dict with C(requester) (V(AWX job 123) or
        V(user@controller)) and C(run_id); the target records each action on the host.
    type: dict
"""

    INFO_INTERNAL = r"""
options:
  _processes:
    description:
      - Internal use only, set by the action plugin when O(termserv.sessions.session_info#module:exclude_processes)
        or O(termserv.sessions.session_info#module:include_processes) needs each session's processes.
    type: bool
    default: false
  _controller:
    description:
      - Internal use only, set by the action plugin.
      - The controller's own identity (C(machine_id), C(audit_session), C(tty), C(logind_session), C(user_manager_uid)); on the host
        whose machine-id it is, the matching session is protected like the task's own.
    type: dict
"""
