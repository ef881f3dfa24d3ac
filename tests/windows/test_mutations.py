# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutation check: break the util on purpose; the interop tests must fail for each bug."""
from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
from pathlib import Path

import pytest

import wtsfake  # pylint: disable=import-error

HERE = Path(__file__).resolve().parent
SOURCE = wtsfake.UTIL.read_text(encoding="utf-8")

MUTANTS = {
    # (Array lengths of WTSINFOW's names are not here any more: the names come from the
    # enumeration, and one WCHAR less in Domain or WinStationName is absorbed by the 8-byte
    # alignment of the times that follow, so such a mutant behaves exactly like the original.)
    "struct size without the 8-byte alignment": ("[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]\n        public struct WTSINFOW",
                                                 "[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode, Pack = 2)]\n        public struct WTSINFOW"),
    "swapped fields": ("            public long LastInputTime;\n            public long LogonTime;",
                       "            public long LogonTime;\n            public long LastInputTime;"),
    "wrong free function": ("            NativeMethods.WTSFreeMemory(handle);\n            return true;",
                            "            return NativeMethods.WTSFreeMemoryExW(2, handle, 1);"),
    "missing identity check": ("ACT", "string changed = CheckIdentity(target, now);\n                if (changed != null)\n"
                               "                {\n                    results.Add(Result(id, changed, 0, null));\n"
                               "                    continue;\n                }\n                if (((string)now[id]",
                               "string changed = now.ContainsKey(id) ? null : \"gone\";\n                if (changed != null)\n"
                               "                {\n                    results.Add(Result(id, changed, 0, null));\n"
                               "                    continue;\n                }\n                if (((string)now[id]"),
    "bWait TRUE": (None, "WTSLogoffSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, false)",
                   "WTSLogoffSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, true)"),
    # issue 11, Windows items
    "11.11 idle of a disconnected session from LastInputTime": (
        "            if (state == NativeHelpers.WTSDisconnected)\n                return SecondsOrNull(disconnect, current);\n", ""),
    "11.12 names from WTSINFOW's fixed arrays": (
        "            session[\"logon_time\"] = FileTimeToIso(info.LogonTime);",
        "            session[\"logon_time\"] = FileTimeToIso(info.LogonTime);\n"
        "            session[\"user\"] = info.UserName ?? \"\";\n            session[\"domain\"] = info.Domain ?? \"\";"),
    "11.13 7022 reported as an error": (
        "            if (e.NativeErrorCode == NativeHelpers.ERROR_CTX_WINSTATION_NOT_FOUND)\n                return Result(id, \"gone\", 0, null);\n", ""),
    "11.13 a session that ended during the listing is listed": (
        "                if (e.NativeErrorCode == NativeHelpers.ERROR_CTX_WINSTATION_NOT_FOUND)\n                    return null;",
        "                if (e.NativeErrorCode == -1)\n                    return null;"),
    "11.14 polling checks only that the id is there": (
        "            if (!present.TryGetValue(Int32.Parse(Text(target, \"id\")), out entry))\n                return true;",
        "            if (!present.TryGetValue(Int32.Parse(Text(target, \"id\")), out entry))\n                return true;\n"
        "            if (entry != null)\n                return false;"),
    "11.14 polling ignores a new logon time": (
        "            return !String.Equals(FileTimeToIso(info.LogonTime), Text(target, \"logon_time\"), StringComparison.Ordinal);",
        "            return false;"),
    "11.15 a message to a disconnected session counted as delivered": (
        "                    && now_entry.State == NativeHelpers.WTSDisconnected)",
        "                    && now_entry.State == -1)"),
    "11.17 FILETIME range not checked": ("            return fileTime > 0 && fileTime <= MaxFileTime;",
                                         "            return fileTime != 0 || MaxFileTime == 0;"),
    "17 no lifeline": ("            return pipe.NamedPipeState == NativeHelpers.FILE_PIPE_CLOSING_STATE\n",
                       "            return pipe.NamedPipeState == -1\n"),
    "25.10 FILE_PIPE_LOCAL_INFORMATION fields shifted": (
        "            public int NamedPipeType;\n", ""),
    "17 no lifeline while polling": ("ACT",
                                     "                if (Lifeline.StdoutGone())\n                {\n"
                                     "                    foreach (string id in pending.Keys)",
                                     "                if (targets == null)\n                {\n"
                                     "                    foreach (string id in pending.Keys)"),
    # issue 12, Windows parts
    "12 process array freed as a session array": (
        "            return NativeMethods.WTSFreeMemoryExW(NativeHelpers.WTSTypeProcessInfoLevel1, handle, Count);",
        "            return NativeMethods.WTSFreeMemoryExW(NativeHelpers.WTSTypeSessionInfoLevel1, handle, Count);"),
    "12 process name and SID swapped": ("            public IntPtr pProcessName;\n            public IntPtr pUserSid;",
                                        "            public IntPtr pUserSid;\n            public IntPtr pProcessName;"),
    "12 disconnect bWait TRUE": ("WTSDisconnectSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, false)",
                                 "WTSDisconnectSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, true)"),
    # Logoff and disconnect share one code path (Act): the identity check above covers both;
    # what is the disconnect's own is when it is done.
    "12 disconnect done before the session is disconnected": (
        ".State == NativeHelpers.WTSDisconnected ? \"disconnected\" : null;", ".State >= 0 ? \"disconnected\" : null;"),
    "12 no audit record for a logoff": ("            AuditEvent = Audit.EventLogoff,", "            AuditEvent = 0,"),
    "12 an audit failure stops the action": ("            catch (Exception e)\n            {\n                if (_warning == null)",
                                             "            catch (ArgumentException e)\n            {\n                if (_warning == null)"),
    # issue 25, the waits
    "25.8 a logoff already under way is an error": (
        "if (started || code == NativeHelpers.ERROR_CTX_CLOSE_PENDING || code == NativeHelpers.ERROR_CTX_WINSTATION_BUSY)",
        "if (started)"),
    "25.9 a failed listing while polling is not retried": (
        "                    Thread.Sleep(PollMilliseconds);\n                    continue;\n",
        "                    throw;\n"),
    "25.11 an IPv6 client address not shown": (
        "if (address.AddressFamily == NativeHelpers.AF_INET6 && address.Address != null)",
        "if (address.AddressFamily == -NativeHelpers.AF_INET6 && address.Address != null)"),
    "25.11 a LogonTime of 0 during teardown taken as the end": (
        "            if (info.LogonTime == 0)\n                return false;\n", ""),
    "25.11 one account lookup per process": (
        "process[\"user\"] = CachedAccountName(info.pUserSid, accounts);", "process[\"user\"] = AccountName(info.pUserSid);"),
    "25.11 the first audit record not retried": (
        "                    Thread.Sleep(RetryMilliseconds);\n                    Writer(eventId, message);\n",
        "                    throw;\n"),
    "25.13 a refused message to a disconnected session is an error": (
        "                if (outcome != \"delivered\" && outcome != \"error\")", "                if (outcome != \"delivered\")"),
}

