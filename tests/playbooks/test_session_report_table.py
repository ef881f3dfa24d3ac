# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session_report table, rendered by Ansible from given session_info results (no real
sessions; the playbook against real ones: tests/role, test_session_report_*)."""
from __future__ import annotations

from pathlib import Path

from tests.playbooks.render import REPO
from tests.playbooks.render import render as render_template

TEMPLATE = REPO / "playbooks" / "templates" / "session_table.j2"


def session(sid: str, user: str, **extra: object) -> dict[str, object]:
    return {"id": sid, "user": user, "domain": "", "state": "active", "station": sid, "client": "10.0.0.5",
            "logon_time": "2026-12-06T08:00:00Z", "idle_seconds": 42, "console": False, **extra}


def render(result: dict[str, object], tmp_path: Path) -> list[str]:
    """The template's lines, rendered by ansible-playbook (its own filters, its escaping)."""
    return render_template(TEMPLATE, {"report_sessions": result}, tmp_path)


def test_the_last_column_says_why_a_session_is_not_selected(tmp_path):
    result = {"sessions": [session("pts/1", "alice")],
              "skipped_sessions": [session("pts/0", "root", reason="own_session"),
                                   session("tty1", "bob", reason="console", console=True)]}
    table = render(result, tmp_path)
    header, *rows = [line for line in table if line]
    assert header.split()[-3:] == ["NOT", "SELECTED", "BECAUSE"]
    ends = {row.split()[0]: row.split()[-1] for row in rows}
    assert ends == {"pts/1": "-", "pts/0": "own_session", "tty1": "console"}
    # a report selects nothing: no row may claim "selected"
    assert not any("selected" in row for row in rows)
