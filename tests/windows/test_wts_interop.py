# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The C# util on Mono against the fake wtsapi32: layouts, strings, times, frees, logoff."""
from __future__ import annotations

import copy
import json
import time

import pytest

from conftest import FARM  # pylint: disable=import-error


def by_id(result: dict) -> dict[str, dict]:
    return {s["id"]: s for s in result["sessions"]}


def session(sid: int, **kw) -> dict:
    base = {"id": sid, "state": "active", "station": f"RDP-Tcp#{sid}", "user": f"user{sid}", "domain": "CORP",
            "client": f"PC{sid}", "logon_time": "2026-11-24T08:00:00Z", "last_input_time": "2026-11-24T11:00:00Z"}
    base.update(kw)
    return base


def table(*sessions: dict, now: str = "2026-11-24T12:00:00Z") -> dict:
    return {"now": now, "console_session_id": 1, "own_session_id": 0, "sessions": list(sessions)}


def test_struct_sizes_match_the_x64_layouts(wts):
    sizes = wts(FARM, "sizes")
    assert sizes["cs_WTS_SESSION_INFO_1W"] == sizes["c_WTS_SESSION_INFO_1W"] == 56
    assert sizes["cs_WTSINFOW"] == sizes["c_WTSINFOW"] == 216
    assert sizes["cs_WTS_CLIENT_ADDRESS"] == sizes["c_WTS_CLIENT_ADDRESS"] == 24


def test_list_returns_every_session_in_the_schema(wts):
    result = wts(FARM, "list")
    sessions = by_id(result)
    assert set(sessions) == {str(s["id"]) for s in FARM["sessions"]}
    keys = {"id", "user", "domain", "state", "station", "client", "logon_time", "idle_seconds",
            "disconnected_seconds", "console", "pid"}
    assert all(set(s) == keys for s in sessions.values())
    assert sessions["0"]["user"] == "" and sessions["65536"]["state"] == "listen"
    assert result["own_session_ids"] == ["0"]


def test_strings_times_and_durations(wts):
    s = by_id(wts(FARM, "list"))
    alice = s["2"]
    assert (alice["user"], alice["domain"], alice["station"], alice["client"]) == ("alice", "CORP", "RDP-Tcp#3", "LAPTOP7")
    assert alice["logon_time"] == "2026-11-24T08:00:00Z"  # FILETIME -> ISO
    assert alice["idle_seconds"] == 1800 and alice["disconnected_seconds"] is None
    bob = s["3"]
    assert bob["client"] == "10.1.2.3"  # no client name: the IPv4 address
    # Disconnected: Windows has reset LastInputTime to 0; idle counts from DisconnectTime.
    assert bob["idle_seconds"] == 2.5 * 3600 and bob["disconnected_seconds"] == 2.5 * 3600
    assert bob["station"] == "" and bob["state"] == "disconnected"
    assert s["5"]["user"] == "Jürgen" and s["5"]["client"] == "PC-ÄÖÜ"  # UTF-16, non-ASCII
    assert s["5"]["idle_seconds"] == 0  # LastInputTime 0: idle 0, as Cassia
    assert s["4"]["state"] == "down"
    # The longest names Windows allows fill the fixed WTSINFOW arrays to the last WCHAR.
    longest = s["8"]
    assert (longest["user"], longest["domain"]) == ("abcdefghijklmnopqrst", "LONGDOMAINNAME15")
    assert longest["disconnected_seconds"] == int(2.75 * 3600) and longest["idle_seconds"] == int(2.75 * 3600)


def test_console_flag_and_access_denied_query(wts):
    console = by_id(wts(FARM, "list"))["1"]
    assert console["console"] is True and console["user"] == "Administrator"
    # Its WTSSessionInfo query answers ACCESS_DENIED: kept, with unknown times.
    assert console["logon_time"] is None and console["idle_seconds"] is None


@pytest.mark.parametrize("command", [("list",), ("logoff", "--timeout", "1", "2", "3"),
                                     ("message", "2", "3")])
def test_every_buffer_is_freed_with_its_own_function(wts, command):
    stats = wts(FARM, *command)["stats"]
    assert stats["allocs_ex"] == stats["frees_ex"] > 0
    assert stats["allocs"] == stats["frees"] > 0
    assert stats["bad_frees"] == 0


