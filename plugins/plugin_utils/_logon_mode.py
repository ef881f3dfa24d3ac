# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows logon modes: the registry values ``change logon`` (chglogon.exe) sets.

PRIVATE to the termserv.sessions collection: no compatibility promise.

* WinStationsDisabled, HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon:
  1 refuses every logon and reconnection (``/disable``).
* TSServerDrainMode, HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server:
  1 drain until restart (``/drainuntilrestart``), 2 drain (``/drain``), 0 allow.
With WinStationsDisabled = 1 the drain mode does not matter.
"""
from __future__ import annotations

import typing as t

REGISTRY: dict[str, dict[str, int]] = {
    "enabled": {"WinStationsDisabled": 0, "TSServerDrainMode": 0},
    "drain_until_restart": {"WinStationsDisabled": 0, "TSServerDrainMode": 1},
    "drain": {"WinStationsDisabled": 0, "TSServerDrainMode": 2},
    "disabled": {"WinStationsDisabled": 1},
}


def state_of(values: t.Mapping[str, t.Any]) -> str:
    """The logon mode the registry values mean; absent values are Windows' defaults (0)."""
    if int(values.get("WinStationsDisabled") or 0) != 0:
        return "disabled"
    drain = int(values.get("TSServerDrainMode") or 0)
    return {1: "drain_until_restart", 2: "drain"}.get(drain, "enabled")


def windows_result(state: str, target: t.Mapping[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """Turn win_logon_mode's raw registry values into the module's result."""
    before = state_of(target.get("before", {}))
    after = state_of(target.get("after", {})) if not check_mode else state
    result: dict[str, t.Any] = {
        "changed": before != state,
        "previous_state": before,
        "state": after,
        "diff": {"before": {"state": before}, "after": {"state": state}},
    }
    if not check_mode and after != state:
        result["failed"] = True
        result["msg"] = (f"change logon did not take effect: the registry says {after!r} "
                         f"after asking for {state!r}")
    return result
