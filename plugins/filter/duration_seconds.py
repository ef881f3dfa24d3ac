# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
name: duration_seconds
short_description: Turn a duration such as V(90), V(30m) or V(1h30m) into whole seconds
version_added: 0.1.0
description:
  - Reads a duration exactly as the modules' O(termserv.sessions.session_logoff#module:grace),
    O(termserv.sessions.session_logoff#module:timeout) and
    O(termserv.sessions.logon_mode#module:expires_in) read it, so that a playbook can do
    arithmetic with the same values, for example to derive a drain's expiry from the grace
    period and the time-out (the P(termserv.sessions.logoff_all#role) role does this).
  - A value that is not a duration is an error that names O(name).
author:
  - termserv.sessions contributors (@termserv)
options:
  _input:
    description:
      - A non-negative number of seconds, or a string of V(<n>d), V(<n>h), V(<n>m) and
        V(<n>s) parts in that order. Spaces and case are ignored.
    type: raw
    required: true
  name:
    description: The variable name to use in error messages.
    type: str
    default: value
"""

EXAMPLES = r"""
- name: A grace period as an AWX survey sends it (text; write durations without spaces)
  ansible.builtin.debug:
    msg: "{{ '1h30m' | termserv.sessions.duration_seconds('grace') }}"
  # => 5400

- name: A drain that outlasts the grace period and the time-out by ten minutes
  ansible.builtin.debug:
    msg: "{{ 600 + ('5m' | termserv.sessions.duration_seconds) + (60 | termserv.sessions.duration_seconds) }}"
  # => 960
"""

RETURN = r"""
_value:
  description: The duration in whole seconds.
  type: int
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.termserv.sessions.plugins.plugin_utils._durations import DurationError, parse_duration


def _duration_seconds(value: t.Any, name: str = "value") -> int:
    try:
        return parse_duration(value, name)
    except DurationError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"duration_seconds": _duration_seconds}
