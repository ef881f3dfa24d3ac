#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._WtsSession

# Windows target of termserv.sessions.session_disconnect: disconnect the sessions the
# controller selected, in parallel, after re-checking each one; the sessions live on.
# Only internal options: the controller validates and selects (issue 13.5).
$spec = @{
    options = @{
        _targets = @{ type = "list"; elements = "dict"; default = @() }
        _timeout = @{ type = "float"; default = 60.0 }
        _audit = @{ type = "dict" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.results = @()
if (-not $module.CheckMode -and $module.Params._targets.Count -gt 0) {
    $out = [WtsSession]::Disconnect($module.Params._targets, $module.Params._timeout, $module.Params._audit)
    foreach ($key in $out.Keys) { $module.Result[$key] = $out[$key] }
}
$module.ExitJson()