def test_per_session_errors_do_not_stop_the_others(wts):
    results = {r["id"]: r for r in wts(FARM, "logoff", "--timeout", "1", "6", "2", "0", "42")["results"]}
    assert results["6"]["result"] == "error" and results["6"]["error_code"] == 5  # ACCESS_DENIED
    assert results["0"]["result"] == "error"  # no user: refused whatever the caller says
    assert results["2"]["result"] == "logged_off"
    assert results["42"]["result"] == "gone"
    assert wts(FARM, "list")  # the table itself is unchanged by a previous process


def test_a_never_ending_session_times_out(wts):
    start = time.monotonic()
    [result] = wts(FARM, "logoff", "--timeout", "1", "7")["results"]
    assert result["result"] == "timeout" and 1.0 <= time.monotonic() - start < 10


def test_identity_is_rechecked_right_before_logoff(wts, tmp_path):
    stale = [{"id": "2", "user": "alice", "domain": "CORP", "logon_time": "2026-11-23T08:00:00Z"},
             {"id": "3", "user": "mallory", "domain": "CORP", "logon_time": "2026-11-24T07:00:00Z"},
             {"id": "5", "user": "JÜRGEN", "domain": "corp", "logon_time": "2026-11-24T10:00:00Z"}]
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    out = wts(FARM, "logoff", "--timeout", "2", "--targets", str(path))
    results = {r["id"]: r["result"] for r in out["results"]}
    assert results == {"2": "identity_changed", "3": "identity_changed", "5": "logged_off"}
    assert out["stats"]["calls_logoff"] == 1  # only the matching one was ever asked


def test_parallel_logoff_of_100_sessions_with_200ms_latency(wts):
    many = table(*[session(i, logoff_delay_ms=200) for i in range(10, 110)])
    start = time.monotonic()
    out = wts(many, "logoff", "--timeout", "30", *[str(i) for i in range(10, 110)])
    elapsed = time.monotonic() - start
    assert [r["result"] for r in out["results"]] == ["logged_off"] * 100
    # One after the other this takes 20 s; in parallel about one latency plus overhead.
    assert elapsed < 8, elapsed
    assert max(r["elapsed"] for r in out["results"]) < 2.0


def test_message_lengths_are_bytes_and_errors_are_per_session(wts):
    farm = copy.deepcopy(FARM)
    # Active: a failed message to a disconnected session is "not_delivered" (issue 25 item 13).
    next(s for s in farm["sessions"] if s["id"] == 3).update(message_error=5, state="active")
    results = {r["id"]: r for r in wts(farm, "message", "--title", "Wartung", "--msg", "Bitte abmelden: ÄÖÜ",
                                       "2", "3", "42")["results"]}
    assert results["2"]["result"] == "delivered"
    assert results["3"]["result"] == "error" and results["3"]["error_code"] == 5
    assert results["42"]["result"] == "gone"


# --- issue 11, Windows items: the fake is as hostile as Windows ---------------------------

def test_idle_of_a_disconnected_session_counts_from_its_disconnect_time(wts):
    """11.11: Windows resets LastInputTime to 0 on disconnect; the fake serves 0 too."""
    t = table(session(2, state="disconnected", last_input_time="2026-11-24T09:00:00Z",
                      disconnect_time="2026-11-24T10:00:00Z"),
              session(3, state="disconnected", disconnect_time=None),
              session(4, last_input_time="2026-11-24T11:00:00Z"))
    s = by_id(wts(t, "list"))
    assert s["2"]["idle_seconds"] == 2 * 3600 and s["2"]["disconnected_seconds"] == 2 * 3600
    assert s["3"]["idle_seconds"] is None  # no DisconnectTime: unknown, so min_idle never selects it
    assert s["4"]["idle_seconds"] == 3600  # an active session still counts from its last input


