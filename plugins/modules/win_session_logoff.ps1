#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._WtsSession

# Windows target of termserv.sessions.session_logoff: log off the sessions the controller
# selected, in parallel, after re-checking each one.
$spec = @{
    options = @{
        users = @{ type = "list"; elements = "str"; default = @("*") }
        exclude_users = @{ type = "list"; elements = "str"; default = @() }
        session_ids = @{ type = "list"; elements = "str"; default = @() }
        exclude_session_ids = @{ type = "list"; elements = "str"; default = @() }
        states = @{ type = "list"; elements = "str"; default = @("active", "disconnected") }
        min_idle = @{ type = "raw"; default = 0 }
        min_disconnected = @{ type = "raw"; default = 0 }
        include_console = @{ type = "bool"; default = $false }
        exclude_processes = @{ type = "list"; elements = "str"; default = @() }
        notify_msg = @{ type = "str" }
        notify_title = @{ type = "str"; default = "Logoff notice" }
        grace = @{ type = "raw"; default = 0 }
        timeout = @{ type = "raw"; default = 60 }
        wait = @{ type = "bool"; default = $true }
        audit = @{ type = "bool"; default = $true }
        _targets = @{ type = "list"; elements = "dict"; default = @() }
        _timeout = @{ type = "float"; default = 60.0 }
        _audit = @{ type = "dict" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.results = @()
if (-not $module.CheckMode -and $module.Params._targets.Count -gt 0) {
    $out = [WtsSession]::Logoff($module.Params._targets, $module.Params._timeout, $module.Params._audit)
    foreach ($key in $out.Keys) { $module.Result[$key] = $out[$key] }
}
$module.ExitJson()
