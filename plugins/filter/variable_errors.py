# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: variable_errors
short_description: What is wrong with a role's variables, before anything changes
version_added: 0.1.0
description:
  - Ansible ignores a variable that nothing reads, so a misspelled role variable (one letter
    short of an exclusion, say) silently changes what a run does. This filter lists every
    name that starts with O(prefix) but is not in O(known), naming the closest known one,
    and every value in O(booleans) that is not a boolean.
  - The P(termserv.sessions.logoff_all#role) role and playbook use it as their first step.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._role_variable_names
options:
  _input:
    description: The names of the variables that are set, for example C(query('ansible.builtin.varnames', '^myrole_')).
    type: list
    elements: str
    required: true
  booleans:
    description: Values that must be booleans, by variable name.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Name the variables a role does not know, with the closest known name
  ansible.builtin.debug:
    msg: "{{ query('ansible.builtin.varnames', '^myrole_')
             | termserv.sessions.variable_errors(['myrole_users', 'myrole_drain'], 'myrole_',
                                                 booleans={'myrole_drain': myrole_drain}) }}"
  vars:
    myrole_user: bob  # as -e myrole_user=bob gives it: myrole_users misspelled
    myrole_drain: false
  # => ['myrole_user is not a variable of this role (it would be ignored): did you mean myrole_users?']
# In a role, fail with these messages before anything changes (ansible.builtin.assert with
# that: errors | length == 0 and fail_msg: "{{ errors | join('; ') }}").
"""

RETURN = r"""
_value:
  description: One message per problem, unknown names first; empty when all is well.
  type: list
  elements: str
"""

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils._role_vars import variable_errors


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"variable_errors": variable_errors}
