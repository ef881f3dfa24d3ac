# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22 item 5: a desktop's programs outside its session scope.

GNOME and KDE start applications in ``app-*.scope`` under ``user@UID.service``, and D-Bus
activated programs (a terminal server and everything in its tabs) live there too: the
cgroup paths below are the shapes systemd gives them. On the crafted host of the recorded
xrdp logind (fixtures/loginctl/systemd-252-xrdp: c1 admin uid 1001, c2 admin2 uid 1002,
both graphical), exclude_processes must see them.
"""
from __future__ import annotations

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions
from ansible_collections.termserv.sessions.plugins.plugin_utils._selection import Selection, decide

from tests.unit.plugins.module_utils.linux_ground import Host

UIDS = {"admin": 1001, "admin2": 1002, "carol": 1003}
APP = "0::/user.slice/user-{uid}.slice/user@{uid}.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-{n}.scope\n"
DBUS_SERVICE = "0::/user.slice/user-{uid}.slice/user@{uid}.service/app.slice/gnome-terminal-server.service\n"
MANAGER = "0::/user.slice/user-{uid}.slice/user@{uid}.service/init.scope\n"
SCOPE = "0::/user.slice/user-{uid}.slice/session-{sid}.scope\n"


@pytest.fixture
def host(tmp_path, fake_loginctl, monkeypatch):
    ground = Host(tmp_path / "host")
    ground.loginctl = fake_loginctl("systemd-252-xrdp")
    monkeypatch.setattr(_linux_sessions, "_uid", UIDS.get)
    yield ground
    ground.close()


def put(host: Host, pid: int, comm: str, uid: int, cgroup: str) -> None:
    host.process(pid, comm=comm, uid=uid)
    (host.proc / str(pid) / "cgroup").write_text(cgroup)


def listed(host: Host) -> dict[str, dict]:
    _backend, found = _linux_sessions.enumerate_sessions("logind", proc=str(host.proc))
    _linux_sessions.add_processes(found, "logind", proc=str(host.proc))
    return {s["id"]: s for s in found}


def names(session: dict) -> set[str]:
    return {p["name"] for p in session["processes"]}


def test_a_desktops_apps_in_its_users_manager_are_its_processes(host):
    put(host, 2001, "Xorg", 1001, SCOPE.format(uid=1001, sid="c1"))
    put(host, 2100, "systemd", 1001, MANAGER.format(uid=1001))
    put(host, 2101, "libreoffice", 1001, APP.format(uid=1001, n=1))
    put(host, 2102, "gnome-terminal-", 1001, DBUS_SERVICE.format(uid=1001))
    put(host, 3001, "Xorg", 1002, SCOPE.format(uid=1002, sid="c2"))
    put(host, 3101, "firefox", 1002, APP.format(uid=1002, n=2))
    found = listed(host)
    assert names(found["c1"]) == {"Xorg", "libreoffice", "gnome-terminal-"}  # not the manager itself
    assert names(found["c2"]) == {"Xorg", "firefox"}  # another user's apps are not admin's
    keep = Selection(exclude_processes=("libreoffice",))
    assert decide(found["c1"], keep, (), windows=False).reason == "process_running"
    assert decide(found["c2"], keep, (), windows=False).selected


def test_a_terminal_session_does_not_take_its_users_desktop_apps(host):
    """The ssh session (2, admin2, a TTY) is no desktop: the user's apps are not its processes."""
    put(host, 3101, "firefox", 1002, APP.format(uid=1002, n=2))
    found = listed(host)
    assert found["2"]["kind"] == "terminal"
    assert "firefox" not in names(found["2"])


def test_with_several_desktops_of_one_user_each_lists_the_users_apps(host, fake_loginctl):
    """The manager does not say which desktop started a program: every desktop of that user
    lists it, so exclude_processes keeps them all (when in doubt, leave it alone)."""
    for page in ("c1", "c2"):
        path = host.loginctl / "show-session" / f"{page}.txt"
        text = path.read_text()
        text = text.replace("Name=admin2\n", "Name=admin\n").replace("User=1002\n", "User=1001\n")
        path.write_text(text)
    put(host, 2101, "libreoffice", 1001, APP.format(uid=1001, n=1))
    found = listed(host)
    assert found["c1"]["user"] == found["c2"]["user"] == "admin"
    keep = Selection(exclude_processes=("libreoffice",))
    assert all(decide(found[s], keep, (), windows=False).reason == "process_running" for s in ("c1", "c2"))
