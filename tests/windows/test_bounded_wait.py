# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 25 item 7: the waits of win_logon_mode end (module_utils/_BoundedWait.cs on Mono).

Before, the apply phase waited for the hold store's mutex and for chglogon.exe without a
bound: one stuck writer hung every later run. The util takes the mutex within a time
(an abandoned one is taken: its holder has ended) and runs a program with a time limit,
killing it at the end; both fail with a message that says what was waited for.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

import wtsfake  # pylint: disable=import-error
from test_source_checks import PS, csharp6_forms, static_calls, CS  # pylint: disable=import-error

HERE = Path(__file__).resolve().parent
UTIL = HERE.parents[1] / "plugins" / "module_utils" / "_BoundedWait.cs"
PS1 = HERE.parents[1] / "plugins" / "modules" / "win_logon_mode.ps1"


@pytest.fixture(scope="module")
def driver() -> Path:
    out = wtsfake.BUILD / "bounded_wait"
    out.mkdir(parents=True, exist_ok=True)
    exe = out / "bounded_wait.exe"
    wtsfake.compile_util([UTIL, HERE / "BoundedWaitDriver.cs"], exe, ["-r:System.Web.Extensions.dll"])
    return exe


def run(exe: Path, *args: str) -> dict:
    proc = subprocess.run(["mono", str(exe), *args], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_util_is_csharp5_with_its_type_accelerator():
    source = UTIL.read_bytes()
    assert not CS.parse(source).root_node.has_error and csharp6_forms(source) == []
    assert re.findall(r"//TypeAccelerator -Name (\w+) -TypeName (\w+)", source.decode()) == [("BoundedWait", "BoundedWait")]


def test_a_program_that_does_not_end_is_killed_at_the_time_limit(driver):
    start = time.monotonic()
    out = run(driver, "run", "/bin/sh", "-c \"sleep 30\"", "500")
    assert out["timed_out"] is True and out["rc"] == -1
    assert time.monotonic() - start < 10


def test_a_program_that_ends_gives_its_exit_code_and_output(driver):
    out = run(driver, "run", "/bin/sh", "-c \"echo drained; echo warn >&2; exit 3\"", "10000")
    assert out == {"timed_out": False, "rc": 3, "stdout": "drained\n", "stderr": "warn\n"}


def test_a_held_mutex_fails_after_the_timeout_naming_it(driver):
    start = time.monotonic()
    out = run(driver, "hold", "termserv.test.held", "300")
    assert out["taken"] is False and "termserv.test.held" in out["error"]
    assert time.monotonic() - start < 2.5  # did not wait for the holder's 3 s


def test_a_mutex_released_within_the_timeout_is_taken(driver):
    assert run(driver, "hold", "termserv.test.released", "10000")["taken"] is True


def test_an_abandoned_mutex_is_taken(driver):
    assert run(driver, "abandon", "termserv.test.abandoned", "1000")["taken"] is True


def test_win_logon_mode_calls_only_what_the_util_has(driver):
    members = {tuple(m) for m in run(driver, "members")["members"]}
    calls = [(m, n) for t, m, n in static_calls(PS1) if t == "BoundedWait"]
    assert {c[0] for c in calls} == {"TakeMutex", "Run"}
    assert set(calls) <= members


def test_win_logon_mode_bounds_both_waits():
    """No unbounded WaitOne() and no Run-Command (it has no time limit) in the module or its task script."""
    text = PS1.read_text(encoding="utf-8")
    assert "WaitOne()" not in text and "Run-Command" not in text and "-Wait " not in text
    assert "#AnsibleRequires -CSharpUtil ..module_utils._BoundedWait" in text
    assert not PS.parse(text.encode()).root_node.has_error
