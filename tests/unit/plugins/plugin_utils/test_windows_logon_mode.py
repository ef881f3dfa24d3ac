# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows logon modes: registry values <-> states, and what win_logon_mode is given."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _windows_logon_mode as wlm

STATES = sorted(wlm.REGISTRY)


@pytest.mark.parametrize("state", STATES)
def test_each_state_round_trips_through_its_registry_values(state):
    assert wlm.state_of(wlm.REGISTRY[state]) == state


@given(st.integers(0, 3), st.integers(0, 3))
def test_any_values_mean_exactly_one_state(disabled, drain):
    state = wlm.state_of({"WinStationsDisabled": disabled, "TSServerDrainMode": drain})
    assert state in STATES
    assert (state == "disabled") == (disabled != 0)


def test_absent_values_are_windows_defaults():
    assert wlm.state_of({}) == "enabled"


def test_the_target_table_carries_switch_and_values_for_every_state():
    table = wlm.target_table()
    assert set(table) == set(STATES)
    for state, entry in table.items():
        assert entry["switch"].startswith("/") and wlm.state_of(entry["values"]) == state


def test_check_after_names_what_the_registry_says():
    assert wlm.check_after("drain", {"after": {"TSServerDrainMode": 2}}) is None
    message = wlm.check_after("drain", {"after": {"TSServerDrainMode": 0}})
    assert "did not take effect" in message and "'enabled'" in message


def test_holds_come_back_as_json_text_or_null():
    assert wlm.parse_holds(None) is None and wlm.parse_holds("") is None
    assert wlm.parse_holds('{"version": 1}') == {"version": 1}
    assert wlm.parse_holds("{oops") == {"damaged": "{oops"}


def test_overridden_compares_what_we_set_with_what_the_host_has():
    ours = {"WinStationsDisabled": 0, "TSServerDrainMode": 2}
    assert not wlm.overridden({"before": dict(ours), "applied": dict(ours)})
    assert wlm.overridden({"before": {"WinStationsDisabled": 1, "TSServerDrainMode": 2}, "applied": ours})
    assert wlm.overridden({"before": {}, "applied": ours})  # absent values are 0: enabled by someone
    # A store written before the values were kept: taken as ours, as it was then.
    assert not wlm.overridden({"before": {"WinStationsDisabled": 1}, "applied": None})


def test_our_drain_until_restart_ended_by_a_restart_is_not_someone_elses():
    ours = {"WinStationsDisabled": 0, "TSServerDrainMode": 1}
    after = {"WinStationsDisabled": 0, "TSServerDrainMode": 0}
    assert not wlm.overridden({"before": after, "applied": ours, "restarted": True})
    assert wlm.overridden({"before": after, "applied": ours, "restarted": False})


def test_after_restart_ends_only_drain_until_restart():
    assert {s: wlm.after_restart(s) for s in STATES} == {
        "disabled": "disabled", "drain": "drain", "drain_until_restart": "enabled", "enabled": "enabled"}
