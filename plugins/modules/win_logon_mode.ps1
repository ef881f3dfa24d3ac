#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Windows target of termserv.sessions.logon_mode. It reads the two registry values that
# change logon writes, runs chglogon.exe with a fixed switch when the state differs, and
# reads them again. What the values mean is decided on the controller (_logon_mode.py).
$spec = @{
    options = @{
        state = @{ type = "str"; required = $true; choices = @("enabled", "drain", "drain_until_restart", "disabled") }
        msg = @{ type = "str" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$switches = @{ enabled = "/enable"; drain = "/drain"; drain_until_restart = "/drainuntilrestart"; disabled = "/disable" }
$expected = @{ enabled = @(0, 0); drain_until_restart = @(0, 1); drain = @(0, 2); disabled = @(1, -1) }

Function Get-LogonValue {
    $winlogon = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon" -ErrorAction SilentlyContinue
    $ts = Get-ItemProperty -LiteralPath "HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server" -ErrorAction SilentlyContinue
    @{
        WinStationsDisabled = [int]("0" + $winlogon.WinStationsDisabled)
        TSServerDrainMode = [int]("0" + $ts.TSServerDrainMode)
    }
}

$state = $module.Params.state
$before = Get-LogonValue
$want = $expected[$state]
$same = ($before.WinStationsDisabled -eq $want[0]) -and ($want[1] -eq -1 -or $before.TSServerDrainMode -eq $want[1])
$module.Result.before = $before
$module.Result.after = $before
if (-not $same -and -not $module.CheckMode) {
    $chglogon = Join-Path -Path $env:SystemRoot -ChildPath "System32\chglogon.exe"
    $output = & $chglogon $switches[$state] 2>&1
    if ($LASTEXITCODE -ne 0) {
        $module.FailJson("chglogon.exe $($switches[$state]) failed with exit code $($LASTEXITCODE): $output")
    }
    $module.Result.after = Get-LogonValue
}
$module.Result.changed = -not $same
$module.ExitJson()
