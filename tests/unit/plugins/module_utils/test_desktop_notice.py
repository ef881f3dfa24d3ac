# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A notice to a graphical session (issue 24 item 2): the bus found from the session's own
processes or /run/user/UID/bus, the call made as the session's user, bounded in time.

Real: a desktop of user ``nobody`` (Xvfb, its dbus-daemon, dunst: desktop_bus.py); the
session is a process of it whose environment names the bus. The farm's
test_desktop_notice.py does the same on an xrdp host with a real RDP session.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _desktop_notice, _linux_message
from tests.unit.plugins.module_utils import desktop_bus

needs_desktop = pytest.mark.skipif(not desktop_bus.available() or os.geteuid() != 0,
                                   reason="needs root, Xvfb, dbus-daemon and dunst")


@pytest.mark.parametrize("text, expected", [
    ("unix:path=/run/user/1000/bus", [("unix:path=/run/user/1000/bus", "/run/user/1000/bus")]),
    ("unix:path=/tmp/dbus-a%2cb,guid=0123", [("unix:path=/tmp/dbus-a,b", "/tmp/dbus-a,b")]),
    ("unix:abstract=/tmp/dbus-XY,guid=1", [("unix:abstract=/tmp/dbus-XY", b"\0/tmp/dbus-XY")]),
    ("tcp:host=127.0.0.1,port=5;unix:path=/b", [("unix:path=/b", "/b")]),
    ("autolaunch:;unixexec:path=/bin/sh;unix:tmpdir=/tmp;unix:path=relative", []),
])
def test_only_unix_sockets_are_taken_from_an_address(text, expected):
    assert _desktop_notice.parse_address(text) == expected


def session_process(box: desktop_bus.Desktop, env: dict | None = None) -> subprocess.Popen:
    """A program of the desktop's session, started with the session's environment."""
    return box.start(["sleep", "60"], env=env) if env is not None else box.start(["sleep", "60"])


def session(pid: int, user: str = "nobody", sid: str = "7") -> dict:
    return {"id": sid, "user": user, "pid": pid, "kind": "graphical", "state": "active"}


@needs_desktop
def test_a_desktop_gets_the_notice_on_the_bus_its_processes_name(tmp_path):
    with desktop_bus.desktop() as box:
        member = session_process(box)
        out = _linux_message.notify_desktops(
            [session(member.pid)], "Save your work.\x1b[2J\nThe host restarts\u202e at 22:00.",
            "Maintenance\x07 tonight\nplease", run_user=str(tmp_path))
        res = out["7"]
        assert res["result"] == "delivered" and res["via"] == "notification", res
        assert isinstance(res["notification_id"], int) and res["bus"] == f"unix:path={box.bus}"
        [shown] = box.history()
        assert shown["id"] == res["notification_id"]
        # sanitised as on a terminal: no ESC, BEL or bidi override; the title is one line
        assert shown["summary"] == "Maintenance tonight please"
        assert shown["body"] == "Save your work.[2J\nThe host restarts at 22:00."
        assert shown["message"].startswith("urgency=critical|")


@needs_desktop
def test_run_user_bus_is_used_when_no_process_names_one():
    with desktop_bus.desktop() as box:
        tmp_path = box.dir / "run-user"
        tmp_path.mkdir()
        member = session_process(box, env={"PATH": "/usr/bin:/bin"})
        (tmp_path / str(box.uid)).mkdir()
        os.link(box.bus, tmp_path / str(box.uid) / "bus")  # the same socket, at /run/user/UID/bus
        res = _linux_message.notify_desktops([session(member.pid)], "m", "t", run_user=str(tmp_path))["7"]
        assert res["result"] == "delivered" and res["bus"] == f"unix:path={tmp_path}/{box.uid}/bus", res
        assert [s["summary"] for s in box.history()] == ["t"]


@needs_desktop
def test_no_notification_server_is_not_delivered_with_the_bus_s_error(tmp_path):
    with desktop_bus.desktop(server=False) as box:
        member = session_process(box)
        start = time.monotonic()
        res = _linux_message.notify_desktops([session(member.pid)], "m", "t", run_user=str(tmp_path))["7"]
        assert time.monotonic() - start < 4
        assert res["result"] == "not_delivered" and res["via"] == "notification", res
        assert res["dbus_error"] == "org.freedesktop.DBus.Error.ServiceUnknown"
        assert res["bus"] == f"unix:path={box.bus}" and "notification_id" not in res


