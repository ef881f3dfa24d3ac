# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 2 and issue 25 on Windows: the scheduled task that is the host's dead man's switch.

No Windows host runs it here, so this proves what can be proven without one: the script
win_logon_mode.ps1 registers, filled in as the .ps1 fills it, parses as PowerShell, and its
structure is checked from the parse tree: it waits a bounded time for the writers' mutex;
before the hold's expiry (a start of Windows) it does nothing; after it, it restores only
while the store is the generation it was armed for AND the mode is still what this
collection set (issue 25 item 1), drops the store only when chglogon succeeded, or, when
someone else changed the mode, drops the store and leaves the mode; it waits for chglogon a
bounded time (item 7); and it removes its own task, whose name carries its generation
(item 4). The task fires at the expiry and at every start of Windows (item 5).
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
STORE_VALUES = '"Holds", "Generation", "AppliedWinStationsDisabled", "AppliedTSServerDrainMode"'
FILLED = {"<MUTEX>": r"Global\termserv.sessions.LogonHolds",
          "<KEY>": r"HKLM:\SOFTWARE\termserv.sessions\LogonHolds", "<GENERATION>": "7",
          "<CHGLOGON>": r"C:\Windows\System32\chglogon.exe", "<SWITCH>": "/drain",
          "<TASK>": "termserv.sessions logon hold release 7", "<MUTEX_MS>": "180000",
          "<CHGLOGON_MS>": "60000", "<WAKE_AT>": "4102444800", "<STORE_VALUES>": STORE_VALUES,
          "<SWITCH_AFTER_RESTART>": "/enable"}
GENERATION = "$s.Generation -eq 7"
OURS = "$ours"
# The mode is ours when both values equal what the store says this collection set.
OURS_TEST = ('$ours = ([int]("0" + $w.WinStationsDisabled) -eq [int]("0" + $s.AppliedWinStationsDisabled)) -and '
             '([int]("0" + $t.TSServerDrainMode) -eq [int]("0" + $s.AppliedTSServerDrainMode))')


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


def flat(node) -> str:
    return " ".join(node.text.decode().split())


def conditions_around(node) -> list[str]:
    """What must hold for ``node`` to run, innermost first: an if's condition, or
    "not C" for each earlier branch of an elseif / else."""
    found = []
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "if_statement" and child.type == "statement_block":
            found.append(flat(next(c for c in parent.children if c.type == "pipeline")))
        elif parent.type in ("elseif_clause", "else_clause") and child.type == "statement_block":
            statement = parent.parent if parent.type == "else_clause" else parent.parent.parent
            if parent.type == "elseif_clause":
                found.append(flat(next(c for c in parent.children if c.type == "pipeline")))
            found.append("not " + flat(next(c for c in statement.children if c.type == "pipeline")))
            clauses = next((c for c in statement.children if c.type == "elseif_clauses"), None)
            for clause in (clauses.children if clauses is not None else []):
                if clause is not parent and clause.start_byte < parent.start_byte:
                    found.append("not " + flat(next(c for c in clause.children if c.type == "pipeline")))
        child, parent = parent, parent.parent
    return found


