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

import contextlib
import os
import pwd
import socket
import subprocess
import time
import unicodedata

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _dbus, _desktop_notice, _linux_message
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


# The safety review of issue 24 item 2: what a user of a targeted desktop controls (their
# processes' environment, their bus's answers) must not crash, stall or mislead the module.

def fake_proc(root, environ: bytes, pid: int = 4242) -> str:
    """A /proc with one process of ours whose environment is ``environ``, in our namespaces
    (its ns files are hard links of self's: the same inodes)."""
    for name in (str(pid), "self"):
        (root / name / "ns").mkdir(parents=True, exist_ok=True)
    for kind in ("net", "mnt"):
        (root / "self" / "ns" / kind).write_text("")
        os.link(root / "self" / "ns" / kind, root / str(pid) / "ns" / kind)
    (root / str(pid) / "environ").write_bytes(environ)
    return str(root)


@pytest.mark.parametrize("text", ["unix:path=/x%00", "unix:path=/run/user/0/bus%00/../evil", "unix:abstract=a%00b"])
def test_an_address_holding_nul_is_skipped(text):
    """Before the fix parse_address returned '/x\\0' and the root lstat of it raised ValueError."""
    assert _desktop_notice.parse_address(text) == []


def test_a_nul_in_a_path_costs_only_that_entry(tmp_path):
    proc = fake_proc(tmp_path / "proc", b"DBUS_SESSION_BUS_ADDRESS=unix:path=/x%00\0")
    assert _desktop_notice.buses([4242], os.getuid(), proc=proc, run_user=str(tmp_path)) == []
    assert not _desktop_notice._owned_socket("/x\0", os.getuid())  # pylint: disable=protected-access


def test_one_sessions_failure_is_that_session_s_not_delivered_the_others_go_on(monkeypatch):
    """Before the fix an exception while finding one session's buses failed the whole module
    (after terminals had their text, before anything was reported)."""
    real = _desktop_notice.buses

    def buses(pids, uid, proc="/proc", run_user=_desktop_notice.RUN_USER):
        if 666 in pids:
            raise ValueError("embedded null byte")
        return real(pids, uid, proc, run_user)

    monkeypatch.setattr(_desktop_notice, "buses", buses)
    user = pwd.getpwuid(os.getuid()).pw_name
    out = _linux_message.notify_desktops(
        [dict(session(666, user=user), id="1"), dict(session(os.getpid(), user=user), id="2")], "m", "t",
        run_user="/nonexistent")
    assert out["1"]["result"] == "not_delivered" and out["1"]["bus"] is None, out
    assert "embedded null byte" in out["1"]["error"]
    assert out["2"]["result"] == "not_delivered" and out["2"]["bus"] is None, out


def test_a_huge_address_is_read_no_further_than_its_first_entries():
    text = ";".join(f"unix:abstract=/tmp/dbus-{n}" for n in range(13000))
    found = _desktop_notice.parse_address(text)
    assert [label for label, _address in found] == [f"unix:abstract=/tmp/dbus-{n}" for n in range(4)]


def test_a_session_gives_at_most_max_buses_and_the_run_user_bus_stays_last(tmp_path):
    """Before the fix every entry of every process was kept (13,000 from one environ) and
    de-duplicated in quadratic time, as root."""
    text = ";".join(f"unix:abstract=/tmp/dbus-{n}" for n in range(13000))
    proc = fake_proc(tmp_path / "proc", b"DBUS_SESSION_BUS_ADDRESS=" + text.encode() + b"\0")
    for pid in range(4243, 4253):
        fake_proc(tmp_path / "proc", f"DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-{pid};"
                  "unix:abstract=/tmp/dbus-0\0".encode(), pid)
    run_user = tmp_path / "run"
    (run_user / str(os.getuid())).mkdir(parents=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(run_user / str(os.getuid()) / "bus"))
    with listener:
        start = time.monotonic()
        found = _desktop_notice.buses(range(4242, 4253), os.getuid(), proc=proc, run_user=str(run_user))
        assert time.monotonic() - start < 1
    labels = [label for label, _address in found]
    assert len(found) <= _desktop_notice.MAX_BUSES and len(set(labels)) == len(labels)
    assert labels[:_desktop_notice.MAX_ENTRIES] == [f"unix:abstract=/tmp/dbus-{n}"
                                                    for n in range(_desktop_notice.MAX_ENTRIES)]
    assert labels[-1] == f"unix:path={run_user}/{os.getuid()}/bus"


def request_of(*buses: str) -> _desktop_notice.Request:
    return _desktop_notice.Request("9", os.getuid(), os.getgid(), [], [(label, label) for label in buses])


