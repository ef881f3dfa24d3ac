# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a desktop notice's outcome means (issue 24 item 2): plugin_utils/_notice.py."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _notice
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel


def desk(sid="c1", **kw):
    base = {"id": sid, "user": "admin", "domain": "", "state": "active", "station": "x11", "client": "",
            "logon_time": "2026-12-07T02:00:00Z", "idle_seconds": 1, "disconnected_seconds": None,
            "console": False, "pid": 164, "kind": "graphical"}
    base.update(kw)
    return base


def test_reasons_say_why_a_desktop_got_nothing():
    bus = "unix:path=/run/user/1001/bus"
    assert _notice.reason({"via": "notification", "bus": None}) == "no_session_bus"
    for name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
                 "org.freedesktop.DBus.Error.Spawn.ChildExited", "org.freedesktop.systemd1.UnitMasked"):
        assert _notice.reason({"via": "notification", "bus": bus, "dbus_error": name}) == "no_notification_server"
    assert _notice.reason({"via": "notification", "bus": bus, "dbus_error": "org.freedesktop.DBus.Error.AccessDenied"}) \
        == "notification_failed"
    assert _notice.reason({"via": "notification", "bus": bus, "error": "timed out"}) == "notification_failed"
    # a terminal session or a session that went disconnected: as before
    assert _notice.reason({"result": "not_delivered"}) == sel.DISCONNECTED


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3)),
       st.sampled_from(["delivered", "not_delivered", "error"]))
def test_a_notification_is_delivered_only_with_the_servers_id(number, outcome):
    res = {"result": outcome, "via": "notification", "notification_id": number}
    assert _notice.delivered(res) == (outcome == "delivered" and isinstance(number, int)
                                      and not isinstance(number, bool))


def test_explain_names_the_reason_and_says_how_each_was_shown():
    flow = {"changed": True, "delivered": [desk("c1"), desk("7", kind="terminal", station="pts/1")],
            "skipped_sessions": [dict(desk("c2"), reason="disconnected", detail="x")],
            "errors": [], "msg": "Notified 2 sessions; skipped 1."}
    targets = {"c1": {"id": "c1", "result": "delivered", "via": "notification", "notification_id": 4,
                      "bus": "unix:path=/run/user/1001/bus"},
               "7": {"id": "7", "result": "delivered", "via": "terminal"},
               "c2": {"id": "c2", "result": "not_delivered", "via": "notification", "bus": None,
                      "error": "session c2: no D-Bus session bus"}}
    out = _notice.explain(flow, targets)
    assert [(d["id"], d["via"], d.get("notification_id")) for d in out["delivered"]] == [
        ("c1", "notification", 4), ("7", "terminal", None)]
    [skipped] = out["skipped_sessions"]
    assert (skipped["reason"], skipped["detail"]) == ("no_session_bus", "session c2: no D-Bus session bus")
    assert out["changed"] is True and out["msg"] == flow["msg"]


def test_a_delivery_without_an_id_is_not_one():
    flow = {"changed": True, "delivered": [desk("c1")], "skipped_sessions": [], "errors": [],
            "msg": "Notified 1 session; skipped 0."}
    out = _notice.explain(flow, {"c1": {"id": "c1", "result": "delivered", "via": "notification"}})
    assert out["delivered"] == [] and out["changed"] is False
    assert [s["reason"] for s in out["skipped_sessions"]] == ["notification_failed"]
    assert out["msg"] == "Notified 0 sessions; skipped 1."


def test_check_mode_and_windows_results_pass_unchanged():
    flow = {"changed": True, "delivered": [desk("c1")], "skipped_sessions": [], "errors": [], "msg": "m"}
    assert _notice.explain(flow, {}) == flow


def test_the_action_plugin_reports_the_reason_of_a_desktop_without_a_server(monkeypatch):
    """session_message's action: before issue 24 a desktop's not_delivered was reason
    ``disconnected`` (the only reason the flow knows)."""
    import sys
    from pathlib import Path
    from unittest.mock import MagicMock
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "action"))
    from test_session_logoff_action import make  # pylint: disable=import-error,import-outside-toplevel
    from ansible_collections.termserv.sessions.plugins.action import session_message

    def execute(module_name, module_args, task_vars):
        if module_name.endswith("session_info"):
            return {"sessions": [desk("c1")], "own_session_ids": [], "is_admin": True}
        return {"results": [{"id": "c1", "result": "not_delivered", "via": "notification",
                             "bus": "unix:path=/run/user/1001/bus",
                             "dbus_error": "org.freedesktop.DBus.Error.ServiceUnknown",
                             "error": "session c1: no server", "error_code": 0}]}

    plugin = make(session_message, {"msg": "hello"})
    monkeypatch.setattr(plugin, "_execute_module", MagicMock(side_effect=execute))
    result = plugin.run(task_vars={})
    assert result["delivered"] == [] and result["changed"] is False
    assert [(s["id"], s["reason"]) for s in result["skipped_sessions"]] == [("c1", "no_notification_server")]
