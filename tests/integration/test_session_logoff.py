# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""session_logoff on real ssh sessions: the scenarios a user runs."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest


def info_task(register: str, **args) -> dict:
    return {"name": f"List sessions ({register})", "termserv.sessions.session_info": args,
            "register": register}


def logoff_task(register: str, **args) -> dict:
    return {"name": f"Log off ({register})", "termserv.sessions.session_logoff": args,
            "register": register}


def ids(items) -> set[str]:
    return {s["id"] for s in items}


def test_check_mode_changes_nothing_and_predicts_the_real_run(ground, open_sessions, is_alive):
    admin = open_sessions("admin")
    others = open_sessions("admin2", 2) + open_sessions("TsuUp")
    preview = ground.run([info_task("before"), logoff_task("preview", exclude_users=["admin"]),
                         info_task("after")], check=True, diff=True)
    assert preview.rc == 0, preview.stdout
    assert preview["before"]["sessions"] == preview["after"]["sessions"] or \
        ids(preview["before"]["sessions"]) == ids(preview["after"]["sessions"])
    assert all(is_alive(h) for h in admin + others)
    would = ids(preview["preview"]["logged_off"])
    assert preview["preview"]["changed"] is True
    assert {h.id for h in others} <= would and admin[0].id not in would
    assert "would have logged off" in preview["preview"]["msg"].lower()
    assert "--- before" in preview.stdout  # diff mode shows the table

    real = ground.run([logoff_task("real", exclude_users=["admin"], timeout=20)])
    assert real.rc == 0, real.stdout
    assert ids(real["real"]["logged_off"]) == would
    assert real["real"]["changed"] is True and real["real"]["errors"] == []
    assert is_alive(admin[0])
    assert not any(is_alive(h) for h in others)

    again = ground.run([logoff_task("again", exclude_users=["admin"], timeout=20)])
    assert again["again"]["changed"] is False and again["again"]["logged_off"] == []


def test_filters_on_real_sessions(ground, open_sessions, is_alive):
    first, second = open_sessions("admin2", 2)
    run = ground.run([
        logoff_task("idle", users=["admin2"], min_idle="1h"),
        logoff_task("states", users=["admin2"], states=["disconnected"]),
        logoff_task("by_id", users=["admin2"], session_ids=[first.id], timeout=20),
    ])
    assert run.rc == 0, run.stdout
    idle_reasons = {s["id"]: s["reason"] for s in run["idle"]["skipped_sessions"]}
    assert idle_reasons[first.id] == idle_reasons[second.id] == "not_idle_long_enough"
    state_reasons = {s["id"]: s["reason"] for s in run["states"]["skipped_sessions"]}
    assert state_reasons[first.id] == "state"
    assert ids(run["by_id"]["logged_off"]) == {first.id}
    assert not is_alive(first) and is_alive(second)


def test_a_session_that_ignores_hup_and_term_is_killed_and_reported_forced(ground, open_sessions, is_alive):
    stubborn = open_sessions("TsuUp", behaviour="ignore_hup")[0]
    run = ground.run([logoff_task("forced", users=["TsuUp"], timeout=6)])
    assert run.rc == 0, run.stdout
    [done] = [s for s in run["forced"]["logged_off"] if s["id"] == stubborn.id]
    assert done["forced"] is True
    assert not is_alive(stubborn)


def test_slow_sessions_end_by_hup_in_parallel(ground, open_sessions, is_alive):
    slow = open_sessions("admin2", 4, behaviour="slow_exit", exit_delay=1.0)
    run = ground.run([logoff_task("slow", users=["admin2"], timeout=20)])
    assert run.rc == 0, run.stdout
    done = {s["id"]: s for s in run["slow"]["logged_off"]}
    assert {h.id for h in slow} <= set(done)
    assert all(done[h.id]["forced"] is False for h in slow)
    # All four were signalled at once: each took about its own exit time, not 4 of them.
    assert max(done[h.id]["elapsed"] for h in slow) < 4.0
    assert not any(is_alive(h) for h in slow)


def test_a_session_that_ends_during_grace_is_not_an_error(ground, open_sessions, close_session, is_alive):
    leaving, staying = open_sessions("admin2", 2)

    def leave_once_warned() -> None:
        # The notice is sent when the grace period starts: leave then, however long the
        # connection to the ground took (a fixed delay raced the first enumeration over ssh).
        deadline = time.monotonic() + 60
        while "Logging you off" not in ground.terminal_output(leaving) and time.monotonic() < deadline:
            time.sleep(0.05)
        close_session(leaving)
    timer = threading.Thread(target=leave_once_warned)
    timer.start()
    try:
        run = ground.run([logoff_task("grace", users=["admin2"], notify_msg="Logging you off",
                                      grace=4, timeout=20)])
    finally:
        timer.join()
    assert run.rc == 0, run.stdout
    result = run["grace"]
    assert result["errors"] == []
    reasons = {s["id"]: s["reason"] for s in result["skipped_sessions"]}
    assert reasons.get(leaving.id) == "ended_during_grace", result
    assert staying.id in ids(result["logged_off"])
    assert staying.id in ids(result["notified"])
    assert not is_alive(staying)


