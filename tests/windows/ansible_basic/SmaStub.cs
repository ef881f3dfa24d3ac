// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
// Stand-ins for the few System.Management.Automation types that ansible-core's Ansible.Basic.cs
// references, so that it compiles and runs on Mono. Nothing here runs PowerShell.
using System.Collections.ObjectModel;
namespace System.Management.Automation
{
    public class PSObject
    {
        public object BaseObject;
        public PSObject(object o) { BaseObject = o; }
    }
    public class InvocationInfo { public string PositionMessage = ""; }
    public class ErrorRecord
    {
        public InvocationInfo InvocationInfo = new InvocationInfo();
        public object CategoryInfo = "";
        public object FullyQualifiedErrorId = "";
        public string ScriptStackTrace = "";
    }
    public class ScriptBlock
    {
        public static ScriptBlock Create(string script) { throw new NotSupportedException("no PowerShell here: " + script); }
        public Collection<PSObject> Invoke(params object[] args) { throw new NotSupportedException(); }
    }
}
namespace System.Management.Automation.Runspaces
{
    public class Runspace
    {
        public static Runspace DefaultRunspace { get { return null; } }
    }
}
