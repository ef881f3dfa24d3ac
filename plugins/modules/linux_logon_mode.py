#!/usr/bin/python
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: linux_logon_mode
short_description: Linux target of termserv.sessions.logon_mode
version_added: 0.2.0
description:
  - Use M(termserv.sessions.logon_mode); this is its Linux target, run by its action plugin,
    which validates the options and decides what to act on. It takes only the internal
    options that action plugin sends; any other option is an error naming M(termserv.sessions.logon_mode).
  - "Reads (O(_phase=read)) or applies (O(_phase=apply)) what the action plugin decided: the nologin
    files of C(pam_nologin), the hold store beside them, the account lines that make
    C(xrdp-sesman) honour them and the timer that releases the last hold when it expires."
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes.linux_target
  - termserv.sessions._attributes
options:
  _phase:
    description: Internal use only, set by the action plugin.
    type: str
    default: read
    choices: [read, apply]
  _generation:
    description: Internal use only, set by the action plugin (the hold store's generation it read).
    type: int
    default: 0
  _store:
    description: Internal use only, set by the action plugin (the hold store to write).
    type: raw
  _write_store:
    description: Internal use only, set by the action plugin.
    type: bool
    default: true
  _set_state:
    description: Internal use only, set by the action plugin (the logon mode to set).
    type: str
  _wake_at:
    description:
      - Internal use only, set by the action plugin (when the last hold expires, epoch seconds).
      - The same spec as the Windows target's, whose C(int) would end in 2038.
    type: raw
  msg:
    description: Internal use only, set by the action plugin from O(termserv.sessions.logon_mode#module:msg).
    type: str
  force:
    description:
      - Internal use only, set by the action plugin from
        O(termserv.sessions.logon_mode#module:force).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Reads only, in check mode.
seealso:
  - module: termserv.sessions.logon_mode
"""

EXAMPLES = r"""
- name: Use termserv.sessions.logon_mode, which runs this module on Linux hosts
  termserv.sessions.logon_mode:
    state: drain
  become: true
"""

RETURN = r"""
state:
  description: The logon mode found (read) or set (apply).
  returned: success
  type: str
mechanisms:
  description: The logon paths a drain covers on this host, as RV(termserv.sessions.logon_mode#module:mechanisms).
  returned: success
  type: dict
"""

import os


from ansible_collections.termserv.sessions.plugins.module_utils import _nologin
from ansible_collections.termserv.sessions.plugins.module_utils._target import target_module


def main() -> None:
    module = target_module("logon_mode")
    params = module.params
    paths = _nologin.Paths()
    # Read: the facts the controller decides on (plugin_utils/_holds.py); changes nothing.
    if params["_phase"] == "read" or module.check_mode:
        module.exit_json(changed=False, **_nologin.facts(paths))
    if os.geteuid() != 0:
        module.fail_json(msg="changing the logon mode needs root; run the task with become: true")
    try:
        done = _nologin.apply(paths, generation=params["_generation"], store=params["_store"],
                              set_state=params["_set_state"], msg=params["msg"],
                              force=params["force"], write_store=params["_write_store"])
    except _nologin.Conflict as exc:
        module.exit_json(changed=False, conflict=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"could not set logon mode {params['_set_state']}: {exc}")
    result = {"changed": done["changed"], "switch": None}
    if params["_write_store"] and not done["store_path"]:
        _nologin.disarm(paths)  # no hold left: the switch has nothing to do
        _nologin.drop_boot_unit(paths.etc_dir)
    if done["store_path"] and params["_wake_at"]:
        try:
            result.update(_nologin.arm(paths, done["store_path"], done["generation"], params["_wake_at"]))
        except OSError as exc:
            module.fail_json(msg=f"the hold is recorded but its expiry could not be armed: {exc}", **result)
    result.update(_nologin.facts(paths))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
