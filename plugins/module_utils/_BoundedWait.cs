// Copyright (c) 2026 termserv.sessions contributors
// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Waits with an end (issue 25 item 7): the hold store's named mutex and chglogon.exe.
// Without a bound, one stuck writer (a hung chglogon, a task that never ends) hangs every
// later run on the host. PRIVATE to the collection. C# 5 only, as _WtsSession.cs.
// Tested on Mono (tests/windows/test_bounded_wait.py).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

//TypeAccelerator -Name BoundedWait -TypeName BoundedWait

namespace ansible_collections.termserv.sessions.plugins.module_utils._BoundedWait
{
    public static class BoundedWait
    {
        /// <summary>Take the named mutex within timeoutMs, or throw TimeoutException saying who waits for what.</summary>
        /// <remarks>A mutex whose holder ended without releasing it comes "abandoned": that
        /// only means the previous writer has ended, so it is taken.</remarks>
        public static Mutex TakeMutex(string name, int timeoutMs)
        {
            Mutex mutex = new Mutex(false, name);
            bool taken;
            try
            {
                taken = mutex.WaitOne(timeoutMs);
            }
            catch (AbandonedMutexException)
            {
                taken = true;
            }
            if (!taken)
            {
                mutex.Dispose();
                throw new TimeoutException(String.Format(
                    "another writer has held the mutex {0} for more than {1} s (a run or the hold release task that "
                    + "does not end); nothing was changed: try again later, or find the process holding it",
                    name, timeoutMs / 1000));
            }
            return mutex;
        }

        /// <summary>Run path with one argument; kill it after timeoutMs.</summary>
        /// <returns>{"rc", "stdout", "stderr", "timed_out"}; rc is -1 when it was killed.</returns>
        public static Dictionary<string, object> Run(string path, string argument, int timeoutMs)
        {
            ProcessStartInfo start = new ProcessStartInfo(path, argument);
            start.UseShellExecute = false;
            start.CreateNoWindow = true;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            Dictionary<string, object> result = new Dictionary<string, object>();
            using (Process process = Process.Start(start))
            {
                // Both streams read at once: a full stderr pipe would otherwise stall the child.
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                bool ended = process.WaitForExit(timeoutMs);
                if (!ended)
                {
                    try { process.Kill(); }
                    catch (InvalidOperationException) { }  // it ended meanwhile
                    process.WaitForExit(5000);
                }
                result["timed_out"] = !ended;
                result["rc"] = ended ? process.ExitCode : -1;
                // A killed program's own children may keep its pipes open: do not wait for them.
                int grace = ended ? 5000 : 500;
                result["stdout"] = stdout.Wait(grace) ? stdout.Result : "";
                result["stderr"] = stderr.Wait(grace) ? stderr.Result : "";
            }
            return result;
        }
    }
}
