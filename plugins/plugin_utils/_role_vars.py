# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names and booleans of a role's variables, checked before anything changes.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Ansible ignores a variable nobody reads, so ``-e logoff_all_exclude_user=admin`` (one
letter short) used to run with no exclusion at all and log admin off (issue 23 item 2).
Every variable that carries the role's prefix must be one the role knows; the error names
the closest known one. A boolean that is not one is reported in one line (the argument
spec's own check prints the whole spec with the reason buried in it, issue 23 item 12).
"""
from __future__ import annotations

import difflib
import typing as t

from ansible.module_utils.parsing.convert_bool import boolean


def unknown_names(names: t.Iterable[t.Any], known: t.Collection[str], prefix: str) -> list[str]:
    """One message per name that starts with ``prefix`` and is not in ``known``, sorted.

    Names that merely contain the prefix (the role's internal ``__logoff_all_*``) are not
    the user's and are not checked.
    """
    messages = []
    for name in sorted({n for n in names if isinstance(n, str) and n.startswith(prefix) and n not in known}):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"the known ones are {', '.join(sorted(known))}"
        messages.append(f"{name} is not a variable of this role (it would be ignored): {hint}")
    return messages


def bad_booleans(values: t.Mapping[str, t.Any]) -> list[str]:
    """One message per value that Ansible would not read as a boolean, sorted by name."""
    messages = []
    for name, value in sorted(values.items()):
        try:
            boolean(value, strict=True)
        except TypeError:
            messages.append(f"{name}: {value!r} is not a boolean; use true or false")
    return messages


def variable_errors(names: t.Iterable[t.Any], known: t.Collection[str], prefix: str,
                    booleans: t.Mapping[str, t.Any] | None = None) -> list[str]:
    """Everything wrong with a role's variables, unknown names first; empty when all is well."""
    return unknown_names(names, known, prefix) + bad_booleans(booleans or {})


def spec_errors(values: t.Mapping[str, t.Any], spec: t.Mapping[str, t.Any]) -> list[str]:
    """What a role's argument spec says about ``values`` (only the names it has), one line each.

    The same validator as the role's own argument spec check (ansible.builtin's
    validate_argument_spec), which it replaces where every host is checked at once.
    """
    # Imported here: the validator pulls in much of module_utils, and the name checks do not need it.
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    provided = {name: value for name, value in values.items() if name in spec}
    return list(ArgumentSpecValidator(dict(spec)).validate(provided, validate_role_argument_spec=True).error_messages)


def hosts_variable_errors(hosts: t.Mapping[str, t.Mapping[str, t.Any]], known: t.Collection[str], prefix: str,
                          spec: t.Mapping[str, t.Any]) -> list[str]:
    """Everything wrong with the variables of several hosts, each message once.

    ``hosts`` holds each host's variables that start with ``prefix``. Per host: the
    unknown names and bad booleans (the options the spec types ``bool``) first, and only
    when there are none the argument spec's errors, as a role checks one host. A message
    that holds for only some of the hosts names them (a misspelling in one host's
    host_vars); one that holds for all of them (``-e``, group_vars of the whole target) does not.
    """
    booleans = {name for name, option in spec.items() if isinstance(option, t.Mapping) and option.get("type") == "bool"}
    found: dict[str, list[str]] = {}
    for host, values in hosts.items():
        messages = variable_errors(values, known, prefix, {n: v for n, v in values.items() if n in booleans})
        for message in messages or spec_errors(values, spec):
            found.setdefault(message, []).append(str(host))
    return [message if len(names) == len(hosts) else f"{message} (on {', '.join(sorted(names))})"
            for message, names in found.items()]
