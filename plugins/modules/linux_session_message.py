#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linux_session_message
short_description: Linux target of termserv.sessions.session_message
version_added: 0.2.0
description:
  - Use M(termserv.sessions.session_message); this is its Linux target, run by its action plugin,
    which validates the options and decides what to act on. It takes only the internal
    options that action plugin sends; any other option is an error naming M(termserv.sessions.session_message).
  - Writes O(msg) under O(title) to the terminal of each session in O(_targets), after re-checking
    it, with control and format characters removed.
  - A graphical session gets a critical notification on its own D-Bus session bus instead,
    sent by a child process that runs as the session's user, all sessions at once and bounded
    in time (about 3 seconds).
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes.linux_target
  - termserv.sessions._attributes
  - termserv.sessions._session_return.targets
  - termserv.sessions._session_return.audit
options:
  msg:
    description:
      - Internal use only, set by the action plugin from the user-facing module's
        O(termserv.sessions.session_message#module:msg), already checked there.
    type: str
    required: true
  title:
    description:
      - Internal use only, set by the action plugin from
        O(termserv.sessions.session_message#module:title).
    type: str
    default: Message from your administrator
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing in check mode.
seealso:
  - module: termserv.sessions.session_message
"""

EXAMPLES = r"""
- name: Use termserv.sessions.session_message, which runs this module on Linux hosts
  termserv.sessions.session_message:
    msg: The server restarts at 22:00.
  become: true
"""

RETURN = r"""
results:
  description:
    - One result per session in O(_targets) (C(id), C(result), C(error), C(error_code)); see the
      collection's docs/design.md.
    - "Also C(via): V(terminal) or V(notification); for a notification C(bus) (the address used,
      null when none was found), C(notification_id) when the server took it, C(dbus_error)
      (the D-Bus error name) when the bus or the server refused. The action plugin turns these
      facts into the reasons of RV(termserv.sessions.session_message#module:skipped_sessions)."
  returned: always
  type: list
  elements: dict
audit_warning:
  description: Why an audit record could not be written; the action was done.
  returned: when O(_audit) was set and writing failed
  type: str
"""

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_audit, _linux_message
from ansible_collections.termserv.sessions.plugins.module_utils._target import acting_target


def main() -> None:
    module = acting_target("session_message")
    params = module.params
    results = _linux_message.message(params["_targets"], params["msg"], params["title"])
    _linux_audit.audit_and_exit(module, "notice", results, {"delivered"})


if __name__ == "__main__":
    main()
