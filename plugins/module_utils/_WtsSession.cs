// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Windows target mechanism of termserv.sessions: enumerate sessions (and their processes),
// send messages, log off and disconnect sessions through the WTS API, and write audit
// records to the Application event log. PRIVATE to the collection.
//
// No policy here: which sessions to touch is decided on the controller. This code only
// re-checks that each session given is still the same logon right before acting on it,
// and stops when the controller's end of stdout is gone (Lifeline).
// C# 5 only: Windows PowerShell 5.1 compiles it (no $"", no ?., no nameof, no getter-only
// auto-properties).
using System;
using System.Collections;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

//TypeAccelerator -Name WtsSession -TypeName SessionManager

namespace ansible_collections.termserv.sessions.plugins.module_utils._WtsSession
{
    internal class NativeHelpers
    {
        // The local server (WTS_CURRENT_SERVER_HANDLE is a NULL HANDLE).
        public static readonly IntPtr WTS_CURRENT_SERVER_HANDLE = IntPtr.Zero;

        // WTS_TYPE_CLASS: what WTSFreeMemoryExW is told it frees.
        public const int WTSTypeProcessInfoLevel1 = 1;
        public const int WTSTypeSessionInfoLevel1 = 2;

        // WTS_INFO_CLASS values queried with WTSQuerySessionInformationW.
        public const int WTSClientName = 10;
        public const int WTSClientAddress = 14;
        public const int WTSSessionInfo = 24;

        // WTS_CONNECTSTATE_CLASS
        public const int WTSDisconnected = 4;

        // WTSEnumerateProcessesExW: every session.
        public const int WTS_ANY_SESSION = unchecked((int)0xFFFFFFFE);

        public const int AF_INET = 2;
        public const int AF_INET6 = 23;
        public const int MB_OK = 0;
        public const int STD_OUTPUT_HANDLE = -11;
        public const int FILE_TYPE_PIPE = 3;

        // winerror.h
        public const int ERROR_ACCESS_DENIED = 5;
        public const int ERROR_BROKEN_PIPE = 109;
        public const int ERROR_INSUFFICIENT_BUFFER = 122;
        public const int ERROR_NO_DATA = 232;                       // "The pipe is being closed."
        public const int FilePipeLocalInformation = 24;             // FILE_INFORMATION_CLASS
        public const int FILE_PIPE_DISCONNECTED_STATE = 1;
        public const int FILE_PIPE_CLOSING_STATE = 4;
        public const int STATUS_PIPE_DISCONNECTED = unchecked((int)0xC00000B0);
        public const int STATUS_PIPE_CLOSING = unchecked((int)0xC00000B1);
        public const int STATUS_PIPE_BROKEN = unchecked((int)0xC000014B);
        public const int ERROR_TIMEOUT = 1460;                      // used for our own time-out
        public const int ERROR_CTX_WINSTATION_NOT_FOUND = 7022;     // the session does not exist (any more)
        public const int ERROR_CTX_CLOSE_PENDING = 7007;            // a close (logoff) is already under way
        public const int ERROR_CTX_WINSTATION_BUSY = 7024;          // busy with a connect, disconnect, reset or delete

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        public struct WTS_SESSION_INFO_1W
        {
            public int ExecEnvId;
            public int State;
            public int SessionId;
            public IntPtr pSessionName;
            public IntPtr pHostName;
            public IntPtr pUserName;
            public IntPtr pDomainName;
            public IntPtr pFarmName;
        }

