# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff_all role and playbook on real sessions: the scenarios of a maintenance window.

Assertions are on what the role's tasks returned (JSON, via the test callback in
callback_plugins/), not on the text of the output (issue 13 item 8).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import typing as t
from pathlib import Path

import pytest

from tests.integration.ansible_run import BIN, REPO, env, run_tasks
from tests.sandbox.sandbox import signals_received

pytestmark = pytest.mark.usefixtures("ground")
PLAYBOOK = REPO / "playbooks" / "logoff_all.yml"
NOLOGIN = Path("/etc/nologin")
HOLDS = Path("/etc/termserv-sessions/holds.json")
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"

PREVIEW = "Preview who will be logged off and who is kept"
LOGOFF = "Warn, wait the grace period and log off"
DRAIN = "Drain new logons (this run's hold, which expires by itself)"
RELEASE = "Release this run's hold on the logon mode"
CHECK_BATCH = "Check the logoff_all_ variables of every host of this batch"
SHOW_PREVIEW = "Show the preview"
SHOW_RESULT = "Show who was logged off and who was kept"
RELEASE_EVERY_HOLD = "Enable logons, whoever holds the drain"


@dataclasses.dataclass
class RoleRun:
    returncode: int
    stdout: str
    results: list[dict[str, t.Any]]

    def task(self, name: str) -> list[dict[str, t.Any]]:
        return [r for r in self.results if r["task"].split(" : ")[-1] == name]

    def one(self, name: str, status: str = "ok") -> dict[str, t.Any]:
        found = [r for r in self.task(name) if r["status"] == status]
        assert len(found) == 1, (name, status, [(r["task"], r["status"]) for r in self.results])
        return found[0]["result"]

    def changed(self) -> list[str]:
        return [r["task"] for r in self.results if r["result"].get("changed")]


def command(extra_vars: dict, *flags: str, target: str | None = "localhost") -> list[str]:
    """The playbook on this machine; ``target`` is required by the playbook (issue 23 item 5),
    None leaves it out."""
    if target is not None:
        extra_vars = {"target": target, **extra_vars}
    return [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", "localhost,", "-c", "local",
            "-e", json.dumps(extra_vars), *flags]


def run_env(results: Path) -> dict[str, str]:
    return env(ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="task_results",
               TERMSERV_TASK_RESULTS=str(results), ANSIBLE_SHOW_CUSTOM_STATS="1")