def test_long_names_come_whole_from_the_enumeration(wts, tmp_path):
    """11.12: WTSINFOW's fixed arrays cut at 20 / 16 characters; the enumeration does not."""
    t = table(session(2, user="svc_backup_longname_admin", domain="ENGINEERING-EMEA-01"))
    s = by_id(wts(t, "list"))["2"]
    assert (s["user"], s["domain"]) == ("svc_backup_longname_admin", "ENGINEERING-EMEA-01")
    path = tmp_path / "targets.json"
    path.write_text(json.dumps([{"id": "2", "user": "svc_backup_longname_admin", "domain": "ENGINEERING-EMEA-01",
                                 "logon_time": "2026-11-24T08:00:00Z"}]), encoding="utf-8")
    [result] = wts(t, "logoff", "--timeout", "2", "--targets", str(path))["results"]
    assert result["result"] == "logged_off"


@pytest.mark.parametrize("command, where", [("logoff", {"vanish_on": "logoff"}),
                                            ("logoff", {"logoff_error": 7022}),
                                            ("message", {"vanish_on": "message"}),
                                            ("message", {"message_error": 7022})])
def test_7022_from_the_call_means_gone(wts, command, where):
    """11.13: the session ended between our check and the call: gone, not an error."""
    t = table(session(2, **where), session(3))
    results = {r["id"]: r for r in wts(t, command, "--timeout", "2", "2", "3")["results"]}
    assert results["2"]["result"] == "gone" and results["2"]["error_code"] == 0
    assert results["3"]["result"] in ("logged_off", "delivered")


def test_a_session_ending_during_the_listing_is_not_listed(wts):
    s = by_id(wts(table(session(2, vanish_on="query"), session(3)), "list"))
    assert set(s) == {"3"}


@pytest.mark.parametrize("reuse", [{"user": "zoe", "logon_time": "2026-11-24T12:00:01Z"},
                                   {"user": "USER2", "domain": "corp", "logon_time": "2026-11-24T12:00:01Z"},
                                   {"user": "", "domain": "", "state": "connected"}],
                         ids=["another-user", "same-user-new-logon", "console-respawn"])
def test_an_id_reused_after_our_logoff_is_logged_off(wts, reuse):
    """11.14: the id comes straight back as a new logon; polling re-checks identity."""
    t = table(session(2, logoff_delay_ms=200, reuse_as=reuse), session(3, logoff_delay_ms=200))
    start = time.monotonic()
    results = {r["id"]: r for r in wts(t, "logoff", "--timeout", "5", "2", "3")["results"]}
    assert results["2"]["result"] == "logged_off" and results["3"]["result"] == "logged_off"
    assert time.monotonic() - start < 4.5  # not a time-out


def test_a_message_to_a_disconnected_session_is_not_delivered(wts):
    """11.15: WTSSendMessageW "succeeds" on a disconnected session, and nobody sees it."""
    t = table(session(2), session(3, state="disconnected", disconnect_time="2026-11-24T11:00:00Z"))
    out = wts(t, "message", "2", "3")
    results = {r["id"]: r for r in out["results"]}
    assert results["2"]["result"] == "delivered"
    assert results["3"]["result"] == "not_delivered" and results["3"]["error_code"] == 0
    assert results["3"]["error"] == "disconnected: no desktop to show the message"


@pytest.mark.parametrize("code", [5, 1460])
def test_a_message_refused_for_a_disconnected_session_is_not_delivered_not_an_error(wts, code):
    """Issue 25 item 13: if Windows refuses the message to a disconnected session (what
    Send-RDUserMessage is reported to do, MicrosoftDocs issue 2318) rather than accepting it
    unseen, it is still "not_delivered", with the code, and not a failed task."""
    t = table(session(2), session(3, state="disconnected", disconnect_time="2026-11-24T11:00:00Z"))
    t["disconnected_message_error"] = code
    out = wts(t, "message", "2", "3")
    results = {r["id"]: r for r in out["results"]}
    assert results["2"]["result"] == "delivered"
    assert results["3"]["result"] == "not_delivered" and results["3"]["error_code"] == code
    assert results["3"]["error"].startswith("disconnected: no desktop to show the message")


def test_a_session_that_disconnects_as_the_message_arrives_is_not_delivered(wts):
    t = table(session(2, vanish_on="message-disconnect"), session(3))
    out = wts(t, "message", "2", "3")
    results = {r["id"]: r["result"] for r in out["results"]}
    assert results == {"2": "not_delivered", "3": "delivered"} and out["stats"]["messages_unseen"] == 1


