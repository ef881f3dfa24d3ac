// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Test driver: runs the module util's public API on Mono against the fake wtsapi32 and
// prints JSON. Used by tests/windows/wts-driver; not part of the collection.
using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Web.Script.Serialization;
using ansible_collections.termserv.sessions.plugins.module_utils._WtsSession;

public static class Driver
{
    [DllImport("wtsapi32.dll")]
    private static extern void FakeWtsStats(long[] output);

    [DllImport("wtsapi32.dll")]
    private static extern int FakeWtsSizes(int which);

    private static Dictionary<string, object> Stats()
    {
        long[] raw = new long[32];
        FakeWtsStats(raw);
        string[] names = { "allocs_ex", "frees_ex", "allocs", "frees", "bad_frees",
                           "calls_enum", "calls_query", "calls_message", "calls_logoff",
                           "messages_unseen", "calls_probe", "calls_disconnect",
                           "allocs_proc", "frees_proc", "calls_lookup", "stdout_zero_writes" };
        Dictionary<string, object> stats = new Dictionary<string, object>();
        for (int i = 0; i < names.Length; i++)
            stats[names[i]] = raw[i];
        return stats;
    }

    private static IList Targets(List<string> ids, string targetsFile)
    {
        if (targetsFile != null)
            return (IList)new JavaScriptSerializer().DeserializeObject(File.ReadAllText(targetsFile));
        Dictionary<string, Dictionary<string, object>> byId = new Dictionary<string, Dictionary<string, object>>();
        foreach (Dictionary<string, object> s in SessionManager.ListSessions())
            byId[(string)s["id"]] = s;
        ArrayList targets = new ArrayList();
        foreach (string id in ids)
        {
            Dictionary<string, object> t = new Dictionary<string, object>();
            t["id"] = id;
            if (byId.ContainsKey(id))
            {
                t["user"] = byId[id]["user"];
                t["domain"] = byId[id]["domain"];
                t["logon_time"] = byId[id]["logon_time"];
            }
            targets.Add(t);
        }
        return targets;
    }

    private static void Merge(Dictionary<string, object> output, Dictionary<string, object> result)
    {
        foreach (KeyValuePair<string, object> pair in result)
            output[pair.Key] = pair.Value;
    }

    public static int Main(string[] args)
    {
        Dictionary<string, object> output = new Dictionary<string, object>();
        List<string> ids = new List<string>();
        double timeout = 30;
        string title = "Notice", message = "Hello", targetsFile = null;
        bool processes = false;
        string auditFile = null, auditSink = null;
        bool auditFail = false, auditFailFirst = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--timeout") timeout = Double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--title") title = args[++i];
            else if (args[i] == "--msg") message = args[++i];
            else if (args[i] == "--targets") targetsFile = args[++i];
            else if (args[i] == "--processes") processes = true;
            else if (args[i] == "--audit") auditFile = args[++i];
            else if (args[i] == "--audit-sink") auditSink = args[++i];
            else if (args[i] == "--audit-fail") auditFail = true;
            else if (args[i] == "--audit-fail-first") auditFailFirst = true;
            else ids.Add(args[i]);
        }
        // The injectable writer: a JSON line per record into a file, or a failing one. Without
        // either, the real EventLog call runs (Mono: MONO_EVENTLOG_TYPE decides where it goes).
        string sink = auditSink;
        if (sink != null)
            Audit.Writer = delegate (int eventId, string text) {
                Dictionary<string, object> record = new Dictionary<string, object>();
                record["event_id"] = eventId;
                record["message"] = text;
                File.AppendAllText(sink, new JavaScriptSerializer().Serialize(record) + "\n");
            };
        if (auditFail)
            Audit.Writer = delegate (int eventId, string text) { throw new InvalidOperationException("event log full"); };
        if (auditFailFirst)
        {
            // The first write fails, as the first record after CreateEventSource can until
            // Windows has refreshed its sources (issue 25 item 11); then the sink's.
            AuditWriter next = Audit.Writer;
            bool failed = false;
            Audit.Writer = delegate (int eventId, string text) {
                if (!failed)
                {
                    failed = true;
                    throw new ArgumentException("The source 'termserv.sessions' is not registered in log 'Application'");
                }
                next(eventId, text);
            };
        }
        IDictionary audit = auditFile == null ? null
            : (IDictionary)new JavaScriptSerializer().DeserializeObject(File.ReadAllText(auditFile));
        switch (args.Length > 0 ? args[0] : "")
        {
            case "list":
                output["sessions"] = processes ? SessionManager.ListSessions(true) : SessionManager.ListSessions();
                output["own_session_ids"] = SessionManager.OwnSessionIds();
                break;
            case "logoff":
                if (audit == null)
                    output["results"] = SessionManager.Logoff(Targets(ids, targetsFile), timeout);
                else
                    Merge(output, SessionManager.Logoff(Targets(ids, targetsFile), timeout, audit));
                break;
            case "disconnect":
                Merge(output, SessionManager.Disconnect(Targets(ids, targetsFile), timeout, audit));
                break;
            case "message":
                if (audit == null)
                    output["results"] = SessionManager.SendMessage(Targets(ids, targetsFile), title, message);
                else
                    Merge(output, SessionManager.SendMessage(Targets(ids, targetsFile), title, message, audit));
                break;
            case "sizes":
                Type helpers = typeof(SessionManager).Assembly.GetType(
                    "ansible_collections.termserv.sessions.plugins.module_utils._WtsSession.NativeHelpers");
                string[] structs = { "WTS_SESSION_INFO_1W", "WTSINFOW", "WTS_CLIENT_ADDRESS", "WTS_PROCESS_INFO_EXW" };
                for (int k = 0; k < structs.Length; k++)
                {
                    output["cs_" + structs[k]] = Marshal.SizeOf(helpers.GetNestedType(structs[k]));
                    output["c_" + structs[k]] = FakeWtsSizes(k);
                }
                break;
            case "members":
                List<object> members = new List<object>();
                foreach (Type type in typeof(SessionManager).Assembly.GetExportedTypes())
                    foreach (MethodInfo m in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
                        members.Add(new object[] { type.Name, m.Name, m.GetParameters().Length });
                output["members"] = members;
                break;
            default:
                Console.Error.WriteLine("usage: driver list [--processes]|logoff|disconnect|message|sizes|members [--timeout S] [--targets FILE] [IDS...]");
                return 2;
        }
        output["stats"] = Stats();
        Console.WriteLine(new JavaScriptSerializer().Serialize(output));
        return 0;
    }
}
