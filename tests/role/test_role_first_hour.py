# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 23: a new user's typing mistakes never log off the wrong people; check mode and
the output tell the truth. The playbook on real sessions of the sandbox."""
from __future__ import annotations

import datetime
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.integration.ansible_run import BIN
from tests.role.test_role_logoff_all import (  # pylint: disable=unused-import
    DRAIN,
    LOGOFF,
    NOLOGIN,
    PLAYBOOK,
    PREVIEW,
    RELEASE_EVERY_HOLD,
    SHOW_PREVIEW,
    RoleRun,
    # autouse here too: imported for its effect
    no_nologin_left_behind,  # noqa: F401
    read_results,
    run_env,
    run_playbook,
)

pytestmark = pytest.mark.usefixtures("ground")
DRAIN_TAKEN = "Say until when logons are refused and how to lift the drain early"
ADMINS = "admin,admin2"  # never more than the sandbox's own users


def run_key_value(*pairs: str, check: bool = False, target: str = "localhost") -> RoleRun:
    """The playbook with ``-e key=value`` pairs, as typed on a command line (no JSON)."""
    argv = [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", "localhost,", "-c", "local"]
    for pair in (f"target={target}", f"logoff_all_users={ADMINS}", "logoff_all_timeout=20", *pairs):
        argv += ["-e", pair]
    if check:
        argv.append("--check")
    with tempfile.TemporaryDirectory(prefix="termserv-role-") as tmp:
        results = Path(tmp) / "results.jsonl"
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=run_env(results),
                              check=False)
        return RoleRun(proc.returncode, proc.stdout + proc.stderr, read_results(results))


@pytest.mark.parametrize("exclusion", ['logoff_all_exclude_users=["admin"]',
                                       "logoff_all_exclude_users=['admin','nobody']",
                                       "logoff_all_exclude_users=[admin]"])
def test_a_json_list_typed_as_key_value_keeps_the_excluded_user(exclusion, open_sessions, is_alive):
    """Item 1: ``["admin"]`` is the list of admin, not a pattern that matches nobody."""
    keep = open_sessions("admin")
    go = open_sessions("admin2")
    run = run_key_value(exclusion)
    assert run.returncode == 0, run.stdout
    assert {s["user"] for s in run.one(LOGOFF)["logged_off"]} == {"admin2"}
    assert all(is_alive(h) for h in keep) and not any(is_alive(h) for h in go)


def test_a_list_that_does_not_parse_fails_naming_the_variable(open_sessions, is_alive):
    """Item 1: never a pattern holding ``[``, ``"`` and ``,`` taken literally."""
    victims = open_sessions("admin") + open_sessions("admin2")
    run = run_playbook({"logoff_all_users": ADMINS, "logoff_all_exclude_users": '["admin", "admin2"'})
    assert run.returncode != 0
    message = [r for r in run.results if r["status"] == "failed"][-1]["result"]["msg"]
    assert "logoff_all_exclude_users" in message and "not one" in message, message
    assert all(is_alive(h) for h in victims)


@pytest.mark.parametrize("typo, meant", [("logoff_all_exclude_user=admin", "logoff_all_exclude_users"),
                                         ("logoff_all_release_drian=true", "logoff_all_release_drain")])
def test_a_misspelled_variable_is_refused_before_anything_changes(typo, meant, open_sessions, is_alive):
    """Item 2: the misspelled exclusion used to be ignored, and admin logged off."""
    victims = open_sessions("admin") + open_sessions("admin2")
    run = run_key_value(typo)
    assert run.returncode != 0
    [failed] = [r for r in run.results if r["status"] == "failed"]
    message = failed["result"]["msg"]
    assert typo.split("=")[0] in message and f"did you mean {meant}?" in message, message
    assert run.task(LOGOFF) == [] and run.task(PREVIEW) == []
    assert all(is_alive(h) for h in victims)


def test_the_playbook_needs_a_target_and_touches_nothing_without_one(open_sessions, is_alive):
    """Item 5: no -e target used to mean every host of the inventory."""
    victims = open_sessions("admin2")
    run = run_playbook({"logoff_all_users": ADMINS}, target=None)
    assert run.returncode != 0
    assert "-e target=" in run.stdout and "target=all" in run.stdout, run.stdout
    assert [(r["task"], r["status"]) for r in run.results] == [("Require -e target=...", "failed")]
    assert all(is_alive(h) for h in victims)


def test_a_bad_boolean_is_one_clear_line_not_the_argument_spec(open_sessions, is_alive):
    """Item 12: the argument spec's failure printed the whole spec (~3 KB), the reason buried."""
    victims = open_sessions("admin2")
    run = run_key_value("logoff_all_drain=perhaps")
    assert run.returncode != 0
    [failed] = [r for r in run.results if r["status"] == "failed"]
    assert failed["result"]["msg"] == "logoff_all_drain: 'perhaps' is not a boolean; use true or false"
    assert "argument_spec_data" not in run.stdout and "logoff_all_exclude_users" not in run.stdout
    assert all(is_alive(h) for h in victims) and not NOLOGIN.exists()


def test_check_mode_reports_the_change_and_shows_the_table_under_diff(open_sessions, is_alive):
    """Item 6: an AWX Check job must not look like nothing would happen; item 7: the preview
    shows the notice and the grace."""
    keep = open_sessions("admin")
    go = open_sessions("admin2")
    run = run_key_value("logoff_all_exclude_users=admin", "logoff_all_message=Saving_time",
                        "logoff_all_grace=2m", check=True)
    assert run.returncode == 0, run.stdout
    preview = run.one(PREVIEW, "ok")
    assert preview["changed"] is True and [s["user"] for s in preview["logged_off"]] == ["admin2"]
    assert re.search(r"changed=1 ", run.stdout), run.stdout
    shown = run.one(SHOW_PREVIEW)["msg"]
    assert any(line.startswith("NOTICE") and "Saving_time" in line for line in shown), shown
    assert any(line.startswith("GRACE") and "120 s (2m)" in line for line in shown), shown
    assert "diff" not in preview  # no --diff, no table

    with_diff = run_playbook({"logoff_all_users": ADMINS, "logoff_all_exclude_users": "admin",
                              "logoff_all_timeout": 20}, "--check", "--diff")
    diff = with_diff.one(PREVIEW)["diff"]
    assert go[0].tty in diff["before"] and go[0].tty not in diff["after"], diff
    assert keep[0].tty in diff["before"] and keep[0].tty in diff["after"], diff
    assert all(is_alive(h) for h in keep + go)

    nobody = run_key_value("logoff_all_users=nobody-at-all", check=True)
    assert nobody.returncode == 0 and nobody.one(PREVIEW)["changed"] is False, nobody.stdout


def test_the_drain_says_at_once_until_when_and_how_to_lift_it(open_sessions, is_alive):
    """Item 11: after Ctrl-C or a cancelled job nothing else is printed: say it when it is taken."""
    victim = open_sessions("admin2")[0]
    run = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": True, "logoff_all_timeout": 20})
    assert run.returncode == 0, run.stdout
    [hold] = run.one(DRAIN)["holds"]
    said = "\n".join(run.one(DRAIN_TAKEN)["msg"])
    until = datetime.datetime.fromtimestamp(hold["until"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    assert f"until {until} UTC" in said, said
    assert "-e target=localhost -e logoff_all_release_drain=true" in said, said
    assert f'holder="{hold["holder"]}"' in said, said
    names = [r["task"].split(" : ")[-1] for r in run.results]
    assert names.index(DRAIN_TAKEN) == names.index(DRAIN) + 1, names  # at once, before the grace
    assert not is_alive(victim)


def test_no_alarming_or_nameless_lines(open_sessions, is_alive):
    """Item 12: no skipped "Release every hold" on a normal run; no task banner without a
    host line (meta end_host printed "Stop here" once per host, naming none)."""
    open_sessions("admin2")
    normal = run_key_value("logoff_all_users=admin2")
    assert normal.returncode == 0, normal.stdout
    assert not [r for r in normal.results if r["status"] == "skipped" and "every hold" in r["task"]], normal.results
    release = run_key_value("logoff_all_release_drain=true")
    assert release.returncode == 0, release.stdout
    assert release.one(RELEASE_EVERY_HOLD)
    for run in (normal, release):
        blocks = run.stdout.split("TASK [")[1:]
        # "ok: [localhost]", "skipping: [localhost]", "included: FILE for localhost"...
        nameless = [b.splitlines()[0] for b in blocks
                    if not re.search(r"\[localhost\]| for localhost\b", b)]
        assert nameless == [], nameless


def test_include_non_interactive_reaches_the_logoff(open_sessions, is_alive):
    """Issue 22 item 1 through the role: logoff_all_include_non_interactive is a known variable,
    checked as a boolean and passed on as session_logoff's include_non_interactive (the module
    refuses a bad one)."""
    handles = open_sessions("admin2")
    run = run_key_value("logoff_all_include_non_interactive=true", "logoff_all_users=admin2", check=True)
    assert run.returncode == 0, run.stdout
    assert [s["user"] for s in run.one(PREVIEW)["logged_off"]] == ["admin2"]
    bad = run_key_value("logoff_all_include_non_interactive=sometimes", check=True)
    assert [r["result"]["msg"] for r in bad.results if r["status"] == "failed"] == [
        "logoff_all_include_non_interactive: 'sometimes' is not a boolean; use true or false"]
    assert all(is_alive(h) for h in handles)


@pytest.mark.parametrize("serial", ["100%", "1"])
def test_a_misspelling_in_one_hosts_vars_stops_the_batch_naming_that_host(tmp_path, open_sessions, is_alive,
                                                                          serial):
    """Issue 26: the playbook checks every host's variables in one task (not a task on each
    host); a misspelling in one host's host_vars is still refused, names that host, and
    nothing runs on any host. In batches (serial 1) too: the first batch's check covers the
    hosts of later batches (it covered only its own batch: localhost, first, was logged off
    before the batch of the misspelled host failed)."""
    victims = open_sessions("admin2")
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("localhost ansible_connection=local\n"
                         "other ansible_connection=local logoff_all_exclude_user=admin\n")
    argv = [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(inventory), "-e", "target=all",
            "-e", f"logoff_all_users={ADMINS}", "-e", f"logoff_all_serial={serial}"]
    results = tmp_path / "results.jsonl"
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=240, env=run_env(results), check=False)
    run = RoleRun(proc.returncode, proc.stdout + proc.stderr, read_results(results))
    assert run.returncode != 0
    [failed] = [r for r in run.results if r["status"] == "failed"]
    assert failed["result"]["msg"] == ("logoff_all_exclude_user is not a variable of this role (it would be "
                                       "ignored): did you mean logoff_all_exclude_users? (on other)"), failed
    assert run.task(LOGOFF) == [] and run.task(PREVIEW) == []
    assert all(is_alive(h) for h in victims)
