# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller's own session on real desktops (issue 22 item 3), with the controller
REALLY inside the farm host it manages, or becoming root through systemd-machined.

(a) ``ansible-playbook`` started from a terminal inside an xrdp session: it runs as the RDP
    user in that session's logind scope (xrdp-sesman has no pam_loginuid: no audit session;
    the session's station is ``x11``, not the terminal's), and connects over ssh to the same
    host as root. The default run keeps that desktop and logs another user's desktop off.
(b) ``ansible-playbook`` started from a GNOME/KDE-style terminal: a process of the user's
    systemd manager (``systemd-run --user --scope``, an ``app-*.scope`` under
    ``user@UID.service``, outside every session scope). The user's desktops are kept; the
    user's own terminal (ssh) session and other users' desktops are not.
(c) ``become_method: machinectl`` from the farm's usual controller outside every host: the
    module runs in a new session that systemd-machined starts from PID 1, so its ancestry
    does not reach the ssh connection. The connection's session must still be the task's own.

Where the controller runs inside a host: the host's / is an overlay whose lower layer is the
machine's / (tests/farm/farm.py SYSTEMD_INIT), so the checkout, its venv and the farm's client
key are there as on the machine; the playbook, inventory and results live in the host's own
/tmp, written and read through ``Farm.root(host)``. The host shares the machine's network, so
the controller reaches the host's sshd at its 127.0.0.N address like any other controller.
"""
from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import subprocess
import typing as t
from unittest import mock
from pathlib import Path

import pytest
import yaml

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm, farm_host, xrdp_host  # noqa: F401 pylint: disable=unused-import
from tests.integration.ansible_run import REPO, run_tasks

INFO = "termserv.sessions.session_info"
LOGOFF = "termserv.sessions.session_logoff"
BECOME_PLUGINS = Path(__file__).resolve().parent / "become_plugins"
# What the controller inside a host runs: what a user types in the desktop's terminal.
# machinectl shell needs a terminal: Ansible refuses a become plugin that requires one unless
# the ssh options ask for it, read from the configuration (ansible.cfg or its environment
# variable) before the host's variables; pipelining would bypass the terminal.
MACHINECTL_ENV = {"ANSIBLE_BECOME_PLUGINS": str(BECOME_PLUGINS), "ANSIBLE_SSH_EXTRA_ARGS": "-o RequestTTY=force",
                  "ANSIBLE_PIPELINING": "0"}
POLKIT_RULE = """// termserv.sessions farm test: admin may open a root shell through machined
polkit.addRule(function(action, subject) {
    if (action.id == "org.freedesktop.machine1.host-shell" && subject.user == "admin") {
        return polkit.Result.YES;
    }
});
"""
INFO_THEN_LOGOFF = [
    {"name": "Preview", INFO: {}, "register": "info"},
    {"name": "Log everyone off (the default selection)", LOGOFF: {"timeout": 30}, "register": "logoff"},
    {"name": "After", INFO: {}, "register": "after"},
]


@pytest.fixture
def xrdp(farm: Farm) -> t.Iterator[str]:  # noqa: F811
    """A fresh xrdp host for each test: xrdp reconnects a user to their existing session, and
    an ended RDP client's Xvfb leaves its display lock in the host's /tmp."""
    with xrdp_host(farm) as name:
        yield name


def uid(farm: Farm, host: str, user: str) -> int:
    proc = farm.nsenter(host, ["id", "-u", user])
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)


def scope_cgroup(farm: Farm, host: str, session_id: str) -> str:
    """The cgroup (as the host names it) of a logind session's scope."""
    proc = farm.nsenter(host, ["systemctl", "show", "-p", "ControlGroup", "--value", f"session-{session_id}.scope"])
    path = proc.stdout.strip()
    assert path.endswith(f"/session-{session_id}.scope"), (proc.stdout, proc.stderr)
    return path


