# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows logon modes: registry values <-> states, and the result of win_logon_mode."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _logon_mode

STATES = sorted(_logon_mode.REGISTRY)


@pytest.mark.parametrize("state", STATES)
def test_registry_values_round_trip(state):
    assert _logon_mode.state_of(_logon_mode.REGISTRY[state]) == state


@given(st.integers(0, 5), st.integers(0, 5))
def test_disabled_wins_over_any_drain_mode(drain, disabled):
    state = _logon_mode.state_of({"WinStationsDisabled": disabled, "TSServerDrainMode": drain})
    assert (state == "disabled") == (disabled != 0)


def test_missing_values_mean_enabled():
    assert _logon_mode.state_of({}) == "enabled"


def test_result_reports_previous_state_and_change():
    raw = {"before": {"WinStationsDisabled": 0, "TSServerDrainMode": 0},
           "after": {"WinStationsDisabled": 0, "TSServerDrainMode": 2}}
    result = _logon_mode.windows_result("drain", raw, check_mode=False)
    assert result["previous_state"] == "enabled" and result["state"] == "drain"
    assert result["changed"] is True and "failed" not in result


def test_result_fails_when_chglogon_did_not_take_effect():
    raw = {"before": {"TSServerDrainMode": 0}, "after": {"TSServerDrainMode": 0}}
    result = _logon_mode.windows_result("drain", raw, check_mode=False)
    assert result["failed"] is True and "did not take effect" in result["msg"]


def test_check_mode_predicts_without_after_values():
    raw = {"before": {"WinStationsDisabled": 1}, "after": {"WinStationsDisabled": 1}}
    result = _logon_mode.windows_result("enabled", raw, check_mode=True)
    assert result == {"changed": True, "previous_state": "disabled", "state": "enabled",
                      "diff": {"before": {"state": "disabled"}, "after": {"state": "enabled"}}}
