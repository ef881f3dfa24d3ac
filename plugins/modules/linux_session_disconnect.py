#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linux_session_disconnect
short_description: Linux target of termserv.sessions.session_disconnect
version_added: 0.2.0
description:
  - Use M(termserv.sessions.session_disconnect); this is its Linux target, run by its action plugin,
    which validates the options and decides what to act on. It takes only the internal
    options that action plugin sends; any other option is an error naming M(termserv.sessions.session_disconnect).
  - "Disconnects the xrdp sessions in O(_targets) by ending xrdp's process for the client's
    connection (positively identified; the session lives on, disconnected); answers
    V(cannot_disconnect) for every other session (ssh, tty)."
  - Once the controller is gone (the module's output is no longer read, or a process of its
    ancestry ended) nothing more is signalled; the sessions not reached are V(abandoned).
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes.linux_target
  - termserv.sessions._attributes
  - termserv.sessions._session_return.targets
  - termserv.sessions._session_return.audit
options:
  _timeout:
    description:
      - Internal use only, set by the action plugin from
        O(termserv.sessions.session_disconnect#module:timeout).
    type: float
    default: 60.0
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing.
seealso:
  - module: termserv.sessions.session_disconnect
"""

EXAMPLES = r"""
- name: Use termserv.sessions.session_disconnect, which runs this module on Linux hosts
  termserv.sessions.session_disconnect:
    min_idle: 2h
"""

RETURN = r"""
results:
  description:
    - One result per session in O(_targets) (C(id), C(result), C(error), C(error_code)); see the
      collection's docs/design.md.
  returned: always
  type: list
  elements: dict
audit_warning:
  description: Why an audit record could not be written; the action was done.
  returned: when O(_audit) was set and writing failed
  type: str
"""

from ansible_collections.termserv.sessions.plugins.module_utils import _lifeline, _linux_audit, _linux_disconnect
from ansible_collections.termserv.sessions.plugins.module_utils._target import acting_target


def main() -> None:
    lifeline = _lifeline.start()
    module = acting_target("session_disconnect", needs_root="disconnecting other users' sessions")
    params = module.params
    try:
        # Only xrdp sessions can be disconnected (xrdp's connection process is ended, the
        # session lives on); every other session is answered cannot_disconnect.
        results = _linux_disconnect.disconnect(params["_targets"], float(params["_timeout"]),
                                               lifeline=lifeline)
    except Exception as exc:  # noqa: BLE001 - reported, not a traceback
        module.fail_json(msg=f"could not disconnect: {exc}")
    # A session that was already disconnected is neither audited nor a change.
    _linux_audit.audit_and_exit(module, "disconnect", results, {"disconnected"},
                                audited=[r for r in results if not r.get("already")])


if __name__ == "__main__":
    main()