        // wtsapi32.h: WinStationName[WINSTATIONNAME_LENGTH=32], Domain[DOMAIN_LENGTH=17],
        // UserName[USERNAME_LENGTH+1=21]; the LARGE_INTEGERs that follow are 8-aligned.
        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        public struct WTSINFOW
        {
            public int State;
            public int SessionId;
            public int IncomingBytes;
            public int OutgoingBytes;
            public int IncomingFrames;
            public int OutgoingFrames;
            public int IncomingCompressedBytes;
            public int OutgoingCompressedBytes;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 32)]
            public string WinStationName;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 17)]
            public string Domain;
            [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 21)]
            public string UserName;
            public long ConnectTime;
            public long DisconnectTime;
            public long LastInputTime;
            public long LogonTime;
            public long CurrentTime;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct WTS_PROCESS_INFO_EXW
        {
            public int SessionId;
            public int ProcessId;
            public IntPtr pProcessName;
            public IntPtr pUserSid;
            public int NumberOfThreads;
            public int HandleCount;
            public int PagefileUsage;
            public int PeakPagefileUsage;
            public int WorkingSetSize;
            public int PeakWorkingSetSize;
            public long UserTime;
            public long KernelTime;
        }

        // ntdll's IO_STATUS_BLOCK (x64: 16 bytes) and FILE_PIPE_LOCAL_INFORMATION (ten ULONGs).
        [StructLayout(LayoutKind.Sequential)]
        public struct IO_STATUS_BLOCK
        {
            public IntPtr Status;
            public IntPtr Information;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct FILE_PIPE_LOCAL_INFORMATION
        {
            public int NamedPipeType;
            public int NamedPipeConfiguration;
            public int MaximumInstances;
            public int CurrentInstances;
            public int InboundQuota;
            public int ReadDataAvailable;
            public int OutboundQuota;
            public int WriteQuotaAvailable;
            public int NamedPipeState;
            public int NamedPipeEnd;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct WTS_CLIENT_ADDRESS
        {
            public int AddressFamily;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 20)]
            public byte[] Address;
        }
    }

    internal class NativeMethods
    {
        [DllImport("wtsapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern bool WTSEnumerateSessionsExW(IntPtr hServer, ref int pLevel, int Filter,
            out SafeWtsSessionInfo1 ppSessionInfo, out int pCount);

        [DllImport("wtsapi32.dll", SetLastError = true)]
        public static extern bool WTSFreeMemoryExW(int WTSTypeClass, IntPtr pMemory, int NumberOfEntries);

        [DllImport("wtsapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern bool WTSQuerySessionInformationW(IntPtr hServer, int SessionId, int WTSInfoClass,
            out SafeWtsMemory ppBuffer, out int pBytesReturned);

        [DllImport("wtsapi32.dll")]
        public static extern void WTSFreeMemory(IntPtr pMemory);

        [DllImport("wtsapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern bool WTSSendMessageW(IntPtr hServer, int SessionId, string pTitle, int TitleLength,
            string pMessage, int MessageLength, int Style, int Timeout, out int pResponse, bool bWait);

        [DllImport("wtsapi32.dll", SetLastError = true)]
        public static extern bool WTSLogoffSession(IntPtr hServer, int SessionId, bool bWait);

        [DllImport("wtsapi32.dll", SetLastError = true)]
        public static extern bool WTSDisconnectSession(IntPtr hServer, int SessionId, bool bWait);

        [DllImport("wtsapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern bool WTSEnumerateProcessesExW(IntPtr hServer, ref int pLevel, int SessionId,
            out SafeWtsProcessInfo1 ppProcessInfo, out int pCount);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern bool LookupAccountSidW(string lpSystemName, IntPtr Sid, StringBuilder Name,
            ref int cchName, StringBuilder ReferencedDomainName, ref int cchReferencedDomainName, out int peUse);

        [DllImport("kernel32.dll")]
        public static extern int WTSGetActiveConsoleSessionId();

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern bool ProcessIdToSessionId(int dwProcessId, out int pSessionId);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern IntPtr GetStdHandle(int nStdHandle);

        [DllImport("kernel32.dll", SetLastError = true)]
        public static extern int GetFileType(IntPtr hFile);

        [DllImport("ntdll.dll")]
        public static extern int NtQueryInformationFile(IntPtr FileHandle, out NativeHelpers.IO_STATUS_BLOCK IoStatusBlock,
            out NativeHelpers.FILE_PIPE_LOCAL_INFORMATION FileInformation, int Length, int FileInformationClass);
    }

    /// <summary>A buffer from WTSQuerySessionInformationW: freed with WTSFreeMemory.</summary>
    internal class SafeWtsMemory : SafeHandle
    {
        public SafeWtsMemory() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.WTSFreeMemory(handle);
            return true;
        }
    }

    /// <summary>The array from WTSEnumerateSessionsExW: freed with WTSFreeMemoryExW.</summary>
    internal class SafeWtsSessionInfo1 : SafeHandle
    {
        public int Count;

        public SafeWtsSessionInfo1() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            return NativeMethods.WTSFreeMemoryExW(NativeHelpers.WTSTypeSessionInfoLevel1, handle, Count);
        }
    }

    /// <summary>Is the controller still there? (INTERFACES.md: target-side lifeline, issue 17)</summary>
    public class Lifeline
    {
        /// <summary>True when the reader of this process's stdout is gone.</summary>
        /// <remarks>Over SSH, stdout is a pipe to sshd, which closes it when the controller's
        /// connection drops; the pipe's own state then says so: FILE_PIPE_LOCAL_INFORMATION's
        /// NamedPipeState is FILE_PIPE_CLOSING_STATE (or the query answers a pipe status of the
        /// same meaning). Nothing is written: a zero-byte write would reach the reader as a
        /// zero-byte read, which Ansible's become path (StreamReader.ReadToEnd) takes for the end
        /// of the module's output (issue 25 item 10). Anything else (not a pipe, no handle, the
        /// query refused) is "not known to be gone": WinRM and PSRP keep the shell, and its
        /// pipes, open after the controller dies, so there this never fires (docs/windows.md).</remarks>
        public static bool StdoutGone()
        {
            IntPtr stdout = NativeMethods.GetStdHandle(NativeHelpers.STD_OUTPUT_HANDLE);
            if (stdout == IntPtr.Zero || stdout == new IntPtr(-1))
                return false;
            if (NativeMethods.GetFileType(stdout) != NativeHelpers.FILE_TYPE_PIPE)
                return false;
            NativeHelpers.IO_STATUS_BLOCK status;
            NativeHelpers.FILE_PIPE_LOCAL_INFORMATION pipe;
            int result = NativeMethods.NtQueryInformationFile(stdout, out status, out pipe,
                Marshal.SizeOf(typeof(NativeHelpers.FILE_PIPE_LOCAL_INFORMATION)), NativeHelpers.FilePipeLocalInformation);
            if (result == NativeHelpers.STATUS_PIPE_BROKEN || result == NativeHelpers.STATUS_PIPE_CLOSING
                || result == NativeHelpers.STATUS_PIPE_DISCONNECTED)
                return true;
            if (result != 0)
                return false;
            return pipe.NamedPipeState == NativeHelpers.FILE_PIPE_CLOSING_STATE
                || pipe.NamedPipeState == NativeHelpers.FILE_PIPE_DISCONNECTED_STATE;
        }
    }

    /// <summary>The array from WTSEnumerateProcessesExW level 1: freed with WTSFreeMemoryExW(WTSTypeProcessInfoLevel1).</summary>
    internal class SafeWtsProcessInfo1 : SafeHandle
    {
        public int Count;

        public SafeWtsProcessInfo1() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            return NativeMethods.WTSFreeMemoryExW(NativeHelpers.WTSTypeProcessInfoLevel1, handle, Count);
        }
    }

    /// <summary>Writes one audit record; throws when it cannot.</summary>
    public delegate void AuditWriter(int eventId, string message);

    /// <summary>Audit records in the Application event log (INTERFACES.md: _audit).</summary>
    /// <remarks>Source "termserv.sessions", registered on first use (that needs administrator
    /// rights, which logoff needs anyway). Event ids: 1001 logoff requested, 1002 notice
    /// sent, 1003 disconnect requested (docs/windows.md). A failure to write never stops the
    /// action: it becomes "audit_warning" in the module result.</remarks>
    public class Audit
    {
        public const string Source = "termserv.sessions";
        public const string LogName = "Application";
        public const int EventLogoff = 1001;
        public const int EventNotice = 1002;
        public const int EventDisconnect = 1003;

        /// <summary>Where records go; the tests replace it, Windows uses the event log.</summary>
        public static AuditWriter Writer = WriteEventLog;
        private const int RetryMilliseconds = 200;

        private IDictionary _request;
        private string _warning;

        public Audit(IDictionary request)
        {
            _request = request;
        }

        /// <summary>null when every record was written (or none was asked for).</summary>
        public string Warning { get { return _warning; } }

        public static void WriteEventLog(int eventId, string message)
        {
            if (!EventLog.SourceExists(Source))
                EventLog.CreateEventSource(Source, LogName);
            EventLog.WriteEntry(Source, message, EventLogEntryType.Information, eventId);
        }

        private static string Field(IDictionary d, string key)
        {
            object value = d != null && d.Contains(key) ? d[key] : null;
            return value == null ? "" : value.ToString();
        }

        /// <summary>One record for one action on one session; nothing when no audit was asked for.</summary>
        public void Record(int eventId, string action, IDictionary target)
        {
            if (_request == null)
                return;
            string user = Field(target, "domain").Length > 0
                ? Field(target, "domain") + "\\" + Field(target, "user") : Field(target, "user");
            string message = String.Format(
                "termserv.sessions: {0} of session {1} (user {2}, logon {3}); reason: {4}; forced: false; "
                + "requested by {5}; run {6}",
                action, Field(target, "id"), user, Field(target, "logon_time"),
                Field(target, "reason").Length > 0 ? Field(target, "reason") : "selected",
                Field(_request, "requester"), Field(_request, "run_id"));
            try
            {
                try
                {
                    Writer(eventId, message);
                }
                catch (Exception)
                {
                    // The first record after CreateEventSource can fail until Windows has
                    // refreshed its list of sources: once more, a moment later.
                    Thread.Sleep(RetryMilliseconds);
                    Writer(eventId, message);
                }
            }
            catch (Exception e)
            {
                if (_warning == null)
                    _warning = String.Format("could not write to the {0} event log as {1}: {2}", LogName, Source, e.Message);
            }
        }

        /// <summary>The module's result: {"results": ..., "audit_warning": ... when one failed}.</summary>
        public Dictionary<string, object> Output(List<Dictionary<string, object>> results)
        {
            Dictionary<string, object> output = new Dictionary<string, object>();
            output["results"] = results;
            if (_warning != null)
                output["audit_warning"] = _warning;
            return output;
        }
    }

    public class WtsException : Win32Exception
    {
        private string _context;

        public WtsException(string context) : this(Marshal.GetLastWin32Error(), context) { }

        public WtsException(int code, string context) : base(code)
        {
            _context = context;
        }

        public override string Message
        {
            get { return String.Format("{0}: {1} (Win32 error 0x{2:X8})", _context, base.Message, NativeErrorCode); }
        }
    }

    public class SessionManager
    {
        // WTS_CONNECTSTATE_CLASS, in order, as design.md names them.
        private static readonly string[] StateNames = new string[] {
            "active", "connected", "connect_query", "shadow", "disconnected",
            "idle", "listen", "reset", "down", "init" };

        private const int PollMilliseconds = 100;

        // The last FILETIME a DateTime can hold (9999-12-31T23:59:59.9999999Z).
        private static readonly long MaxFileTime = DateTime.MaxValue.ToFileTimeUtc();

        public const string Abandoned = "the controller went away; stopped";
        public const string NoDesktop = "disconnected: no desktop to show the message";

        public static string StateName(int state)
        {
            return state >= 0 && state < StateNames.Length ? StateNames[state] : "unknown";
        }

        /// <summary>A FILETIME that names a time: not 0 ("never"), not negative, not past 9999.</summary>
        public static bool ValidFileTime(long fileTime)
        {
            return fileTime > 0 && fileTime <= MaxFileTime;
        }

        /// <summary>FILETIME (100 ns ticks since 1601-01-01 UTC) as ISO 8601 UTC; null for 0 or out of range.</summary>
        public static string FileTimeToIso(long fileTime)
        {
            if (!ValidFileTime(fileTime))
                return null;
            return DateTime.FromFileTimeUtc(fileTime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'",
                System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>Whole seconds from one FILETIME to a later one, never negative.</summary>
        public static long Seconds(long from, long to)
        {
            long ticks = to - from;
            return ticks > 0 ? ticks / 10000000L : 0;
        }

        /// <summary>Seconds from one FILETIME to another; null when either is not a valid time.</summary>
        private static object SecondsOrNull(long from, long to)
        {
            if (!ValidFileTime(from) || !ValidFileTime(to))
                return null;
            return Seconds(from, to);
        }

        /// <summary>Idle seconds as Cassia counts them.</summary>
        /// <remarks>Windows resets LastInputTime to 0 when a session disconnects, so a
        /// disconnected session is idle since its DisconnectTime (null when that is unknown, so
        /// that min_idle never selects it). Otherwise CurrentTime - LastInputTime, and 0 when no
        /// input has been recorded yet.</remarks>
        public static object IdleSeconds(int state, long lastInput, long disconnect, long current)
        {
            if (state == NativeHelpers.WTSDisconnected)
                return SecondsOrNull(disconnect, current);
            if (lastInput == 0)
                return ValidFileTime(current) ? (object)0L : null;
            return SecondsOrNull(lastInput, current);
        }

        private static T Query<T>(int sessionId, int infoClass)
        {
            SafeWtsMemory buffer;
            int bytes;
            if (!NativeMethods.WTSQuerySessionInformationW(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, sessionId,
                infoClass, out buffer, out bytes))
                throw new WtsException(String.Format("WTSQuerySessionInformationW({0}, {1})", sessionId, infoClass));
            using (buffer)
            {
                return (T)Marshal.PtrToStructure(buffer.DangerousGetHandle(), typeof(T));
            }
        }

        private static string QueryString(int sessionId, int infoClass)
        {
            SafeWtsMemory buffer;
            int bytes;
            if (!NativeMethods.WTSQuerySessionInformationW(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, sessionId,
                infoClass, out buffer, out bytes))
                throw new WtsException(String.Format("WTSQuerySessionInformationW({0}, {1})", sessionId, infoClass));
            using (buffer)
            {
                return Marshal.PtrToStringUni(buffer.DangerousGetHandle()) ?? "";
            }
        }

        private static string ClientAddress(int sessionId)
        {
            NativeHelpers.WTS_CLIENT_ADDRESS address = Query<NativeHelpers.WTS_CLIENT_ADDRESS>(sessionId,
                NativeHelpers.WTSClientAddress);
            if (address.AddressFamily == NativeHelpers.AF_INET && address.Address != null)  // IPv4: bytes 2..5
                return String.Format("{0}.{1}.{2}.{3}", address.Address[2], address.Address[3],
                    address.Address[4], address.Address[5]);
            if (address.AddressFamily == NativeHelpers.AF_INET6 && address.Address != null)  // IPv6: bytes 0..15
            {
                byte[] v6 = new byte[16];
                Array.Copy(address.Address, v6, 16);
                return new System.Net.IPAddress(v6).ToString();
            }
            return "";
        }

        /// <summary>What one WTSEnumerateSessionsExW entry says about a session.</summary>
        public class Entry
        {
            public int Id;
            public int State;
            public string Station;
            public string User;
            public string Domain;
        }

        private static string Str(IntPtr p)
        {
            return p == IntPtr.Zero ? "" : (Marshal.PtrToStringUni(p) ?? "");
        }

        /// <summary>Every session as enumerated (one WTSEnumerateSessionsExW call).</summary>
        public static List<Entry> Enumerate()
        {
            int level = 1;
            SafeWtsSessionInfo1 buffer;
            int count;
            if (!NativeMethods.WTSEnumerateSessionsExW(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, ref level, 0,
                out buffer, out count))
                throw new WtsException("WTSEnumerateSessionsExW");
            List<Entry> entries = new List<Entry>();
            using (buffer)
            {
                buffer.Count = count;
                int size = Marshal.SizeOf(typeof(NativeHelpers.WTS_SESSION_INFO_1W));
                IntPtr start = buffer.DangerousGetHandle();
                for (int i = 0; i < count; i++)
                {
                    NativeHelpers.WTS_SESSION_INFO_1W info = (NativeHelpers.WTS_SESSION_INFO_1W)Marshal.PtrToStructure(
                        new IntPtr(start.ToInt64() + (long)i * size), typeof(NativeHelpers.WTS_SESSION_INFO_1W));
                    Entry entry = new Entry();
                    entry.Id = info.SessionId;
                    entry.State = info.State;
                    entry.Station = Str(info.pSessionName);
                    entry.User = Str(info.pUserName);
                    entry.Domain = Str(info.pDomainName);
                    entries.Add(entry);
                }
            }
            return entries;
        }

        /// <summary>Every session, unfiltered, in design.md's schema.</summary>
        public static List<Dictionary<string, object>> ListSessions()
        {
            return ListSessions(false);
        }

        /// <summary>Every session; with processes, each gets "processes" (INTERFACES.md).</summary>
        public static List<Dictionary<string, object>> ListSessions(bool processes)
        {
            int console = NativeMethods.WTSGetActiveConsoleSessionId();
            Dictionary<int, List<Dictionary<string, object>>> bySession = processes ? Processes() : null;
            List<Dictionary<string, object>> sessions = new List<Dictionary<string, object>>();
            foreach (Entry entry in Enumerate())
            {
                Dictionary<string, object> session = Describe(entry, console);
                if (session == null)
                    continue;
                if (bySession != null)
                {
                    List<Dictionary<string, object>> mine;
                    session["processes"] = bySession.TryGetValue(entry.Id, out mine) ? mine
                        : new List<Dictionary<string, object>>();
                }
                sessions.Add(session);
            }
            return sessions;
        }

        /// <summary>"DOMAIN\\user" of a SID, or "" when it maps to no account.</summary>
        private static string AccountName(IntPtr sid)
        {
            if (sid == IntPtr.Zero)
                return "";
            StringBuilder name = new StringBuilder(256);
            StringBuilder domain = new StringBuilder(256);
            int nameLength = name.Capacity, domainLength = domain.Capacity, use;
            if (!NativeMethods.LookupAccountSidW(null, sid, name, ref nameLength, domain, ref domainLength, out use))
            {
                if (Marshal.GetLastWin32Error() != NativeHelpers.ERROR_INSUFFICIENT_BUFFER)
                    return "";
                name = new StringBuilder(nameLength);
                domain = new StringBuilder(domainLength);
                if (!NativeMethods.LookupAccountSidW(null, sid, name, ref nameLength, domain, ref domainLength, out use))
                    return "";
            }
            return domain.Length > 0 ? domain.ToString() + "\\" + name.ToString() : name.ToString();
        }

        private static string CachedAccountName(IntPtr sid, Dictionary<string, string> accounts)
        {
            if (sid == IntPtr.Zero)
                return "";
            string key = new System.Security.Principal.SecurityIdentifier(sid).Value;
            string name;
            if (!accounts.TryGetValue(key, out name))
            {
                name = AccountName(sid);
                accounts[key] = name;
            }
            return name;
        }

        /// <summary>Every process of every session, in one WTSEnumerateProcessesExW call.</summary>
        /// <remarks>"name" is the WTS process name (the image file name), "argv0" is "": Windows
        /// keeps no argv[0] apart from the command line, which we do not read.</remarks>
        public static Dictionary<int, List<Dictionary<string, object>>> Processes()
        {
            int level = 1;
            SafeWtsProcessInfo1 buffer;
            int count;
            if (!NativeMethods.WTSEnumerateProcessesExW(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, ref level,
                NativeHelpers.WTS_ANY_SESSION, out buffer, out count))
                throw new WtsException("WTSEnumerateProcessesExW");
            Dictionary<int, List<Dictionary<string, object>>> bySession = new Dictionary<int, List<Dictionary<string, object>>>();
            // One LookupAccountSidW per SID, not per process: each can be a round trip to a
            // domain controller, and a host has hundreds of processes of a few accounts.
            Dictionary<string, string> accounts = new Dictionary<string, string>();
            using (buffer)
            {
                buffer.Count = count;
                int size = Marshal.SizeOf(typeof(NativeHelpers.WTS_PROCESS_INFO_EXW));
                IntPtr start = buffer.DangerousGetHandle();
                for (int i = 0; i < count; i++)
                {
                    NativeHelpers.WTS_PROCESS_INFO_EXW info = (NativeHelpers.WTS_PROCESS_INFO_EXW)Marshal.PtrToStructure(
                        new IntPtr(start.ToInt64() + (long)i * size), typeof(NativeHelpers.WTS_PROCESS_INFO_EXW));
                    Dictionary<string, object> process = new Dictionary<string, object>();
                    process["pid"] = info.ProcessId;
                    process["name"] = Str(info.pProcessName);
                    process["user"] = CachedAccountName(info.pUserSid, accounts);
                    process["argv0"] = "";
                    List<Dictionary<string, object>> list;
                    if (!bySession.TryGetValue(info.SessionId, out list))
                    {
                        list = new List<Dictionary<string, object>>();
                        bySession[info.SessionId] = list;
                    }
                    list.Add(process);
                }
            }
            return bySession;
        }

        /// <summary>One session in design.md's schema; null when it ended while we looked.</summary>
        private static Dictionary<string, object> Describe(Entry entry, int console)
        {
            int id = entry.Id;
            Dictionary<string, object> session = new Dictionary<string, object>();
            session["id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Names from the enumeration: WTSINFOW's fixed arrays cut user names at 20 and
            // domains at 16 characters, and a cut name would make an exclusion miss.
            session["user"] = entry.User;
            session["domain"] = entry.Domain;
            session["state"] = StateName(entry.State);
            session["station"] = entry.Station;
            session["client"] = "";
            session["logon_time"] = null;
            session["idle_seconds"] = null;
            session["disconnected_seconds"] = null;
            session["console"] = id == console;
            session["pid"] = null;
            NativeHelpers.WTSINFOW info;
            try
            {
                info = Query<NativeHelpers.WTSINFOW>(id, NativeHelpers.WTSSessionInfo);
            }
            catch (WtsException e)
            {
                if (e.NativeErrorCode == NativeHelpers.ERROR_CTX_WINSTATION_NOT_FOUND)
                    return null;  // ended since the enumeration: not a session any more
                // Access denied (seen on consoles): keep what the enumeration said; times stay
                // unknown, so min_idle never selects it.
                return session;
            }
            // Each time on its own: one out-of-range FILETIME is one null, not a failed listing.
            session["logon_time"] = FileTimeToIso(info.LogonTime);
            session["idle_seconds"] = IdleSeconds(entry.State, info.LastInputTime, info.DisconnectTime, info.CurrentTime);
            if (entry.State == NativeHelpers.WTSDisconnected)
                session["disconnected_seconds"] = SecondsOrNull(info.DisconnectTime, info.CurrentTime);
            string client = "";
            try
            {
                client = QueryString(id, NativeHelpers.WTSClientName);
                if (client.Length == 0)
                    client = ClientAddress(id);
            }
            catch (WtsException) { }
            session["client"] = client;
            return session;
        }

        /// <summary>The session this process runs in (the Ansible task's own).</summary>
        public static List<string> OwnSessionIds()
        {
            List<string> own = new List<string>();
            int sessionId;
            if (NativeMethods.ProcessIdToSessionId(Process.GetCurrentProcess().Id, out sessionId))
                own.Add(sessionId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return own;
        }

        private static string Text(IDictionary target, string key)
        {
            object value = target.Contains(key) ? target[key] : null;
            return value == null ? null : value.ToString();
        }

        private static Dictionary<string, object> Result(string id, string result, int code, string error)
        {
            Dictionary<string, object> r = new Dictionary<string, object>();
            r["id"] = id;
            r["result"] = result;
            r["error_code"] = code;
            r["error"] = error ?? "";
            return r;
        }

        /// <summary>The result of a failed WTS call on one session: 7022 means it is gone.</summary>
        private static Dictionary<string, object> Failed(string id, string call)
        {
            return Failed(id, call, Marshal.GetLastWin32Error());
        }

        private static Dictionary<string, object> Failed(string id, string call, int code)
        {
            WtsException e = new WtsException(code, call);
            if (e.NativeErrorCode == NativeHelpers.ERROR_CTX_WINSTATION_NOT_FOUND)
                return Result(id, "gone", 0, null);
            return Result(id, "error", e.NativeErrorCode, e.Message);
        }

        /// <summary>null when target is still the same logon; else "gone" or "identity_changed".</summary>
        public static string CheckIdentity(IDictionary target, Dictionary<string, Dictionary<string, object>> now)
        {
            string id = Text(target, "id");
            Dictionary<string, object> session;
            if (id == null || !now.TryGetValue(id, out session))
                return "gone";
            if (!String.Equals((string)session["user"], Text(target, "user") ?? "", StringComparison.OrdinalIgnoreCase))
                return "identity_changed";
            if (!String.Equals((string)session["domain"], Text(target, "domain") ?? "", StringComparison.OrdinalIgnoreCase))
                return "identity_changed";
            if (!String.Equals(session["logon_time"] as string, Text(target, "logon_time"), StringComparison.Ordinal))
                return "identity_changed";
            return null;
        }

        private static Dictionary<string, Dictionary<string, object>> ById()
        {
            Dictionary<string, Dictionary<string, object>> byId = new Dictionary<string, Dictionary<string, object>>();
            foreach (Dictionary<string, object> s in ListSessions())
                byId[(string)s["id"]] = s;
            return byId;
        }

        /// <summary>Has the logon in target ended? Its id may already belong to a new logon.</summary>
        /// <remarks>Ended when the id is not enumerated, is enumerated with another user or
        /// domain, or its logon time is not the target's (the same user logged on again, or the
        /// console respawned). A query that fails otherwise (access denied) is "not known to
        /// have ended": the poll goes on until the timeout.</remarks>
        private static bool Ended(IDictionary target, Dictionary<int, Entry> present)
        {
            Entry entry;
            if (!present.TryGetValue(Int32.Parse(Text(target, "id")), out entry))
                return true;
            if (!String.Equals(entry.User, Text(target, "user") ?? "", StringComparison.OrdinalIgnoreCase)
                || !String.Equals(entry.Domain, Text(target, "domain") ?? "", StringComparison.OrdinalIgnoreCase))
                return true;
            NativeHelpers.WTSINFOW info;
            try
            {
                info = Query<NativeHelpers.WTSINFOW>(entry.Id, NativeHelpers.WTSSessionInfo);
            }
            catch (WtsException e)
            {
                return e.NativeErrorCode == NativeHelpers.ERROR_CTX_WINSTATION_NOT_FOUND;
            }
            // LogonTime reads 0 while a session is torn down: not another logon, not yet ended.
            if (info.LogonTime == 0)
                return false;
            return !String.Equals(FileTimeToIso(info.LogonTime), Text(target, "logon_time"), StringComparison.Ordinal);
        }

        /// <summary>Show a message box in each target session, not waiting for an answer.</summary>
        public static List<Dictionary<string, object>> SendMessage(IList targets, string title, string message)
        {
            return SendMessage(targets, title, message, new Audit(null));
        }

        /// <summary>SendMessage with audit records: {"results", "audit_warning"?}.</summary>
        public static Dictionary<string, object> SendMessage(IList targets, string title, string message, IDictionary audit)
        {
            Audit log = new Audit(audit);
            return log.Output(SendMessage(targets, title, message, log));
        }

        private static List<Dictionary<string, object>> SendMessage(IList targets, string title, string message, Audit log)
        {
            List<Dictionary<string, object>> results = new List<Dictionary<string, object>>();
            Dictionary<string, Dictionary<string, object>> now = ById();
            foreach (object item in targets)
            {
                IDictionary target = (IDictionary)item;
                string id = Text(target, "id");
                if (Lifeline.StdoutGone())
                {
                    results.Add(Result(id, "abandoned", 0, Abandoned));
                    continue;
                }
                string changed = CheckIdentity(target, now);
                if (changed != null)
                {
                    results.Add(Result(id, changed, 0, null));
                    continue;
                }
                int response;
                // Lengths are in BYTES, not characters.
                bool sent = NativeMethods.WTSSendMessageW(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, Int32.Parse(id),
                    title, title.Length * 2, message, message.Length * 2, NativeHelpers.MB_OK, 0, out response, false);
                if (sent)
                    log.Record(Audit.EventNotice, "notice", target);
                results.Add(sent ? Result(id, "delivered", 0, null) : Failed(id, "WTSSendMessageW"));
            }
            // A disconnected session has no desktop: nobody sees a message there, whether Windows
            // accepts it (WTSSendMessageW's documentation does not say) or refuses it (as
            // Send-RDUserMessage is reported to, MicrosoftDocs issue 2318). Look after sending
            // (a session may also disconnect while the message is on its way): a message to a
            // session disconnected now is "not_delivered", with Windows' code if it refused.
            Dictionary<int, Entry> after = null;
            foreach (Dictionary<string, object> r in results)
            {
                string outcome = (string)r["result"];
                if (outcome != "delivered" && outcome != "error")
                    continue;
                if (after == null)
                {
                    after = new Dictionary<int, Entry>();
                    foreach (Entry entry in Enumerate())
                        after[entry.Id] = entry;
                }
                Entry now_entry;
                if (after.TryGetValue(Int32.Parse((string)r["id"]), out now_entry)
                    && now_entry.State == NativeHelpers.WTSDisconnected)
                {
                    r["result"] = "not_delivered";
                    r["error"] = outcome == "error" ? NoDesktop + ": " + (string)r["error"] : NoDesktop;
                }
            }
            return results;
        }

        /// <summary>What differs between logging off and disconnecting. The walk over the
        /// targets, the identity re-check, the lifeline and the polling are one code path
        /// (Act), so that a fix to one action cannot miss the other.</summary>
        private sealed class SessionAction
        {
            /// <summary>The API call, named in an error.</summary>
            public string Api;
            public Func<int, bool> Start;
            public int AuditEvent;
            public string AuditAction;
            /// <summary>The result of a target that is done, or null while it is pending.</summary>
            public Func<IDictionary, Dictionary<int, Entry>, string> Done;
            /// <summary>The result a target already in the action's end state gets without a call (null: none).</summary>
            public string AlreadyDone;
            /// <summary>The flag every finished result carries (forced, already).</summary>
            public string Flag;
            public string StillThere;
        }

        // bWait FALSE for both: with TRUE the call can block for ever on a stuck session, and
        // the sessions would be acted on one after the other instead of all at once.
        private static readonly SessionAction LogoffAction = new SessionAction
        {
            Api = "WTSLogoffSession",
            Start = delegate (int id) { return NativeMethods.WTSLogoffSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, false); },
            AuditEvent = Audit.EventLogoff,
            AuditAction = "logoff",
            Done = delegate (IDictionary target, Dictionary<int, Entry> present) { return Ended(target, present) ? "logged_off" : null; },
            AlreadyDone = null,
            Flag = "forced",
            StillThere = "the session was still there after {0}s",
        };

        // A disconnect is done when the logon is there in the disconnected state; "gone" when
        // the logon ended meanwhile (id absent or taken by another logon).
        private static readonly SessionAction DisconnectAction = new SessionAction
        {
            Api = "WTSDisconnectSession",
            Start = delegate (int id) { return NativeMethods.WTSDisconnectSession(NativeHelpers.WTS_CURRENT_SERVER_HANDLE, id, false); },
            AuditEvent = Audit.EventDisconnect,
            AuditAction = "disconnect",
            Done = delegate (IDictionary target, Dictionary<int, Entry> present)
            {
                if (Ended(target, present))
                    return "gone";
                return present[Int32.Parse(Text(target, "id"))].State == NativeHelpers.WTSDisconnected ? "disconnected" : null;
            },
            AlreadyDone = "disconnected",
            Flag = "already",
            StillThere = "the session was still connected after {0}s",
        };

        /// <summary>Disconnect every target in parallel (the session lives on) and wait until each is disconnected.</summary>
        /// <remarks>A target already disconnected is "disconnected" without a call.</remarks>
        public static List<Dictionary<string, object>> Disconnect(IList targets, double timeoutSeconds)
        {
            return Act(DisconnectAction, targets, timeoutSeconds, new Audit(null));
        }

        /// <summary>Disconnect with audit records: {"results", "audit_warning"?}.</summary>
        public static Dictionary<string, object> Disconnect(IList targets, double timeoutSeconds, IDictionary audit)
        {
            Audit log = new Audit(audit);
            return log.Output(Act(DisconnectAction, targets, timeoutSeconds, log));
        }

        /// <summary>Log off every target in parallel and wait until each is gone or the timeout passes.</summary>
        public static List<Dictionary<string, object>> Logoff(IList targets, double timeoutSeconds)
        {
            return Act(LogoffAction, targets, timeoutSeconds, new Audit(null));
        }

        /// <summary>Logoff with audit records: {"results", "audit_warning"?}.</summary>
        public static Dictionary<string, object> Logoff(IList targets, double timeoutSeconds, IDictionary audit)
        {
            Audit log = new Audit(audit);
            return log.Output(Act(LogoffAction, targets, timeoutSeconds, log));
        }

        /// <summary>Start the action on every target at once, then poll until each is done or the timeout passes.</summary>
        private static List<Dictionary<string, object>> Act(SessionAction action, IList targets, double timeoutSeconds, Audit log)
        {
            List<Dictionary<string, object>> results = new List<Dictionary<string, object>>();
            Dictionary<string, Dictionary<string, object>> now = ById();
            Dictionary<string, IDictionary> pending = new Dictionary<string, IDictionary>();
            string disconnected = StateName(NativeHelpers.WTSDisconnected);
            Stopwatch clock = Stopwatch.StartNew();
            foreach (object item in targets)
            {
                IDictionary target = (IDictionary)item;
                string id = Text(target, "id");
                if (Lifeline.StdoutGone())
                {
                    results.Add(Result(id, "abandoned", 0, Abandoned));
                    continue;
                }
                string changed = CheckIdentity(target, now);
                if (changed != null)
                {
                    results.Add(Result(id, changed, 0, null));
                    continue;
                }
                if (((string)now[id]["user"]).Length == 0)
                {
                    // Never the services session or a listener, whatever the caller says.
                    results.Add(Result(id, "error", NativeHelpers.ERROR_ACCESS_DENIED, "refused: the session has no user"));
                    continue;
                }
                if (action.AlreadyDone != null && (string)now[id]["state"] == disconnected)
                {
                    results.Add(Finished(id, action.AlreadyDone, 0.0, action.Flag, true));
                    continue;
                }
                bool started = action.Start(Int32.Parse(id));
                int code = started ? 0 : Marshal.GetLastWin32Error();
                // 7007 and 7024: the session is already closing, or busy with another
                // connect/disconnect (a user logging off himself at this moment): the outcome
                // is the same as ours, so wait for it like any other (issue 25 item 8).
                if (started || code == NativeHelpers.ERROR_CTX_CLOSE_PENDING || code == NativeHelpers.ERROR_CTX_WINSTATION_BUSY)
                {
                    pending[id] = target;
                    log.Record(action.AuditEvent, action.AuditAction, target);
                }
                else
                    results.Add(Failed(id, action.Api, code));
            }
            while (pending.Count > 0)
            {
                if (Lifeline.StdoutGone())
                {
                    foreach (string id in pending.Keys)
                        results.Add(Result(id, "abandoned", 0, Abandoned));
                    break;
                }
                Dictionary<int, Entry> present = new Dictionary<int, Entry>();
                try
                {
                    foreach (Entry entry in Enumerate())
                        present[entry.Id] = entry;
                }
                catch (WtsException e)
                {
                    // An RPC error (1722, 1726) while TermService is busy: try again until the
                    // timeout, keeping every result so far (issue 25 item 9).
                    if (clock.Elapsed.TotalSeconds >= timeoutSeconds)
                    {
                        foreach (string id in pending.Keys)
                            results.Add(Result(id, "timeout", e.NativeErrorCode,
                                String.Format(action.StillThere, timeoutSeconds) + "; the last listing failed: " + e.Message));
                        break;
                    }
                    Thread.Sleep(PollMilliseconds);
                    continue;
                }
                foreach (string id in new List<string>(pending.Keys))
                {
                    string done = action.Done(pending[id], present);
                    if (done == null)
                        continue;
                    results.Add(done == "gone" ? Result(id, "gone", 0, null)
                        : Finished(id, done, Math.Round(clock.Elapsed.TotalSeconds, 3), action.Flag, false));
                    pending.Remove(id);
                }
                if (pending.Count == 0)
                    break;
                if (clock.Elapsed.TotalSeconds >= timeoutSeconds)
                {
                    foreach (string id in pending.Keys)
                        results.Add(Result(id, "timeout", NativeHelpers.ERROR_TIMEOUT, String.Format(action.StillThere, timeoutSeconds)));
                    break;
                }
                Thread.Sleep(PollMilliseconds);
            }
            return results;
        }

        private static Dictionary<string, object> Finished(string id, string result, double elapsed, string flag, bool value)
        {
            Dictionary<string, object> done = Result(id, result, 0, null);
            done["elapsed"] = elapsed;
            done[flag] = value;
            return done;
        }
    }
}
