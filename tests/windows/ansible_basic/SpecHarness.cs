// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
// Feeds a module $spec (as JSON) and module arguments to ansible-core's own Ansible.Basic
// AnsibleModule, the argument validation Windows hosts will run, and prints its result.
// With a third argument (the module's name, session_info...), it runs what each .ps1 runs
// around Create (test_source_checks.py holds the .ps1 files to these three lines): the
// refusal of options the target does not take, plugins/module_utils/_TargetOptions.cs.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Web.Script.Serialization;
using Ansible.Basic;
using ansible_collections.termserv.sessions.plugins.module_utils._TargetOptions;

public static class SpecHarness
{
    private static object Convert(object value)
    {
        IDictionary<string, object> map = value as IDictionary<string, object>;
        if (map != null)
        {
            Hashtable table = new Hashtable();
            foreach (KeyValuePair<string, object> entry in map)
                table[entry.Key] = Convert(entry.Value);
            return table;
        }
        object[] list = value as object[];
        if (list != null)
        {
            List<object> converted = new List<object>();
            foreach (object item in list)
                converted.Add(Convert(item));
            return converted.ToArray();
        }
        return value;
    }

    public static int Main(string[] args)
    {
        IDictionary spec = (IDictionary)Convert(new JavaScriptSerializer().DeserializeObject(File.ReadAllText(args[0])));
        string[] moduleArgs = new string[] { args[1] };
        string[] refused = new string[0];
        if (args.Length > 2)
            refused = TargetOptions.Refused(AnsibleModule.GetParams(moduleArgs), spec);
        AnsibleModule module = AnsibleModule.Create(moduleArgs, spec);
        if (refused.Length > 0)
            module.FailJson(TargetOptions.Refusal(args[2], refused));
        module.Result["params"] = module.Params;
        module.ExitJson();
        return 0;
    }
}
