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

import json
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


# The switch of chglogon.exe for each state; passed to the .ps1, which repeats none of this.
SWITCH = {"enabled": "/enable", "drain": "/drain", "drain_until_restart": "/drainuntilrestart",
          "disabled": "/disable"}


def target_table() -> dict[str, dict[str, t.Any]]:
    """What win_logon_mode needs per state: the switch and the registry values to expect."""
    return {state: {"switch": SWITCH[state], "values": dict(values)} for state, values in REGISTRY.items()}


def after_restart(state: str) -> str:
    """The mode ``state`` means once the host has restarted: "drain until restart" is over."""
    return "enabled" if state == "drain_until_restart" else state


def parse_holds(raw: t.Any) -> t.Any:
    """The hold store as win_logon_mode returns it: a JSON string from the registry, or null."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return {"damaged": raw}
    return raw


def check_after(state: str, target: t.Mapping[str, t.Any]) -> str | None:
    """An error message when the registry does not show ``state`` after chglogon ran."""
    after = state_of(target.get("after", {}))
    if after != state:
        return (f"change logon did not take effect: the registry says {after!r} "
                f"after asking for {state!r}")
    return None


def overridden(facts: t.Mapping[str, t.Any]) -> bool:
    """Did someone else change the mode since this collection last set it?

    win_logon_mode keeps the two registry values our last change left (``applied``) next to
    the hold store; an admin's ``change logon`` or Server Manager's "Do not allow new
    connections" leaves others. A store without them (written before they were kept) is
    taken as ours, as it was then.
    """
    applied = dict(facts.get("applied") or {})
    if not applied:
        return False
    if facts.get("restarted") and int(applied.get("TSServerDrainMode") or 0) == 1:
        # Our own "drain until restart" ended with the restart: Windows, not someone else.
        applied["TSServerDrainMode"] = 0
    before = facts.get("before") or {}
    return any(int(before.get(name) or 0) != int(value or 0) for name, value in applied.items())
