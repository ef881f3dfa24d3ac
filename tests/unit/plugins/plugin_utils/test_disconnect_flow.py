# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""session_disconnect's sequence with a recording host: selection, screening, results, properties."""
from __future__ import annotations

import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _disconnect
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import OptionError
from ansible_collections.termserv.sessions.plugins.plugin_utils._flow import NotAdminError, TargetError


def win(sid: str, user: str, state: str = "active", logon: str = "2026-11-24T08:00:00Z", **kw: t.Any) -> dict:
    base = {"id": sid, "user": user, "domain": "CORP", "state": state, "station": f"RDP-Tcp#{sid}",
            "client": "PC", "logon_time": logon, "idle_seconds": 60, "disconnected_seconds": None,
            "console": False, "pid": None}
    base.update(kw)
    return base


def linux(tty: str, user: str, **kw: t.Any) -> dict:
    base = {"id": tty, "user": user, "domain": "", "state": "active", "station": tty, "client": "127.0.0.1",
            "logon_time": "2026-11-24T08:00:00Z", "idle_seconds": 5, "disconnected_seconds": None,
            "console": False, "pid": 100}
    base.update(kw)
    return base


class Host:
    """Answers session_info with a table and session_disconnect per id (default: disconnected)."""

    def __init__(self, table: list[dict], outcome: dict | None = None, own: t.Iterable[str] = (),
                 admin: bool = True, failed: bool = False) -> None:
        self.table = table
        self.outcome = outcome or {}
        self.own = list(own)
        self.admin = admin
        self.failed = failed
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, name: str, args: dict) -> dict:
        self.calls.append((name, args))
        if name == "session_info":
            return {"sessions": self.table, "own_session_ids": self.own, "is_admin": self.admin}
        assert name == "session_disconnect"
        if self.failed:
            return {"failed": True, "msg": "boom"}
        results = []
        for target in args["_targets"]:
            res = {"id": target["id"], "result": "disconnected", "already": False, "elapsed": 0.1, "error_code": 0}
            res.update(self.outcome.get(target["id"], {}))
            results.append(res)
        return {"results": results}

    @property
    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def targets(self) -> list[str]:
        return [tg["id"] for name, args in self.calls if name == "session_disconnect" for tg in args["_targets"]]


TABLE = [win("1", "Administrator", console=True), win("2", "alice"), win("3", "bob", state="disconnected"),
         win("4", "carol", idle_seconds=7300), win("0", "", station="Services")]


def run(host: Host, windows: bool = True, check: bool = False, audit: dict | None = None, **args: t.Any) -> dict:
    return _disconnect.disconnect(_disconnect.options(args), host, windows, check, audit=audit)


def reasons(result: dict) -> dict[str, str]:
    return {s["id"]: s["reason"] for s in result["skipped_sessions"]}


def test_default_disconnects_active_sessions_only_and_reports_the_rest():
    host = Host(TABLE)
    result = run(host)
    assert host.names == ["session_info", "session_disconnect"]
    assert sorted(host.targets()) == ["2", "4"]
    assert {s["id"] for s in result["disconnected"]} == {"2", "4"}
    assert all(s["state"] == "disconnected" for s in result["disconnected"])
    assert reasons(result) == {"1": sel.CONSOLE, "3": sel.STATE, "0": sel.NO_USER}
    assert result["changed"] is True and result["errors"] == [] and "failed" not in result
    assert result["msg"] == "Disconnected 2 sessions; skipped 3."


def test_min_idle_is_the_idle_session_limit():
    host = Host(TABLE)
    result = run(host, min_idle="2h")
    assert host.targets() == ["4"]
    assert reasons(result)["2"] == sel.NOT_IDLE_LONG_ENOUGH


def test_target_gets_identity_timeout_and_audit_only():
    host = Host(TABLE)
    run(host, users=["alice"], timeout="2m", audit={"requester": "me@ctl", "run_id": "r1"})
    args = host.calls[1][1]
    assert set(args) == {"_targets", "_timeout", "_audit"}
    assert args["_timeout"] == 120.0 and args["_audit"] == {"requester": "me@ctl", "run_id": "r1"}
    assert args["_targets"] == [sel.identity(TABLE[1])]


