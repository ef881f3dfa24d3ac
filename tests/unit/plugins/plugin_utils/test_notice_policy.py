# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a desktop notice's outcome means (issue 24 item 2): plugin_utils/_notice.py."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _flow, _notice
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import logoff_options, message_options


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


class Host:
    """A host whose session_message target answers with ``answers`` (id -> result)."""

    def __init__(self, sessions, answers):
        self.sessions, self.answers, self.calls = sessions, answers, []

    def __call__(self, name, args):
        self.calls.append(name)
        if name == "session_info":
            return {"sessions": [dict(s) for s in self.sessions], "own_session_ids": [], "is_admin": True}
        if name == "session_message":
            return {"results": [self.answers[t["id"]] for t in args["_targets"]]}
        if name == "session_logoff":
            return {"results": [{"id": t["id"], "result": "logged_off"} for t in args["_targets"]]}
        raise AssertionError(name)


ANSWERS = {"c1": {"id": "c1", "result": "delivered", "via": "notification", "notification_id": 4,
                  "bus": "unix:path=/run/user/1001/bus"},
           "7": {"id": "7", "result": "delivered", "via": "terminal"},
           "c2": {"id": "c2", "result": "not_delivered", "via": "notification", "bus": None,
                  "error": "session c2: no D-Bus session bus"}}
SESSIONS = [desk("c1"), desk("7", kind="terminal", station="pts/1"), desk("c2", user="bob")]


def test_the_reason_names_why_and_each_delivery_says_how():
    result = _flow.message(message_options({"msg": "hello"}), Host(SESSIONS, ANSWERS), False, False)
    assert [(d["id"], d["via"], d.get("notification_id")) for d in result["delivered"]] == [
        ("c1", "notification", 4), ("7", "terminal", None)]
    [skipped] = result["skipped_sessions"]
    assert (skipped["id"], skipped["reason"], skipped["detail"]) == (
        "c2", "no_session_bus", "session c2: no D-Bus session bus")
    assert result["changed"] is True and result["msg"] == "Notified 2 sessions; skipped 1."


def test_a_delivery_without_an_id_is_not_one():
    answers = {"c1": {"id": "c1", "result": "delivered", "via": "notification"}}
    result = _flow.message(message_options({"msg": "hello"}), Host([desk("c1")], answers), False, False)
    assert result["delivered"] == [] and result["changed"] is False
    assert [s["reason"] for s in result["skipped_sessions"]] == ["notification_failed"]
    assert result["msg"] == "Notified 0 sessions; skipped 1."


def test_a_desktop_that_got_no_notice_is_a_warning_of_the_logoff():
    """session_logoff (and the role) log a desktop off after grace whether or not it saw the
    notice: the task says which desktops got nothing and why (before: nothing at all)."""
    host = Host(SESSIONS, ANSWERS)
    result = _flow.logoff(logoff_options({"notify_msg": "going down"}), host, lambda s: None, False, False)
    assert [n["id"] for n in result["notified"]] == ["c1", "7"]
    assert [w for w in result.get("warnings", []) if "not shown" in w] == [
        "notice to session c2 not shown: no_session_bus: session c2: no D-Bus session bus"]
    assert sorted(s["id"] for s in result["logged_off"]) == ["7", "c1", "c2"]


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
