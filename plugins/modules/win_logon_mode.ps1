#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._TargetOptions
#AnsibleRequires -CSharpUtil ..module_utils._BoundedWait

# Windows target of termserv.sessions.logon_mode. It only reads and writes values: the two
# registry values change logon writes, the hold store next to them, and the scheduled task
# that is the host's dead man's switch. What they mean and what to set is decided on the
# controller (plugin_utils/_holds.py, _windows_logon_mode.py), which also passes the
# expected values and the chglogon switch of each state (_expected).
$spec = @{
    options = @{
        _phase = @{ type = "str"; default = "read"; choices = @("read", "apply") }
        _generation = @{ type = "int"; default = 0 }
        _store = @{ type = "raw" }
        _write_store = @{ type = "bool"; default = $true }
        _set_state = @{ type = "str" }
        _wake_at = @{ type = "raw" }
        _expected = @{ type = "dict" }
        _restore_switch = @{ type = "str" }
    }
    supports_check_mode = $true
}
# A direct call with an option the action plugin never sends fails naming the module to
# call (issue 13.5); _TargetOptions.cs says why these three lines look like this.
$refused = if ($complex_args) { [TargetOptions]::Refused($complex_args, $spec) } else { @() }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
if ($refused) { $module.FailJson([TargetOptions]::Refusal("logon_mode", $refused)) }

$holdsKey = "HKLM:\SOFTWARE\termserv.sessions\LogonHolds"
# The values of the hold store: the store (JSON), its generation, and the two registry values
# the mode had after this collection last set it, so that a change by anyone else (change
# logon, Server Manager) is seen and never undone (issue 25 item 1).
$storeValues = @("Holds", "Generation", "AppliedWinStationsDisabled", "AppliedTSServerDrainMode")
# A volatile key (REG_OPTION_VOLATILE: Windows drops it when it stops), written with the store:
# when the store is there and the key is not, the host has restarted since, and an original
# "drain until restart" is over (issue 25 item 2).
$bootKey = "SOFTWARE\termserv.sessions\LogonHolds\Boot"
# Held by whoever writes the hold store: this module's apply phase and the switch's task.
$mutexName = "Global\termserv.sessions.LogonHolds"
# One task per generation, "<name> <generation>": an old one that fires late removes itself,
# never its successor (issue 25 item 4).
$taskName = "termserv.sessions logon hold release"
$chglogon = Join-Path -Path $env:SystemRoot -ChildPath "System32\chglogon.exe"
# Bounds of the waits (issue 25 item 7): chglogon takes well under a second; the mutex is
# held at most for one apply (a read, chglogon's bound, a task registration).
$chglogonMs = 60000
$mutexMs = 180000
# The dead man's switch, run by the scheduled task as SYSTEM at the last hold's expiry, and
# at every start of Windows (a -Once trigger that was missed while the host was off runs
# only when StartWhenAvailable notices it; issue 25 item 5). Before the expiry it does
# nothing. After it: if the store is still the generation it was armed for and the mode is
# still what this collection set, put back the original mode and, only if chglogon
# succeeded, drop the store; if someone else changed the mode meanwhile, drop the store and
# leave their mode. Then the task removes itself, by its own name. The placeholders get the
# writers' mutex, the key, ints, chglogon's path and a checked switch, nothing else
# (tests/windows/test_logon_switch_script.py parses the filled script).
$releaseScript = @'
$m = [System.Threading.Mutex]::new($false, '<MUTEX>')
$held = $false
try { $held = $m.WaitOne(<MUTEX_MS>) } catch { $held = $_.Exception.GetBaseException() -is [System.Threading.AbandonedMutexException] }
if (-not $held) { exit 1 }
$now = [int64](([DateTime]::UtcNow - [DateTime]::new(1970, 1, 1)).TotalSeconds)
if ($now -lt <WAKE_AT>) { exit 0 }
$k = '<KEY>'
$s = Get-ItemProperty -LiteralPath $k -ErrorAction SilentlyContinue
if ($s.Generation -eq <GENERATION>) {
    $w = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon'
    $t = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server'
    $ours = ([int]("0" + $w.WinStationsDisabled) -eq [int]("0" + $s.AppliedWinStationsDisabled)) -and ([int]("0" + $t.TSServerDrainMode) -eq [int]("0" + $s.AppliedTSServerDrainMode))
    if ($ours) {
        $switch = if (Test-Path -LiteralPath '<KEY>\Boot') { '<SWITCH>' } else { '<SWITCH_AFTER_RESTART>' }
        $p = Start-Process -FilePath '<CHGLOGON>' -ArgumentList $switch -PassThru -WindowStyle Hidden
        if (-not $p.WaitForExit(<CHGLOGON_MS>)) { $p.Kill() }
        elseif ($p.ExitCode -eq 0) {
            Remove-ItemProperty -LiteralPath $k -Name @(<STORE_VALUES>)
        }
    }
    else {
        Remove-ItemProperty -LiteralPath $k -Name @(<STORE_VALUES>)
    }
}
Unregister-ScheduledTask -TaskName '<TASK>' -Confirm:$false
'@

