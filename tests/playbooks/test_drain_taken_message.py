# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's message right after the drain is taken, rendered by Ansible from given
logon_mode results (no real host; the drain itself: tests/role and tests/farm)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.playbooks.render import REPO
from tests.playbooks.render import render as render_template
TEMPLATE = REPO / "roles" / "logoff_all" / "templates" / "drain_taken.j2"
UNTIL = 1_800_000_000  # 2027-01-15 08:00:00 UTC


def render(drain: dict[str, object], tmp_path: Path) -> list[str]:
    return render_template(TEMPLATE, {"__logoff_all_drain": drain}, tmp_path)


def drain(**mechanisms: bool) -> dict[str, object]:
    return {"holder": "AWX job 7", "holds": [{"holder": "AWX job 7", "until": UNTIL}],
            "mechanisms": {path: {"service": path, "covered": covered} for path, covered in mechanisms.items()}}


def test_a_logon_path_the_drain_leaves_open_is_named_first(tmp_path):
    """Issue 24: a drain that does not hold on a path the host serves is said at once."""
    lines = render(drain(ssh=True, console=True, xrdp=False), tmp_path)
    assert lines[0] == "localhost: this drain does NOT refuse new xrdp logons on this host."
    assert "until 2027-01-15 08:00:00 UTC" in lines[1]


@pytest.mark.parametrize("mechanisms", [{"ssh": True, "xrdp": True}, {}])
def test_a_drain_that_covers_every_path_says_nothing_of_open_paths(tmp_path, mechanisms):
    """Every path covered, or a Windows host (no mechanisms): only the hold's expiry."""
    lines = render(drain(**mechanisms), tmp_path)
    assert not any("NOT refuse" in line for line in lines)
    assert lines[0].startswith("localhost: new logons are refused until 2027-01-15 08:00:00 UTC")
