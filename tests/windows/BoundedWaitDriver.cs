// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Test driver of module_utils/_BoundedWait.cs on Mono; prints JSON. Not part of the collection.
//   run PATH ARGUMENT TIMEOUT_MS     chglogon's bounded run, on any program
//   hold NAME TIMEOUT_MS             another thread holds the mutex for 3 s; we wait TIMEOUT_MS
//   abandon NAME TIMEOUT_MS          another thread takes the mutex and ends without releasing it
//   members                          public static members (name, parameter count)
using System;
using System.Collections.Generic;
using System.Reflection;
using System.Threading;
using System.Web.Script.Serialization;
using ansible_collections.termserv.sessions.plugins.module_utils._BoundedWait;

public static class BoundedWaitDriver
{
    public static int Main(string[] args)
    {
        Dictionary<string, object> output = new Dictionary<string, object>();
        if (args[0] == "run")
            output = BoundedWait.Run(args[1], args[2], Int32.Parse(args[3]));
        else if (args[0] == "members")
        {
            List<object> members = new List<object>();
            foreach (MethodInfo m in typeof(BoundedWait).GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
                members.Add(new object[] { m.Name, m.GetParameters().Length });
            output["members"] = members;
        }
        else
        {
            string name = args[1];
            ManualResetEvent holding = new ManualResetEvent(false);
            Thread other = new Thread(delegate ()
            {
                Mutex m = new Mutex(false, name);
                m.WaitOne();
                holding.Set();
                if (args[0] == "hold")
                {
                    Thread.Sleep(3000);
                    m.ReleaseMutex();
                }
            });
            other.IsBackground = true;  // the process ends without waiting for the holder
            other.Start();
            holding.WaitOne();
            if (args[0] == "abandon")
                other.Join();
            try
            {
                using (Mutex taken = BoundedWait.TakeMutex(name, Int32.Parse(args[2])))
                {
                    output["taken"] = true;
                    taken.ReleaseMutex();
                }
            }
            catch (TimeoutException e)
            {
                output["taken"] = false;
                output["error"] = e.Message;
            }
        }
        Console.WriteLine(new JavaScriptSerializer().Serialize(output));
        return 0;
    }
}
