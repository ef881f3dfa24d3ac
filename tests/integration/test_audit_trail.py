# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit trail on the host (issue 12.3), read back from a REAL journald.

On the farm's systemd host the records are read with ``journalctl`` inside the host's
namespaces: one record per logoff and notice, structured fields naming the user, the
session, the action and who asked. On a host without journald or syslog (this machine:
its /dev/log leads nowhere) the logoff still happens and the task says so in a warning.
Check mode records nothing.
"""
from __future__ import annotations

import json
import os

import pytest

from tests.farm.pytest_farm import FarmGround


def journal(ground: FarmGround) -> list[dict]:
    proc = ground.farm.nsenter(ground.name, ["journalctl", "-t", "termserv.sessions", "-o", "json",
                                             "--no-pager"])
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def logoff(register: str, **args) -> dict:
    return {"name": f"Log off ({register})", "termserv.sessions.session_logoff": args,
            "register": register}


def test_logoff_and_notice_are_recorded_in_the_real_journal(ground, open_sessions, is_alive):
    if not isinstance(ground, FarmGround) or ground.backend != "logind":
        pytest.skip("needs a host with a real journald (the farm's systemd host)")
    kept = open_sessions("admin")[0]
    gone = open_sessions("admin2")[0]
    before = {r.get("__CURSOR") for r in journal(ground)}

    preview = ground.run([logoff("preview", users=["admin2"], notify_msg="bye", grace=0)],
                         check=True)
    assert preview.rc == 0, preview.stdout
    assert [r for r in journal(ground) if r.get("__CURSOR") not in before] == [], \
        "check mode wrote an audit record"

    task = logoff("real", users=["admin2"], notify_msg="Maintenance", grace=1, timeout=20)
    task["vars"] = {"awx_job_id": 4242}  # what AWX sets for every job
    run = ground.run([task])
    assert run.rc == 0, run.stdout
    assert [s["id"] for s in run["real"]["logged_off"]] == [gone.id]
    assert is_alive(kept) and not is_alive(gone)

    new = [r for r in journal(ground) if r.get("__CURSOR") not in before]
    actions = {(r.get("TERMSERV_ACTION"), r.get("TERMSERV_SESSION"), r.get("TERMSERV_USER")) for r in new}
    assert {a for a, s, u in actions if s == gone.id and u == "admin2"} >= {"logoff", "notice"}, new
    assert all(r.get("TERMSERV_REQUESTER") == "AWX job 4242" for r in new), new
    assert len({r.get("TERMSERV_RUN_ID") for r in new}) == 1 and new[0].get("TERMSERV_RUN_ID")
    assert not any(r.get("TERMSERV_SESSION") == kept.id for r in new)
    assert all(r.get("SYSLOG_IDENTIFIER") == "termserv.sessions" for r in new)


def test_no_syslog_still_logs_off_and_warns(ground, open_sessions, is_alive):
    if isinstance(ground, FarmGround):
        pytest.skip("this machine is the host without journald or syslog")
    if os.path.exists("/run/systemd/journal/socket") or os.path.exists("/dev/log"):
        pytest.skip("this machine has a syslog socket")
    gone = open_sessions("admin2")[0]
    run = ground.run([logoff("real", users=["admin2"], timeout=20)])
    assert run.rc == 0, run.stdout
    assert [s["id"] for s in run["real"]["logged_off"]] == [gone.id]
    assert not is_alive(gone)
    assert "audit record(s) not written" in run.stdout + run.stderr
