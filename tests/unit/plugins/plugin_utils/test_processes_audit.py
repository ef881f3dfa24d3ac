# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 12 (exclude_processes, include_processes, audit) and issue 11 item 15 (messages
to disconnected sessions), with a recording host."""
from __future__ import annotations

import pytest
from test_flow_sequence import Host, linux  # pylint: disable=import-error

from ansible_collections.termserv.sessions.plugins.plugin_utils import _flow
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import (
    OptionError,
    info_options,
    logoff_options,
    message_options,
)


def proc(pid, name, argv0="", user="admin2"):
    return {"pid": pid, "name": name, "user": user, "argv0": argv0}


class ProcHost(Host):
    """Host that serves processes only when asked with _processes, as a real target does."""

    def __call__(self, name, args):
        result = super().__call__(name, args)
        if name == "session_info" and not args.get("_processes"):
            result["sessions"] = [{k: v for k, v in s.items() if k != "processes"} for s in result["sessions"]]
        return result


def with_procs(*procs, **kw):
    return linux(kw.pop("tty", "pts/1"), kw.pop("user", "admin2"), processes=list(procs), **kw)


@pytest.mark.parametrize("procs, windows, pattern, kept", [
    ([proc(7, "rsync")], False, "rsync", True),
    ([proc(7, "python3.11", argv0="backup.py")], False, "backup.py", True),  # argv[0] basename
    ([proc(7, "RSYNC")], False, "rsync", False),  # Linux: exact case
    ([proc(7, "Backup-Nightly.EXE")], True, "backup*.exe", True),  # Windows: any case
    ([proc(7, "bash"), proc(8, "sleep")], False, "rsync", False),
    ([], False, "*", False),
])
def test_exclude_processes_matching(procs, windows, pattern, kept):
    session = with_procs(*procs)
    decision = sel.decide(session, sel.Selection(exclude_processes=(pattern,)), set(), windows)
    assert (decision.reason == sel.PROCESS_RUNNING) is kept
    if kept:
        assert "pid 7" in decision.detail and pattern in decision.detail


def test_unknown_processes_keep_the_session():
    # When in doubt, leave it alone: a target that listed no processes keeps every session.
    decision = sel.decide(linux("pts/1", "admin2"), sel.Selection(exclude_processes=("rsync",)), set(), False)
    assert decision.reason == sel.PROCESS_RUNNING and "did not list" in decision.detail


def test_processes_are_asked_for_only_when_needed():
    host = ProcHost([with_procs(proc(7, "bash"))])
    _flow.logoff(logoff_options({}), host, host.sleep, False, False)
    assert all("_processes" not in args for name, args in host.calls if name == "session_info")
    host = ProcHost([with_procs(proc(7, "bash"))])
    result = _flow.logoff(logoff_options({"exclude_processes": ["rsync"]}), host, host.sleep, False, False)
    assert host.calls[0][1]["_processes"] is True
    assert [s["id"] for s in result["logged_off"]] == ["pts/1"]


def test_a_program_started_during_grace_keeps_the_session():
    before = [with_procs(proc(7, "bash")), with_procs(proc(9, "bash"), tty="pts/2", pid=102)]
    after = [with_procs(proc(7, "bash"), proc(8, "rsync")), with_procs(proc(9, "bash"), tty="pts/2", pid=102)]
    host = ProcHost(before, after)
    result = _flow.logoff(logoff_options({"exclude_processes": ["rsync"], "notify_msg": "bye", "grace": 5}),
                          host, host.sleep, False, False)
    assert [c[1].get("_processes") for c in host.calls if c[0] == "session_info"] == [True, True]
    assert [s["id"] for s in result["logged_off"]] == ["pts/2"]
    [kept] = [s for s in result["skipped_sessions"] if s["id"] == "pts/1"]
    assert kept["reason"] == "process_running" and "rsync" in kept["detail"] and "pid 8" in kept["detail"]
    assert [t["id"] for t in host.calls[-1][1]["_targets"]] == ["pts/2"]


def test_include_processes_returns_pid_name_user_only():
    host = ProcHost([with_procs(proc(7, "bash", argv0="-bash"), proc(8, "rsync"))])
    result = _flow.info(info_options({"include_processes": True}), host, False)
    assert host.calls[0][1]["_processes"] is True
    assert result["sessions"][0]["processes"] == [
        {"pid": 7, "name": "bash", "user": "admin2"},
        {"pid": 8, "name": "rsync", "user": "admin2"},
    ]
    plain = _flow.info(info_options({}), ProcHost([with_procs(proc(7, "bash"))]), False)
    assert "processes" not in plain["sessions"][0]


@pytest.mark.parametrize("args", [{"exclude_processes": [""]}, {"exclude_processes": {"a": 1}},
                                  {"include_processes": "maybe"}])
def test_bad_process_options_name_the_option(args):
    with pytest.raises(OptionError, match=next(iter(args))):
        info_options(args)


# ---- audit -------------------------------------------------------------------------
def test_audit_is_passed_with_requester_and_run_id():
    host = Host([linux("pts/1", "admin2")])
    audit = {"requester": "AWX job 42", "run_id": "abc"}
    _flow.logoff(logoff_options({"notify_msg": "bye"}), host, host.sleep, False, False, audit=audit)
    sent = {name: args for name, args in host.calls if name != "session_info"}
    assert sent["session_message"]["_audit"] == audit and sent["session_logoff"]["_audit"] == audit


def test_audit_false_or_unset_passes_nothing():
    host = Host([linux("pts/1", "admin2")])
    _flow.logoff(logoff_options({"audit": False}), host, host.sleep, False, False, audit=None)
    assert "_audit" not in host.calls[-1][1]
    assert logoff_options({"audit": False}).audit is False and logoff_options({}).audit is True
    assert message_options({"msg": "x", "audit": False}).audit is False


def test_audit_warning_becomes_a_task_warning():
    class Warns(Host):
        def __call__(self, name, args):
            result = super().__call__(name, args)
            if name == "session_logoff":
                result["audit_warning"] = "syslog is not there"
            return result
    host = Warns([linux("pts/1", "admin2")])
    result = _flow.logoff(logoff_options({}), host, host.sleep, False, False,
                          audit={"requester": "x", "run_id": "y"})
    assert any("syslog is not there" in w for w in result["warnings"])
    assert [s["id"] for s in result["logged_off"]] == ["pts/1"]  # the action is still done


# ---- issue 11 item 15: disconnected sessions get no message ---------------------------
def test_message_skips_disconnected_sessions_and_honours_not_delivered():
    table = [linux("pts/1", "admin2"), linux("pts/2", "bob", pid=102, state="disconnected"),
             linux("pts/3", "carol", pid=103)]
    host = Host(table, outcome={"pts/3": "not_delivered"})
    result = _flow.message(message_options({"msg": "hi"}), host, False, False)
    assert [s["id"] for s in result["delivered"]] == ["pts/1"]
    reasons = {s["id"]: s["reason"] for s in result["skipped_sessions"]}
    assert reasons == {"pts/2": "disconnected", "pts/3": "disconnected"}
    assert [t["id"] for t in host.calls[-1][1]["_targets"]] == ["pts/1", "pts/3"]
    assert result.get("failed") is not True and result["errors"] == []


def test_logoff_after_grace_still_happens_for_a_disconnected_session():
    table = [linux("pts/1", "admin2"), linux("pts/2", "bob", pid=102, state="disconnected")]
    host = Host(table)
    result = _flow.logoff(logoff_options({"notify_msg": "bye", "grace": 5}), host, host.sleep, False, False)
    assert [s["id"] for s in result["notified"]] == ["pts/1"]
    assert [t["id"] for t in host.calls[1][1]["_targets"]] == ["pts/1"]
    assert {s["id"] for s in result["logged_off"]} == {"pts/1", "pts/2"}
