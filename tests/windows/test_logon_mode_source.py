# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11 item 16: no native command run as ``& exe ... 2>&1`` in a module.

Under Ansible's ``$ErrorActionPreference = 'Stop'``, Windows PowerShell 5.1 turns the first
stderr line of ``& exe 2>&1`` into a terminating NativeCommandError, so the exit-code check
after it is never reached. Modules run processes through Run-Command (Ansible.Process).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PS1 = sorted((REPO / "plugins").rglob("*.ps1")) + sorted((REPO / "plugins").rglob("*.psm1"))
# A call operator on one logical line that also merges stderr into the output stream.
CALL_WITH_STDERR = re.compile(r"&\s*[^\n|;]*?\s2>&1")


def offending(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if CALL_WITH_STDERR.search(code):
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("sample", [
    '$output = & $chglogon $switches[$state] 2>&1',
    '& "C:\\Windows\\System32\\chglogon.exe" /drain 2>&1 | Out-Null',
    '$x = &$exe 2>&1',
])
def test_the_check_catches_the_pattern(sample):
    assert offending(sample) == [sample.strip()]


@pytest.mark.parametrize("sample", [
    '$run = Run-Command -command "`"$chglogon`" $switch"',
    '# & chglogon /drain 2>&1 was the bug',
    '$a = $b -band $c',
])
def test_the_check_lets_safe_lines_through(sample):
    assert offending(sample) == []


def test_there_are_scripts_to_check():
    assert any(p.name == "win_logon_mode.ps1" for p in PS1)


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_no_native_call_merges_stderr(path):
    assert offending(path.read_text(encoding="utf-8")) == []


def test_win_logon_mode_runs_chglogon_through_run_command_and_checks_its_exit_code():
    text = (REPO / "plugins" / "modules" / "win_logon_mode.ps1").read_text(encoding="utf-8")
    assert "#AnsibleRequires -PowerShell Ansible.ModuleUtils.CommandUtil" in text
    assert "Run-Command -command" in text and "$run.rc -ne 0" in text


def test_win_logon_mode_repeats_no_registry_value_table():
    """The expected values per state come from the controller (_windows_logon_mode.py)."""
    text = (REPO / "plugins" / "modules" / "win_logon_mode.ps1").read_text(encoding="utf-8")
    assert "/drainuntilrestart" not in text and "@(0, 2)" not in text
