#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._WtsSession

# Windows target of termserv.sessions.session_message: message boxes in the sessions the
# controller selected, not waiting for an answer.
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
        msg = @{ type = "str"; required = $true }
        title = @{ type = "str"; default = "Message from your administrator" }
        audit = @{ type = "bool"; default = $true }
        _targets = @{ type = "list"; elements = "dict"; default = @() }
        _audit = @{ type = "dict" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.results = @()
if (-not $module.CheckMode -and $module.Params._targets.Count -gt 0) {
    $out = [WtsSession]::SendMessage($module.Params._targets, $module.Params.title, $module.Params.msg, $module.Params._audit)
    foreach ($key in $out.Keys) { $module.Result[$key] = $out[$key] }
}
$module.ExitJson()
