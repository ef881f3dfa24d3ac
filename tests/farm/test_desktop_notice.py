# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Warnings on the desktop (issue 24 item 2), on a real xrdp host of the farm.

A real RDP session (xfreerdp → xrdp → xorgxrdp) whose desktop runs a real notification
daemon (dunst, on the session's DISPLAY and session bus): session_message and
session_logoff's notice (the role's notice step) must reach it as critical notifications
with the title and text given, read back from dunst itself. The farm's plain desktop (only
``sleep``, no notification server) gets ``not_delivered`` with a reason, without hanging.

The farm's startwm.sh is replaced in the host's overlay for the desktop with dunst, and put
back afterwards (nothing else on the host changes).
"""
from __future__ import annotations

import contextlib
import json
import time
import typing as t

import pytest

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, xrdp  # noqa: F401 pylint: disable=unused-import
from tests.integration.ansible_run import run_tasks

# dunst's history has no urgency: a rule marks in its format what dunst itself classed
# critical, and runs a script that logs what dunst hands it (appname, summary, body, icon,
# urgency) to the user's home: a notice to a session that is then logged off (the logoff's
# notice) leaves no dunst to ask.
DUNSTRC_PATH = "/etc/xrdp/termserv-test-dunstrc"
SCRIPT_PATH = "/etc/xrdp/termserv-test-notice.sh"
LOG = ".termserv-test-notices"
DUNSTRC = ('[global]\n    format = "%s|%b"\n'
           '[termserv_critical]\n    msg_urgency = critical\n    format = "urgency=critical|%s|%b"\n'
           f'    script = {SCRIPT_PATH}\n')
SCRIPT = f"#!/bin/sh\nprintf '%s\\037' \"$@\" >> \"$HOME/{LOG}\"\nprintf '\\036' >> \"$HOME/{LOG}\"\n"
# The session's bus: the user's systemd bus when the user manager provides it, else one of
# the session's own (dbus-run-session), found by the collection from the environment.
STARTWM_DUNST = f"""#!/bin/sh
# termserv.sessions farm test (test_desktop_notice.py): a desktop with a notification daemon
bus="/run/user/$(id -u)/bus"
if [ -S "$bus" ]; then
    export DBUS_SESSION_BUS_ADDRESS="unix:path=$bus"
    dunst -config {DUNSTRC_PATH} >/dev/null 2>&1 &
    exec sleep 600
fi
exec dbus-run-session -- sh -c 'dunst -config {DUNSTRC_PATH} >/dev/null 2>&1 & exec sleep 600'
"""


@pytest.fixture(scope="module")
def plain(farm: Farm, xrdp: str) -> t.Iterator[t.Any]:  # noqa: F811
    """The farm's own desktop (only ``sleep``: no notification server), opened before the
    other test replaces startwm.sh and kept for the module.

    The host has the machine's dunst, whose D-Bus service file lets the user's bus start it
    on demand (as its systemd user unit): without a display it dies, sometimes after it took
    the call. The user unit is masked for this desktop, as on a host where no notification
    daemon is installed: the bus answers at once that nothing can serve the name."""
    mask = farm.root(xrdp) / "etc" / "systemd" / "user" / "dunst.service"
    mask.parent.mkdir(parents=True, exist_ok=True)
    mask.symlink_to("/dev/null")
    try:
        rdp = farm.open_rdp(xrdp, "admin2")
        try:
            started(farm, xrdp, "admin2", "sleep")  # startwm.sh has run: it may change now
            yield rdp
        finally:
            farm.close_rdp(rdp)
    finally:
        mask.unlink()


def started(farm: Farm, host: str, user: str, program: str) -> int:  # noqa: F811
    """The pid (inside the host) of ``user``'s ``program``, waited for (sesman runs startwm.sh
    after xrdp is connected to the X server, so after open_rdp may return)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = farm.nsenter(host, ["pgrep", "-u", user, "-x", program]).stdout.split()
        if pids:
            return int(pids[0])
        time.sleep(0.2)
    raise AssertionError(f"no {program} of {user} on {host}")


@contextlib.contextmanager
def desktop_with_dunst(farm: Farm, host: str) -> t.Iterator[None]:  # noqa: F811
    etc = farm.root(host) / "etc" / "xrdp"
    startwm = etc / "startwm.sh"
    before = startwm.read_bytes()
    ours = [(etc / DUNSTRC_PATH.rsplit("/", 1)[1], DUNSTRC), (etc / SCRIPT_PATH.rsplit("/", 1)[1], SCRIPT)]
    for path, text in ours:
        path.write_text(text)
        path.chmod(0o755)
    startwm.write_text(STARTWM_DUNST)
    try:
        yield
    finally:
        startwm.write_bytes(before)
        for path, _text in ours:
            path.unlink()


def script_log(farm: Farm, host: str, user: str) -> list[list[str]]:  # noqa: F811
    """What dunst's script was handed for each critical notice: appname, summary, body, icon, urgency."""
    home = farm.nsenter(host, ["getent", "passwd", user]).stdout.split(":")[5]
    path = farm.root(host) / home.lstrip("/") / LOG
    records = path.read_text(encoding="utf-8").split("\036")[:-1] if path.exists() else []
    return [record.split("\037")[:-1] for record in records]


def as_user(farm: Farm, host: str, user: str, env: dict[str, str], argv: list[str]) -> t.Any:  # noqa: F811
    return farm.nsenter(host, ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                               "env", *(f"{k}={v}" for k, v in env.items()), *argv])


