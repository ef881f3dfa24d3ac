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
    assert bob["idle_seconds"] == 3 * 3600 and bob["disconnected_seconds"] == 2.5 * 3600
    assert bob["station"] == "" and bob["state"] == "disconnected"
    assert s["5"]["user"] == "Jürgen" and s["5"]["client"] == "PC-ÄÖÜ"  # UTF-16, non-ASCII
    assert s["5"]["idle_seconds"] == 0  # LastInputTime 0: idle 0, as Cassia
    assert s["4"]["state"] == "down"
    # The longest names Windows allows fill the fixed WTSINFOW arrays to the last WCHAR.
    longest = s["8"]
    assert (longest["user"], longest["domain"]) == ("abcdefghijklmnopqrst", "LONGDOMAINNAME15")
    assert longest["disconnected_seconds"] == int(2.75 * 3600) and longest["idle_seconds"] == 2 * 3600 + 50 * 60


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
    next(s for s in farm["sessions"] if s["id"] == 3)["message_error"] = 5
    results = {r["id"]: r for r in wts(farm, "message", "--title", "Wartung", "--msg", "Bitte abmelden: ÄÖÜ",
                                       "2", "3", "42")["results"]}
    assert results["2"]["result"] == "delivered"
    assert results["3"]["result"] == "error" and results["3"]["error_code"] == 5
    assert results["42"]["result"] == "gone"
