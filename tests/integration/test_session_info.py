# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""session_info on real ssh sessions opened by the sandbox."""
from __future__ import annotations

import datetime

import pytest


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def test_every_field_matches_what_the_test_opened(ground, open_sessions):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    opened = open_sessions("admin", 2) + open_sessions("admin2") + open_sessions("TsuUp")
    after = datetime.datetime.now(datetime.timezone.utc)
    run = ground.run([{"name": "List", "termserv.sessions.session_info": {}, "register": "info"}])
    assert run.rc == 0, run.stdout
    found = {s["id"]: s for s in run["info"]["sessions"]}
    assert run["info"]["backend"] == ground.backend
    for handle in opened:
        session = found[handle.id]
        assert session["user"] == handle.user
        assert session["station"] == handle.tty
        assert session["client"] == "127.0.0.1"
        assert session["domain"] == "" and session["disconnected_seconds"] is None
        assert session["state"] == "active" and session["console"] is False
        assert session["pid"] == handle.ut_pid
        assert before - datetime.timedelta(seconds=1) <= _utc(session["logon_time"]) <= after
        assert 0 <= session["idle_seconds"] <= (after - before).total_seconds() + 60


def test_exclude_admin_keeps_admin2(ground, open_sessions):
    admin = open_sessions("admin")[0]
    admin2 = open_sessions("admin2")[0]
    run = ground.run([{"name": "List all but admin", "termserv.sessions.session_info": {
        "exclude_users": ["admin"]}, "register": "info"}])
    selected = {s["id"]: s["user"] for s in run["info"]["sessions"]}
    skipped = {s["id"]: s["reason"] for s in run["info"]["skipped_sessions"]}
    assert selected[admin2.id] == "admin2"
    assert admin.id not in selected and skipped[admin.id] == "user_excluded"


def test_user_patterns_are_case_sensitive_on_linux(ground, open_sessions):
    upper = open_sessions("TsuUp")[0]
    run = ground.run([
        {"name": "Lower case", "termserv.sessions.session_info": {"users": ["tsuup"]}, "register": "lower"},
        {"name": "Glob", "termserv.sessions.session_info": {"users": ["Tsu*"]}, "register": "glob"},
    ])
    assert upper.id not in {s["id"] for s in run["lower"]["sessions"]}
    assert upper.id in {s["id"] for s in run["glob"]["sessions"]}


def test_the_session_the_task_runs_in_is_its_own(ground, open_sessions):
    open_sessions("admin2")
    rc, output = ground.run_in_root_session(run_tasks_command({"users": ["root"]}))
    assert rc == 0, output
    assert "OWN_SESSION_FOUND" in output, output


def run_tasks_command(args: dict) -> list[str]:
    """argv that runs session_info inside a session and prints a marker if its own session is there."""
    import json
    import sys
    from pathlib import Path
    script = Path(__file__).with_name("own_session_probe.py")
    return [sys.executable, str(script), json.dumps(args)]


@pytest.mark.parametrize("args, option", [
    ({"states": ["active", "sleeping"]}, "states"),
    ({"min_idle": "5 parsecs"}, "min_idle"),
    ({"users": {"admin": True}}, "users"),
    ({"no_such_option": 1}, "no_such_option"),
])
def test_bad_options_fail_naming_the_option(ground, args, option):
    run = ground.run([{"name": "Bad", "termserv.sessions.session_info": args, "register": "bad",
                      "ignore_errors": True}])
    assert run["bad"]["failed"] is True
    assert option in run["bad"]["msg"]
