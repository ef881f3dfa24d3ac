# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a Linux drain covers on a host, said to people (issue 24 item 1).

The target reports ``mechanisms``: per logon path the host serves (ssh, console, xrdp, by
its PAM service file), whether a nologin file refuses it and how. A host that refuses
logons but leaves a path open must say so: never report a drain that does not hold.
"""
from __future__ import annotations

import typing as t

REFUSING = frozenset({"drain", "drain_until_restart", "disabled"})


def uncovered(mechanisms: t.Mapping[str, t.Mapping[str, t.Any]] | None, would_hook: bool = False) -> list[str]:
    """The logon paths a nologin file does not refuse, sorted. ``would_hook``: check mode
    of a drain this run would write, which would also put its lines in (``hookable``)."""
    return sorted(name for name, info in (mechanisms or {}).items()
                  if not info.get("covered") and not (would_hook and info.get("hookable")))


def warnings(state: str, mechanisms: t.Mapping[str, t.Mapping[str, t.Any]] | None,
             would_hook: bool = False) -> list[str]:
    """One warning per open path while logons are meant to be refused; none otherwise."""
    if state not in REFUSING:
        return []
    return [f"logons are {state} but new {name} logons are NOT refused on this host "
            f"({(mechanisms or {})[name].get('how')})" for name in uncovered(mechanisms, would_hook)]