# Where an anchored mutant applies: the first occurrence after the anchor (the method).
ANCHORS = {
    "ACT": "Dictionary<string, object>> Act(SessionAction action, IList targets, double timeoutSeconds, Audit log)",
}


def mutate(name: str) -> str:
    entry = MUTANTS[name]
    anchor, old, new = entry if len(entry) == 3 else (None, *entry)
    if anchor is None:
        assert SOURCE.count(old) == 1, f"mutation {name!r} no longer applies: update it with the code"
        return SOURCE.replace(old, new)
    assert SOURCE.count(ANCHORS[anchor]) == 1, f"anchor of {name!r} no longer applies"
    start = SOURCE.index(ANCHORS[anchor])
    at = SOURCE.find(old, start)
    assert at >= 0, f"mutation {name!r} no longer applies after its anchor: update it with the code"
    return SOURCE[:at] + new + SOURCE[at + len(old):]


def run_mutant(name: str, work: Path) -> subprocess.CompletedProcess:
    """Build the util with mutation ``name`` and run the interop tests against it."""
    work.mkdir(parents=True)
    mutant = work / "_WtsSession.cs"
    mutant.write_text(mutate(name), encoding="utf-8")
    exe = work / "driver.exe"
    wtsfake.compile_util([mutant, HERE / "Driver.cs"], exe, ["-r:System.Web.Extensions.dll"])
    for lib in ("libwtsapi32.so", "libkernel32.so", "libadvapi32.so", "libntdll.so"):
        (work / lib).symlink_to(wtsfake.BUILD / "libwtsapi32.so")
    env = dict(os.environ, WTS_DRIVER_EXE=str(exe), WTS_DRIVER_TIMEOUT="15")
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           "--basetemp", str(work / "pytest"), str(HERE / "test_wts_interop.py")],
                          capture_output=True, text=True, env=env, cwd=HERE.parents[1], timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every selected mutant's interop run, two at a time: each is one compiler and one Mono
    process, single-threaded, so the machine's two cores halve the suite's longest part."""
    wanted = sorted({item.callspec.params["name"] for item in request.session.items
                     if item.originalname == "test_the_interop_tests_catch_the_bug"})
    wtsfake.build()  # the fake library, shared, built once before the parallel runs
    base = tmp_path_factory.mktemp("mutants")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = {name: pool.submit(run_mutant, name, base / f"m{number}") for number, name in enumerate(wanted)}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_interop_tests_catch_the_bug(name, outcomes):
    proc = outcomes[name]
    assert proc.returncode == 1, f"the {name!r} mutant survived:\n{proc.stdout[-2000:]}"
    assert "failed" in proc.stdout.splitlines()[-1]
