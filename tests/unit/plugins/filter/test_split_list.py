# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""List variables as text (issue 23 item 1): a list literal is that list, never a pattern."""
from __future__ import annotations

import json
import re

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.filter.split_list import FilterModule
from ansible_collections.termserv.sessions.plugins.plugin_utils._survey import ListValueError, split_list

split_filter = FilterModule().filters()["split_list"]

# Words as user names and globs are written: no separators, brackets or quotes.
# A word may not begin like YAML syntax: such an item would not stay text in a list literal.
YAML_STARTS = ("#", "&", "*", "!", "|", ">", "%", "@", "`", "{", "?", "-", ":")
WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=",[]'\"\\\r\n"),
               min_size=1).filter(lambda s: s.isprintable() and s.strip() and not s.strip().startswith(YAML_STARTS))
# User names and globs as typed unquoted in a list: no separators, brackets or quotes.
NAME = WORD.map(str.strip)
ANY_TEXT = st.text(min_size=1)


def stripped(items: list[str]) -> list[str]:
    return [i.strip() for i in items if i.strip()]


@pytest.mark.parametrize("text, expected", [
    ('["admin"]', ["admin"]),                     # -e 'logoff_all_exclude_users=["admin"]'
    ("['admin', 'svc_*']", ["admin", "svc_*"]),   # Python's repr, as Ansible prints lists
    ("[admin,carol]", ["admin", "carol"]),        # YAML flow style
    (' [ "admin" , "carol" ] ', ["admin", "carol"]),
    ("[yes, no, 1e3]", ["yes", "no", "1e3"]),     # user names stay text
    ("[*]", ["*"]),
    ("[]", []),
    ("admin, svc_*\nbackup", ["admin", "svc_*", "backup"]),  # the survey textarea, as before
    ("[Aa]dmin[0-9]", ["[Aa]dmin[0-9]"]),         # a glob with character classes stays a glob
    ("[ab]*, c", ["[ab]*", "c"]),
])
def test_list_literals_become_lists_and_globs_stay_globs(text, expected):
    assert split_list(text, "logoff_all_exclude_users") == expected


@pytest.mark.parametrize("text", ['["admin"', '["admin", "carol"', 'carol, ["admin"]', "['admin', 'carol]",
                                  '["a", "b"]]', '[{"a": 1}]', '[["admin"]]'])
def test_a_list_that_does_not_parse_is_an_error_naming_the_variable(text):
    with pytest.raises(AnsibleFilterError, match=r"^logoff_all_exclude_users: "):
        split_filter(text, "logoff_all_exclude_users")


@given(st.lists(ANY_TEXT, max_size=6))
def test_every_json_list_given_as_text_is_that_list(items):
    for text in (json.dumps(items), json.dumps(items, ensure_ascii=False)):
        if items and not stripped(items):  # only blank items: given, but says nothing
            with pytest.raises(ListValueError):
                split_list(text, "v")
        else:
            assert split_list(text, "v") == stripped(items)


@given(st.lists(WORD, max_size=6), st.lists(NAME, max_size=6))
def test_every_python_or_flow_list_given_as_text_is_that_list(items, names):
    assert split_list(str(items), "v") == stripped(items)
    assert split_list("[" + ", ".join(names) + "]", "v") == names


@given(st.lists(WORD, max_size=6))
def test_comma_and_newline_strings_are_split_as_before(items):
    assert split_list(", ".join(items), "v") == stripped(items)
    assert split_list("\n".join(items), "v") == stripped(items)


@given(ANY_TEXT)
def test_never_a_pattern_holding_a_bracket_a_quote_and_a_comma(text):
    """Whatever the text: a clear error, or items none of which is a mangled list."""
    try:
        items = split_list(text, "v")
    except ListValueError as exc:
        assert str(exc).startswith("v: ")
        return
    if "[" in text and '"' in text and "," in text:
        # Only a real list literal may get here, and then the items are its elements.
        assert text.strip().startswith("[") and text.strip().endswith("]"), (text, items)


@pytest.mark.parametrize("bad", [{"a": 1}, 3, True, [["a"]], [None]])
def test_other_types_are_errors_naming_the_variable(bad):
    with pytest.raises(AnsibleFilterError, match=r"^logoff_all_users: "):
        split_filter(bad, "logoff_all_users")


@pytest.mark.parametrize("text, stray", [("[admin,ops", "'[admin'"), ("admin,ops]", "'ops]'"),
                                         ("admin\n[ops", "'[ops'"), ("adm]in", "'adm]in'")])
def test_a_bracket_without_its_pair_is_an_error_never_a_pattern(text, stray):
    """Review of item 1: a list cut short gave a pattern such as '[admin' that matches
    nobody, so the user it was meant to keep was logged off."""
    with pytest.raises(AnsibleFilterError, match=rf"logoff_all_exclude_users: {re.escape(stray)} in .* without its pair"):
        split_filter(text, "logoff_all_exclude_users")


@given(st.lists(NAME, min_size=1, max_size=6), st.booleans())
def test_a_list_cut_at_either_end_is_an_error(names, at_start):
    text = ("[" + ",".join(names)) if at_start else (",".join(names) + "]")
    with pytest.raises(ListValueError):
        split_list(text, "v")


@pytest.mark.parametrize("text", [",", " , ,", "\n,\n", '[""]', "[' ', '']"])
def test_a_value_given_with_no_item_is_an_error(text):
    with pytest.raises(ListValueError, match="^v: "):
        split_list(text, "v")


@pytest.mark.parametrize("text", ["", "  ", "[]", "[ ]"])
def test_an_empty_answer_or_an_empty_list_is_no_item(text):
    assert split_list(text, "v") == []
