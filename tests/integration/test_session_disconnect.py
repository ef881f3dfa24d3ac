# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""session_disconnect on real ssh sessions: Linux cannot disconnect them, and says so.

Until an xrdp mechanism is proven on a real xrdp host, every Linux session is skipped with
reason cannot_disconnect, in check mode and for real, and every session stays alive.
"""
from __future__ import annotations

import pytest


def disconnect_task(register: str, **args) -> dict:
    return {"name": f"Disconnect ({register})", "termserv.sessions.session_disconnect": args,
            "register": register}


def reasons(result: dict) -> dict[str, str]:
    return {s["id"]: s["reason"] for s in result["skipped_sessions"]}


def test_ssh_sessions_cannot_be_disconnected_and_stay_alive(ground, open_sessions, is_alive):
    admin = open_sessions("admin")[0]
    others = open_sessions("admin2", 2)
    run = ground.run([disconnect_task("real", exclude_users=["admin"], timeout=20),
                      disconnect_task("again", exclude_users=["admin"])])
    assert run.rc == 0, run.stdout + run.stderr
    for name in ("real", "again"):
        result = run[name]
        assert result["changed"] is False and result["disconnected"] == [] and result["errors"] == []
        got = reasons(result)
        assert all(got[h.id] == "cannot_disconnect" for h in others), got
        assert got[admin.id] == "user_excluded"
    detail = {s["id"]: s["detail"] for s in run["real"]["skipped_sessions"]}[others[0].id]
    assert "only xrdp sessions can be disconnected" in detail
    assert is_alive(admin) and all(is_alive(h) for h in others)


def test_check_mode_and_diff_predict_the_same(ground, open_sessions, is_alive):
    handle = open_sessions("admin2")[0]
    preview = ground.run([disconnect_task("preview", users=["admin2"])], check=True, diff=True)
    assert preview.rc == 0, preview.stdout + preview.stderr
    result = preview["preview"]
    assert result["changed"] is False and result["disconnected"] == []
    assert reasons(result)[handle.id] == "cannot_disconnect"
    assert result["msg"].startswith("Would have disconnected 0 sessions")
    # Nothing would change: the table before equals the table after, and shows the session.
    assert result["diff"]["before"] == result["diff"]["after"]
    assert "admin2" in result["diff"]["before"]
    assert is_alive(handle)


@pytest.mark.parametrize("args, option", [
    ({"min_idle": "5 parsecs"}, "min_idle"),
    ({"timeout": 0}, "timeout"),
    ({"notify_msg": "bye"}, "notify_msg"),
])
def test_a_bad_option_fails_naming_it_and_touches_nothing(ground, open_sessions, is_alive, args, option):
    handle = open_sessions("admin2")[0]
    run = ground.run([disconnect_task("bad", users=["admin2"], **args)])
    assert run.rc != 0
    assert run["bad"]["failed"] is True and option in run["bad"]["msg"], run["bad"]
    assert is_alive(handle)
