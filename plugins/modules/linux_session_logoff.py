#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linux_session_logoff
short_description: Linux target of termserv.sessions.session_logoff
version_added: 0.2.0
description:
  - Use M(termserv.sessions.session_logoff); this is its Linux target, run by its action plugin,
    which validates the options and decides what to act on. It takes only the internal
    options that action plugin sends; any other option is an error naming M(termserv.sessions.session_logoff).
  - Logs off the sessions in O(_targets), in parallel, after re-checking each one's user, logon time
    and login process, escalating from SIGHUP to SIGTERM (after O(_term_after)) and SIGKILL (after
    O(_kill_after)) without logind, and waits up to O(_timeout) for each to end.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes.linux_target
  - termserv.sessions._attributes
  - termserv.sessions._session_return.targets
  - termserv.sessions._session_return.logoff_internal
  - termserv.sessions._session_return.audit
attributes:
  check_mode:
    support: full
    details:
      - Changes nothing in check mode.
seealso:
  - module: termserv.sessions.session_logoff
"""

EXAMPLES = r"""
- name: Use termserv.sessions.session_logoff, which runs this module on Linux hosts
  termserv.sessions.session_logoff:
    exclude_users:
      - admin
  become: true
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

from ansible_collections.termserv.sessions.plugins.module_utils import _lifeline, _linux_audit, _linux_logoff
from ansible_collections.termserv.sessions.plugins.module_utils._target import acting_target


def main() -> None:
    # First thing: who started us (issue 17). The escalation stops when that is gone.
    lifeline = _lifeline.start()
    module = acting_target("session_logoff", needs_root="logging off other users' sessions")
    params = module.params
    results = _linux_logoff.logoff(params["_targets"], params["_timeout"],
                                   params["_term_after"], params["_kill_after"], lifeline=lifeline,
                                   controller=params["_controller"])
    _linux_audit.audit_and_exit(module, "logoff", results, {"logged_off"})


if __name__ == "__main__":
    main()
