# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 2 on Windows: the scheduled task that is the host's dead man's switch.

No Windows host runs it here, so this proves what can be proven without one: the script
win_logon_mode.ps1 registers, filled in as the .ps1 fills it, parses as PowerShell; it
restores only while the store is still the generation it was armed for, drops the store
only when chglogon succeeded, and always removes the task; and the task starts when
available, so a host that was off at the expiry still restores after boot.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_sitter_powershell
from test_logon_mode_source import offending  # pylint: disable=import-error
from tree_sitter import Language, Parser

PS1 = Path(__file__).resolve().parents[2] / "plugins" / "modules" / "win_logon_mode.ps1"
PS = Parser(Language(tree_sitter_powershell.language()))
TEMPLATE = re.compile(r"^\$releaseScript = @'\r?\n(.*?)\r?\n'@", re.S | re.M)
FILLED = {"<MUTEX>": r"Global\termserv.sessions.LogonHolds",
          "<KEY>": r"HKLM:\SOFTWARE\termserv.sessions\LogonHolds", "<GENERATION>": "7",
          "<CHGLOGON>": r"C:\Windows\System32\chglogon.exe", "<SWITCH>": "/drain",
          "<TASK>": "termserv.sessions logon hold release"}


def source() -> str:
    return PS1.read_text(encoding="utf-8")


def template() -> str:
    match = TEMPLATE.search(source())
    assert match, "win_logon_mode.ps1 keeps the switch's script as the here-string $releaseScript"
    return match.group(1)


def fill(text: str) -> str:
    for placeholder, value in FILLED.items():
        text = text.replace(placeholder, value)
    return text


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


def conditions_around(node) -> list[str]:
    """The conditions of the if statements enclosing ``node``, innermost first."""
    found = []
    parent = node.parent
    while parent is not None:
        if parent.type == "if_statement":
            condition = next(c for c in parent.children if c.type == "pipeline")
            found.append(" ".join(condition.text.decode().split()))
        parent = parent.parent
    return found


def problems(script: str) -> list[str]:
    """What is wrong with a filled-in switch script (empty: nothing)."""
    tree = PS.parse(script.encode("utf-8"))
    if tree.root_node.has_error:
        return ["does not parse as PowerShell"]
    commands: dict[str, list] = {}
    for node in walk(tree.root_node):
        if node.type == "command":
            name = next((c for c in node.children if c.type == "command_name"), None)
            if name is not None:
                commands.setdefault(name.text.decode(), []).append(node)
    wrong = []
    generation = f"$g -eq {FILLED['<GENERATION>']}"
    starts = commands.get("Start-Process", [])
    if len(starts) != 1 or conditions_around(starts[0]) != [generation]:
        wrong.append("chglogon must run once, only while the store is the armed generation")
    removes = commands.get("Remove-ItemProperty", [])
    if len(removes) != 1 or conditions_around(removes[0]) != ["$p.ExitCode -eq 0", generation]:
        wrong.append("the store must be dropped only after chglogon succeeded")
    text = " ".join(script.split())
    if not 0 <= text.find("WaitOne()") < text.find("Get-ItemProperty") or "[System.Threading.Mutex]::new" not in text:
        wrong.append("the store must be read and written holding the writers' mutex")
    unregisters = commands.get("Unregister-ScheduledTask", [])
    if len(unregisters) != 1 or conditions_around(unregisters[0]):
        wrong.append("the task must always remove itself")
    return wrong


def test_every_placeholder_is_filled_by_the_ps1():
    placeholders = set(re.findall(r"<[A-Z]+>", template()))
    filled = set(re.findall(r'\.Replace\("(<[A-Z]+>)"', source()))
    assert placeholders == filled == set(FILLED)


def test_the_filled_script_parses_and_restores_only_its_own_generation():
    assert problems(fill(template())) == []
    # It runs under the task's own PowerShell: the same rule as the modules (item 11.16).
    assert offending(fill(template())) == []


def test_only_checked_values_reach_the_script():
    text = source()
    assert '$mutexName = "Global\\termserv.sessions.LogonHolds"' in text
    assert FILLED["<MUTEX>"] == "Global\\termserv.sessions.LogonHolds"
    assert '.Replace("<GENERATION>", [string][int]$generation)' in text
    assert '$restore = Assert-Switch $module.Params._restore_switch' in text
    assert '.Replace("<SWITCH>", $restore)' in text


@pytest.mark.parametrize("mutant, needle, replacement", [
    ("no generation check", "if ($g -eq <GENERATION>) {", "if ($true) {"),
    ("store dropped whatever chglogon did",
     "if ($p.ExitCode -eq 0) {\n        Remove-ItemProperty -LiteralPath $k -Name @(\"Holds\", \"Generation\")\n    }",
     "Remove-ItemProperty -LiteralPath $k -Name @(\"Holds\", \"Generation\")"),
    ("task kept when the generation moved on", "}\nUnregister-ScheduledTask", "Unregister-ScheduledTask"),
    ("broken quoting", "'<CHGLOGON>'", "'<CHGLOGON>"),
    ("no mutex", "try { [void]$m.WaitOne() } catch { $null = $_ }", ""),
])
def test_the_check_kills_each_mutant(mutant, needle, replacement):
    original = template()
    assert needle in original, mutant
    mutated = original.replace(needle, replacement, 1)
    if mutant.startswith("task kept"):
        mutated = mutated.rstrip() + "\n}"
    assert problems(fill(mutated)), mutant


def test_the_apply_phase_compares_and_writes_holding_the_mutex():
    """As the Linux target's flock: read after taking the mutex, then compare, then write."""
    text = source()
    wait = text.index("[void]$writer.WaitOne()")
    assert text.count("$found = Get-HoldValue") == 1
    read = text.index("$found = Get-HoldValue")
    compare = text.index("if ($found.Generation -ne $module.Params._generation)")
    write = text.index("Set-ItemProperty -LiteralPath $holdsKey -Name Holds")
    assert wait < read < compare < write
    # Reads never wait: only a write (not the read phase, not check mode) takes the mutex.
    guard = text.index('$reading = $module.Params._phase -eq "read" -or $module.CheckMode')
    assert guard < text.index("if (-not $reading) {") < wait


def test_the_task_starts_when_available_after_a_missed_expiry():
    text = source()
    assert re.search(r"^\s*\$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable\s*$", text, re.M)
    register = [line for line in text.splitlines() if "Register-ScheduledTask " in line]
    assert len(register) == 1 and "-Settings $settings" in register[0]
    assert "-Principal $principal" in register[0] and "-Trigger $trigger" in register[0]