def top_level(tree) -> list:
    return list(tree.root_node.children[0].children) if tree.root_node.children else []


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
    text = " ".join(script.split())
    statements = [flat(n) for n in top_level(tree)]
    # 1. The writers' mutex, bounded, before anything is read; no mutex, no work.
    wait = text.find(f"$m.WaitOne({FILLED['<MUTEX_MS>']})")
    if not 0 <= wait < text.find("Get-ItemProperty") or "[System.Threading.Mutex]::new" not in text:
        wrong.append("the store must be read and written holding the writers' mutex, waited for a bounded time")
    if "if (-not $held) { exit 1 }" not in statements:
        wrong.append("without the mutex the script must stop")
    # 2. Before the expiry (a start of Windows), nothing at all: not even removing the task.
    expiry = f"if ($now -lt {FILLED['<WAKE_AT>']}) {{ exit 0 }}"
    if expiry not in statements or statements.index(expiry) > min(
            (i for i, st in enumerate(statements) if "Get-ItemProperty" in st or "Unregister" in st), default=-1):
        wrong.append("before the hold's expiry the script must do nothing")
    # 3. Restore only the armed generation, and only while the mode is what we set.
    if OURS_TEST not in text:
        wrong.append("the mode is ours only when both registry values are what this collection set")
    starts = commands.get("Start-Process", [])
    if len(starts) != 1 or conditions_around(starts[0]) != [OURS, GENERATION]:
        wrong.append("chglogon must run once, only for the armed generation and a mode that is still ours")
    removes = commands.get("Remove-ItemProperty", [])
    where = sorted(tuple(conditions_around(r)) for r in removes)
    expected = sorted([("$p.ExitCode -eq 0", f"not -not $p.WaitForExit({FILLED['<CHGLOGON_MS>']})", OURS, GENERATION),
                       (f"not {OURS}", GENERATION)])
    if where != expected:
        wrong.append("the store must be dropped only after chglogon succeeded, or when someone else changed the mode")
    if any(f"@({STORE_VALUES})" not in flat(r) for r in removes):
        wrong.append("dropping the store drops all its values")
    # 3b. After a restart (the volatile key written with the store is gone) an original
    # "drain until restart" is over: the switch for after a restart (issue 25 item 2).
    choice = (f"$switch = if (Test-Path -LiteralPath '{FILLED['<KEY>']}\\Boot') {{ '{FILLED['<SWITCH>']}' }} "
              f"else {{ '{FILLED['<SWITCH_AFTER_RESTART>']}' }}")
    if choice not in text or (starts and "-ArgumentList $switch " not in flat(starts[0])):
        wrong.append("after a restart the task must restore with the switch for after a restart")
    # 4. chglogon is waited for a bounded time.
    if f"if (-not $p.WaitForExit({FILLED['<CHGLOGON_MS>']})) {{ $p.Kill() }}" not in text or " -Wait " in text:
        wrong.append("chglogon must be waited for a bounded time")
    # 5. The task removes itself, by its own name, whatever happened after the expiry.
    unregisters = commands.get("Unregister-ScheduledTask", [])
    if len(unregisters) != 1 or conditions_around(unregisters[0]) or f"'{FILLED['<TASK>']}'" not in flat(unregisters[0]):
        wrong.append("the task must always remove itself, by its own name")
    return wrong


def test_every_placeholder_is_filled_by_the_ps1():
    placeholders = set(re.findall(r"<[A-Z_]+>", template()))
    filled = set(re.findall(r'\.Replace\("(<[A-Z_]+>)"', source()))
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
    assert '$wakeAt = [int64]$module.Params._wake_at' in text and '.Replace("<WAKE_AT>", [string]$wakeAt)' in text
    assert '.Replace("<MUTEX_MS>", [string]$mutexMs).Replace("<CHGLOGON_MS>", [string]$chglogonMs)' in text
    assert '$restore = Assert-Switch $module.Params._restore_switch' in text
    assert '.Replace("<SWITCH>", $restore)' in text
    assert '$afterRestart = Assert-Switch $module.Params._expected["after_restart"]["switch"]' in text
    assert '.Replace("<SWITCH_AFTER_RESTART>", $afterRestart)' in text


def test_the_boot_key_is_volatile_written_after_the_change_and_the_one_the_task_reads():
    """Issue 25 item 2: the key that tells a restart is REG_OPTION_VOLATILE, sits where the
    task looks, is written only once the change succeeded, and goes with the store."""
    text = source()
    assert '$bootKey = "SOFTWARE\\termserv.sessions\\LogonHolds\\Boot"' in text
    assert "HKLM:\\" + text.split('$bootKey = "')[1].split('"')[0] == FILLED["<KEY>"] + "\\Boot"
    create = text.index("CreateSubKey($bootKey, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, "
                        "[Microsoft.Win32.RegistryOptions]::Volatile)")
    assert text.index("$run = [BoundedWait]::Run(") < create
    assert 'Remove-Item -LiteralPath "HKLM:\\$bootKey"' in text
    assert '$module.Result.restarted = ($null -ne $found.Holds) -and -not (Test-Path -LiteralPath "HKLM:\\$bootKey")' in text
    assert '$storeValues = @(' + STORE_VALUES + ')' in text


def test_each_generation_has_its_own_task_and_removes_only_the_previous_one():
    """Issue 25 item 4: an old task firing late removes itself, never its successor."""
    text = source()
    assert '$task = "$taskName $generation"' in text and '.Replace("<TASK>", $task)' in text
    assert "Register-ScheduledTask -TaskName $task " in text
    assert '$previousTask = "$taskName $($found.Generation)"' in text
    unregisters = re.findall(r"Unregister-ScheduledTask -TaskName (\S+)", text)
    assert sorted(unregisters) == sorted(["'<TASK>'", "$script:newTask", "$previousTask", "$previousTask"])