def dunst_of(farm: Farm, host: str, user: str) -> tuple[int, dict[str, str]]:  # noqa: F811
    """The user's dunst (pid inside the host) and the bus it serves on."""
    pid = started(farm, host, user, "dunst")
    environ = farm.nsenter(host, ["cat", f"/proc/{pid}/environ"]).stdout
    env = dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)
    bus = {"DBUS_SESSION_BUS_ADDRESS": env.get("DBUS_SESSION_BUS_ADDRESS", "")}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if as_user(farm, host, user, bus, ["dunstctl", "is-paused"]).returncode == 0:
            return pid, bus
        time.sleep(0.3)
    raise AssertionError(f"no dunst of {user} serving on {host}")


def history(farm: Farm, host: str, user: str, bus: dict[str, str]) -> list[dict[str, t.Any]]:  # noqa: F811
    """What dunst showed (closed first, so that it is in its history), oldest first."""
    as_user(farm, host, user, bus, ["dunstctl", "close-all"])
    time.sleep(0.3)
    proc = as_user(farm, host, user, bus, ["dunstctl", "history"])
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)["data"][0]
    return sorted(({k: item[k]["data"] for k in ("id", "summary", "body", "message", "appname")}
                   for item in items), key=lambda s: s["id"])


def test_a_desktop_notice_is_shown_by_the_sessions_notification_daemon(farm: Farm, xrdp: str, plain: t.Any):  # noqa: F811
    with desktop_with_dunst(farm, xrdp):
        notices_reach_dunst(farm, xrdp)


def notices_reach_dunst(farm: Farm, xrdp: str) -> None:  # noqa: F811
    rdp = farm.open_rdp(xrdp, "admin")
    try:
        _pid, bus = dunst_of(farm, xrdp, "admin")
        run = run_tasks([
            {"name": "Tell the desktop", "termserv.sessions.session_message": {
                "users": ["admin"], "title": "Maintenance\x1b[31m tonight",
                "msg": "The server restarts at 22:00.\nPlease save your work."}, "register": "told"},
        ], play={"hosts": xrdp}, inventory=str(farm.write_inventory()), timeout=180)
        assert run.rc == 0, run.stdout + run.stderr
        told = run["told"]
        [item] = told["delivered"]
        assert item["id"] == rdp.id and item["kind"] == "graphical" and item["via"] == "notification", told
        assert isinstance(item["notification_id"], int) and told["changed"] is True
        # dunst's own word: critical, the title and text as given (sanitised: the escape
        # sequence's ESC is gone, as on a terminal)
        [shown] = history(farm, xrdp, "admin", bus)
        assert (shown["summary"], shown["body"]) == (
            "Maintenance[31m tonight", "The server restarts at 22:00.\nPlease save your work."), shown
        assert shown["id"] == item["notification_id"] and shown["appname"] == "termserv.sessions"
        assert shown["message"].startswith("urgency=critical|"), shown

        run = run_tasks([
            {"name": "The logoff's notice (the role's notice step), then the logoff",
             "termserv.sessions.session_logoff": {
                 "users": ["admin"], "notify_title": "Last call", "notify_msg": "Logging off now.",
                 "grace": 0, "timeout": 30}, "register": "logoff"},
        ], play={"hosts": xrdp}, inventory=str(farm.write_inventory()), timeout=180)
        assert run.rc == 0, run.stdout + run.stderr
        assert [n["id"] for n in run["logoff"]["notified"]] == [rdp.id], run["logoff"]
        assert [s["id"] for s in run["logoff"]["logged_off"]] == [rdp.id]
        # what dunst handed its script for each critical notice, the logoff's one included
        assert [(r[0], r[1], r[2], r[4]) for r in script_log(farm, xrdp, "admin")] == [
            ("termserv.sessions", "Maintenance[31m tonight",
             "The server restarts at 22:00.\nPlease save your work.", "CRITICAL"),
            ("termserv.sessions", "Last call", "Logging off now.", "CRITICAL")]
    finally:
        farm.close_rdp(rdp)
        farm.nsenter(xrdp, ["sh", "-c", f'rm -f ~admin/{LOG}'])


def test_a_desktop_without_a_notification_server_is_not_delivered_and_does_not_hang(farm: Farm, xrdp: str,  # noqa: F811
                                                                                         plain: t.Any):
    rdp = plain
    start = time.monotonic()
    run = run_tasks([
        {"name": "Tell the desktop", "termserv.sessions.session_message": {
            "users": ["admin2"], "msg": "hello"}, "register": "told"},
    ], play={"hosts": xrdp}, inventory=str(farm.write_inventory()), timeout=120)
    elapsed = time.monotonic() - start
    assert run.rc == 0, run.stdout + run.stderr
    told = run["told"]
    assert told["delivered"] == [] and told["changed"] is False and told["errors"] == [], told
    [skipped] = [s for s in told["skipped_sessions"] if s["id"] == rdp.id]
    # the user's bus answered that nothing can own org.freedesktop.Notifications
    assert skipped["reason"] == "no_notification_server", skipped
    assert "org.freedesktop.Notifications" in skipped["detail"] or "dunst.service" in skipped["detail"], skipped
    # bounded: the bus is given 3 s; the whole task (ssh, module) well under a minute
    assert elapsed < 45, elapsed
    print(f"reason {skipped['reason']}: {skipped['detail']} ({elapsed:.1f} s)")
