#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._TargetOptions
#AnsibleRequires -CSharpUtil ..module_utils._WtsSession

# Windows target of termserv.sessions.session_info: every session, unfiltered (with its
# processes when _processes is set); the controller selects. No _controller: Windows names
# the task's own session itself (ProcessIdToSessionId).
$spec = @{
    options = @{
        _processes = @{ type = "bool"; default = $false }
    }
    supports_check_mode = $true
}
# A direct call with an option the action plugin never sends fails naming the module to
# call (issue 13.5); _TargetOptions.cs says why these three lines look like this.
$refused = if ($complex_args) { [TargetOptions]::Refused($complex_args, $spec) } else { @() }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
if ($refused) { $module.FailJson([TargetOptions]::Refusal("session_info", $refused)) }
$module.Result.sessions = [WtsSession]::ListSessions($module.Params._processes)
$module.Result.own_session_ids = [WtsSession]::OwnSessionIds()
$module.Result.backend = "wts"
$module.Result.is_admin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$module.ExitJson()
