# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 26 item 3: the playbook checks every host of a batch in one task; a misspelling or
a bad value in one host's host_vars is still found, and names that host."""
from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.filter.hosts_variable_errors import FilterModule
from ansible_collections.termserv.sessions.plugins.plugin_utils._role_vars import variable_errors

hosts_variable_errors = FilterModule().filters()["hosts_variable_errors"]
ROLE = Path(__file__).resolve().parents[4] / "roles" / "logoff_all"
KNOWN = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__logoff_all_known_vars"]
SPEC = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
HOSTS = [f"web{n}" for n in range(1, 7)]


def check(hostvars: dict[str, dict]) -> list[str]:
    return hosts_variable_errors(list(hostvars), hostvars, KNOWN, "logoff_all_", SPEC)


def test_good_variables_everywhere_pass():
    assert check({"web1": {"logoff_all_users": ["admin2"], "logoff_all_drain": "yes", "target": "x"},
                  "web2": {"logoff_all_serial": "25%", "ansible_host": "10.0.0.2"}}) == []


@given(st.sets(st.sampled_from(HOSTS), min_size=1, max_size=len(HOSTS) - 1))
def test_a_misspelling_in_some_hosts_vars_names_exactly_those_hosts(typo_hosts):
    hostvars = {h: {"logoff_all_exclude_user": "admin"} if h in typo_hosts else {} for h in HOSTS}
    [message] = check(hostvars)
    assert message.startswith("logoff_all_exclude_user is not a variable of this role")
    assert "did you mean logoff_all_exclude_users?" in message
    assert message.endswith(f"(on {', '.join(sorted(typo_hosts))})"), message


def test_what_holds_for_every_host_is_said_once_naming_none():
    """An extra variable: the same one line as the role's own check on one host."""
    hostvars = {h: {"logoff_all_drain": "perhaps"} for h in HOSTS}
    assert check(hostvars) == ["logoff_all_drain: 'perhaps' is not a boolean; use true or false"]
    one = {"web1": {"logoff_all_drain": "perhaps", "logoff_all_exclude_user": "x"}}
    assert check(one) == variable_errors(["logoff_all_drain", "logoff_all_exclude_user"], KNOWN, "logoff_all_",
                                         {"logoff_all_drain": "perhaps"})


def test_the_argument_spec_is_checked_as_the_role_checks_it():
    """The role's own argument spec check is not run by the playbook: this one replaces it."""
    [message] = check({"web1": {}, "web2": {"logoff_all_exclude_users": {"svc": True}}})
    assert "'logoff_all_exclude_users' is of type dict" in message and message.endswith("(on web2)"), message
    # Names and booleans first, as the role: the spec's own message for a bad boolean never shows.
    assert check({"web1": {"logoff_all_include_console": "sometimes"}}) == [
        "logoff_all_include_console: 'sometimes' is not a boolean; use true or false"]


def test_a_misspelled_variables_value_is_never_read():
    class Hostvars(dict):
        def __getitem__(self, key):
            value = super().__getitem__(key)
            if isinstance(value, dict):
                return Unreadable(value)
            return value

    class Unreadable(dict):
        def __getitem__(self, key):
            if key == "logoff_all_usres":
                raise AssertionError("templated a value nobody uses")
            return super().__getitem__(key)

    found = hosts_variable_errors(["web1"], Hostvars(web1={"logoff_all_usres": "{{ undefined }}"}), KNOWN,
                                  "logoff_all_", SPEC)
    assert found == ["logoff_all_usres is not a variable of this role (it would be ignored): "
                     "did you mean logoff_all_users?"]