Function Get-RegValue([string]$path, [string]$name) {
    # A missing key or value is $null here; reading it as a property of Get-ItemProperty's
    # object would be an error under Set-StrictMode -Version 2.0, which modules run with.
    Get-ItemPropertyValue -LiteralPath $path -Name $name -ErrorAction SilentlyContinue
}

Function Get-LogonValue {
    @{
        WinStationsDisabled = [int]("0" + (Get-RegValue "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon" WinStationsDisabled))
        TSServerDrainMode = [int]("0" + (Get-RegValue "HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server" TSServerDrainMode))
    }
}

Function Get-HoldValue {
    $applied = $null
    $disabled = Get-RegValue $holdsKey AppliedWinStationsDisabled
    if ($null -ne $disabled) {
        $applied = @{
            WinStationsDisabled = [int]$disabled
            TSServerDrainMode = [int]("0" + (Get-RegValue $holdsKey AppliedTSServerDrainMode))
        }
    }
    @{ Holds = (Get-RegValue $holdsKey Holds); Generation = [int]("0" + (Get-RegValue $holdsKey Generation)); Applied = $applied }
}

Function Assert-Switch([string]$switch) {
    # Only chglogon's own switches reach the command line.
    if ($switch -cnotmatch '^/[a-z]+$') { $module.FailJson("not a chglogon switch: '$switch'") }
    $switch
}

Function Undo-Arming([string]$why) {
    # The store and its task go back to what they were, so a failed change leaves no hold
    # without a drain and no drain without an owner (issue 25 item 3); then fail.
    if ($script:armed) {
        if ($null -eq $found.Holds) {
            Remove-ItemProperty -LiteralPath $holdsKey -Name $storeValues -ErrorAction SilentlyContinue
        }
        else {
            Set-ItemProperty -LiteralPath $holdsKey -Name Holds -Value ([string]$found.Holds) -Type String
            Set-ItemProperty -LiteralPath $holdsKey -Name Generation -Value $found.Generation -Type DWord
        }
    }
    if ($script:newTask) { Unregister-ScheduledTask -TaskName $script:newTask -Confirm:$false -ErrorAction SilentlyContinue }
    if ($script:armed) { $why = "$why; the hold store and the release task were put back as they were" }
    $module.FailJson($why)
}

$reading = $module.Params._phase -eq "read" -or $module.CheckMode
if (-not $reading) {
    # One writer at a time on this host, as the Linux target's flock: from the read below
    # to the last write no other run may write the store. The mutex goes with this
    # process. Reads never wait; a write waits a bounded time (_BoundedWait.cs).
    try { $writer = [BoundedWait]::TakeMutex($mutexName, $mutexMs) }
    catch { $module.FailJson("logon_mode: $($_.Exception.GetBaseException().Message)", $_) }
}
$module.Result.before = Get-LogonValue
$module.Result.after = $module.Result.before
$found = Get-HoldValue
$module.Result.holds = $found.Holds
# The controller sends this back as _generation: it is what the compare below checks.
$module.Result.generation = $found.Generation
# What this collection's last change left; the controller compares it with "before".
$module.Result.applied = $found.Applied
$module.Result.restarted = ($null -ne $found.Holds) -and -not (Test-Path -LiteralPath "HKLM:\$bootKey")
# The host's clock, in seconds since the epoch: holds expire by it.
$module.Result.now = [int64](([DateTime]::UtcNow - [DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)).TotalSeconds)
$module.Result.changed = $false
$module.Result.switch = $null
if ($reading) {
    $module.ExitJson()
}

if ($found.Generation -ne $module.Params._generation) {
    $module.Result.conflict = "hold store changed under us (generation $($found.Generation), expected $($module.Params._generation))"
    $module.ExitJson()
}