def test_check_mode_enumerates_only_and_predicts():
    host = Host(TABLE)
    result = run(host, check=True)
    assert host.names == ["session_info"]
    assert {s["id"] for s in result["disconnected"]} == {"2", "4"}
    assert result["changed"] is True and result["msg"].startswith("Would have disconnected 2 sessions")


def test_already_disconnected_is_skipped_not_changed_when_states_selects_it():
    host = Host(TABLE)
    result = run(host, users=["bob"], states=["active", "disconnected"])
    assert host.names == ["session_info"]  # nothing to do: no call that could change anything
    assert reasons(result)["3"] == _disconnect.ALREADY_DISCONNECTED
    assert result["changed"] is False


def test_a_second_run_changes_nothing():
    host = Host(TABLE)
    first = run(host)
    after = [dict(s, state="disconnected") if any(sel.same_logon(s, d) for d in first["disconnected"]) else s
             for s in TABLE]
    second_host = Host(after)
    second = run(second_host)
    assert second["changed"] is False and second["disconnected"] == []
    assert second_host.names == ["session_info"]


def test_linux_sessions_are_all_cannot_disconnect_in_check_mode_and_for_real():
    table = [linux("pts/0", "admin"), linux("pts/1", "admin2", pid=101), linux("c3", "carol", station="tty3")]
    for check in (True, False):
        host = Host(table)
        result = run(host, windows=False, check=check)
        assert host.names == ["session_info"]
        assert reasons(result) == {"pts/0": _disconnect.CANNOT_DISCONNECT, "pts/1": _disconnect.CANNOT_DISCONNECT,
                                   "c3": _disconnect.CANNOT_DISCONNECT}
        assert result["changed"] is False and result["disconnected"] == []
        assert all("only xrdp sessions" in s["detail"] for s in result["skipped_sessions"])


def test_linux_xrdp_sessions_are_disconnected_and_the_rest_is_cannot_disconnect():
    """issue 10/12: an xrdp session the host could read (private ``_xrdp_display``) goes to the
    target; ssh/tty sessions are skipped; the same in check mode."""
    xrdp = linux("c1", "admin", station="x11", _xrdp_display=10)
    table = [xrdp, linux("pts/1", "admin2", pid=101)]
    for check in (True, False):
        host = Host(table)
        result = run(host, windows=False, check=check)
        assert [s["id"] for s in result["disconnected"]] == ["c1"]
        assert "_xrdp_display" not in result["disconnected"][0]  # private: never reported
        assert reasons(result) == {"pts/1": _disconnect.CANNOT_DISCONNECT}
        assert host.names == (["session_info"] if check else ["session_info", "session_disconnect"])
        assert host.targets() == ([] if check else ["c1"])


def test_linux_selection_reasons_come_before_cannot_disconnect():
    table = [linux("pts/0", "admin"), linux("pts/1", "admin2", pid=101)]
    result = run(Host(table, own=["pts/0"]), windows=False, exclude_users=["admin2"])
    assert reasons(result) == {"pts/0": sel.OWN_SESSION, "pts/1": sel.USER_EXCLUDED}


@pytest.mark.parametrize("outcome, where, reason", [
    ({"result": "disconnected", "already": True}, "skipped", _disconnect.ALREADY_DISCONNECTED),
    ({"result": "gone"}, "skipped", _disconnect.ENDED_BEFORE_DISCONNECT),
    ({"result": "identity_changed"}, "skipped", sel.IDENTITY_CHANGED),
    ({"result": "cannot_disconnect", "error": "no"}, "skipped", _disconnect.CANNOT_DISCONNECT),
    ({"result": "timeout", "error": "still active", "error_code": 0}, "errors", None),
    ({"result": "abandoned", "error": "the controller went away; stopped"}, "errors", None),
    ({"result": "error", "error": "Access is denied", "error_code": 5}, "errors", None),
    ({"result": "exploded"}, "errors", None),
])
def test_per_session_results_are_sorted_and_one_failure_does_not_stop_the_others(outcome, where, reason):
    host = Host(TABLE, outcome={"2": outcome})
    result = run(host)
    assert [s["id"] for s in result["disconnected"]] == ["4"]
    if where == "skipped":
        assert reasons(result)["2"] == reason and "failed" not in result and result["errors"] == []
    else:
        assert [e["id"] for e in result["errors"]] == ["2"] and result["failed"] is True
        assert result["errors"][0]["error"]


