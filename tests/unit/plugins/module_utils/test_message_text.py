# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What session_message writes to a terminal can never carry a control sequence."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.module_utils._linux_message import is_terminal, render, sanitize, write_tty


def test_escape_sequences_are_removed_text_is_kept():
    evil = "save\x1b[2J\x1b]0;pwned\x07 now\x9b31m\u202eevil\r"
    assert sanitize(evil) == "save[2J]0;pwned now31mevil"


def test_render_frames_title_and_turns_newlines_into_crlf():
    data = render("line one\nline two", "Maintenance\x1b[1m")
    assert data == b"\r\n\a*** Maintenance[1m ***\r\nline one\r\nline two\r\n"


@given(st.text(), st.text())
def test_rendered_bytes_hold_no_control_character_but_cr_lf_bel_tab(msg, title):
    text = render(msg, title).decode("utf-8")
    for ch in text:
        if ch in "\r\n\a\t":
            continue
        assert unicodedata.category(ch) not in ("Cc", "Cf"), repr(ch)
    # Every printable character of the message survives.
    kept = "".join(c for c in msg if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))
    assert kept.replace("\n", "\r\n") in text


# Issue 11.8: the old check was re.match(r"^(pts/\d+|tty[A-Za-z]*\d+|console)$"), which took
# every name below but the first two.
@pytest.mark.parametrize("station, ok", [
    ("pts/3", True), ("tty2", True),
    ("pts/3\n", False),          # $ matched before a trailing newline
    ("pts/\u0663", False),       # \d took an Arabic-Indic digit
    ("ttyS0", False), ("ttyUSB0", False), ("console", False),
    ("pts/../sda", False), ("", False),
])
def test_only_pts_n_and_tty_n_are_terminals(station, ok):
    assert is_terminal(station) is ok


def test_write_tty_refuses_a_name_that_is_not_a_terminal():
    with pytest.raises(OSError):
        write_tty("ttyS0", b"x")