$keep = $module.Params._write_store -and $null -ne $module.Params._store
$script:armed = $false
$script:newTask = $null
$generation = $module.Params._generation + 1
if ($keep) {
    # Arm first (issue 25 item 3): the store, then its switch, and only then the mode.
    if (-not (Test-Path -LiteralPath $holdsKey)) { New-Item -Path $holdsKey -Force | Out-Null }
    $script:armed = $true
    Set-ItemProperty -LiteralPath $holdsKey -Name Holds -Value ([string]$module.Params._store) -Type String
    Set-ItemProperty -LiteralPath $holdsKey -Name Generation -Value $generation -Type DWord
    if ($module.Params._wake_at) {
        # The dead man's switch ($releaseScript above), armed for this generation: besides
        # this module's own constants, only ints and a checked switch go into its script.
        $restore = Assert-Switch $module.Params._restore_switch
        $afterRestart = Assert-Switch $module.Params._expected["after_restart"]["switch"]
        $wakeAt = [int64]$module.Params._wake_at
        $task = "$taskName $generation"
        $script = $releaseScript.Replace("<MUTEX>", $mutexName).Replace("<KEY>", $holdsKey)
        $script = $script.Replace("<MUTEX_MS>", [string]$mutexMs).Replace("<CHGLOGON_MS>", [string]$chglogonMs)
        $script = $script.Replace("<WAKE_AT>", [string]$wakeAt).Replace("<GENERATION>", [string][int]$generation)
        $script = $script.Replace("<STORE_VALUES>", '"' + ($storeValues -join '", "') + '"')
        $script = $script.Replace("<CHGLOGON>", $chglogon).Replace("<SWITCH>", $restore).Replace("<TASK>", $task)
        $script = $script.Replace("<SWITCH_AFTER_RESTART>", $afterRestart)
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
        $when = [DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc).AddSeconds($wakeAt + 1).ToLocalTime()
        try {
            $action = New-ScheduledTaskAction -Execute "powershell.exe" -Argument "-NoProfile -NonInteractive -EncodedCommand $encoded"
            # At the expiry, and at every start of Windows: TSServerDrainMode outlives a
            # reboot, so the switch must too; the script does nothing before the expiry.
            $triggers = @((New-ScheduledTaskTrigger -Once -At $when), (New-ScheduledTaskTrigger -AtStartup))
            $settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -ExecutionTimeLimit (New-TimeSpan -Minutes 10)
            $principal = New-ScheduledTaskPrincipal -UserId "SYSTEM" -LogonType ServiceAccount -RunLevel Highest
            Register-ScheduledTask -TaskName $task -Action $action -Trigger $triggers -Settings $settings -Principal $principal -Force | Out-Null
        }
        catch { Undo-Arming "could not register the scheduled task '$task' that lifts the hold: $($_.Exception.Message)" }
        $script:newTask = $task
    }
}

$set = $module.Params._set_state
if ($set) {
    $want = $module.Params._expected[$set]
    $same = $true
    # Indexing, not dot access: "values" would also name the dictionary's own property.
    $values = $want["values"]
    foreach ($name in @($values.Keys)) {
        if ($module.Result.before[$name] -ne [int]$values[$name]) { $same = $false }
    }
    if (-not $same) {
        $switch = Assert-Switch $want["switch"]
        # Bounded (_BoundedWait.cs): a hung chglogon is killed and the arming undone. Its
        # stderr is collected by the util, never redirected here (see test_logon_mode_source.py).
        $run = [BoundedWait]::Run($chglogon, $switch, $chglogonMs)
        if ($run["timed_out"]) {
            Undo-Arming "chglogon.exe $switch did not end within $($chglogonMs / 1000) s and was stopped"
        }
        if ($run["rc"] -ne 0) {
            Undo-Arming ("chglogon.exe $switch failed with exit code $($run["rc"]): $($run["stdout"]) $($run["stderr"])".Trim())
        }
        $module.Result.changed = $true
        $module.Result.after = Get-LogonValue
    }
}

$previousTask = "$taskName $($found.Generation)"
if ($keep) {
    if ($set) {
        # What this change left: a later value that differs was set by someone else.
        Set-ItemProperty -LiteralPath $holdsKey -Name AppliedWinStationsDisabled -Value $module.Result.after.WinStationsDisabled -Type DWord
        Set-ItemProperty -LiteralPath $holdsKey -Name AppliedTSServerDrainMode -Value $module.Result.after.TSServerDrainMode -Type DWord
    }
    # Only now that the change is done: undoing the arming must not hide a restart.
    $boot = [Microsoft.Win32.Registry]::LocalMachine.CreateSubKey($bootKey, [Microsoft.Win32.RegistryKeyPermissionCheck]::ReadWriteSubTree, [Microsoft.Win32.RegistryOptions]::Volatile)
    $boot.Dispose()
    if ($script:newTask) {
        # The new task is armed: the previous generation's is not needed any more.
        Unregister-ScheduledTask -TaskName $previousTask -Confirm:$false -ErrorAction SilentlyContinue
        $module.Result.switch = "scheduled_task"
    }
}
elseif ($module.Params._write_store) {
    Remove-ItemProperty -LiteralPath $holdsKey -Name $storeValues -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath "HKLM:\$bootKey" -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $previousTask -Confirm:$false -ErrorAction SilentlyContinue
}
$module.ExitJson()
