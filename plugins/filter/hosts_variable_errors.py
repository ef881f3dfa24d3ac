# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: hosts_variable_errors
short_description: What is wrong with a role's variables on each of several hosts, in one task
version_added: 0.1.0
description:
  - The check of P(termserv.sessions.variable_errors#filter) and of a role's argument spec, for
    every host named in the input at once, from their C(hostvars). One controller task checks a
    whole batch of hosts instead of two tasks on each host (issue 26).
  - "For each host: every name that starts with O(prefix) but is not in O(known), naming the
    closest known one, and every option that O(argument_spec) types C(bool) whose value is not a
    boolean; when there is none of these, the errors of the argument spec's own validator."
  - A message that holds for only some of the hosts ends with the names of those hosts, as in
    C((on web1, web3\)); one that holds for every host (an extra variable) names none.
  - Only the variables a host has in C(hostvars) are seen (inventory, C(host_vars), C(group_vars),
    extra variables), not play or role variables.
  - The C(termserv.sessions.logoff_all) playbook uses it once per batch, before the P(termserv.sessions.logoff_all#role) role.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._role_variable_names
options:
  _input:
    description: The hosts to check, for example C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: Ansible's C(hostvars).
    type: dict
    required: true
  argument_spec:
    description: The C(options) of the role's entry point in its C(meta/argument_specs.yml).
    type: dict
    required: true
"""

EXAMPLES = r"""
# In a play, one controller task per batch checks every host of the play:
#   ansible.builtin.assert with that: errors | length == 0, run_once: true, and
#   errors: "{{ ansible_play_hosts_all | termserv.sessions.hosts_variable_errors(hostvars, ...) }}"
# Here with the hostvars of two hosts written out; web3's host_vars misspell myrole_users.
- name: What is wrong on which host
  ansible.builtin.debug:
    msg: >-
      {{ ['web1', 'web3']
         | termserv.sessions.hosts_variable_errors(
             {'web1': {'myrole_drain': true, 'myrole_users': ['alice']},
              'web3': {'myrole_drain': false, 'myrole_user': ['bob']}},
             ['myrole_users', 'myrole_drain'], 'myrole_',
             {'myrole_users': {'type': 'list', 'elements': 'str'}, 'myrole_drain': {'type': 'bool'}}) }}
  # => ["myrole_user is not a variable of this role (it would be ignored): did you mean myrole_users? (on web3)"]
"""

RETURN = r"""
_value:
  description: One message per problem, each once; empty when all is well.
  type: list
  elements: str
"""

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils._role_vars import hosts_variable_errors


def _plain(value: t.Any) -> t.Any:
    """The value as plain Python (not Ansible's lazy containers), so that the validator's
    messages name ``dict`` or ``list``, as a user wrote them."""
    if isinstance(value, t.Mapping):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _hosts_variable_errors(hosts: t.Iterable[str], hostvars: t.Mapping[str, t.Any], known: t.Collection[str],
                           prefix: str, argument_spec: t.Mapping[str, t.Any]) -> list[str]:
    # Only the values the checks read are templated: a misspelled variable's value is never
    # used, and may refer to something undefined.
    values = {}
    for host in hosts:
        own = hostvars[host]
        values[host] = {name: _plain(own[name]) if name in argument_spec else None
                        for name in own if isinstance(name, str) and name.startswith(prefix)}
    return hosts_variable_errors(values, known, prefix, argument_spec)


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"hosts_variable_errors": _hosts_variable_errors}
