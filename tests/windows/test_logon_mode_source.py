# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 11 item 16: no error-stream redirection in a module.

Under Ansible's ``$ErrorActionPreference = 'Stop'``, Windows PowerShell 5.1 turns the first
stderr line of a native command whose error stream is redirected (``2>&1``, ``*>&1``,
``2>$null``, ``2> file``) into a terminating NativeCommandError, so the exit-code check
after it is never reached. Modules run processes through Run-Command (Ansible.Process),
which collects stderr itself; so the rule is simply: no stream-2 or all-stream
redirection anywhere in a module's code. The code is read with tree-sitter-powershell, so
comments, strings and backtick-continued lines are what PowerShell makes of them.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Parser

REPO = Path(__file__).resolve().parents[2]
PS1 = sorted((REPO / "plugins").rglob("*.ps1")) + sorted((REPO / "plugins").rglob("*.psm1"))
PS = Parser(Language(tree_sitter_powershell.language()))
# The grammar reads "2>$null" written without a space as one generic token.
GLUED = re.compile(r"^[2*]>")


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def offending(text: str) -> list[str]:
    """The lines (stripped) holding a redirection of the error stream or of all streams."""
    source = text.encode("utf-8")
    lines = source.split(b"\n")
    found = []
    for node in _walk(PS.parse(source).root_node):
        operator = None
        if node.type in ("merging_redirection_operator", "file_redirection_operator"):
            operator = node.text.decode()
        elif node.type == "generic_token" and GLUED.match(node.text.decode()):
            operator = node.text.decode()
        if operator and operator[0] in "2*":
            line = lines[node.start_point[0]].decode("utf-8").strip()
            if line not in found:
                found.append(line)
    return found


@pytest.mark.parametrize("sample", [
    '$output = & $chglogon $switches[$state] 2>&1',
    '& "C:\\Windows\\System32\\chglogon.exe" /drain 2>&1 | Out-Null',
    '$x = &$exe 2>&1',
    'chglogon.exe /drain 2>&1',
    '& $x *>&1',
    '& $x 2>$null',
    '& $x 2> $null',
    '$o = & $x 2> err.txt',
])
def test_the_check_catches_the_pattern(sample):
    assert offending(sample) == [sample.strip()]


def test_the_check_follows_a_backtick_continued_line():
    assert offending("& $chglogon `\n    /drain 2>&1\n") == ["/drain 2>&1"]


@pytest.mark.parametrize("sample", [
    '$run = Run-Command -command "`"$chglogon`" $switch"',
    '# & chglogon /drain 2>&1 was the bug',
    '$a = $b -band $c',
    '$s = "& x 2>&1 is only text here"',
    'Get-Item x > out.txt',
])
def test_the_check_lets_safe_lines_through(sample):
    assert offending(sample) == []


def test_there_are_scripts_to_check():
    assert any(p.name == "win_logon_mode.ps1" for p in PS1)


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_no_native_call_merges_stderr(path):
    assert offending(path.read_text(encoding="utf-8")) == []


def test_win_logon_mode_runs_chglogon_bounded_and_checks_its_exit_code():
    """Through _BoundedWait.cs (issue 25 item 7), which collects stderr itself as Run-Command did."""
    text = (REPO / "plugins" / "modules" / "win_logon_mode.ps1").read_text(encoding="utf-8")
    assert "#AnsibleRequires -CSharpUtil ..module_utils._BoundedWait" in text
    assert "$run = [BoundedWait]::Run($chglogon, $switch, $chglogonMs)" in text
    assert 'if ($run["timed_out"]) {' in text and 'if ($run["rc"] -ne 0) {' in text


def test_win_logon_mode_repeats_no_registry_value_table():
    """The expected values per state come from the controller (_windows_logon_mode.py)."""
    text = (REPO / "plugins" / "modules" / "win_logon_mode.ps1").read_text(encoding="utf-8")
    assert "/drainuntilrestart" not in text and "@(0, 2)" not in text


def test_win_logon_mode_reads_registry_values_without_property_lookups():
    """Under Set-StrictMode -Version 2.0 a value missing from Get-ItemProperty's object is an
    error; the module reads each value with Get-ItemPropertyValue (the release task's own
    script runs without strict mode)."""
    text = (REPO / "plugins" / "modules" / "win_logon_mode.ps1").read_text(encoding="utf-8")
    module = re.sub(r"^\$releaseScript = @'.*?^'@", "", text, flags=re.S | re.M)
    assert "Get-ItemProperty " not in module and "Get-ItemPropertyValue -LiteralPath $path -Name $name" in module