def scripted(monkeypatch, outcomes: dict) -> list[str]:
    """_dbus.notify answering per bus as ``outcomes`` says (an exception raises); the buses asked."""
    asked: list[str] = []

    def notify(address, *_args, **_kwargs):
        asked.append(address)
        if isinstance(outcomes[address], Exception):
            raise outcomes[address]
        return outcomes[address]

    monkeypatch.setattr(_dbus, "notify", notify)
    return asked


def test_a_bus_that_answered_an_error_is_the_last_one_tried(monkeypatch):
    """The session's own bus saying ServiceUnknown must not send the notice on to
    /run/user/UID/bus (maybe another desktop of the user), reported delivered. Before the
    fix the second bus was asked and the outcome was notification_id 7."""
    asked = scripted(monkeypatch, {"own": _dbus.CallError("org.freedesktop.DBus.Error.ServiceUnknown", "none"),
                                   "other": 7})
    out = _desktop_notice.attempt(request_of("own", "other"), "t", "m", time.monotonic() + 5)
    assert asked == ["own"] and "notification_id" not in out, out
    assert out["bus"] == "own" and out["dbus_error"] == "org.freedesktop.DBus.Error.ServiceUnknown"


def test_a_bus_that_broke_off_the_conversation_is_the_last_one_tried(monkeypatch):
    asked = scripted(monkeypatch, {"own": _dbus.DBusError("the bus closed the connection"), "other": 7})
    out = _desktop_notice.attempt(request_of("own", "other"), "t", "m", time.monotonic() + 5)
    assert asked == ["own"] and "notification_id" not in out and out["bus"] == "own", out


def test_a_bus_not_reached_falls_back_to_the_next(monkeypatch):
    asked = scripted(monkeypatch, {"gone": _dbus.NotReached("cannot connect: No such file"), "other": 7})
    out = _desktop_notice.attempt(request_of("gone", "other"), "t", "m", time.monotonic() + 5)
    assert asked == ["gone", "other"] and out == {"bus": "other", "notification_id": 7}


HOSTILE = "\x1b]0;owned\x07\x1b[2J\nWARNING: fake\u202e" + "x" * 70000


def test_what_the_user_controls_reaches_the_report_bounded_and_without_control_characters(monkeypatch):
    """The bus's error text and the bus's label (from the user's environment) go into
    warnings on the controller. Before the fix they went raw: escapes, newlines, 70 KB."""
    label = "unix:path=/tmp/\x1b[31mred\nline" + "y" * 500
    scripted(monkeypatch, {label: _dbus.CallError("org.example.Error", HOSTILE)})
    out = _desktop_notice.attempt(request_of(label), "t", "m", time.monotonic() + 5)
    for value in (out["bus"], out["error"]):
        assert len(value) <= 500, len(value)
        assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value), value
    assert out["dbus_error"] == "org.example.Error"


def test_a_huge_error_still_makes_an_answer_the_parent_reads(monkeypatch):
    """Before the fix the child's JSON was cut at MAX_ANSWER, failed to parse, and the
    session was reported as if it had no bus (the real reason: the server's error)."""
    scripted(monkeypatch, {"own": _dbus.CallError("org.example.Error", HOSTILE)})
    out = _desktop_notice.notify_all([request_of("own")], "t", "m", timeout=2)["9"]
    assert out["bus"] == "own" and out["dbus_error"] == "org.example.Error", out


def test_the_child_keeps_no_fd_of_the_module_but_its_answer(monkeypatch, tmp_path):
    """Before the fix the child, once the user's, still held the module's stdin/stdout/stderr
    and every fd the module had open (here: a file of root's and a pipe)."""
    secret = open(tmp_path / "secret", "w", encoding="utf-8")  # pylint: disable=consider-using-with
    read_end, write_end = os.pipe()
    os.set_inheritable(read_end, True)

    def report(*_args, **_kwargs):
        fds = {}
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own fd is gone by now
                fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        return {"bus": None, "error": "", "fds": fds}

    monkeypatch.setattr(_desktop_notice, "attempt", report)
    try:
        out = _desktop_notice.notify_all([request_of("own")], "t", "m", timeout=2)["9"]
    finally:
        secret.close()
        os.close(read_end)
        os.close(write_end)
    fds = {int(fd): target for fd, target in out["fds"].items()}
    assert [fds[fd] for fd in (0, 1, 2)] == ["/dev/null"] * 3, fds
    others = [target for fd, target in fds.items() if fd > 2]
    assert len(others) == 1 and others[0].startswith("pipe:"), fds  # its answer pipe only
    assert str(tmp_path / "secret") not in fds.values()