@needs_desktop
def test_no_bus_at_all_is_not_delivered_without_a_bus(tmp_path):
    with desktop_bus.desktop() as box:
        member = session_process(box, env={"PATH": "/usr/bin:/bin"})
        res = _linux_message.notify_desktops([session(member.pid)], "m", "t", run_user=str(tmp_path))["7"]
        assert res["result"] == "not_delivered" and res["bus"] is None, res
        assert box.history() == []


@needs_desktop
def test_a_bus_named_by_another_users_process_or_owned_by_another_user_is_never_used(tmp_path):
    with desktop_bus.desktop() as box:
        tmp_path = box.dir
        # a root process naming the user's bus says nothing about the user's session
        root_member = subprocess.Popen(["sleep", "60"], env=box.env)
        # the user's process naming a socket root owns (a bus that is not the user's)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(tmp_path / "rootbus"))
        sock.listen(1)
        member = session_process(box, env=dict(box.env, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/rootbus"))
        try:
            assert _desktop_notice.buses([root_member.pid, member.pid], box.uid, run_user=str(tmp_path)) == []
            res = _linux_message.notify_desktops([session(member.pid)], "m", "t", run_user=str(tmp_path))["7"]
            assert res["result"] == "not_delivered" and res["bus"] is None
        finally:
            root_member.kill()
            root_member.wait()
            sock.close()
        assert box.history() == []


@needs_desktop
def test_a_bus_that_never_answers_is_bounded_and_its_child_killed():
    with desktop_bus.desktop(server=False) as box:
        path = box.dir / "silent"
        # the user's own listener (SO_PEERCRED says the user) that accepts and never answers
        box.start(["python3", "-c", "import socket, sys, time; s = socket.socket(socket.AF_UNIX);"
                   " s.bind(sys.argv[1]); s.listen(8); time.sleep(30)", str(path)])
        deadline = time.monotonic() + 10
        while not path.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        req = _desktop_notice.Request("9", box.uid, box.gid, [], [(f"unix:path={path}", str(path))])
        start = time.monotonic()
        out = _desktop_notice.notify_all([req], "t", "m", timeout=0.5)
        assert time.monotonic() - start < 0.5 + _desktop_notice.SLACK + 0.5
        assert "notification_id" not in out["9"] and out["9"]["bus"] == f"unix:path={path}", out
        assert "0.5 s" in out["9"]["error"] or "timed out" in out["9"]["error"], out


def test_an_unknown_user_is_an_error_and_a_user_we_cannot_become_too(monkeypatch):
    res = _linux_message.notify_desktops([session(os.getpid(), user="no-such-user-xyz")], "m", "t")["7"]
    assert res["result"] == "error" and "unknown user" in res["error"]
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    res = _linux_message.notify_desktops([session(os.getpid(), user="nobody")], "m", "t")["7"]
    assert res["result"] == "error" and res["error_code"] == 1  # EPERM


@needs_desktop
def test_session_message_sends_a_graphical_session_a_notification_and_a_terminal_its_text(monkeypatch):
    """The target's message(): a graphical session (no terminal) is notified on its desktop;
    before issue 24 it was an error, "has no terminal to write to"."""
    from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions
    with desktop_bus.desktop() as box:
        member = session_process(box)
        desk = dict(session(member.pid), logon_time="2026-12-07T02:00:00Z", station="x11")
        monkeypatch.setattr(_linux_sessions, "enumerate_sessions", lambda *a, **k: ("logind", [desk]))
        [res] = _linux_message.message([{k: desk[k] for k in ("id", "user", "logon_time", "pid", "station")}
                                        | {"domain": ""}], "The host restarts.", "Maintenance")
        assert res["result"] == "delivered" and res["via"] == "notification", res
        [shown] = box.history()
        assert (shown["summary"], shown["body"]) == ("Maintenance", "The host restarts.")
