// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
// Feeds a module $spec (as JSON) and module arguments to ansible-core's own Ansible.Basic
// AnsibleModule, the argument validation Windows hosts will run, and prints its result.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Web.Script.Serialization;
using Ansible.Basic;

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
        AnsibleModule module = AnsibleModule.Create(new string[] { args[1] }, spec);
        module.Result["params"] = module.Params;
        module.ExitJson();
        return 0;
    }
}
