# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the playbook the way AWX does: ansible-runner, survey answers as text, check jobs.

ansible-runner is the engine under AWX job templates: a private data dir with the
inventory, extra vars (``env/extravars``, every survey answer a string), command-line
flags (``env/cmdline``: ``--check`` for a job template of type "check"), and artifacts
(status, rc, job events, and the ``set_stats`` data AWX shows as the job's artifacts).
"""
from __future__ import annotations

from pathlib import Path

import ansible_runner
import pytest
import yaml

from tests.integration.ansible_run import env

pytestmark = pytest.mark.usefixtures("ground")

SURVEY_ANSWERS = {  # as AWX sends them: all text, lists as comma/newline strings
    "target": "sandbox",
    "logoff_all_users": "admin2\nTsuUp",
    "logoff_all_exclude_users": "admin, svc_*",
    "logoff_all_states": "active",
    "logoff_all_min_idle": "0",
    "logoff_all_message": "",
    "logoff_all_grace": "0",
    "logoff_all_drain": "false",
    "logoff_all_timeout": "20",
}


def private_data_dir(tmp_path: Path, check: bool, answers: dict | None = None, more_hosts: str = "") -> Path:
    root = tmp_path / "runner"
    (root / "project").mkdir(parents=True)
    (root / "inventory").mkdir()
    (root / "env").mkdir()
    (root / "project" / "logoff_all.yml").write_text(yaml.safe_dump([{
        "name": "Log off user sessions (AWX project wrapper)",
        "ansible.builtin.import_playbook": "termserv.sessions.logoff_all"}]))
    (root / "inventory" / "hosts").write_text(
        "[sandbox]\nlocalhost ansible_connection=local ansible_python_interpreter="
        f"{env()['ANSIBLE_PYTHON_INTERPRETER']}\n{more_hosts}")
    (root / "env" / "extravars").write_text(yaml.safe_dump(dict(SURVEY_ANSWERS, **(answers or {}))))
    keep = ("ANSIBLE_COLLECTIONS_PATH", "PATH", "ANSIBLE_NOCOLOR")
    (root / "env" / "envvars").write_text(yaml.safe_dump({k: env()[k] for k in keep}))
    if check:
        (root / "env" / "cmdline").write_text("--check")
    return root


def run(tmp_path: Path, check: bool, answers: dict | None = None, more_hosts: str = "") -> ansible_runner.Runner:
    return ansible_runner.run(private_data_dir=str(private_data_dir(tmp_path, check, answers, more_hosts)),
                              playbook="logoff_all.yml", quiet=True, timeout=240)


def stats(result: ansible_runner.Runner) -> dict:
    [event] = [e for e in result.events if e["event"] == "playbook_on_stats"]
    return event["event_data"].get("artifact_data", {})


def task_results(result: ansible_runner.Runner, task: str) -> list[dict]:
    return [e["event_data"]["res"] for e in result.events
            if e["event"] == "runner_on_ok" and e["event_data"].get("task") == task]


def test_check_job_previews_and_changes_nothing(tmp_path, open_sessions, is_alive):
    go = open_sessions("admin2") + open_sessions("TsuUp")
    keep = open_sessions("admin")
    result = run(tmp_path, check=True)
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()
    [preview] = task_results(result, "Preview who will be logged off and who is kept")
    assert {s["id"] for s in preview["logged_off"]} >= {h.tty for h in go}
    assert keep[0].tty not in {s["id"] for s in preview["logged_off"]}
    counts = stats(result)["logoff_all"]["localhost"]
    assert int(counts["would_log_off"]) >= 2 and int(counts["failed"]) == 0
    assert all(is_alive(h) for h in go + keep)


def test_run_job_logs_off_and_publishes_stats(tmp_path, open_sessions, is_alive):
    go = open_sessions("admin2", 2) + open_sessions("TsuUp")
    keep = open_sessions("admin")
    result = run(tmp_path, check=False)
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()
    [logoff] = task_results(result, "Warn, wait the grace period and log off")
    assert {s["id"] for s in logoff["logged_off"]} == {h.tty for h in go}
    counts = stats(result)["logoff_all"]["localhost"]
    assert int(counts["logged_off"]) == 3 and int(counts["failed"]) == 0
    assert int(counts["skipped"]) == len(logoff["skipped_sessions"])
    assert not any(is_alive(h) for h in go) and is_alive(keep[0])
    # The same numbers are in the artifacts directory AWX reads.
    artifacts = Path(result.config.artifact_dir)
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"


def test_check_job_with_a_json_list_answer_reports_what_would_change(tmp_path, open_sessions, is_alive):
    """Issue 23 items 1 and 6: a survey answer ``["admin"]`` excludes admin; the Check job's
    preview reports changed (it used to say changed=0 where the run would log off)."""
    keep = open_sessions("admin")
    go = open_sessions("admin2")
    answers = {"logoff_all_users": "admin\nadmin2", "logoff_all_exclude_users": '["admin"]'}
    result = run(tmp_path, check=True, answers=answers)
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()
    [preview] = task_results(result, "Preview who will be logged off and who is kept")
    assert {s["user"] for s in preview["logged_off"]} == {"admin2"} and preview["changed"] is True
    assert keep[0].tty not in {s["id"] for s in preview["logged_off"]}
    assert all(is_alive(h) for h in keep + go)


def test_unreachable_hosts_are_counted_in_the_job_artifacts(tmp_path, open_sessions, is_alive):
    """Issue 23 item 10: set_stats used to leave out the hosts that could not be reached."""
    go = open_sessions("admin2")
    lost = ("lost ansible_connection=ssh ansible_host=127.0.0.254 ansible_port=1 "
            "ansible_ssh_common_args='-o ConnectTimeout=5'\n")
    result = run(tmp_path, check=True, answers={"logoff_all_users": "admin2"}, more_hosts=lost)
    assert result.rc != 0  # a host was lost: the job says so
    counts = stats(result)["logoff_all"]
    assert int(counts["lost"]["unreachable"]) == 1 and int(counts["lost"]["would_log_off"]) == 0, counts
    assert int(counts["localhost"]["unreachable"]) == 0 and int(counts["localhost"]["would_log_off"]) >= 1, counts
    assert all(is_alive(h) for h in go)
