// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// The Windows target modules (win_NAME.ps1) take only the internal options their action
// plugin sends. Called directly with anything else (win_session_info: users: bob) they fail
// naming the user-facing module to call instead (issue 13 item 5), rather than doing their
// job unfiltered or failing with Ansible.Basic's generic "Unsupported parameters".
// PRIVATE to the collection. The Linux targets say the same (module_utils/_spec.py refusal()).
//
// Each .ps1 uses it in three lines around Ansible.Basic's Create:
//   $refused = if ($complex_args) { [TargetOptions]::Refused($complex_args, $spec) } else { @() }
//   $module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
//   if ($refused) { $module.FailJson([TargetOptions]::Refusal("NAME", $refused)) }
// ansible-test's validate-modules runs the .ps1 with no $complex_args and without loading C#
// utils; it never reaches a [TargetOptions] call and still sees the module's own $spec.
// C# 5 only, as _WtsSession.cs.
using System;
using System.Collections;
using System.Collections.Generic;

//TypeAccelerator -Name TargetOptions -TypeName TargetOptions

namespace ansible_collections.termserv.sessions.plugins.module_utils._TargetOptions
{
    public static class TargetOptions
    {
        private const string AnsiblePrefix = "_ansible_";

        // The options of given (the module's raw arguments) that spec["options"] does not take,
        // sorted. Ansible.Basic matches option names ignoring case, so this does too. Each is
        // added to the spec as a raw option, so that Ansible.Basic's Create accepts it and the
        // module can fail with Refusal() as a normal task result (invocation, no_log).
        public static string[] Refused(IDictionary given, IDictionary spec)
        {
            IDictionary options = (IDictionary)spec["options"];
            HashSet<string> known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (object name in options.Keys)
                known.Add(name.ToString());
            List<string> refused = new List<string>();
            foreach (object key in given.Keys)
            {
                string name = key.ToString();
                if (!name.StartsWith(AnsiblePrefix, StringComparison.Ordinal) && !known.Contains(name))
                    refused.Add(name);
            }
            refused.Sort(StringComparer.Ordinal);
            foreach (string name in refused)
            {
                Hashtable raw = new Hashtable();
                raw["type"] = "raw";
                options[name] = raw;
            }
            return refused.ToArray();
        }

        // The error of the Windows target of module (session_info, ...) given refused options.
        public static string Refusal(string module, string[] refused)
        {
            List<string> quoted = new List<string>();
            foreach (string name in refused)
                quoted.Add(String.Format("'{0}'", name));
            return String.Format("win_{0} is the target half of termserv.sessions.{0}; call that module: unsupported option{1} {2}",
                module, refused.Length > 1 ? "s" : "", String.Join(", ", quoted.ToArray()));
        }
    }
}
