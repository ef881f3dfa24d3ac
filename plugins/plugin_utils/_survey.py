# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lists from AWX surveys and ``-e key=value``, which send every value as text.

PRIVATE to the termserv.sessions collection: no compatibility promise.

A list variable arrives as a real list (YAML or JSON extra vars), as a comma/newline
separated string (an AWX survey textarea), or as a list written as text: ``-e
'logoff_all_exclude_users=["admin"]'`` gives the string ``["admin"]`` (issue 23 item 1).
Taken as a pattern, that string matches nobody, and an exclusion that matches nobody logs
off the people it was meant to keep. So a string that is a list literal becomes that list,
and one that looks like a list but does not parse is an error: never a pattern.
"""
from __future__ import annotations

import ast
import json
import re
import typing as t

_SEPARATORS = re.compile(r"[,\r\n]+")
_QUOTES = ('"', "'")


class ListValueError(TypeError):
    """A value that is not a list, or a list written as text that does not parse."""


def _items(value: list | tuple, name: str) -> list[str]:
    items = []
    for item in value:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise ListValueError(f"{name}: list items must be strings, got {item!r}")
        items.append(str(item).strip())
    return [i for i in items if i]


def _looks_like_a_list(text: str) -> bool:
    """``[...]``, ``["...``, or ``[`` with a quote and a comma anywhere: meant as a list.

    A glob may start and end with a character class (``[Aa]dmin[0-9]``): such a value is
    a list only if it parses as one (below); it is an error only when it also holds a
    quote or a comma, which no user name and no sensible glob holds together with ``[``.
    """
    quoted = any(q in text for q in _QUOTES)
    return (text.startswith("[") and (text.endswith("]") or quoted)) or (
        "[" in text and "," in text and quoted)


def _brackets_pair(item: str) -> bool:
    """Every ``[`` of a glob closes with a ``]`` and no ``]`` stands alone (``[Aa]dmin``
    pairs; ``[admin`` and ``ops]`` do not). Character classes do not nest."""
    inside = False
    for char in item:
        if char == "[" and not inside:
            inside = True
        elif char == "]":
            if not inside:
                return False
            inside = False
    return not inside


def _parse_list_literal(text: str) -> list | None:
    """A JSON list of strings and numbers, a Python list of strings (``['a', 'b']``, how
    Ansible prints one) or a plain ``[a, b]`` (items as typed: no brackets or quotes in
    them, ``[yes, 00, None]`` stays text); else None."""
    try:
        parsed = json.loads(text)
        if isinstance(parsed, list) and all(isinstance(i, str) or (isinstance(i, int) and not isinstance(i, bool)) for i in parsed):
            return parsed
    except (ValueError, RecursionError):
        pass
    try:
        # literal_eval evaluates nothing: only Python literals are accepted.
        parsed = ast.literal_eval(text)
        if isinstance(parsed, (list, tuple)) and all(isinstance(i, str) for i in parsed):
            return list(parsed)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    inner = text[1:-1] if text.startswith("[") and text.endswith("]") else None
    if inner is None or any(c in inner for c in "[]\"'"):
        return None
    return inner.split(",")


def split_list(value: t.Any, name: str = "value") -> list[str]:
    """A list as is; a list literal as its items; else split at commas and newlines.

    Items are stripped and empty ones dropped. ``None`` and ``""`` give ``[]`` (an empty
    survey answer). A string that looks like a list (``_looks_like_a_list``) but does not
    parse as one, a dict, a number, or a list of lists is an error naming ``name``.
    """
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        hint = (f"Give a JSON list, e.g. -e '{{\"{name}\": [\"admin\", \"svc_*\"]}}', "
                f"or a comma-separated string, e.g. {name}=admin,svc_*")
        if _looks_like_a_list(text):
            parsed = _parse_list_literal(text)
            if parsed is not None:
                items = _items(parsed, name)
                if not items and parsed:
                    raise ListValueError(f"{name}: {value!r} holds only empty items. {hint}")
                return items
            if any(q in text for q in _QUOTES) or "," in text:
                raise ListValueError(
                    f"{name}: {value!r} looks like a list but is not one (unbalanced brackets or "
                    f"quotes?). {hint}")
        items = [item.strip() for item in _SEPARATORS.split(value) if item.strip()]
        if text and not items:
            raise ListValueError(f"{name}: {value!r} holds only separators, no item. {hint}")
        stray = [item for item in items if not _brackets_pair(item)]
        if stray:
            # "[admin,ops" gives "[admin": a pattern that matches nobody, so the people it
            # was meant to keep would be logged off (review of issue 23 item 1).
            raise ListValueError(
                f"{name}: {', '.join(repr(i) for i in stray)} in {value!r} has a bracket without "
                f"its pair (a list cut short?). {hint}")
        return items
    if isinstance(value, (list, tuple)):
        return _items(value, name)
    raise ListValueError(f"{name}: expected a list or a comma/newline-separated string, got {value!r}")
