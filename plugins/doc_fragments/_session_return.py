# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Internal options shared by the target modules. PRIVATE to the collection."""
from __future__ import annotations


class ModuleDocFragment:
    TARGETS = r"""
options:
  _targets:
    description:
      - Internal use only, set by the action plugin. Setting it in a task is an error.
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
      - Internal use only, set by the action plugin from O(timeout) and O(wait).
    type: float
    default: 60.0
  _term_after:
    description:
      - Internal use only, set by the action plugin from O(timeout). Linux only.
    type: float
    default: 10.0
  _kill_after:
    description:
      - Internal use only, set by the action plugin from O(timeout). Linux only.
    type: float
    default: 20.0
"""

    # Added by the Linux hardening work (issues 11.9, 12, 17); INTERFACES.md describes them.
    INFO_INTERNAL = r"""
options:
  _controller:
    description:
      - Internal use only, set by the action plugin. Setting it in a task is an error.
      - The controller's own identity (C(machine_id), C(audit_session), C(tty)); on a host
        with the same machine-id, the session the controller runs in is reported in
        C(own_session_ids).
    type: dict
  _processes:
    description:
      - Internal use only, set by the action plugin. Setting it in a task is an error.
      - Give each session its C(processes).
    type: bool
    default: false
"""

    AUDIT_INTERNAL = r"""
options:
  _audit:
    description:
      - Internal use only, set by the action plugin. Setting it in a task is an error.
      - Who asked (C(requester), C(run_id)); when set, one audit record per action is
        written on the host (syslog/journald identifier C(termserv.sessions)).
    type: dict
"""
