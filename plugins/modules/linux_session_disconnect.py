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
  - "Answers V(cannot_disconnect) for every session in O(_targets): Linux sessions cannot be
    disconnected yet, and the controller already skips them."
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
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
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The action plugin decides; this module acts only on what it is given.
  platform:
    support: full
    platforms: posix
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

from ansible_collections.termserv.sessions.plugins.module_utils._target import target_module

# Said for every session given: Linux has no proven way to end only the client connection
# of a session (xrdp) while the session lives on, and ssh/tty sessions have none at all.
# The controller already skips every Linux session; this answers a caller that did not.
UNSUPPORTED = ("Linux: disconnecting is not yet supported; the session was left alone")


def main() -> None:
    module = target_module("session_disconnect")
    results = [{"id": str(target.get("id")), "result": "cannot_disconnect", "error": UNSUPPORTED,
                "error_code": 0} for target in module.params["_targets"]]
    module.exit_json(changed=False, results=results)


if __name__ == "__main__":
    main()