class HostController:
    """``ansible-playbook`` run inside farm host ``host`` as ``user`` against that same host
    over ssh (as root, the farm's key), in a workspace of the host's own /tmp."""

    def __init__(self, farm: Farm, host: str, user: str) -> None:  # noqa: F811
        self.farm, self.host, self.user = farm, host, user
        self.uid = uid(farm, host, user)
        self.inside = f"/tmp/termserv-controller-{secrets.token_hex(4)}"
        self.outside = farm.root(host) / self.inside.lstrip("/")
        self.outside.mkdir(mode=0o700)
        # The farm's client key, readable by the desktop user only, in the host's /tmp.
        shutil.copyfile(farm.dir / "client_key", self.outside / "client_key")
        (self.outside / "client_key").chmod(0o600)
        addr = farm.host(host)["addr"]
        (self.outside / "inventory.ini").write_text(
            f"{host} ansible_host={addr} ansible_port=22 ansible_connection=ssh ansible_user=root "
            f"ansible_python_interpreter=/usr/bin/python3 ansible_ssh_private_key_file={self.inside}/client_key "
            "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'\n",
            encoding="utf-8")
        for path in [self.outside, *self.outside.iterdir()]:
            os.chown(path, self.uid, self.uid)
        # The venv's python lives under the machine's /root (0700): the desktop user may
        # pass through the HOST's copy of /root (an overlay copy-up, the machine's stays 0700).
        self.root_dir = farm.root(host) / "root"
        self.root_mode = self.root_dir.stat().st_mode & 0o777
        self.root_dir.chmod(self.root_mode | 0o011)

    def close(self) -> None:
        self.root_dir.chmod(self.root_mode)
        shutil.rmtree(self.outside, ignore_errors=True)

    def playbook(self, tasks: list[dict[str, t.Any]]) -> tuple[str, str]:
        """(the playbook's path inside the host, the registered-variables file outside)."""
        names = [task["register"] for task in tasks if "register" in task]
        saved = "{" + ", ".join(f"'{n}': {n} | default(None)" for n in names) + "}"
        out = f"{self.inside}/registered.json"
        play = [{"name": "From the desktop's terminal", "hosts": self.host, "gather_facts": False, "tasks": [{
            "block": tasks, "always": [{
                "name": "Save what the steps registered", "delegate_to": "localhost", "connection": "local",
                "ansible.builtin.copy": {"content": "{{ " + saved + " | to_json }}", "dest": out, "mode": "0600"}}]}]}]
        (self.outside / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        os.chown(self.outside / "play.yml", self.uid, self.uid)
        return f"{self.inside}/play.yml", str(self.outside / "registered.json")

    def environment(self) -> list[str]:
        home = f"/home/{self.user}"
        return [f"HOME={home}", f"USER={self.user}", f"LOGNAME={self.user}", "LANG=C.UTF-8",
                f"PATH={REPO / '.venv' / 'bin'}:/usr/sbin:/usr/bin:/sbin:/bin",
                f"ANSIBLE_COLLECTIONS_PATH={REPO / 'build' / 'collections'}",
                "ANSIBLE_NOCOLOR=1", "ANSIBLE_HOST_KEY_CHECKING=0", "ANSIBLE_RETRY_FILES_ENABLED=0",
                f"ANSIBLE_LOCAL_TEMP={self.inside}/local", f"ANSIBLE_SSH_CONTROL_PATH_DIR={self.inside}/cp",
                f"XDG_RUNTIME_DIR=/run/user/{self.uid}", f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{self.uid}/bus"]

    def run(self, tasks: list[dict[str, t.Any]], cgroup: str | None = None,
            user_scope: bool = False, timeout: float = 240) -> dict[str, t.Any]:
        """Run ``tasks``. ``cgroup``: join that cgroup (a session's scope) first, as a terminal
        of that session is in it. ``user_scope``: start through ``systemd-run --user --scope``,
        the way GNOME and KDE start a terminal (an ``app-*.scope`` of the user's manager)."""
        book, registered = self.playbook(tasks)
        # The controller records where it runs (its cgroup), then becomes ansible-playbook.
        command = ["sh", "-c", 'cat /proc/self/cgroup > "$0"; exec "$@"', f"{self.inside}/cgroup.txt",
                   "ansible-playbook", "-i", f"{self.inside}/inventory.ini", book]
        if user_scope:
            command = ["systemd-run", "--user", "--scope", "--quiet",
                       f"--unit=app-termserv-terminal-{secrets.token_hex(4)}.scope", *command]
        join = ""
        if cgroup:
            # every hierarchy that has the scope (name=systemd, the unified one, pids, memory ...)
            join = (f'for d in /sys/fs/cgroup/*{cgroup} /sys/fs/cgroup{cgroup}; do '
                    '[ -f "$d/cgroup.procs" ] && echo $$ > "$d/cgroup.procs"; done; ')
        script = (join + f"exec setpriv --reuid={self.uid} --regid={self.uid} --init-groups "
                  f"env -i {shlex.join(self.environment())} {shlex.join(command)}")
        pid = self.farm.init_pid(self.host)
        proc = subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "-u", "-i", "-C", "--", "sh", "-c", script],
                              capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)
        found = json.loads(Path(registered).read_text()) if Path(registered).exists() else {}
        return {"rc": proc.returncode, "output": proc.stdout + proc.stderr, "registered": found,
                "cgroup": (self.outside / "cgroup.txt").read_text() if (self.outside / "cgroup.txt").exists() else ""}


def reasons(logoff: dict[str, t.Any]) -> dict[str, str]:
    return {str(s["id"]): s["reason"] for s in logoff["skipped_sessions"]}


def protected(result: dict[str, t.Any]) -> set[str]:
    """The sessions a result skips as the task's own or the controller's."""
    return {sid for sid, reason in reasons(result).items() if reason in ("own_session", "controller_session")}


def alive(farm: Farm, host: str, sid: str) -> bool:  # noqa: F811
    return farm.nsenter(host, ["loginctl", "show-session", sid, "-p", "Id"]).returncode == 0


