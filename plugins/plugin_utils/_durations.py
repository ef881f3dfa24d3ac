# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Durations such as ``90``, ``"90s"``, ``"30m"``, ``"1h30m"``, ``"1d"``.

PRIVATE to the termserv.sessions collection: no compatibility promise.
"""
from __future__ import annotations

import re
import typing as t

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Units must come in descending order and at most once each: "1h30m", not "30m1h".
_DURATION_RE = re.compile(
    r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$"
)


class DurationError(ValueError):
    """A value that is not a duration; the message names the option and the value."""


def parse_duration(value: t.Any, option: str) -> int:
    """Return ``value`` in whole seconds, or raise DurationError naming ``option``.

    Accepts a non-negative int, a string of digits, or a string of ``<n>d``, ``<n>h``,
    ``<n>m``, ``<n>s`` parts in that order (spaces and case are ignored).
    """
    hint = 'an int of seconds or a string such as "90s", "30m", "2h", "1d", "1h30m"'
    if isinstance(value, bool):  # bool is an int subclass; True seconds is a mistake
        raise DurationError(f"{option}: {value!r} is not a duration; expected {hint}")
    if isinstance(value, int):
        if value < 0:
            raise DurationError(f"{option}: {value!r} is negative; expected {hint}")
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if not isinstance(value, str):
        raise DurationError(f"{option}: {value!r} is not a duration; expected {hint}")
    text = value.replace(" ", "").lower()
    if text.isdigit():
        return int(text)
    match = _DURATION_RE.match(text)
    if not text or match is None or not any(match.groupdict().values()):
        raise DurationError(f"{option}: {value!r} is not a duration; expected {hint}")
    return sum(UNITS[unit] * int(n) for unit, n in match.groupdict().items() if n)


def format_duration(seconds: int) -> str:
    """The shortest canonical text for ``seconds``: 5400 -> "1h30m", 0 -> "0s"."""
    if seconds < 0:
        raise ValueError(f"negative duration {seconds}")
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
