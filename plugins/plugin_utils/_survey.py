# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lists from AWX surveys, which send every answer as text.

PRIVATE to the termserv.sessions collection: no compatibility promise.
"""
from __future__ import annotations

import re
import typing as t

_SEPARATORS = re.compile(r"[,\r\n]+")


def split_list(value: t.Any, name: str = "value") -> list[str]:
    """A list as is; a string split at commas and newlines, items stripped, empties dropped.

    ``None`` and ``""`` give ``[]`` (an empty survey answer). Anything else (a dict, a
    number) is an error naming ``name``.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in _SEPARATORS.split(value) if item.strip()]
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise TypeError(f"{name}: list items must be strings, got {item!r}")
            items.append(str(item).strip())
        return [i for i in items if i]
    raise TypeError(f"{name}: expected a list or a comma/newline-separated string, got {value!r}")
