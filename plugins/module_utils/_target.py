# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AnsibleModule of a Linux target module (linux_NAME.py).

PRIVATE to the termserv.sessions collection: no compatibility promise.

A target takes only what its action plugin sends (``_spec.INTERNAL_SPECS``). Called
directly with a user-facing option (``linux_session_info: users: bob``), it would
otherwise do its job unfiltered, or fail with ansible-core's "Unsupported parameters"
that does not say what to do; it fails instead naming the module to call (issue 13 item 5).
"""
from __future__ import annotations

import os
import typing as t

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.termserv.sessions.plugins.module_utils import _spec


def target_module(module: str) -> AnsibleModule:
    """The AnsibleModule of ``module``'s Linux target; fails naming ``module`` when given
    an option the target does not take."""
    spec = _spec.target_spec(module, windows=False)
    # _load_params() is ansible-core's documented way for a module to read its raw
    # arguments (AnsibleModule reads them again, from the same buffer). Looked up at call
    # time: ansible-test's validate-modules replaces it with one that returns None, to
    # read the argument spec of the AnsibleModule below.
    given: t.Mapping[str, t.Any] = basic._load_params() or {}
    unsupported = sorted(k for k in given if k not in spec and not k.startswith("_ansible_"))
    if not unsupported:
        return AnsibleModule(argument_spec=spec, supports_check_mode=True)
    # Accept them for this one purpose, only to fail with a task result Ansible can show
    # (invocation, no_log handling) instead of ansible-core's own message.
    spec.update({name: {"type": "raw"} for name in unsupported})
    refused = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    refused.fail_json(msg=_spec.refusal(f"linux_{module}", module, unsupported))
    raise AssertionError("fail_json returned")  # pragma: no cover - fail_json exits


def acting_target(module: str, needs_root: str = "") -> AnsibleModule:
    """The AnsibleModule of a target that acts on ``_targets``, returned only when it has
    something to do: in check mode, or with no target, it exits unchanged.

    ``needs_root`` says what the target does to other users' sessions ("logging off other
    users' sessions"); without root it fails then, before anything is changed.
    """
    target = target_module(module)
    if target.check_mode or not target.params["_targets"]:
        target.exit_json(changed=False, results=[])
    if needs_root and os.geteuid() != 0:
        target.fail_json(msg=f"{needs_root} needs root; run the task with become: true (nothing was changed)")
    return target