MAX_FILETIME = 2650467743999999999  # DateTime.MaxValue (9999-12-31) as FILETIME


@pytest.mark.parametrize("field", ["logon_time", "last_input_time", "disconnect_time"])
@pytest.mark.parametrize("value", [MAX_FILETIME + 1, 2**63 - 1, -5], ids=["after-9999", "max-int64", "negative"])
def test_a_filetime_out_of_range_is_null_not_a_failed_listing(wts, field, value):
    """11.17: one value null, the rest of the listing intact."""
    state = "disconnected" if field == "disconnect_time" else "active"
    values = {"disconnect_time": "2026-11-24T11:00:00Z", field: value}
    t = table(session(2, state=state, **values), session(3))
    s = by_id(wts(t, "list"))
    assert s["3"]["logon_time"] == "2026-11-24T08:00:00Z" and s["3"]["idle_seconds"] == 3600
    bad = s["2"]
    if field == "logon_time":
        assert bad["logon_time"] is None and bad["idle_seconds"] == 3600
    elif field == "last_input_time":
        assert bad["idle_seconds"] is None and bad["logon_time"] == "2026-11-24T08:00:00Z"
    else:
        assert bad["disconnected_seconds"] is None and bad["idle_seconds"] is None


# --- issue 17: the target stops when the controller's end of stdout is gone ----------------

def test_nothing_is_logged_off_once_stdout_is_gone(wts):
    t = table(session(2), session(3))
    t["stdout_gone_after_enums"] = 1  # the reader goes away right after the first enumeration
    out = wts(t, "logoff", "--timeout", "5", "2", "3")
    assert [r["result"] for r in out["results"]] == ["abandoned", "abandoned"]
    assert out["results"][0]["error"] == "the controller went away; stopped"
    assert out["stats"]["calls_logoff"] == 0


def test_polling_stops_when_stdout_goes_away(wts):
    t = table(session(2, never_ends=True))
    t["stdout_gone_after_enums"] = 3  # driver listing, Logoff's check, first poll: then gone
    start = time.monotonic()
    out = wts(t, "logoff", "--timeout", "30", "2")
    assert [r["result"] for r in out["results"]] == ["abandoned"]
    assert out["stats"]["calls_logoff"] == 1 and time.monotonic() - start < 10


def test_no_message_is_sent_once_stdout_is_gone(wts):
    t = table(session(2), session(3))
    t["stdout_gone_after_enums"] = 1
    out = wts(t, "message", "2", "3")
    assert {r["result"] for r in out["results"]} == {"abandoned"} and out["stats"]["calls_message"] == 0


def test_the_lifeline_is_checked_while_the_controller_is_there(wts):
    out = wts(table(session(2)), "logoff", "--timeout", "5", "2")
    assert out["results"][0]["result"] == "logged_off" and out["stats"]["calls_probe"] >= 2


@pytest.mark.parametrize("command", [("logoff", "--timeout", "5", "2"), ("message", "2"),
                                     ("disconnect", "--timeout", "5", "2")])
def test_the_lifeline_never_writes_to_stdout(wts, command):
    """Issue 25 item 10: a zero-byte write on a pipe reaches the reader as a zero-byte read,
    which Ansible's become path (StreamReader.ReadToEnd) takes for the end of the output."""
    t = table(session(2, disconnect_delay_ms=200, logoff_delay_ms=200))
    out = wts(t, *command)
    assert out["stats"]["calls_probe"] >= 1  # the controller was looked for ...
    assert out["stats"]["stdout_zero_writes"] == 0  # ... without a byte (or a zero-byte write) on stdout


# --- issue 12, Windows parts: processes and disconnect -------------------------------------

def test_process_struct_matches_the_x64_layout(wts):
    sizes = wts(FARM, "sizes")
    assert sizes["cs_WTS_PROCESS_INFO_EXW"] == sizes["c_WTS_PROCESS_INFO_EXW"] == 64


