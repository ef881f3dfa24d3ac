# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff_all role and playbook on real sessions: the scenarios of a maintenance window."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from tests.integration.ansible_run import REPO, playbook

pytestmark = pytest.mark.usefixtures("ground")
PLAYBOOK = REPO / "playbooks" / "logoff_all.yml"
NOLOGIN = Path("/etc/nologin")


def run_playbook(extra_vars: dict, *flags: str, timeout: float = 240):
    return playbook(PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra_vars),
                    *flags, timeout=timeout, ANSIBLE_SHOW_CUSTOM_STATS="1")


@pytest.fixture(autouse=True)
def no_nologin_left_behind():
    assert not NOLOGIN.exists(), "a test before this one left /etc/nologin"
    yield
    leftover = NOLOGIN.exists()
    if leftover:
        NOLOGIN.unlink()
    assert not leftover, "the role left /etc/nologin behind"


def test_check_real_idempotent_check(open_sessions, is_alive):
    keep = open_sessions("admin") + open_sessions("TsuUp")
    go = open_sessions("admin2", 2)
    survey = {"target": "localhost", "logoff_all_exclude_users": "admin, TsuUp",
              "logoff_all_timeout": "20"}

    check = run_playbook(survey, "--check")
    assert check.returncode == 0, check.stdout
    assert "Would have logged off 2 sessions" in check.stdout
    for handle in go:
        assert f"LOG OFF  {handle.tty}  admin2" in check.stdout
    assert "user_excluded" in check.stdout
    assert all(is_alive(h) for h in keep + go)

    real = run_playbook(survey)
    assert real.returncode == 0, real.stdout
    assert "Logged off 2 sessions" in real.stdout
    assert not any(is_alive(h) for h in go) and all(is_alive(h) for h in keep)

    again = run_playbook(survey)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout

    check_again = run_playbook(survey, "--check")
    assert "Would have logged off 0 sessions" in check_again.stdout
    assert "changed=0" in check_again.stdout


def test_drain_refuses_new_logins_during_the_run_and_is_restored(ground, open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    seen: dict = {}

    def try_login() -> None:
        seen["nologin"] = NOLOGIN.exists()
        seen["rc"] = ground.try_login("carol")

    timer = threading.Timer(1.5, try_login)
    timer.start()
    try:
        real = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": "true",
                             "logoff_all_message": "Going down", "logoff_all_grace": "4",
                             "logoff_all_timeout": "20"})
    finally:
        timer.join()
    assert real.returncode == 0, real.stdout
    assert seen == {"nologin": True, "rc": 255}, seen
    assert not is_alive(victim)
    assert not NOLOGIN.exists()
    assert ground.try_login("carol") == 0  # logons are back


def test_drain_is_restored_when_the_logoff_step_fails(open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    utmp = Path("/run/utmp")
    saved = Path("/run/utmp.termserv-test")

    def break_utmp() -> None:
        # The host's session table becomes unreadable during the grace period, so the
        # enumeration after grace, inside the logoff step, fails.
        shutil.move(utmp, saved)
        utmp.mkdir()

    timer = threading.Timer(1.5, break_utmp)
    timer.start()
    try:
        real = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": True,
                             "logoff_all_message": "Going down", "logoff_all_grace": 4})
    finally:
        timer.join()
        if utmp.is_dir():
            utmp.rmdir()
        if saved.exists():
            shutil.move(saved, utmp)
    assert real.returncode != 0
    assert "could not enumerate sessions" in real.stdout
    assert "Restore the previous logon mode" in real.stdout
    assert not NOLOGIN.exists()
    assert is_alive(victim)


@pytest.mark.parametrize("bad, option", [
    ({"logoff_all_exclude_users": {"svc": True}}, "logoff_all_exclude_users"),
    ({"logoff_all_drain": "perhaps"}, "logoff_all_drain"),
    ({"logoff_all_grace": "5 parsecs"}, "grace"),
])
def test_invalid_variables_are_rejected_before_anything_changes(bad, option, open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    run = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": True, **bad})
    assert run.returncode != 0
    assert option in run.stdout, run.stdout
    assert is_alive(victim) and not NOLOGIN.exists()
    assert "Drain new logons" not in run.stdout
