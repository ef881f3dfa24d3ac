# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Durations, option validation and the selection policy, with hypothesis properties."""
from __future__ import annotations

import copy

import pytest
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.module_utils._spec import STATES
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import (
    OptionError,
    info_options,
    logoff_options,
)
from ansible_collections.termserv.sessions.plugins.plugin_utils._durations import (
    DurationError,
    format_duration,
    parse_duration,
)


@pytest.mark.parametrize("value, seconds", [
    (0, 0), (90, 90), ("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400),
    ("1h30m", 5400), ("1D 2H", 93600), (" 5m ", 300), (7.0, 7),
])
def test_durations_accepted(value, seconds):
    assert parse_duration(value, "grace") == seconds


@pytest.mark.parametrize("value", ["5 parsecs", "", "m", "30m1h", "1.5h", "-5", -1, True, None, [1], "1h1h"])
def test_durations_rejected_naming_option_and_value(value):
    with pytest.raises(DurationError) as err:
        parse_duration(value, "min_idle")
    assert str(err.value).startswith("min_idle:") and repr(value) in str(err.value)


@given(st.integers(min_value=0, max_value=10**8))
def test_format_then_parse_round_trips(seconds):
    assert parse_duration(format_duration(seconds), "x") == seconds


@pytest.mark.parametrize("args, option", [
    ({"states": ["active", "asleep"]}, "states"),
    ({"min_idle": "5 parsecs"}, "min_idle"),
    ({"users": {"a": 1}}, "users"),
    ({"bogus": 1}, "bogus"),
    ({"_targets": []}, "_targets"),
    ({"exclude_users": [""]}, "exclude_users"),
])
def test_bad_info_options_name_the_option(args, option):
    with pytest.raises(OptionError, match=option):
        info_options(args)


@pytest.mark.parametrize("args, option", [
    ({"timeout": 0}, "timeout"), ({"grace": "soon"}, "grace"), ({"notify_msg": "  "}, "notify_msg"),
])
def test_bad_logoff_options_name_the_option(args, option):
    with pytest.raises(OptionError, match=option):
        logoff_options(args)


def win(sid, user, domain="CORP", **kw):
    base = {"id": str(sid), "user": user, "domain": domain, "state": "active", "station": f"RDP-Tcp#{sid}",
            "client": "", "logon_time": "2026-11-24T08:00:00Z", "idle_seconds": 10,
            "disconnected_seconds": None, "console": False, "pid": None}
    base.update(kw)
    return base


@pytest.mark.parametrize("pattern, user, domain, windows, expected", [
    ("admin", "admin2", "", False, False),
    ("admin*", "admin2", "", False, True),
    ("tsuup", "TsuUp", "", False, False),
    ("tsuup", "TsuUp", "CORP", True, True),
    ("corp\\ALICE", "alice", "CORP", True, True),
    ("other\\alice", "alice", "CORP", True, False),
    ("svc_*", "SVC_backup", "CORP", True, True),
])
def test_user_patterns(pattern, user, domain, windows, expected):
    names = sel.user_names({"user": user, "domain": domain}, windows)
    assert (sel.first_match(names, [pattern], windows) is not None) is expected


def test_rule_order_safety_reasons_first():
    selection = sel.Selection(exclude_users=("*",), states=("down",), min_idle=10**6)
    table = [win(0, "", domain=""), win(2, "bob"), win(1, "ops", console=True)]
    reasons = [d.reason for d in sel.select(table, selection, {"2"}, True)]
    assert reasons == [sel.NO_USER, sel.OWN_SESSION, sel.CONSOLE]


# ---- properties: for any table and any options --------------------------------------
names = st.sampled_from(["admin", "admin2", "Admin", "TsuUp", "tsü3", "bob", "svc_x", ""])
programs = st.sampled_from(["rsync", "RSYNC", "backup.exe", "Backup-Nightly.EXE", "bash", "sleep", ""])
process_lists = st.one_of(st.none(), st.lists(st.builds(
    lambda pid, name, argv0: {"pid": pid, "name": name, "user": "x", "argv0": argv0},
    st.integers(2, 10**6), programs, programs), max_size=4))
sessions = st.builds(
    lambda sid, user, state, console, idle, gone, procs: win(sid, user, state=state, console=console,
                                                             idle_seconds=idle, disconnected_seconds=gone,
                                                             processes=procs),
    st.integers(0, 70000), names, st.sampled_from(STATES), st.booleans(),
    st.one_of(st.none(), st.integers(0, 10**5)), st.one_of(st.none(), st.integers(0, 10**5)), process_lists)
tables = st.lists(sessions, max_size=25, unique_by=lambda s: s["id"])
patterns = st.lists(st.sampled_from(["*", "admin", "admin*", "?sü3", "ADMIN", "svc_*", "corp\\bob", "[ab]*"]),
                    max_size=3)
selections = st.builds(
    sel.Selection, users=patterns.map(tuple), exclude_users=patterns.map(tuple),
    session_ids=st.lists(st.integers(0, 70000).map(str), max_size=3).map(tuple),
    exclude_session_ids=st.lists(st.integers(0, 70000).map(str), max_size=3).map(tuple),
    states=st.lists(st.sampled_from(STATES), max_size=4).map(tuple),
    min_idle=st.integers(0, 10**5), min_disconnected=st.integers(0, 10**5),
    include_console=st.booleans(),
    exclude_processes=st.lists(st.sampled_from(["rsync", "backup*.exe", "*", "b?sh"]), max_size=2).map(tuple))


@given(tables, selections, st.data(), st.booleans())
def test_never_selected_whatever_the_options(table, selection, data, windows):
    own = set(data.draw(st.lists(st.sampled_from([s["id"] for s in table] or ["x"]), max_size=2)))
    frozen = copy.deepcopy(table)
    decisions = sel.select(table, selection, own, windows)
    assert table == frozen  # select() never changes its input
    for d in decisions:
        s = d.session
        if d.selected:
            assert s["user"], "a session without a user was selected"
            assert s["id"] not in own, "the task's own session was selected"
            assert selection.include_console or not s["console"]
            assert s["id"] not in selection.exclude_session_ids
            assert sel.first_match(sel.user_names(s, windows), selection.exclude_users, windows) is None
            if selection.exclude_processes:  # never selected while running an excluded program
                assert s["processes"] is not None
                for p in s["processes"]:
                    names = [n for n in (p["name"], p["argv0"]) if n]
                    names = [n.casefold() for n in names] if windows else names
                    assert sel.first_match(names, selection.exclude_processes, windows) is None
        else:
            assert d.reason in sel.REASONS and d.detail


@given(tables, selections, st.sampled_from(["*", "admin*", "bob", "tsü3"]), st.booleans())
def test_adding_an_exclusion_never_selects_more(table, selection, extra, windows):
    before = {d.session["id"] for d in sel.select(table, selection, set(), windows) if d.selected}
    stricter = sel.Selection(**{**selection.__dict__, "exclude_users": selection.exclude_users + (extra,)})
    after = {d.session["id"] for d in sel.select(table, stricter, set(), windows) if d.selected}
    assert after <= before


# ---- issue 11 item 8: text that cannot be sent is an option error on the controller ----
@pytest.mark.parametrize("option, value", [
    ("notify_msg", "Reboot \ud800 now"), ("notify_title", "\udcff"), ("notify_msg", "a\udfffb"),
])
def test_unencodable_logoff_text_names_the_option(option, value):
    args = {"notify_msg": "bye", option: value}
    with pytest.raises(OptionError, match=f"^{option}:.*(surrogate|encod)"):
        logoff_options(args)


@pytest.mark.parametrize("option", ["msg", "title"])
def test_unencodable_message_text_names_the_option(option):
    from ansible_collections.termserv.sessions.plugins.plugin_utils._args import message_options
    args = {"msg": "hello", option: "x\ud83dy"}  # half of a surrogate pair
    with pytest.raises(OptionError, match=f"^{option}:"):
        message_options(args)


def test_unencodable_text_fails_before_the_host_is_touched():
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _flow
    from ansible_collections.termserv.sessions.plugins.plugin_utils._args import message_options
    calls = []
    with pytest.raises(OptionError):
        _flow.message(message_options({"msg": "\ud800"}), lambda n, a: calls.append(n), False, False)
    assert calls == []


def test_full_unicode_text_is_accepted():
    opts = logoff_options({"notify_msg": "Neustart um 22:00 — bitte speichern 😀 ü", "notify_title": "Ärger"})
    assert opts.notify_msg.endswith("ü") and opts.notify_title == "Ärger"


@given(tables, selections, st.sampled_from(["rsync", "*", "backup*.exe"]), st.booleans())
def test_adding_a_process_exclusion_never_selects_more(table, selection, extra, windows):
    before = {d.session["id"] for d in sel.select(table, selection, set(), windows) if d.selected}
    stricter = sel.Selection(**{**selection.__dict__,
                                "exclude_processes": selection.exclude_processes + (extra,)})
    after = {d.session["id"] for d in sel.select(table, stricter, set(), windows) if d.selected}
    assert after <= before


def test_property_tests_run_at_least_1000_tables_in_ci():
    """Issue 11 item 21: CI (the default profile) runs >= 1000 random tables per property."""
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert settings.default.max_examples >= 1000
    for test in (test_never_selected_whatever_the_options, test_adding_an_exclusion_never_selects_more,
                 test_adding_a_process_exclusion_never_selects_more):
        # No per-test override that would lower the profile's count.
        assert getattr(test, "_hypothesis_internal_use_settings", settings.default).max_examples >= \
            settings.default.max_examples