def test_a_playbook_from_a_terminal_inside_an_xrdp_session_keeps_that_session(farm: Farm, xrdp: str):  # noqa: F811
    mine = farm.open_rdp(xrdp, "admin")
    other = farm.open_rdp(xrdp, "admin2")
    controller = HostController(farm, xrdp, "admin")
    try:
        run = controller.run(INFO_THEN_LOGOFF, cgroup=scope_cgroup(farm, xrdp, mine.id))
    finally:
        controller.close()
    assert f"/session-{mine.id}.scope" in run["cgroup"], run["cgroup"]  # the terminal's position
    assert run["rc"] == 0, run["output"]
    info, logoff = run["registered"]["info"], run["registered"]["logoff"]
    assert mine.id in protected(info), info
    assert other.id not in protected(info), info
    assert [s["id"] for s in logoff["logged_off"]] == [other.id], logoff
    assert reasons(logoff)[mine.id] == "own_session", logoff
    assert alive(farm, xrdp, mine.id) and farm.rdp_connected(mine)
    assert not alive(farm, xrdp, other.id)


def test_a_playbook_from_a_desktop_terminal_of_the_user_manager_keeps_that_users_desktops(farm: Farm, xrdp: str):  # noqa: F811
    desktop = farm.open_rdp(xrdp, "admin")
    [terminal] = farm.open(xrdp, "admin")  # the same user's ssh terminal session
    other = farm.open_rdp(xrdp, "admin2")
    controller = HostController(farm, xrdp, "admin")
    try:
        run = controller.run(INFO_THEN_LOGOFF, user_scope=True)
    finally:
        controller.close()
    assert f"/user@{controller.uid}.service/app.slice/app-termserv-terminal-" in run["cgroup"], run
    assert run["rc"] == 0, run["output"]
    info, logoff = run["registered"]["info"], run["registered"]["logoff"]
    kinds = {s["id"]: s["kind"] for s in info["sessions"] + info["skipped_sessions"]}
    assert kinds[desktop.id] == "graphical" and kinds[terminal.id] == "terminal", kinds
    # Protected: every graphical session of the user whose manager runs the controller
    # (which desktop started the terminal cannot be told); not that user's terminal session,
    # not another user's desktop.
    assert desktop.id in protected(info), info
    assert terminal.id not in protected(info) and other.id not in protected(info), info
    assert sorted(s["id"] for s in logoff["logged_off"]) == sorted([terminal.id, other.id]), logoff
    assert reasons(logoff)[desktop.id] == "own_session", logoff
    assert alive(farm, xrdp, desktop.id) and farm.rdp_connected(desktop)
    assert not alive(farm, xrdp, other.id) and not alive(farm, xrdp, terminal.id)


def test_become_method_machinectl_keeps_the_connections_own_session(farm: Farm):  # noqa: F811
    host = farm_host(farm, "systemd")
    # admin may open a root shell through machined without a password, as a polkit rule on a
    # real host would allow (machinectl asks polkit for org.freedesktop.machine1.host-shell).
    rule = farm.root(host) / "etc" / "polkit-1" / "rules.d" / "50-termserv-farm.rules"
    rule.write_text(POLKIT_RULE, encoding="utf-8")
    rule.chmod(0o644)
    [someone] = farm.open(host, "admin2")
    become = {"become": True, "become_method": "machinectl"}
    try:
        with mock.patch.dict(os.environ, MACHINECTL_ENV):
            run = run_tasks([{"name": "Where the module runs", "ansible.builtin.command": "cat /proc/self/cgroup",
                              "register": "where", **become}, *({**task, **become} for task in INFO_THEN_LOGOFF)],
                            play={"hosts": host, "vars": {"ansible_user": "admin"}},
                            inventory=str(farm.write_inventory()), timeout=240)
    finally:
        rule.unlink()
    assert run.rc == 0, run.stdout + run.stderr
    info, logoff = run["info"], run["logoff"]
    listed = {s["id"]: s for s in info["sessions"] + info["skipped_sessions"]}
    # The connection: admin's ssh, with a terminal for machinectl. The module runs as root in
    # another session, the one machined opened (its scope, not the connection's).
    [connection] = [sid for sid, s in listed.items() if s["user"] == "admin"]
    assert f"/session-{connection}.scope" not in run["where"]["stdout"], run["where"]["stdout"]
    assert [s for s in listed.values() if s["user"] == "root"], listed
    assert connection in protected(info), info
    assert someone.id not in protected(info), info
    assert [s["id"] for s in logoff["logged_off"]] == [someone.id], logoff
    assert reasons(logoff)[connection] in ("own_session", "controller_session"), logoff
    # The next task came through the same connection (ControlPersist): it was not ended.
    after = [s["id"] for s in run["after"]["sessions"] + run["after"]["skipped_sessions"]]
    assert connection in after and someone.id not in after, run["after"]
