#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linux_session_info
short_description: Linux target of termserv.sessions.session_info
version_added: 0.2.0
description:
  - Use M(termserv.sessions.session_info); this is its Linux target, run by its action plugin,
    which validates the options and decides what to act on. It takes only the internal
    options that action plugin sends; any other option is an error naming M(termserv.sessions.session_info).
  - Every session of the host, unfiltered (C(sessions), each with C(pid), and C(processes) when
    O(_processes) is set, and C(controller) on the controller's other connections), the
    sessions the task itself runs in (C(own_session_ids)), C(backend)
    (V(logind) or V(utmp)) and C(is_admin). The action plugin selects.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes.linux_target
  - termserv.sessions._attributes
  - termserv.sessions._session_return.info_internal
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing.
seealso:
  - module: termserv.sessions.session_info
"""

EXAMPLES = r"""
- name: Use termserv.sessions.session_info, which runs this module on Linux hosts
  termserv.sessions.session_info:
    users:
      - alice
"""

RETURN = r"""
sessions:
  description: Every session of the host, unfiltered; see the collection's docs/design.md.
  returned: success
  type: list
  elements: dict
own_session_ids:
  description: The ids of the sessions this task runs in (never selected by the controller).
  returned: success
  type: list
  elements: str
backend:
  description: V(logind) or V(utmp).
  returned: success
  type: str
is_admin:
  description: Whether the module runs as root.
  returned: success
  type: bool
unreadable:
  description:
    - What the module could not read about other users' sessions because it does not run
      as root (empty as root); also given as a warning.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions, _procfs
from ansible_collections.termserv.sessions.plugins.module_utils._target import target_module


def main() -> None:
    module = target_module("session_info")
    try:
        warnings: list[str] = []
        backend, sessions = _linux_sessions.enumerate_sessions(warnings=warnings)
        unreadable = _procfs.unreadable_facts()
        if unreadable:  # issue 22 item 10: a preview without root says what it could not see
            warnings.append("not running as root, so these could not be read and the real run "
                            "(with become) may select differently: " + "; ".join(unreadable))
        for warning in warnings:  # issue 22 item 9: seeing nothing is not "no sessions"
            module.warn(warning)
        own, others = _linux_sessions.own_and_controller_ids(
            sessions, backend, controller=module.params.get("_controller"))
        # Issue 23 item 8: the controller's other connections, skipped as controller_session.
        for session in sessions:
            if str(session["id"]) in others:
                session["controller"] = True
        if module.params.get("_processes"):
            _linux_sessions.add_processes(sessions, backend)
    except Exception as exc:  # noqa: BLE001 - any failure to read is reported, not a traceback
        module.fail_json(msg=f"could not enumerate sessions: {exc}")
    module.exit_json(changed=False, sessions=sessions, own_session_ids=own, backend=backend,
                     is_admin=_linux_sessions.is_admin(), unreadable=unreadable)


if __name__ == "__main__":
    main()
