# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The selection policy for the kinds of Linux session (issue 22 items 1, 7, 8; issue 23
items 3 and 8): non-interactive connections, closing sessions, late-filled fields, the
controller's other connections, and list items trimmed in one place."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import (
    OptionError,
    info_options,
    logoff_options,
    message_options,
)


def linux(sid: str = "7", **extra) -> dict:
    base = {"id": sid, "user": "alice", "domain": "", "state": "active", "station": "pts/3",
            "client": "10.0.0.5", "logon_time": "2026-12-06T20:00:00Z", "idle_seconds": 5,
            "disconnected_seconds": None, "console": False, "pid": 4242, "kind": "terminal"}
    base.update(extra)
    return base


def decide(session: dict, **options) -> sel.Decision:
    selection = info_options(options).selection
    return sel.decide(session, selection, set(), windows=False)


def test_a_non_interactive_connection_is_skipped_by_default_with_its_reason():
    got = decide(linux(kind="non_interactive", station="tty"))
    assert got.reason == "non_interactive"
    assert "include_non_interactive" in got.detail


def test_include_non_interactive_selects_it_on_purpose():
    assert decide(linux(kind="non_interactive"), include_non_interactive=True).selected


@pytest.mark.parametrize("kind", ["terminal", "graphical"])
def test_interactive_kinds_are_selected_by_default(kind):
    assert decide(linux(kind=kind)).selected


def test_a_session_without_kind_windows_or_an_older_target_is_interactive():
    session = linux()
    del session["kind"]
    assert decide(session).selected


@pytest.mark.parametrize("module", [info_options, logoff_options])
def test_every_selecting_module_takes_the_option(module):
    args = {"include_non_interactive": True}
    assert module(args).selection.include_non_interactive is True
    assert module({}).selection.include_non_interactive is False


def test_session_message_takes_the_option():
    assert message_options({"msg": "hi", "include_non_interactive": True}).selection.include_non_interactive


@given(st.sampled_from(("terminal", "graphical", "non_interactive")), st.booleans(), st.booleans())
def test_a_non_interactive_session_is_never_selected_without_the_option(kind, include, console):
    got = decide(linux(kind=kind, console=console), include_non_interactive=include,
                 include_console=True)
    if kind == "non_interactive" and not include:
        assert got.reason == "non_interactive"
    else:
        assert got.selected


def test_a_closing_session_is_listed_as_closing_and_selected_like_an_active_one():
    session = linux(state="closing")
    assert decide(session).selected
    assert decide(session, states=["closing"]).selected
    got = decide(session, states=["disconnected"])
    assert got.reason == sel.STATE


def test_the_station_logind_fills_in_late_is_not_identity_of_a_linux_session():
    first = linux(station="tty")
    later = linux(station="pts/3")
    assert sel.same_logon(first, later)
    assert not sel.same_logon(first, linux(logon_time="2026-12-06T21:00:00Z"))
    assert not sel.same_logon(first, linux(pid=999))


def test_windows_sessions_still_compare_their_station():
    a = {"id": "3", "user": "bob", "station": "RDP-Tcp#1", "logon_time": "x", "pid": None}
    assert not sel.same_logon(a, dict(a, station="RDP-Tcp#2"))


def test_another_connection_of_the_controller_has_its_own_reason():
    got = decide(linux(controller=True))
    assert got.reason == "controller_session"
    # and the task's own session keeps own_session, never the other reason
    own = sel.decide(linux(controller=True), info_options({}).selection, {"7"}, windows=False)
    assert own.reason == sel.OWN_SESSION


@pytest.mark.parametrize("option, value, wanted", [
    ("exclude_users", "admin, carol", ("admin", "carol")),
    ("exclude_users", ["admin ", " carol"], ("admin", "carol")),
    ("users", "alice,\tbob", ("alice", "bob")),
    ("exclude_processes", "rsync, pg_dump*", ("rsync", "pg_dump*")),
    ("session_ids", "3, 5", ("3", "5")),
    ("exclude_session_ids", ["c2 "], ("c2",)),
    ("states", "active, disconnected", ("active", "disconnected")),
])
def test_list_items_are_trimmed_once_for_module_and_role(option, value, wanted):
    assert getattr(logoff_options({option: value}).selection, option) == wanted


def test_admin_comma_space_carol_keeps_both():
    selection = logoff_options({"exclude_users": "admin, carol"}).selection
    for user in ("admin", "carol"):
        got = sel.decide(linux(user=user), selection, set(), windows=False)
        assert got.reason == sel.USER_EXCLUDED


@pytest.mark.parametrize("value", ["admin, ", " ", ["  "]])
def test_an_item_that_is_only_blanks_is_an_error_naming_the_option(value):
    with pytest.raises(OptionError, match="exclude_users"):
        logoff_options({"exclude_users": value})


def test_the_users_option_shows_domain_backslash_user_with_one_backslash():
    """Issue 23 item 12: ansible-doc showed ``DOMAIN\\\\user``."""
    import yaml
    from ansible_collections.termserv.sessions.plugins.doc_fragments._selection import ModuleDocFragment
    text = " ".join(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["users"]["description"])
    assert "C(DOMAIN\\user)" in text and "\\\\" not in text
