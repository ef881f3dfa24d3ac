# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Linux targets classify sessions (issue 22 items 1, 2, 7), on properties recorded from
a real systemd 252 logind on the farm (tests/farm/test_session_kinds.py makes them live)."""
from __future__ import annotations

import os

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_sessions, _logind, _procfs, _utmp
from ansible_collections.termserv.sessions.plugins.module_utils._linux_message import is_terminal

NOW = 1_765_000_000.0
# loginctl show-session -p ... on the farm's systemd 252 host (2026-12-06).
RECORDED = {
    # a root login over ssh -tt: logind never filled in its TTY
    "root_tty": {"Id": "180", "Name": "root", "Seat": "", "TTY": "", "Remote": "yes", "Service": "sshd",
                 "Leader": "127", "Type": "tty", "State": "active", "Class": "user"},
    # what mosh leaves: the ssh connection ended, the program on its pty lives on
    "closing": {"Id": "182", "Name": "TsuUp", "Seat": "", "TTY": "", "Remote": "yes", "Service": "sshd",
                "Leader": "152", "Type": "tty", "State": "closing", "Class": "user"},
    # login on the serial console
    "serial": {"Id": "184", "Name": "admin", "Seat": "", "TTY": "ttyS0", "Remote": "no", "Service": "login",
               "Leader": "223", "Type": "tty", "State": "active", "Class": "user"},
    # ssh host cmd: no terminal at all
    "plain": {"Id": "255", "Name": "carol", "Seat": "", "TTY": "", "Remote": "yes", "Service": "sshd",
              "Leader": "300", "Type": "tty", "State": "active", "Class": "user"},
    "xrdp": {"Id": "c3", "Name": "erin", "Seat": "", "TTY": "", "Remote": "no", "Service": "xrdp-sesman",
             "Leader": "400", "Type": "unspecified", "State": "active", "Class": "user"},
    "x11": {"Id": "19", "Name": "erin", "Seat": "seat0", "TTY": "", "Remote": "no", "Service": "gdm",
            "Leader": "401", "Type": "x11", "State": "active", "Class": "user"},
}


@pytest.mark.parametrize("name, kind", [
    ("root_tty", "non_interactive"), ("closing", "non_interactive"), ("serial", "terminal"),
    ("plain", "non_interactive"), ("xrdp", "graphical"), ("x11", "graphical"),
])
def test_kind_from_logind_alone(name, kind):
    assert _logind.session_of(RECORDED[name], NOW)["kind"] == kind


@pytest.mark.parametrize("line", ["ttyS0", "ttyS12", "hvc0", "hvc1", "ttyAMA0", "ttysclp0", "tty1", "console"])
def test_serial_and_out_of_band_consoles_are_consoles_on_both_backends(line):
    assert _utmp.is_console(line)
    props = dict(RECORDED["serial"], TTY=line)
    assert _logind.session_of(props, NOW)["console"] is True
    record = _utmp.Record(type=7, pid=1, line=line, user="admin", host="", tv_sec=0)
    assert _utmp.session_of(record, NOW)["console"] is True
    # The notice gate stays as issue 11.8 made it (pts/N and ttyN only): a serial line name
    # is never a path a notice is written to.
    assert is_terminal(line) is (line.startswith("tty") and line[3:].isdigit())


@pytest.mark.parametrize("line", ["pts/0", "ttyS", "hvc", "ttySx0", "../ttyS0", "ttyUSB0", ""])
def test_other_lines_are_not_consoles(line):
    assert not _utmp.is_console(line)


def test_a_remote_session_on_a_serial_line_name_is_not_the_console():
    props = dict(RECORDED["serial"], Remote="yes")
    assert _logind.session_of(props, NOW)["console"] is False


def test_utmp_sessions_are_terminal_sessions():
    record = _utmp.Record(type=7, pid=1, line="pts/3", user="bob", host="h", tv_sec=0)
    assert _utmp.session_of(record, NOW)["kind"] == "terminal"


def proc(pid: int, tty_nr: int, sid: int | None = None, start: int = 10) -> _procfs.Proc:
    return _procfs.Proc(pid=pid, ppid=1, sid=pid if sid is None else sid, tty_nr=tty_nr, state="S",
                        starttime=start, comm="sh")


PTS0 = os.makedev(136, 0)
PTS1 = os.makedev(136, 1)


def test_a_session_without_tty_whose_shell_runs_on_a_terminal_is_a_terminal_session():
    found = [(_logind.session_of(RECORDED["root_tty"], NOW), RECORDED["root_tty"]),
             (_logind.session_of(RECORDED["closing"], NOW), RECORDED["closing"]),
             (_logind.session_of(RECORDED["plain"], NOW), RECORDED["plain"])]
    members = {
        "180": [proc(127, 0), proc(130, 0, sid=127), proc(131, PTS0, start=20), proc(140, PTS0, sid=131, start=30)],
        "182": [proc(9545, PTS1, start=50)],
        "255": [proc(300, 0), proc(301, 0, sid=300)],
    }
    _linux_sessions.classify(found, members, now=NOW)
    got = {s["id"]: s for s, _p in found}
    assert (got["180"]["kind"], got["180"]["station"]) == ("terminal", "pts/0")
    assert (got["182"]["kind"], got["182"]["station"], got["182"]["state"]) == ("terminal", "pts/1", "closing")
    assert got["255"]["kind"] == "non_interactive"
    assert got["180"]["console"] is False


def test_a_seat_session_that_takes_a_terminal_from_its_processes_stays_the_console():
    """Review finding: classify overwrote ``console``: a session on a seat (the physical
    console) without TTY whose shell runs on a pts lost console=True and became selectable
    without include_console."""
    props = dict(RECORDED["plain"], Id="300", Seat="seat0", Remote="no", Service="login")
    session = _logind.session_of(props, NOW)
    assert session["console"] is True
    _linux_sessions.classify([(session, props)], {"300": [proc(310, PTS0)]}, now=NOW)
    assert (session["kind"], session["station"]) == ("terminal", "pts/0")
    assert session["console"] is True


@pytest.mark.parametrize("dev, name", [
    ((136, 3), "pts/3"), ((137, 2), "pts/258"), ((4, 2), "tty2"), ((4, 64), "ttyS0"), ((4, 70), "ttyS6"),
])
def test_tty_names_from_device_numbers(dev, name):
    assert _procfs.tty_name(os.makedev(*dev)) == name


def test_no_terminal_and_an_unknown_one_have_no_name():
    assert _procfs.tty_name(0) is None
    assert _procfs.tty_name(os.makedev(229, 0)) is None  # hvc0 without a pid to look at


# ---- issue 22 item 9: a utmp host that sees nothing says so ---------------------------------
def test_a_clock_stepped_forward_since_the_logon_is_a_warning_not_silence(tmp_path):
    from tests.unit.plugins.module_utils.linux_ground import Host
    host = Host(tmp_path)
    try:
        line, rdev = host.tty()
        # sshd's monitor started an hour after the logon time its record carries: the
        # clock was stepped forward since (or the pid was reused by another sshd).
        host.process(500, ppid=1, comm="sshd", age=600)
        host.process(501, ppid=500, tty=rdev, comm="bash", age=600)
        host.record(500, line, "alice", age=4200)
        warnings: list[str] = []
        found = _linux_sessions.utmp_sessions(str(host.proc), str(host.utmp), warnings=warnings)
        assert found == []
        assert len(warnings) == 1 and line in warnings[0] and "clock" in warnings[0]
    finally:
        host.close()


def test_no_utmp_file_is_a_warning(tmp_path):
    from tests.unit.plugins.module_utils.linux_ground import Host
    host = Host(tmp_path)
    host.utmp.unlink()
    warnings: list[str] = []
    assert _linux_sessions.utmp_sessions(str(host.proc), str(host.utmp), warnings=warnings) == []
    assert "does not exist" in warnings[0]


def test_boot_time_comes_from_the_kernel_clock_not_from_proc_uptime():
    import time as _time
    want = _time.time() - _time.clock_gettime(_time.CLOCK_BOOTTIME)
    assert abs(_procfs.boot_time() - want) < 0.5


# ---- issue 22 item 10: a preview without root says what it could not read ------------------
def test_root_reads_everything():
    assert _procfs.unreadable_facts(euid=0) == []


def test_without_root_hidepid_and_other_users_fds_are_named(tmp_path):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(
        f"22 1 0:5 / {proc} rw,nosuid - proc proc rw,hidepid=invisible\n")
    facts = _procfs.unreadable_facts(str(proc), euid=1000)
    assert "hidepid=invisible" in facts[0]
    assert "/PID/fd" in facts[1]


def test_without_root_and_without_hidepid_only_the_fds_are_named(tmp_path):
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(f"22 1 0:5 / {proc} rw - proc proc rw,hidepid=0\n")
    assert len(_procfs.unreadable_facts(str(proc), euid=1000)) == 1


# ---- issue 22 item 3: the controller's own session on a desktop ------------------------------
# /proc/self/cgroup of a controller (ansible-playbook) as recorded on systemd 252 hosts:
XRDP_TERMINAL = "0::/user.slice/user-1001.slice/session-c3.scope\n"
GNOME_TERMINAL = ("0::/user.slice/user-1001.slice/user@1001.service/app.slice/"
                  "app-org.gnome.Terminal.slice/vte-spawn-4f1c.scope\n")
MACHINE = "0123456789abcdef0123456789abcdef"


def desktop_sessions() -> list[dict]:
    import pwd
    user = pwd.getpwuid(os.getuid()).pw_name
    return [
        {"id": "c3", "user": user, "station": "x11", "kind": "graphical", "pid": None},
        {"id": "c4", "user": "someone-else", "station": "x11", "kind": "graphical", "pid": None},
        {"id": "7", "user": user, "station": "pts/9", "kind": "terminal", "pid": None},
    ]


@pytest.mark.parametrize("cgroup, wanted", [(XRDP_TERMINAL, ["c3"]), (GNOME_TERMINAL, ["c3"])])
def test_the_controllers_desktop_session_is_its_own(tmp_path, cgroup, wanted):
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller
    path = tmp_path / "cgroup"
    path.write_text(cgroup.replace("1001", str(os.getuid())))
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(MACHINE + "\n")
    # xrdp-sesman has no pam_loginuid (audit session unset); the terminal is no session's station
    controller = {"machine_id": MACHINE, "audit_session": None, "tty": "pts/4", **_controller.cgroup_links(str(path))}
    got = _linux_sessions.controller_session_ids(desktop_sessions(), controller, machine_ids=[str(machine_id)])
    assert got == wanted


def test_on_another_machine_the_same_links_mean_nothing(tmp_path):
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _controller
    path = tmp_path / "cgroup"
    path.write_text(XRDP_TERMINAL)
    machine_id = tmp_path / "machine-id"
    machine_id.write_text("f" * 32 + "\n")
    controller = {"machine_id": MACHINE, "audit_session": None, "tty": None, **_controller.cgroup_links(str(path))}
    assert _linux_sessions.controller_session_ids(desktop_sessions(), controller, machine_ids=[str(machine_id)]) == []
