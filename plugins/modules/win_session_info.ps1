#!powershell
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -CSharpUtil ..module_utils._WtsSession

# Windows target of termserv.sessions.session_info: every session, unfiltered (with its
# processes when _processes is set); the controller selects. _controller is accepted and
# not needed here: Windows names the task's own session (ProcessIdToSessionId).
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
        include_processes = @{ type = "bool"; default = $false }
        _processes = @{ type = "bool"; default = $false }
        _controller = @{ type = "dict" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.sessions = [WtsSession]::ListSessions($module.Params._processes)
$module.Result.own_session_ids = [WtsSession]::OwnSessionIds()
$module.Result.backend = "wts"
$module.Result.is_admin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$module.ExitJson()
