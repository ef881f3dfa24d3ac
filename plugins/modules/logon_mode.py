#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: logon_mode
short_description: Allow, drain or disable new user logons
version_added: 0.1.0
description:
  - Sets whether users can log on, as C(change logon) does on a Windows Remote Desktop
    Session Host, and returns the RV(previous_state) so that a play can restore it.
  - "On Windows: V(enabled) allows logons (C(change logon /enable)); V(drain) refuses new
    logons but lets users reconnect to their sessions (C(/drain)); V(drain_until_restart)
    does the same until the next restart (C(/drainuntilrestart)); V(disabled) refuses new
    logons and reconnections (C(/disable))."
  - "On Linux the files of C(pam_nologin) are used: V(drain) and V(disabled) write
    C(/etc/nologin), V(drain_until_restart) writes C(/run/nologin), which a restart removes;
    V(enabled) removes both. While one exists every non-root login is refused and shown
    O(msg). Linux has no reconnection, so V(drain) and V(disabled) refuse the same logins."
  - The file is written atomically. A nologin file that this module did not write is only
    removed when O(state=enabled) is asked for.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes
  - termserv.sessions._attributes.action_group
  - termserv.sessions._attributes.platforms
attributes:
  check_mode:
    support: full
    details:
      - Reports the change and RV(previous_state) without writing anything.
  diff_mode:
    support: full
    details:
      - Shows the logon state (and on Linux the nologin text) before and after.
  idempotent:
    support: full
options:
  state:
    description: The logon mode to set.
    type: str
    required: true
    choices: [enabled, drain, drain_until_restart, disabled]
  msg:
    description:
      - Linux only, the text shown to users whose login is refused. A default text is used when omitted.
    type: str
seealso:
  - module: termserv.sessions.session_logoff
"""

EXAMPLES = r"""
- name: Refuse new logons during maintenance
  termserv.sessions.logon_mode:
    state: drain
    msg: Maintenance until 23:00. Please log on later.
  become: true
  register: logons

- name: Put back what was there before
  termserv.sessions.logon_mode:
    state: "{{ logons.previous_state }}"
  become: true
"""

RETURN = r"""
previous_state:
  description: The logon mode before this task, one of the O(state) choices.
  returned: success
  type: str
  sample: enabled
state:
  description: The logon mode after this task (in check mode, the one that would be set).
  returned: success
  type: str
  sample: drain
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.termserv.sessions.plugins.module_utils import _nologin
from ansible_collections.termserv.sessions.plugins.module_utils._spec import module_spec


def main() -> None:
    module = AnsibleModule(argument_spec=module_spec("logon_mode"), supports_check_mode=True)
    state, msg = module.params["state"], module.params["msg"]
    previous = _nologin.current_state()
    before_msg = _nologin.current_msg()
    todo = _nologin.plan(state, msg)
    changed = bool(todo["write"] or todo["remove"])
    result = {"changed": changed, "previous_state": previous, "state": state}
    if module._diff:
        after_msg = None if state == "enabled" else (todo["data"] or b"").decode() or before_msg
        result["diff"] = {"before": {"state": previous, "msg": before_msg},
                          "after": {"state": state, "msg": after_msg}}
    if changed and not module.check_mode:
        if os.geteuid() != 0:
            module.fail_json(msg="changing the logon mode needs root; run the task with become: true",
                             **result)
        try:
            _nologin.apply(todo)
        except OSError as exc:
            module.fail_json(msg=f"could not set logon mode {state}: {exc}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
