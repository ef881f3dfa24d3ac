# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: 100 sessions x 200 ms logoff latency, the C# util on the fake wtsapi32.

Parallel is the util as shipped (bWait FALSE, then poll); sequential is the same util with
bWait TRUE, which is what a `for ... logoff` loop does: one session after the other.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "windows"))

import wtsfake  # noqa: E402  pylint: disable=wrong-import-position

N, DELAY_MS = 100, 200
# The util's logoff call, as shipped (bWait FALSE); the sequential variant sets it TRUE.
# tests/windows/test_bench_variant.py checks that the util still holds it exactly once.
PARALLEL_CALL = "NativeMethods.WTSLogoffSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, false)"


def measure(exe: Path, table: Path) -> float:
    ids = [str(i) for i in range(10, 10 + N)]
    start = time.monotonic()
    proc = wtsfake.run_driver(table, ["logoff", "--timeout", "120", *ids], exe=exe, timeout=300)
    elapsed = time.monotonic() - start
    results = json.loads(proc.stdout)["results"]
    assert all(r["result"] == "logged_off" for r in results), results[:3]
    return elapsed


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-wts-"))
    table = work / "table.json"
    table.write_text(json.dumps({"now": "2026-11-24T12:00:00Z", "sessions": [
        {"id": i, "user": f"user{i}", "domain": "CORP", "logon_time": "2026-11-24T08:00:00Z",
         "logoff_delay_ms": DELAY_MS} for i in range(10, 10 + N)]}))
    parallel_exe = wtsfake.build()
    seq_source = work / "_WtsSession.cs"
    parallel_call = PARALLEL_CALL
    source = wtsfake.UTIL.read_text()
    # The sequential variant must really differ: a silent no-op replace would bench the same code twice.
    assert source.count(parallel_call) == 1, "the logoff call changed: update the bench"
    seq_source.write_text(source.replace(parallel_call, parallel_call.replace("false)", "true)")))
    seq_exe = work / "driver.exe"
    wtsfake.compile_util([seq_source, wtsfake.HERE / "Driver.cs"], seq_exe, ["-r:System.Web.Extensions.dll"])
    # Every library the fake stands in for (wtsapi32, kernel32, advapi32, ntdll...): the ones
    # the util P/Invokes change with it, so take the build's own list rather than a copy.
    for lib in wtsfake.BUILD.glob("lib*.so"):
        (work / lib.name).symlink_to(lib.resolve())
    parallel = measure(parallel_exe, table)
    sequential = measure(seq_exe, table)
    print(f"| Windows C# on fake wtsapi32, {N} sessions x {DELAY_MS} ms | parallel {parallel:.2f} s "
          f"| sequential {sequential:.2f} s | x{sequential / parallel:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
