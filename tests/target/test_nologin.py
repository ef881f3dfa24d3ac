# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""logon_mode's nologin files, in a temporary directory."""
from __future__ import annotations

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _nologin


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "run").mkdir()
    return _nologin.Paths(etc=str(tmp_path / "etc" / "nologin"), run=str(tmp_path / "run" / "nologin"),
                          owner_dir=str(tmp_path / "run" / "termserv-sessions"))


def set_state(state, paths, msg=None):
    todo = _nologin.plan(state, msg, paths)
    _nologin.apply(todo, paths)
    return bool(todo["write"] or todo["remove"])


@pytest.mark.parametrize("state, file", [("drain", "etc"), ("disabled", "etc"),
                                         ("drain_until_restart", "run")])
def test_each_state_round_trips_and_is_idempotent(paths, state, file):
    assert _nologin.current_state(paths) == "enabled"
    assert set_state(state, paths, "back at 23:00") is True
    assert _nologin.current_state(paths) == state
    with open(getattr(paths, file), encoding="utf-8") as handle:
        assert handle.read() == "back at 23:00\n"
    assert set_state(state, paths, "back at 23:00") is False  # second run: no change
    assert set_state("enabled", paths) is True
    assert _nologin.current_state(paths) == "enabled"


def test_a_foreign_nologin_survives_a_drain_restore_cycle(paths):
    with open(paths.etc, "w", encoding="utf-8") as handle:
        handle.write("another admin's text\n")
    assert _nologin.current_state(paths) == "drain"
    set_state("drain_until_restart", paths)  # writes /run/nologin, leaves /etc/nologin alone
    with open(paths.etc, encoding="utf-8") as handle:
        assert handle.read() == "another admin's text\n"


def test_our_own_file_is_removed_when_switching_modes(paths):
    set_state("drain", paths)
    set_state("drain_until_restart", paths)
    import os
    assert not os.path.exists(paths.etc) and os.path.exists(paths.run)


def test_changed_text_rewrites_the_file(paths):
    set_state("drain", paths, "one")
    assert set_state("drain", paths, "two") is True
    assert _nologin.current_msg(paths) == "two\n"