MUTANTS = [
    ("no generation check", "if ($s.Generation -eq <GENERATION>) {", "if ($true) {"),
    ("store dropped whatever chglogon did", "elseif ($p.ExitCode -eq 0) {", "else {"),
    ("task kept when the generation moved on", "}\nUnregister-ScheduledTask", "Unregister-ScheduledTask"),
    ("broken quoting", "'<CHGLOGON>'", "'<CHGLOGON>"),
    ("no mutex", "try { $held = $m.WaitOne(<MUTEX_MS>) }", "try { $held = $true }"),
    ("unbounded mutex wait", "$m.WaitOne(<MUTEX_MS>)", "$m.WaitOne()"),
    ("25.1 restores over someone else's mode", "    if ($ours) {", "    if ($true) {"),
    ("25.1 only one value compared", ' -and ([int]("0" + $t.TSServerDrainMode) -eq [int]("0" + $s.AppliedTSServerDrainMode))', ""),
    ("25.1 someone else's mode keeps our store", "    else {\n        Remove-ItemProperty -LiteralPath $k -Name @(<STORE_VALUES>)\n    }\n", ""),
    ("25.5 a start before the expiry restores early", "if ($now -lt <WAKE_AT>) { exit 0 }\n", ""),
    ("25.7 chglogon waited for ever", "if (-not $p.WaitForExit(<CHGLOGON_MS>)) { $p.Kill() }\n        elseif", "$p.WaitForExit()\n        if"),
    ("25.2 drain until restart put back after a restart", "-ArgumentList $switch", "-ArgumentList '<SWITCH>'"),
    ("25.2 the boot key not looked at", "if (Test-Path -LiteralPath '<KEY>\\Boot')", "if ($true)"),
    ("25.4 removes a task by the shared name", "-TaskName '<TASK>'", "-TaskName 'termserv.sessions logon hold release'"),
]


@pytest.mark.parametrize("mutant, needle, replacement", MUTANTS, ids=[m[0] for m in MUTANTS])
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
    wait = text.index("$writer = [BoundedWait]::TakeMutex($mutexName, $mutexMs)")
    assert text.count("$found = Get-HoldValue") == 1
    read = text.index("$found = Get-HoldValue")
    compare = text.index("if ($found.Generation -ne $module.Params._generation)")
    write = text.index("Set-ItemProperty -LiteralPath $holdsKey -Name Holds -Value ([string]$module.Params._store)")
    assert wait < read < compare < write
    # Reads never wait: only a write (not the read phase, not check mode) takes the mutex.
    guard = text.index('$reading = $module.Params._phase -eq "read" -or $module.CheckMode')
    assert guard < text.index("if (-not $reading) {") < wait


def test_the_apply_arms_before_it_changes_the_mode_and_undoes_the_arming_on_failure():
    """Issue 25 item 3: store, then task, then chglogon; a failed task or chglogon puts both back."""
    text = source()
    store = text.index("Set-ItemProperty -LiteralPath $holdsKey -Name Holds -Value ([string]$module.Params._store)")
    task = text.index("Register-ScheduledTask -TaskName $task")
    change = text.index("$run = [BoundedWait]::Run($chglogon, $switch, $chglogonMs)")
    applied = text.index("-Name AppliedWinStationsDisabled -Value $module.Result.after.WinStationsDisabled")
    old_task = text.index("Unregister-ScheduledTask -TaskName $previousTask")
    assert store < task < change < applied < old_task
    body = text[text.index("Function Undo-Arming"):text.index("$reading = ")]
    for step in ("Remove-ItemProperty -LiteralPath $holdsKey -Name $storeValues",
                 "Set-ItemProperty -LiteralPath $holdsKey -Name Generation -Value $found.Generation",
                 "Unregister-ScheduledTask -TaskName $script:newTask", "$module.FailJson("):
        assert step in body, step
    after_change = text[change:applied]
    assert after_change.count("Undo-Arming") == 2  # timed out, failed
    assert "catch { Undo-Arming" in text[task:change]


def test_the_task_fires_at_the_expiry_and_at_every_start():
    """Issue 25 item 5: StartWhenAvailable alone does not promise a run after boot for a -Once trigger."""
    text = source()
    assert "$triggers = @((New-ScheduledTaskTrigger -Once -At $when), (New-ScheduledTaskTrigger -AtStartup))" in text
    assert re.search(r"^\s*\$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -ExecutionTimeLimit ", text, re.M)
    register = [line for line in text.splitlines() if "Register-ScheduledTask " in line]
    assert len(register) == 1 and "-Settings $settings" in register[0]
    assert "-Principal $principal" in register[0] and "-Trigger $triggers" in register[0]