def test_processes_of_each_session_with_their_user(wts):
    t = table(session(2, processes=[{"pid": 4120, "name": "explorer.exe", "user": "CORP\\user2"},
                                    {"pid": 5200, "name": "BackupAgent.exe", "user": "CORP\\svc_backup_longname_admin"}]),
              session(3, processes=[{"pid": 700, "name": "csrss.exe", "user": ""}]),
              session(4))
    out = wts(t, "list", "--processes")
    s = by_id(out)
    assert s["2"]["processes"] == [
        {"pid": 4120, "name": "explorer.exe", "user": "CORP\\user2", "argv0": ""},
        {"pid": 5200, "name": "BackupAgent.exe", "user": "CORP\\svc_backup_longname_admin", "argv0": ""}]
    assert s["3"]["processes"] == [{"pid": 700, "name": "csrss.exe", "user": "NT AUTHORITY\\SYSTEM", "argv0": ""}]
    assert s["4"]["processes"] == []
    stats = out["stats"]
    assert stats["allocs_proc"] == stats["frees_proc"] == 1 and stats["bad_frees"] == 0  # one call, right free
    assert "processes" not in by_id(wts(t, "list"))["2"]  # only when asked


def test_disconnect_in_parallel_with_identity_checks(wts, tmp_path):
    t = table(*[session(i, disconnect_delay_ms=300) for i in range(10, 40)],
              session(2, vanish_on="disconnect"), session(3, disconnect_error=5),
              session(4, user="mallory"), session(5, state="disconnected", disconnect_time="2026-11-24T11:00:00Z"))
    targets = [{"id": str(i), "user": f"user{i}", "domain": "CORP", "logon_time": "2026-11-24T08:00:00Z"}
               for i in [*range(10, 40), 2, 3, 4, 5, 42]]
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(targets), encoding="utf-8")
    start = time.monotonic()
    out = wts(t, "disconnect", "--timeout", "10", "--targets", str(path))
    elapsed = time.monotonic() - start
    results = {r["id"]: r for r in out["results"]}
    assert [results[str(i)]["result"] for i in range(10, 40)] == ["disconnected"] * 30
    assert elapsed < 6, elapsed  # 30 x 300 ms one after the other would be 9 s
    # Reported once Windows shows the session disconnected (300 ms after the call), not when
    # the call was accepted: bWait FALSE returns at once.
    assert min(results[str(i)]["elapsed"] for i in range(10, 40)) >= 0.25
    assert not any(results[str(i)]["already"] for i in range(10, 40)) and results["5"]["already"]
    assert results["2"]["result"] == "gone" and results["42"]["result"] == "gone"
    assert results["3"]["result"] == "error" and results["3"]["error_code"] == 5
    assert results["4"]["result"] == "identity_changed"
    assert results["5"]["result"] == "disconnected"  # already: nothing to do, still the goal
    assert out["stats"]["calls_disconnect"] == 32  # never the changed identity or the missing id
    after = by_id(wts(t, "list"))
    assert after["10"]["state"] == "active"  # each run of the driver starts from the table


def test_disconnect_stops_when_stdout_is_gone(wts):
    t = table(session(2), session(3))
    t["stdout_gone_after_enums"] = 1
    out = wts(t, "disconnect", "--timeout", "5", "2", "3")
    assert {r["result"] for r in out["results"]} == {"abandoned"} and out["stats"]["calls_disconnect"] == 0


# --- issue 12: audit records (Application event log, source termserv.sessions) -------------

AUDIT = {"requester": "AWX job 123", "run_id": "r-42"}


def audit_run(wts, tmp_path, t, *args, fail=False):
    request = tmp_path / "audit.json"
    request.write_text(json.dumps(AUDIT), encoding="utf-8")
    sink = tmp_path / "records.jsonl"
    extra = ["--audit", str(request)] + (["--audit-fail"] if fail else ["--audit-sink", str(sink)])
    out = wts(t, *args, *extra)
    records = [json.loads(line) for line in sink.read_text().splitlines()] if sink.exists() else []
    return out, records


@pytest.mark.parametrize("command, event_id, action, done", [
    ("logoff", 1001, "logoff", "logged_off"), ("message", 1002, "notice", "delivered"),
    ("disconnect", 1003, "disconnect", "disconnected")])
