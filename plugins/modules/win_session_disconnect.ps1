#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._TargetOptions
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
# A direct call with an option the action plugin never sends fails naming the module to
# call (issue 13.5); _TargetOptions.cs says why these three lines look like this.
$refused = if ($complex_args) { [TargetOptions]::Refused($complex_args, $spec) } else { @() }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
if ($refused) { $module.FailJson([TargetOptions]::Refusal("session_disconnect", $refused)) }
$module.Result.results = @()
if (-not $module.CheckMode -and $module.Params._targets.Count -gt 0) {
    $out = [WtsSession]::Disconnect($module.Params._targets, $module.Params._timeout, $module.Params._audit)
    foreach ($key in $out.Keys) { $module.Result[$key] = $out[$key] }
}
$module.ExitJson()