def test_a_missing_result_is_an_error():
    class Silent(Host):
        def __call__(self, name, args):
            res = super().__call__(name, args)
            if name == "session_disconnect":
                res["results"] = [r for r in res["results"] if r["id"] != "4"]
            return res
    result = run(Silent(TABLE))
    assert [e["id"] for e in result["errors"]] == ["4"] and result["failed"] is True


def test_diff_shows_the_disconnected_state():
    result = run(Host(TABLE), users=["alice"])
    before = [line for line in result["diff"]["before"].splitlines() if "alice" in line][0]
    after = [line for line in result["diff"]["after"].splitlines() if "alice" in line][0]
    assert "active" in before and "disconnected" in after


def test_not_admin_fails_before_anything_changes_but_check_mode_still_previews():
    host = Host(TABLE, admin=False)
    with pytest.raises(NotAdminError):
        run(host)
    assert host.names == ["session_info"]
    assert run(Host(TABLE, admin=False), check=True)["disconnected"]


def test_target_failure_as_a_whole_is_a_target_error():
    with pytest.raises(TargetError, match="boom"):
        run(Host(TABLE, failed=True))


def test_audit_warning_becomes_a_warning():
    class Warn(Host):
        def __call__(self, name, args):
            res = super().__call__(name, args)
            if name == "session_disconnect":
                res["audit_warning"] = "event log full"
            return res
    result = run(Warn(TABLE))
    assert result["warnings"] == ["audit record: event log full"]


@pytest.mark.parametrize("args, option", [
    ({"timeout": 0}, "timeout"), ({"timeout": "soon"}, "timeout"), ({"min_idle": "5 parsecs"}, "min_idle"),
    ({"states": ["asleep"]}, "states"), ({"notify_msg": "bye"}, "notify_msg"), ({"_targets": []}, "_targets"),
])
def test_bad_options_name_the_option(args, option):
    with pytest.raises(OptionError, match=option):
        _disconnect.options(args)


# Properties (hypothesis): random tables and selections.
STATES = ["active", "disconnected", "connected", "idle"]
session_st = st.builds(
    lambda i, user, state, idle, console: win(str(i), user, state=state, idle_seconds=idle, console=console),
    st.integers(0, 40), st.sampled_from(["", "alice", "bob", "Administrator", "svc_x"]),
    st.sampled_from(STATES), st.one_of(st.none(), st.integers(0, 10_000)), st.booleans())
table_st = st.lists(session_st, max_size=8, unique_by=lambda s: s["id"])
args_st = st.fixed_dictionaries({}, optional={
    "users": st.lists(st.sampled_from(["*", "a*", "bob", "svc_*"]), min_size=1, max_size=2),
    "exclude_users": st.lists(st.sampled_from(["alice", "svc_*", "ADMIN*"]), max_size=2),
    "states": st.lists(st.sampled_from(STATES), min_size=1, max_size=3),
    "min_idle": st.sampled_from([0, 60, "1h"]),
    "include_console": st.booleans(),
})


@given(table=table_st, args=args_st, windows=st.booleans(), own=st.lists(st.integers(0, 40).map(str), max_size=2))
def test_never_disconnects_what_selection_rejects(table, args, windows, own):
    host = Host(table, own=own)
    result = run(host, windows=windows, **args)
    decisions = {str(d.session["id"]): d for d in sel.select(table, _disconnect.options(args).selection, own, windows)}
    for sid in host.targets():
        assert decisions[sid].selected
        assert decisions[sid].session["state"] != "disconnected"
    if not windows:
        assert host.targets() == []
    reported = [s["id"] for s in result["disconnected"]] + [s["id"] for s in result["skipped_sessions"]]
    assert sorted(reported) == sorted(s["id"] for s in table)  # every session reported exactly once


@given(table=table_st, args=args_st.filter(lambda a: "states" not in a))
def test_already_disconnected_never_selected_by_default(table, args):
    host = Host(table)
    result = run(host, **args)
    gone = {s["id"] for s in table if s["state"] == "disconnected"}
    assert not gone & set(host.targets())
    assert not gone & {s["id"] for s in result["disconnected"]}