def test_the_connections_own_session_survives(ground, open_sessions):
    open_sessions("admin2")
    rc, output = ground.run_in_root_session(probe_command({"users": ["root", "admin2"], "timeout": 20}))
    assert rc == 0, output
    assert "OWN_SESSION_SURVIVED" in output, output


def test_the_controllers_session_survives_when_it_manages_its_own_host_over_ssh(ground, open_sessions, is_alive):
    """Issue 11 item 9: ansible-playbook in a root session reaches this host over ssh by
    address; the module runs in another session (Ansible's connection), and the
    controller's session is still protected: reported own_session, not logged off."""
    victim = open_sessions("admin2")[0]
    over_ssh = {"ansible_connection": "ssh", "ansible_host": ground.addr, "ansible_port": ground.port,
                "ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": str(ground.dir / "client_key"),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}
    rc, output = ground.run_in_root_session(probe_command({"users": ["root", "admin2"], "timeout": 20}, over_ssh))
    assert rc == 0, output
    assert "OWN_SESSION_SURVIVED" in output, output
    assert not is_alive(victim), output


def probe_command(args: dict, play_vars: dict | None = None) -> list[str]:
    import json
    import sys
    from pathlib import Path
    argv = [sys.executable, str(Path(__file__).with_name("own_logoff_probe.py")), json.dumps(args)]
    return argv + ([json.dumps(play_vars)] if play_vars else [])


def test_non_root_fails_clearly_and_changes_nothing(ground, open_sessions, is_alive, as_user):
    victim = open_sessions("admin2")[0]
    rc, output = as_user("carol", [logoff_task("nonroot", users=["admin2"])])
    assert rc != 0
    assert "needs root" in output or "become" in output, output
    assert is_alive(victim)


def test_message_reaches_the_terminal_without_escape_sequences(ground, open_sessions, terminal_output):
    target = open_sessions("admin2")[0]
    other = open_sessions("admin")[0]
    run = ground.run([{"name": "Tell admin2", "termserv.sessions.session_message": {
        "users": ["admin2"], "msg": "Reboot at 22:00\x1b[2J\x1b]0;owned\x07", "title": "Notice"},
        "register": "told"}])
    assert run.rc == 0, run.stdout
    assert target.id in ids(run["told"]["delivered"])
    assert other.id not in ids(run["told"]["delivered"])
    seen = terminal_output(target, "Reboot at 22:00")
    assert "Reboot at 22:00" in seen and "*** Notice ***" in seen
    assert "\x1b" not in seen and "\x07" not in seen.replace("\a*** Notice", "")
    assert "Reboot at 22:00" not in terminal_output(other, None)


def test_logon_mode_drains_this_host_only_and_restores(ground):
    if ground.local:
        pytest.skip("the machine's own /etc/nologin: covered by tests/role on the sandbox")
    machine_before = Path("/etc/nologin").read_bytes() if Path("/etc/nologin").exists() else None
    # Each run holds the drain under its own name (issue 16): release it under the same one.
    drained = ground.run([{"name": "Drain", "termserv.sessions.logon_mode": {
        "state": "drain", "msg": "Farm maintenance", "holder": "integration test"}, "register": "drain"}])
    assert drained.rc == 0, drained.stdout
    assert drained["drain"]["changed"] is True and drained["drain"]["previous_state"] == "enabled"
    assert "Farm maintenance" in (ground.root() / "etc" / "nologin").read_text()
    assert ground.try_login("admin2") == 255  # pam_nologin refuses the user ...
    assert ground.try_login("root") == 0      # ... and lets root in
    restored = ground.run([{"name": "Allow", "termserv.sessions.logon_mode": {
        "state": "enabled", "holder": "integration test"}, "register": "allow"}])
    assert restored["allow"]["changed"] is True
    assert not (ground.root() / "etc" / "nologin").exists()
    assert ground.try_login("admin2") == 0
    machine_after = Path("/etc/nologin").read_bytes() if Path("/etc/nologin").exists() else None
    assert machine_after == machine_before  # the machine's own file was never touched