def read_results(path: Path) -> list[dict[str, t.Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def run_playbook(extra_vars: dict, *flags: str, timeout: float = 240,
                 target: str | None = "localhost") -> RoleRun:
    with tempfile.TemporaryDirectory(prefix="termserv-role-") as tmp:
        results = Path(tmp) / "results.jsonl"
        proc = subprocess.run(command(extra_vars, *flags, target=target), capture_output=True, text=True,
                              timeout=timeout, env=run_env(results), check=False)
        return RoleRun(proc.returncode, proc.stdout + proc.stderr, read_results(results))


def wait_for(predicate: t.Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _stat(pid: int) -> tuple[int, str] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[19]
    except (OSError, IndexError, ValueError):
        return None


def descendants(root: int) -> list[tuple[int, str]]:
    """(pid, start time) of every process below ``root``, to end them by identity later."""
    children: dict[int, list[int]] = {}
    starts: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat:
                children.setdefault(stat[0], []).append(int(entry))
                starts[int(entry)] = stat[1]
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append((child, starts[child]))
            todo.append(child)
    return found


def end_processes(processes: list[tuple[int, str]]) -> None:
    """SIGKILL what this test started and left (an orphaned worker), by pid AND start time."""
    for pid, start in processes:
        stat = _stat(pid)
        if stat and stat[1] == start:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(autouse=True)
def no_nologin_left_behind():
    assert not NOLOGIN.exists(), "a test before this one left /etc/nologin"
    yield
    leftover = [p for p in (NOLOGIN, HOLDS) if p.exists()]
    for path in leftover:
        path.unlink()
    assert not leftover, f"left behind: {leftover}"


def test_check_real_idempotent_check(open_sessions, is_alive):
    keep = open_sessions("admin") + open_sessions("TsuUp")
    go = open_sessions("admin2", 2)
    survey = {"target": "localhost", "logoff_all_exclude_users": "admin, TsuUp",
              "logoff_all_timeout": "20"}

    check = run_playbook(survey, "--check")
    assert check.returncode == 0, check.stdout
    preview = check.one(PREVIEW)
    assert {s["id"] for s in preview["logged_off"]} == {h.tty for h in go}
    assert {s["user"] for s in preview["logged_off"]} == {"admin2"}
    assert "user_excluded" in {s["reason"] for s in preview["skipped_sessions"]}
    # Issue 23 item 6: a check run reports changed where the real run would log off.
    assert [t.split(" : ")[-1] for t in check.changed()] == [PREVIEW] and all(is_alive(h) for h in keep + go)

    real = run_playbook(survey)
    assert real.returncode == 0, real.stdout
    logoff = real.one(LOGOFF)
    assert {s["id"] for s in logoff["logged_off"]} == {h.tty for h in go}
    assert all(s.get("verified", True) for s in logoff["logged_off"])
    # Issue 14: a real run without drain executes one module per host; the logoff's own
    # enumeration is the preview, shown from its result (who went, who was kept and why).
    # Issue 26: and no task it does not need: no skipped preview include nor release, no
    # variable check nor argument spec check per host (one check per batch instead, on
    # the controller). Once per run on localhost: the target check and the unreachable count.
    assert real.task(PREVIEW) == [] and real.task(DRAIN) == []
    assert [r["task"].split(" : ")[-1] for r in real.results] == [
        "Require -e target=...", CHECK_BATCH, "Log off, or only release every hold (logoff_all_release_drain)",
        LOGOFF, SHOW_RESULT, "Publish the counts for AWX", "Publish the unreachable hosts' counts for AWX"], \
        [(r["task"], r["status"]) for r in real.results]
    assert [r for r in real.results if r["status"] == "skipped"] == []
    modules = [r for r in real.results if r["status"] != "skipped" and r["task"].split(" : ")[-1] in
               (PREVIEW, LOGOFF, "Enumerate the sessions again")]
    assert len(modules) == 1, modules
    shown = "\n".join(real.one(SHOW_RESULT)["msg"])
    assert all(f"LOGGED OFF {h.tty} " in shown for h in go), shown
    assert "KEEP" in shown and "user_excluded" in shown, shown
    assert not any(is_alive(h) for h in go) and all(is_alive(h) for h in keep)

    again = run_playbook(survey)
    assert again.returncode == 0 and again.changed() == [], again.changed()

    check_again = run_playbook(survey, "--check")
    assert check_again.one(PREVIEW)["logged_off"] == [] and check_again.changed() == []


def test_drain_refuses_new_logins_during_the_run_and_is_released(ground, open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    seen: dict = {}

    def try_login() -> None:
        seen["nologin"] = wait_for(NOLOGIN.exists, 60)
        seen["rc"] = ground.try_login("carol")

    timer = threading.Thread(target=try_login)
    timer.start()
    try:
        real = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": "true",
                             "logoff_all_message": "Going down", "logoff_all_grace": "6",
                             "logoff_all_timeout": "20"})
    finally:
        timer.join()
    assert real.returncode == 0, real.stdout
    assert seen == {"nologin": True, "rc": 255}, seen
    # Issue 11 item 19: with drain, a real run shows its previews first; they change
    # nothing, so they report no change (the logoff preview would log admin2 off).
    preview = real.one(PREVIEW)
    assert [s["id"] for s in preview["logged_off"]] == [victim.tty] and preview["changed"] is False
    assert real.one("Preview the drain and the holds of other runs")["changed"] is False
    drain = real.one(DRAIN)
    [hold] = drain["holds"]
    assert hold["holder"] == drain["holder"] and hold["state"] == "drain"
    assert hold["until"] - hold["since"] == 6 + 20 + 600  # grace + timeout + margin
    release = real.one(RELEASE)
    assert release["state"] == "enabled" and release["holds"] == [] and release["released"] == [hold]
    assert not is_alive(victim)
    assert not NOLOGIN.exists() and not HOLDS.exists()
    assert ground.try_login("carol") == 0  # logons are back


def test_drain_is_released_when_the_logoff_step_fails(open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    utmp = Path("/run/utmp")
    saved = Path("/run/utmp.termserv-test")

    def break_utmp() -> None:
        # The host's session table becomes unreadable during the grace period, so the
        # enumeration after grace, inside the logoff step, fails.
        shutil.move(utmp, saved)
        utmp.mkdir()

    def break_when_drained() -> None:
        wait_for(NOLOGIN.exists, 60)
        time.sleep(0.5)
        break_utmp()

    timer = threading.Thread(target=break_when_drained)
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
    assert "could not enumerate sessions" in real.one(LOGOFF, "failed")["msg"]
    assert real.one(RELEASE)["state"] == "enabled"
    assert not NOLOGIN.exists()
    assert is_alive(victim)


@pytest.mark.parametrize("bad, variable", [
    ({"logoff_all_exclude_users": {"svc": True}}, "logoff_all_exclude_users"),
    ({"logoff_all_drain": "perhaps"}, "logoff_all_drain"),
    ({"logoff_all_grace": "5 parsecs"}, "logoff_all_grace"),
    ({"logoff_all_min_idle": "soon"}, "logoff_all_min_idle"),
    ({"logoff_all_drain_expires_in": "later"}, "logoff_all_drain_expires_in"),
])
def test_invalid_variables_are_rejected_by_their_role_name_before_anything_changes(
        bad, variable, open_sessions, is_alive):
    victim = open_sessions("admin2")[0]
    run = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": True, **bad})
    assert run.returncode != 0
    failed = [r for r in run.results if r["status"] == "failed"]
    assert failed, run.stdout
    message = failed[-1]["result"]["msg"]
    assert variable in message, message
    assert is_alive(victim) and not NOLOGIN.exists()
    assert run.task(DRAIN) == [] and run.task(LOGOFF) == []


def test_a_bad_variable_without_drain_is_named_by_the_logoff_before_anything_changes(open_sessions, is_alive):
    """Without drain no separate preview runs: the logoff checks its options first (issue 14)."""
    victim = open_sessions("admin2")[0]
    run = run_playbook({"logoff_all_users": "admin2", "logoff_all_grace": "5 parsecs"})
    assert run.returncode != 0
    assert run.one(LOGOFF, "failed")  # the option check of the logoff itself, on the controller
    message = [r for r in run.results if r["status"] == "failed"][-1]["result"]["msg"]
    assert "logoff_all_grace" in message, message
    assert is_alive(victim)


def test_sessions_running_an_excluded_program_are_kept(open_sessions, is_alive):
    """Issue 12: logoff_all_exclude_processes (a survey string) reaches exclude_processes."""
    victims = open_sessions("admin2", 2)
    survey = {"logoff_all_users": "admin2", "logoff_all_exclude_processes": "no-such-program, *",
              "logoff_all_timeout": "20"}
    check = run_playbook(survey, "--check")
    assert check.returncode == 0, check.stdout
    preview = check.one(PREVIEW)
    assert preview["logged_off"] == []
    kept = {s["id"]: s for s in preview["skipped_sessions"] if s["user"] == "admin2"}
    assert set(kept) == {h.tty for h in victims}
    assert {s["reason"] for s in kept.values()} == {"process_running"}
    real = run_playbook(survey)
    assert real.returncode == 0, real.stdout
    assert real.one(LOGOFF)["logged_off"] == [] and all(is_alive(h) for h in victims)
    only_other = run_playbook(dict(survey, logoff_all_exclude_processes="no-such-program"))
    assert only_other.returncode == 0, only_other.stdout
    assert {s["id"] for s in only_other.one(LOGOFF)["logged_off"]} == {h.tty for h in victims}
    assert not any(is_alive(h) for h in victims)


def start(extra_vars: dict, results: Path) -> subprocess.Popen:
    return subprocess.Popen(command(extra_vars), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=run_env(results))


@pytest.mark.parametrize("first_release", ["A", "B"])
def test_overlapping_runs_end_in_the_original_mode(first_release, tmp_path, open_sessions, is_alive):
    """Issue 16: A drains, B drains, either releases first; logons come back only at the end."""
    open_sessions("admin2")
    open_sessions("TsuUp")
    grace = {"A": 3, "B": 9} if first_release == "A" else {"A": 9, "B": 3}
    a = start({"logoff_all_users": "admin2", "logoff_all_drain": True, "logoff_all_drain_holder": "run A",
               "logoff_all_grace": grace["A"], "logoff_all_timeout": 20}, tmp_path / "a.jsonl")
    try:
        assert wait_for(NOLOGIN.exists, 60), "run A did not drain"
        b = start({"logoff_all_users": "TsuUp", "logoff_all_drain": True, "logoff_all_drain_holder": "run B",
                   "logoff_all_grace": grace["B"], "logoff_all_timeout": 20}, tmp_path / "b.jsonl")
        first, second = (a, b) if first_release == "A" else (b, a)
        first.wait(timeout=120)
        assert NOLOGIN.exists(), "the first release lifted the other run's drain"
        second.wait(timeout=120)
    finally:
        for proc in (a, locals().get("b")):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert (a.returncode, b.returncode) == (0, 0), (a.stdout.read(), b.stdout.read())
    ra = RoleRun(a.returncode, "", read_results(tmp_path / "a.jsonl"))
    rb = RoleRun(b.returncode, "", read_results(tmp_path / "b.jsonl"))
    assert [h["holder"] for h in rb.one(DRAIN)["other_holds"]] == ["run A"], "B must see A's hold"
    assert rb.one(DRAIN)["previous_state"] == "drain"
    # B's preview, before B changes anything, names A's hold: who, what, since and until when.
    holds_shown = [line for line in rb.one(SHOW_PREVIEW)["msg"] if line.startswith("HOLD")]
    assert len(holds_shown) == 1 and holds_shown[0].startswith("HOLD     run A holds drain since "), holds_shown
    assert "expires in " in holds_shown[0]
    assert not [line for line in ra.one(SHOW_PREVIEW)["msg"] if line.startswith("HOLD")], "A found no hold"
    first_run = ra if first_release == "A" else rb
    assert first_run.one(RELEASE)["state"] == "drain" and first_run.one(RELEASE)["other_holds"]
    last_run = rb if first_release == "A" else ra
    assert last_run.one(RELEASE)["state"] == "enabled"
    assert not NOLOGIN.exists() and not HOLDS.exists()


@pytest.mark.parametrize("how, during", [(signal.SIGKILL, "grace"), (signal.SIGINT, "grace"),
                                         (signal.SIGKILL, "logoff")],
                         ids=["kill-9", "sigint", "kill-9-during-logoff"])
def test_a_dead_or_cancelled_controller_leaves_only_the_expiring_hold(how, during, tmp_path, ground, open_sessions):
    """Issue 16 items 2-4: the host lifts the drain itself when the hold expires."""
    if during == "grace":
        open_sessions("admin2")
        expires_in, grace = 5, 60
    else:
        # Lives through HUP and TERM: the logoff is still escalating when the controller dies.
        stubborn = open_sessions("admin2", behaviour="log_signals")[0]
        expires_in, grace = 25, 0  # room for preview, drain and enumeration on a loaded machine
    proc = start({"logoff_all_users": "admin2", "logoff_all_drain": True,
                  "logoff_all_grace": grace, "logoff_all_timeout": 30,
                  "logoff_all_drain_expires_in": expires_in}, tmp_path / "r.jsonl")
    left: list[tuple[int, str]] = []
    try:
        assert wait_for(NOLOGIN.exists, 60), "the run did not drain"
        assert wait_for(HOLDS.exists, 10), "the drain has no hold"
        # The hold's own expiry, not the moment this test noticed the drain: under load the
        # test may see the drain seconds after the hold was written.
        until = max(h["until"] for h in json.loads(HOLDS.read_text())["holds"])
        if during == "grace":
            time.sleep(0.5)  # in the grace period now
        else:
            assert wait_for(lambda: "HUP" in signals_received(stubborn.marker), 30), "the logoff never began"
            assert time.time() < until, "the hold expired before the logoff began; raise expires_in"
        left = descendants(proc.pid)
        os.kill(proc.pid, how)
        proc.wait(timeout=30)
        assert NOLOGIN.exists(), "nothing may lift the drain before the hold expires"
        assert ground.try_login("carol") == 255
        assert wait_for(lambda: not NOLOGIN.exists(), expires_in + 15), "the host did not restore itself"
        # Holds expire in whole seconds of the host's clock, which is this machine's clock.
        assert time.time() >= until, ("restored before the hold expired", until - time.time())
        assert not HOLDS.exists()
        assert ground.try_login("carol") == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        end_processes(left)


def test_a_foreign_nologin_is_never_released_by_us(open_sessions, is_alive):
    admin_text = b"Admin: storage migration until 14:00 - do not log on\n"
    victim = open_sessions("admin2")[0]  # before the admin's file, which refuses logins
    NOLOGIN.write_bytes(admin_text)
    try:
        run = run_playbook({"logoff_all_users": "admin2", "logoff_all_drain": True,
                            "logoff_all_drain_msg": "ours", "logoff_all_timeout": 20})
        assert run.returncode == 0, run.stdout
        drain = run.one(DRAIN)
        assert drain["covered"] is True and drain["changed"] is False and drain["holds"] == []
        assert drain["previous_state"] == "drain" and drain["previous_msg"] == admin_text.decode()
        assert run.one(RELEASE)["changed"] is False
        assert NOLOGIN.read_bytes() == admin_text and not HOLDS.exists()
        assert not is_alive(victim)
    finally:
        NOLOGIN.unlink(missing_ok=True)


def test_release_drain_enables_logons_whoever_holds_them_and_does_nothing_else(open_sessions, is_alive):
    """logoff_all_release_drain: every hold goes at once, and no session is touched."""
    bystander = open_sessions("admin2")[0]  # before the drain, which refuses logins
    held = run_tasks([{"name": "Another run's hold", "register": "hold",
                       "termserv.sessions.logon_mode": {"state": "drain", "holder": "night job",
                                                        "expires_in": "1h"}}])
    assert held.rc == 0 and held["hold"]["changed"], held.stdout
    assert NOLOGIN.exists() and HOLDS.exists()
    run = run_playbook({"logoff_all_release_drain": True})
    assert run.returncode == 0, run.stdout
    assert run.one(RELEASE_EVERY_HOLD)["changed"] is True
    assert not NOLOGIN.exists() and not HOLDS.exists()
    # The release is all it does: the host ends there, before any preview or logoff.
    assert run.task(LOGOFF) == [] and run.task(PREVIEW) == [] and is_alive(bystander)


def test_session_report_shows_a_process_count_per_session(open_sessions, is_alive):
    """Issue 12 item 2: the session report asks session_info for processes and counts them."""
    handles = open_sessions("admin2", 2)
    with tempfile.TemporaryDirectory(prefix="termserv-report-") as tmp:
        results = Path(tmp) / "results.jsonl"
        argv = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "session_report.yml"),
                "-i", "localhost,", "-c", "local"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=run_env(results),
                              check=False)
        run = RoleRun(proc.returncode, proc.stdout + proc.stderr, read_results(results))
    assert run.returncode == 0, run.stdout
    sessions = {s["id"]: s for s in run.one("Enumerate the sessions")["sessions"]}
    table = run.one("Show them as a table")["msg"]
    column = table[0].index("PROCS")
    for handle in handles:
        count = len(sessions[handle.tty]["processes"])
        assert count >= 1
        [row] = [line for line in table if line.startswith(f"{handle.tty} ")]
        assert row[column:column + 5].strip() == str(count), (table[0], row, count)
    assert all(is_alive(h) for h in handles)