def test_one_audit_record_per_action_naming_the_requester(wts, tmp_path, command, event_id, action, done):
    t = table(session(2, user="bob"), session(3, user="carol", logoff_error=5, message_error=5, disconnect_error=5))
    out, records = audit_run(wts, tmp_path, t, command, "--timeout", "3", "2", "3", "42")
    results = {r["id"]: r["result"] for r in out["results"]}
    assert results["2"] == done and results["3"] == "error" and results["42"] == "gone"
    assert [r["event_id"] for r in records] == [event_id]  # only the action that was taken
    text = records[0]["message"]
    assert f"{action} of session 2 (user CORP\\bob" in text and "AWX job 123" in text and "r-42" in text
    assert "audit_warning" not in out


def test_no_audit_record_without_audit(wts, tmp_path):
    sink = tmp_path / "records.jsonl"
    out = wts(table(session(2)), "logoff", "--timeout", "3", "--audit-sink", str(sink), "2")
    assert out["results"][0]["result"] == "logged_off" and not sink.exists()


def test_an_audit_failure_is_a_warning_and_the_action_is_still_done(wts, tmp_path):
    out, _records = audit_run(wts, tmp_path, table(session(2)), "logoff", "--timeout", "3", "2", fail=True)
    assert out["results"][0]["result"] == "logged_off"
    assert "event log full" in out["audit_warning"] and "termserv.sessions" in out["audit_warning"]


def test_the_real_event_log_writer_registers_the_source_and_writes_the_event_id(driver_exe, tmp_path):
    """The EventLog calls themselves, run by Mono's file-backed EventLog (MONO_EVENTLOG_TYPE=local)."""
    from conftest import wtsfake  # pylint: disable=import-error,import-outside-toplevel
    store = tmp_path / "eventlog"
    store.mkdir()
    path = tmp_path / "table.json"
    path.write_text(json.dumps(table(session(2, user="bob"))), encoding="utf-8")
    request = tmp_path / "audit.json"
    request.write_text(json.dumps(AUDIT), encoding="utf-8")
    proc = wtsfake.run_driver(path, ["logoff", "--timeout", "3", "--audit", str(request), "2"], exe=driver_exe,
                              extra_env={"MONO_EVENTLOG_TYPE": f"local:{store}"})
    out = json.loads(proc.stdout)
    assert out["results"][0]["result"] == "logged_off" and "audit_warning" not in out
    [entry] = list((store / "Application").glob("*.log"))  # the source was created in Application
    text = entry.read_text()
    assert "InstanceID: 1001" in text and "Source: termserv.sessions" in text and "AWX job 123" in text


# --- issue 25 items 8 and 9: what the waits meet on real Windows ---------------------------

@pytest.mark.parametrize("code", [7007, 7024])  # ERROR_CTX_CLOSE_PENDING, ERROR_CTX_WINSTATION_BUSY
def test_a_logoff_already_under_way_is_waited_for_not_an_error(wts, code):
    """The user logs off himself as we ask: WTSLogoffSession fails with 7007/7024, and the
    session still ends; that is "logged_off", not "error"."""
    out = wts(table(session(2, logoff_error=code, logoff_delay_ms=300), session(3)), "logoff", "--timeout", "5", "2", "3")
    results = {r["id"]: r for r in out["results"]}
    assert results["2"]["result"] == "logged_off" and results["2"]["error_code"] == 0
    assert results["2"]["elapsed"] >= 0.25 and results["3"]["result"] == "logged_off"


def test_a_logoff_under_way_that_never_ends_times_out(wts):
    t = table(session(2, logoff_error=7007, never_ends=True))
    [result] = wts(t, "logoff", "--timeout", "1", "2")["results"]
    assert result["result"] == "timeout"


@pytest.mark.parametrize("code", [7007, 7024])
def test_a_disconnect_meeting_a_close_or_a_busy_session_waits(wts, code):
    t = table(session(2, disconnect_error=code, logoff_delay_ms=300, disconnect_delay_ms=300))
    [result] = wts(t, "disconnect", "--timeout", "5", "2")["results"]
    assert result["result"] == ("gone" if code == 7007 else "disconnected")


