# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/awx-survey.json is a valid AWX survey and agrees with the role's argument specs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.termserv.sessions.plugins.plugin_utils._args import OptionError, logoff_options
from ansible_collections.termserv.sessions.plugins.plugin_utils._survey import split_list

REPO = Path(__file__).resolve().parents[2]
SURVEY = json.loads((REPO / "docs" / "awx-survey.json").read_text(encoding="utf-8"))
SPECS = yaml.safe_load((REPO / "roles" / "logoff_all" / "meta" / "argument_specs.yml").read_text())
OPTIONS = SPECS["argument_specs"]["main"]["options"]
DEFAULTS = yaml.safe_load((REPO / "roles" / "logoff_all" / "defaults" / "main.yml").read_text())
# AWX's survey question types and the keys AWX requires of each question.
AWX_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
REQUIRED_KEYS = {"question_name", "required", "type", "variable", "default"}
PLAYBOOK_VARS = {"target"}


def role_spec() -> dict:
    keep = ("type", "elements", "default", "choices", "required")
    return {name: {k: v for k, v in opt.items() if k in keep} for name, opt in OPTIONS.items()}


def survey_answers() -> dict:
    """What AWX sends when every question keeps its default: text, lists for multiselect."""
    answers = {}
    for q in SURVEY["spec"]:
        value = q["default"]
        if q["type"] == "multiselect":
            value = [v for v in value.split("\n") if v]
        answers[q["variable"]] = value
    return answers


def test_survey_shape():
    assert set(SURVEY) >= {"name", "description", "spec"}
    names = [q["variable"] for q in SURVEY["spec"]]
    assert len(names) == len(set(names)), "a variable is asked twice"
    for q in SURVEY["spec"]:
        assert REQUIRED_KEYS <= set(q), q
        assert q["type"] in AWX_TYPES, q
        if q["type"] in ("multiplechoice", "multiselect"):
            assert isinstance(q["choices"], list) and q["choices"]
            defaults = q["default"].split("\n") if q["type"] == "multiselect" else [q["default"]]
            assert set(defaults) <= set(q["choices"]), q


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda q: q["variable"])
def test_every_variable_is_the_roles_or_the_playbooks(question):
    assert question["variable"] in set(OPTIONS) | PLAYBOOK_VARS


def test_defaults_file_repeats_the_argument_spec_defaults():
    assert set(DEFAULTS) == set(OPTIONS)
    for name, opt in OPTIONS.items():
        assert DEFAULTS[name] == opt["default"], name


def test_survey_defaults_pass_the_role_argument_specs():
    answers = {k: v for k, v in survey_answers().items() if k not in PLAYBOOK_VARS}
    result = ArgumentSpecValidator(role_spec()).validate(answers)
    assert result.error_messages == []


def test_survey_defaults_make_valid_module_options():
    """The text answers, once the role has split them, are accepted by session_logoff."""
    a = survey_answers()
    opts = logoff_options({
        "users": split_list(a["logoff_all_users"]),
        "exclude_users": split_list(a["logoff_all_exclude_users"]),
        "states": split_list(a["logoff_all_states"]),
        "min_idle": a["logoff_all_min_idle"],
        "min_disconnected": a["logoff_all_min_disconnected"],
        "grace": a["logoff_all_grace"],
        "timeout": a["logoff_all_timeout"],
        "notify_msg": a["logoff_all_message"],
    })
    assert opts.selection.exclude_users == ("Administrator", "svc_*")
    assert opts.grace == 300 and opts.timeout == 120


def test_a_bad_survey_answer_is_refused_naming_the_option():
    with pytest.raises(OptionError, match="grace"):
        logoff_options({"grace": "5 parsecs"})


def test_every_selection_variable_reaches_the_logoff():
    """Each role variable is passed on as the logoff's or the drain's option, or is the role's own."""
    role_vars = yaml.safe_load((REPO / "roles" / "logoff_all" / "vars" / "main.yml").read_text())
    options = role_vars["__logoff_all_logoff_options"]
    passed = {option for option, template in options.items()
              if f"logoff_all_{role_vars['__logoff_all_option_vars'][option][len('logoff_all_'):]}" in template}
    assert passed == set(options), set(options) - passed
    own = {"logoff_all_drain", "logoff_all_drain_holder", "logoff_all_release_drain"}
    assert set(role_vars["__logoff_all_option_vars"].values()) | own == set(OPTIONS)
    assert "logoff_all_include_non_interactive" in options["include_non_interactive"]
