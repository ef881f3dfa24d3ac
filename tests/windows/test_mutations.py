# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutation check: break the util on purpose; the interop tests must fail for each bug."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import wtsfake  # pylint: disable=import-error

HERE = Path(__file__).resolve().parent
SOURCE = wtsfake.UTIL.read_text(encoding="utf-8")

MUTANTS = {
    # (UserName 21 -> 20 is not here: reading, it changes nothing, the 8-byte alignment of the
    # times that follow absorbs it and the marshaller stops at 20 WCHARs anyway.)
    "domain array one WCHAR short": ("[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 17)]",
                                     "[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 16)]"),
    "station name array one WCHAR short": ("[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 32)]",
                                           "[MarshalAs(UnmanagedType.ByValTStr, SizeConst = 31)]"),
    "struct size without the 8-byte alignment": ("[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]\n        public struct WTSINFOW",
                                                 "[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode, Pack = 2)]\n        public struct WTSINFOW"),
    "swapped fields": ("            public long LastInputTime;\n            public long LogonTime;",
                       "            public long LogonTime;\n            public long LastInputTime;"),
    "wrong free function": ("            NativeMethods.WTSFreeMemory(handle);\n            return true;",
                            "            return NativeMethods.WTSFreeMemoryExW(2, handle, 1);"),
    "missing identity check": ("string changed = CheckIdentity(target, now);\n                if (changed != null)\n"
                               "                {\n                    results.Add(Result(id, changed, 0, null));\n"
                               "                    continue;\n                }\n                if (((string)now[id]",
                               "string changed = now.ContainsKey(id) ? null : \"gone\";\n                if (changed != null)\n"
                               "                {\n                    results.Add(Result(id, changed, 0, null));\n"
                               "                    continue;\n                }\n                if (((string)now[id]"),
    "bWait TRUE": ("WTSLogoffSession(IntPtr.Zero, Int32.Parse(id), false)",
                   "WTSLogoffSession(IntPtr.Zero, Int32.Parse(id), true)"),
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_interop_tests_catch_the_bug(name, tmp_path):
    old, new = MUTANTS[name]
    assert SOURCE.count(old) == 1, f"mutation {name!r} no longer applies: update it with the code"
    mutant = tmp_path / "_WtsSession.cs"
    mutant.write_text(SOURCE.replace(old, new), encoding="utf-8")
    wtsfake.build()  # the fake library, shared
    exe = tmp_path / "driver.exe"
    wtsfake.compile_util([mutant, HERE / "Driver.cs"], exe, ["-r:System.Web.Extensions.dll"])
    for lib in ("libwtsapi32.so", "libkernel32.so"):
        (tmp_path / lib).symlink_to(wtsfake.BUILD / "libwtsapi32.so")
    env = dict(os.environ, WTS_DRIVER_EXE=str(exe), WTS_DRIVER_TIMEOUT="15")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           str(HERE / "test_wts_interop.py")], capture_output=True, text=True, env=env,
                          cwd=HERE.parents[1], timeout=300, check=False)
    assert proc.returncode == 1, f"the {name!r} mutant survived:\n{proc.stdout[-2000:]}"
    assert "failed" in proc.stdout.splitlines()[-1]
