# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: split_list
short_description: Turn a list or a comma/newline-separated string into a list
version_added: 0.1.0
description:
  - AWX and AAP surveys send every answer as text. This filter accepts a list as it is, or
    a string of items separated by commas or newlines; items are stripped and empty ones dropped.
  - >-
    A string that is a list written as text, as C(-e 'name=["admin"]') gives it, is that list
    (a JSON list V(["admin", "svc_*"]), a Python list V(['admin', 'svc_*']) or V([admin, svc_*])).
    Taken as one pattern it would match nobody, and an exclusion that matches nobody keeps nobody.
  - >-
    A string that looks like a list but does not parse (it starts with V([) and holds a quote, or
    it holds V([), a quote and a comma) is an error naming O(name), never a pattern. A glob that
    starts and ends with a character class and holds neither quotes nor commas (V([Aa]dmin[0-9]))
    stays a glob.
author:
  - termserv.sessions contributors (@termserv)
options:
  _input:
    description: A list of strings, or a string.
    type: raw
    required: true
  name:
    description: The variable name to use in error messages.
    type: str
    default: value
"""

EXAMPLES = r"""
- name: Exclusions typed into an AWX survey textarea
  ansible.builtin.debug:
    msg: "{{ 'admin, svc_*\nbackup' | termserv.sessions.split_list }}"
  # => ['admin', 'svc_*', 'backup']

- name: A JSON list given as text, as -e 'logoff_all_exclude_users=["admin"]' gives it
  ansible.builtin.debug:
    msg: "{{ '[\"admin\", \"svc_*\"]' | termserv.sessions.split_list('logoff_all_exclude_users') }}"
  # => ['admin', 'svc_*']
"""

RETURN = r"""
_value:
  description: The items.
  type: list
  elements: str
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.termserv.sessions.plugins.plugin_utils._survey import split_list


def _split_list(value: t.Any, name: str = "value") -> list[str]:
    try:
        return split_list(value, name)
    except TypeError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"split_list": _split_list}
