# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 23 items 2 and 12: misspelled role variables are refused, naming the closest one."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.filter.variable_errors import FilterModule
from ansible_collections.termserv.sessions.plugins.plugin_utils._role_vars import bad_booleans, unknown_names

variable_errors = FilterModule().filters()["variable_errors"]
ROLE = Path(__file__).resolve().parents[4] / "roles" / "logoff_all"
KNOWN = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__logoff_all_known_vars"]
SPEC = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
PLAYBOOK_LEVEL = {"logoff_all_serial", "logoff_all_max_fail_percentage"}


def test_the_known_names_are_the_argument_specs_and_the_playbooks():
    assert set(KNOWN) == set(SPEC) | PLAYBOOK_LEVEL
    assert len(KNOWN) == len(set(KNOWN))


@pytest.mark.parametrize("typo, meant", [
    ("logoff_all_exclude_user", "logoff_all_exclude_users"),
    ("logoff_all_exlude_users", "logoff_all_exclude_users"),
    ("logoff_all_release_drian", "logoff_all_release_drain"),
    ("logoff_all_grace_period", "logoff_all_grace"),
    ("logoff_all_msg", "logoff_all_message"),
])
def test_a_typo_names_the_closest_known_variable(typo, meant):
    [message] = variable_errors([typo, "logoff_all_users", "target"], KNOWN, "logoff_all_")
    assert message.startswith(f"{typo} is not a variable of this role") and message.endswith(f"did you mean {meant}?")


def test_internal_and_foreign_names_are_not_checked():
    names = ["__logoff_all_result", "_logoff_all_x", "target", "ansible_host", "my_logoff_all_x", *KNOWN]
    assert variable_errors(names, KNOWN, "logoff_all_") == []


def test_a_name_far_from_every_known_one_lists_them():
    [message] = unknown_names(["logoff_all_zzzzzzzzzzzzzzzzzzzzzzzz"], KNOWN, "logoff_all_")
    assert "the known ones are logoff_all_drain, " in message


@given(st.sampled_from(sorted(set(KNOWN) - PLAYBOOK_LEVEL)), st.data())
def test_one_letter_dropped_from_a_known_name_is_refused_and_the_name_suggested(name, data):
    tail = len("logoff_all_")
    index = data.draw(st.integers(min_value=tail, max_value=len(name) - 1))
    typo = name[:index] + name[index + 1:]
    if typo in KNOWN:
        return
    [message] = unknown_names([typo], KNOWN, "logoff_all_")
    assert message.startswith(typo + " ")
    assert message.endswith(f"did you mean {name}?"), message


@pytest.mark.parametrize("value", [True, False, "yes", "no", "true", "False", 1, 0, "on", "off"])
def test_booleans_pass(value):
    assert bad_booleans({"logoff_all_drain": value}) == []


@pytest.mark.parametrize("value", ["perhaps", "", None, "2", [True]])
def test_a_bad_boolean_is_one_line_naming_the_variable(value):
    assert bad_booleans({"logoff_all_drain": value}) == [
        f"logoff_all_drain: {value!r} is not a boolean; use true or false"]