def test_a_failed_enumeration_while_polling_is_retried(wts):
    """RPC_S_SERVER_UNAVAILABLE from a busy TermService for three polls: the wait goes on.
    (Enumeration 1 is the driver's own listing of the targets, 2 the identity check.)"""
    t = table(session(2, logoff_delay_ms=300), session(3, logoff_delay_ms=300))
    t["enum_failures"] = {"from": 3, "count": 3, "error": 1722}
    out = wts(t, "logoff", "--timeout", "5", "2", "3")
    assert [r["result"] for r in out["results"]] == ["logged_off", "logged_off"]
    assert out["stats"]["calls_enum"] >= 5


def test_an_enumeration_failing_to_the_end_keeps_the_results_so_far(wts, tmp_path):
    """Every poll fails (1726): the sessions done before, and the audit warning, survive;
    the waits end at the timeout naming the enumeration's error."""
    t = table(session(2, logoff_delay_ms=300), session(3, logoff_error=5))
    t["enum_failures"] = {"from": 3, "count": 100000, "error": 1726}
    out, _records = audit_run(wts, tmp_path, t, "logoff", "--timeout", "1", "2", "3", fail=True)
    results = {r["id"]: r for r in out["results"]}
    assert results["3"]["result"] == "error" and results["3"]["error_code"] == 5
    assert results["2"]["result"] == "timeout" and results["2"]["error_code"] == 1726
    assert "WTSEnumerateSessionsExW" in results["2"]["error"]
    assert "event log full" in out["audit_warning"]


# --- issue 25 item 11 -----------------------------------------------------------------------

def test_an_ipv6_client_address_is_shown(wts):
    """WTS_CLIENT_ADDRESS with AF_INET6 (23): the 16 bytes from offset 0, shown as IPv6 text."""
    t = table(session(2, client="", client_address="2001:db8::7"), session(3, client="", client_address="10.1.2.3"))
    s = by_id(wts(t, "list"))
    assert s["2"]["client"] == "2001:db8::7" and s["3"]["client"] == "10.1.2.3"


def test_no_console_attached_marks_no_session_as_the_console(wts):
    """WTSGetActiveConsoleSessionId returns 0xFFFFFFFF while no session is attached."""
    t = table(session(1, station="Console"), session(2))
    t["console_session_id"] = -1
    assert not any(s["console"] for s in wts(t, "list")["sessions"])


def test_a_logon_time_of_zero_during_teardown_is_not_an_end(wts):
    """While a session closes, WTSINFOW can report LogonTime 0 and the session is still
    listed: that is not "another logon", so the wait goes on until it is really gone."""
    t = table(session(2, logoff_delay_ms=600, logon_zero_while_closing=True))
    [result] = wts(t, "logoff", "--timeout", "5", "2")["results"]
    assert result["result"] == "logged_off" and result["elapsed"] >= 0.55, result


def test_each_sid_is_looked_up_once(wts):
    procs = [{"pid": 100 + i, "name": f"p{i}.exe", "user": "CORP\\user2"} for i in range(6)]
    t = table(session(2, processes=procs + [{"pid": 90, "name": "csrss.exe", "user": ""}]),
              session(3, processes=[{"pid": 91, "name": "x.exe", "user": "CORP\\user2"}]))
    out = wts(t, "list", "--processes")
    assert {p["user"] for p in by_id(out)["2"]["processes"]} == {"CORP\\user2", "NT AUTHORITY\\SYSTEM"}
    assert by_id(out)["3"]["processes"][0]["user"] == "CORP\\user2"
    assert out["stats"]["calls_lookup"] == 2  # two SIDs, not eight processes


def test_the_first_audit_record_is_retried_once(wts, tmp_path):
    """The first record after CreateEventSource can fail until Windows refreshes its sources."""
    out, records = audit_run(wts, tmp_path, table(session(2), session(3)), "logoff", "--timeout", "3",
                             "2", "3", "--audit-fail-first")
    assert "audit_warning" not in out, out
    assert sorted(r["message"].split(" of session ")[1].split(" ")[0] for r in records) == ["2", "3"]
