#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._TargetOptions
#AnsibleRequires -PowerShell Ansible.ModuleUtils.CommandUtil

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
        _wake_at = @{ type = "int" }
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
# Held by whoever writes the hold store: this module's apply phase and the switch's task.
$mutexName = "Global\termserv.sessions.LogonHolds"
$taskName = "termserv.sessions logon hold release"
$chglogon = Join-Path -Path $env:SystemRoot -ChildPath "System32\chglogon.exe"
# The dead man's switch, run by the scheduled task as SYSTEM at the last hold's expiry: if
# the store is still the generation it was armed for, put back the original mode and, only
# if chglogon succeeded, drop the store; then the task removes itself. The placeholders get
# the writers' mutex, the key, an int, chglogon's path and a checked switch, nothing else
# (tests/windows/test_logon_switch_script.py parses the filled script).
$releaseScript = @'
$m = [System.Threading.Mutex]::new($false, '<MUTEX>')
try { [void]$m.WaitOne() } catch { $null = $_ }
$k = '<KEY>'
$g = (Get-ItemProperty -LiteralPath $k -ErrorAction SilentlyContinue).Generation
if ($g -eq <GENERATION>) {
    $p = Start-Process -FilePath '<CHGLOGON>' -ArgumentList '<SWITCH>' -Wait -PassThru -WindowStyle Hidden
    if ($p.ExitCode -eq 0) {
        Remove-ItemProperty -LiteralPath $k -Name @("Holds", "Generation")
    }
}
Unregister-ScheduledTask -TaskName '<TASK>' -Confirm:$false
'@

Function Get-LogonValue {
    $winlogon = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon" -ErrorAction SilentlyContinue
    $ts = Get-ItemProperty -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server" -ErrorAction SilentlyContinue
    @{
        WinStationsDisabled = [int]("0" + $winlogon.WinStationsDisabled)
        TSServerDrainMode = [int]("0" + $ts.TSServerDrainMode)
    }
}

Function Get-HoldValue {
    $item = Get-ItemProperty -LiteralPath $holdsKey -ErrorAction SilentlyContinue
    @{ Holds = $item.Holds; Generation = [int]("0" + $item.Generation) }
}

Function Assert-Switch([string]$switch) {
    # Only chglogon's own switches reach the command line.
    if ($switch -cnotmatch '^/[a-z]+$') { $module.FailJson("not a chglogon switch: '$switch'") }
    $switch
}

$reading = $module.Params._phase -eq "read" -or $module.CheckMode
if (-not $reading) {
    # One writer at a time on this host, as the Linux target's flock: from the read below
    # to the last write no other run may write the store. The mutex goes with this
    # process; a waiter then gets it "abandoned", which only means the previous writer
    # has ended. Reads never wait.
    $writer = [System.Threading.Mutex]::new($false, $mutexName)
    try { [void]$writer.WaitOne() }
    catch {
        $abandoned = $_.Exception.GetBaseException() -is [System.Threading.AbandonedMutexException]
        if (-not $abandoned) { throw }
    }
}
$module.Result.before = Get-LogonValue
$module.Result.after = $module.Result.before
$found = Get-HoldValue
$module.Result.holds = $found.Holds
# The controller sends this back as _generation: it is what the compare below checks.
$module.Result.generation = $found.Generation
# The host's clock, in seconds since the epoch: holds expire by it.
$module.Result.now = [int64](([DateTime]::UtcNow - [DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)).TotalSeconds)
$module.Result.changed = $false
if ($reading) {
    $module.ExitJson()
}

if ($found.Generation -ne $module.Params._generation) {
    $module.Result.conflict = "hold store changed under us (generation $($found.Generation), expected $($module.Params._generation))"
    $module.ExitJson()
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
        # Run-Command (Ansible.Process) collects stderr itself: under $ErrorActionPreference
        # = 'Stop' on PowerShell 5.1 a native stderr line would otherwise end the module
        # before the exit code could be read.
        $run = Run-Command -command "`"$chglogon`" $switch"
        if ($run.rc -ne 0) {
            $module.FailJson("chglogon.exe $switch failed with exit code $($run.rc): $($run.stdout) $($run.stderr)".Trim())
        }
        $module.Result.changed = $true
        $module.Result.after = Get-LogonValue
    }
}

$module.Result.switch = $null
if ($module.Params._write_store) {
    if ($null -eq $module.Params._store) {
        Remove-ItemProperty -LiteralPath $holdsKey -Name @("Holds", "Generation") -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $taskName -Confirm:$false -ErrorAction SilentlyContinue
    }
    else {
        if (-not (Test-Path -LiteralPath $holdsKey)) { New-Item -Path $holdsKey -Force | Out-Null }
        $generation = $module.Params._generation + 1
        Set-ItemProperty -LiteralPath $holdsKey -Name Holds -Value ([string]$module.Params._store) -Type String
        Set-ItemProperty -LiteralPath $holdsKey -Name Generation -Value $generation -Type DWord
        if ($module.Params._wake_at) {
            # The dead man's switch ($releaseScript above), armed for this generation: besides
            # this module's own constants, only an int and a checked switch go into its script.
            $restore = Assert-Switch $module.Params._restore_switch
            $script = $releaseScript.Replace("<MUTEX>", $mutexName).Replace("<KEY>", $holdsKey)
            $script = $script.Replace("<GENERATION>", [string][int]$generation)
            $script = $script.Replace("<CHGLOGON>", $chglogon).Replace("<SWITCH>", $restore).Replace("<TASK>", $taskName)
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
            $when = [DateTime]::new(1970, 1, 1, 0, 0, 0, [DateTimeKind]::Utc).AddSeconds($module.Params._wake_at + 1).ToLocalTime()
            $action = New-ScheduledTaskAction -Execute "powershell.exe" -Argument "-NoProfile -NonInteractive -EncodedCommand $encoded"
            $trigger = New-ScheduledTaskTrigger -Once -At $when
            # A host that is off (or rebooting) at the expiry runs the task as soon as it can:
            # TSServerDrainMode outlives a reboot, so the switch must too.
            $settings = New-ScheduledTaskSettingsSet -StartWhenAvailable
            $principal = New-ScheduledTaskPrincipal -UserId "SYSTEM" -LogonType ServiceAccount -RunLevel Highest
            Register-ScheduledTask -TaskName $taskName -Action $action -Trigger $trigger -Settings $settings -Principal $principal -Force | Out-Null
            $module.Result.switch = "scheduled_task"
        }
    }
}
$module.ExitJson()
