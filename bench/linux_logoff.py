# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks on real sessions (`make bench`): a measurement, not a test.

For N = 10, 50, 100 real ssh sessions whose shells take EXIT_DELAY s to leave after a
hang-up, in the same run:
  (a) the batch-file way: enumerate, then for each session signal it and wait until it
      is gone before the next (KB 259436's `for ... logoff`);
  (b) termserv.sessions.session_logoff through ansible-playbook (task time, and the
      module's own slowest `elapsed`).
Also: the selection policy over 10 000 synthetic sessions, module executions per host,
session_info against ansible -m ping, and the Windows C# on the fake wtsapi32.
Writes bench/results/results.md, results.json and logoff.png (with BENCH_LABEL=L:
results-L.md, results-L.json, logoff-L.png).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "build" / "collections"))

from tests.integration.ansible_run import env, run_tasks  # noqa: E402
from tests.sandbox.sandbox import Sandbox, marked_processes, utmp_records  # noqa: E402

EXIT_DELAY = 1.0
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10,50,100").split(",")]
RESULTS = REPO / "bench" / "results"
# A label keeps a re-run (a check that nothing got slower) beside the figures the docs cite:
# BENCH_LABEL=after-22 writes results-after-22.json, .md and logoff-after-22.png.
SUFFIX = f"-{os.environ['BENCH_LABEL']}" if os.environ.get("BENCH_LABEL") else ""


def sequential(box: Sandbox, handles) -> float:
    """The batch file: one session at a time, each waited for."""
    start = time.monotonic()
    records = {r[2]: r for r in utmp_records() if r[0] == 7}
    for handle in handles:
        os.kill(records[handle.tty][1], signal.SIGHUP)
        deadline = time.monotonic() + 30
        while marked_processes(handle.marker) and time.monotonic() < deadline:
            time.sleep(0.01)
    return time.monotonic() - start


def with_module(handles, user: str) -> tuple[float, float]:
    handle, name = tempfile.mkstemp(prefix="bench-timer-")
    os.close(handle)
    timer = Path(name)
    os.environ.update(ANSIBLE_CALLBACK_PLUGINS=str(REPO / "bench" / "callback_plugins"),
                      ANSIBLE_CALLBACKS_ENABLED="task_timer", TASK_TIMER_FILE=str(timer))
    run = run_tasks([{"name": "Log off", "termserv.sessions.session_logoff": {"users": [user], "timeout": 60},
                      "register": "out"}])
    assert run.rc == 0, run.stdout
    assert len(run["out"]["logged_off"]) == len(handles)
    task = [json.loads(line) for line in timer.read_text().splitlines() if json.loads(line)["task"] == "Log off"]
    timer.unlink()
    return task[0]["seconds"], max(s["elapsed"] for s in run["out"]["logged_off"])


def policy_10k() -> float:
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
    table = [{"id": str(i), "user": f"user{i % 300}", "domain": "CORP", "state": "active" if i % 3 else "disconnected",
              "console": i == 1, "idle_seconds": i, "disconnected_seconds": i} for i in range(10_000)]
    selection = sel.Selection(exclude_users=("user1*", "svc_*"), min_idle=100)
    start = time.perf_counter()
    sel.select(table, selection, {"0"}, True)
    return time.perf_counter() - start


def overhead() -> tuple[float, float]:
    def timed(args):
        start = time.monotonic()
        subprocess.run([str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", *args],
                       capture_output=True, env=env(), check=True)
        return time.monotonic() - start
    ping = min(timed(["-m", "ansible.builtin.ping"]) for _attempt in range(3))
    info = min(timed(["-m", "termserv.sessions.session_info"]) for _attempt in range(3))
    return ping, info


def main() -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    box = Sandbox()
    box.up()
    rows = []
    for n in SIZES:
        handles = box.open("carol", n, "slow_exit", EXIT_DELAY, timeout=60)
        seq = sequential(box, handles)
        for h in handles:
            box.close(h)
        handles = box.open("carol", n, "slow_exit", EXIT_DELAY, timeout=60)
        task, slowest = with_module(handles, "carol")
        for h in handles:
            box.close(h)
        rows.append({"n": n, "sequential_s": round(seq, 2), "module_task_s": round(task, 2),
                     "module_slowest_session_s": round(slowest, 2), "speedup": round(seq / task, 1)})
        print(rows[-1], flush=True)
    box.down()
    ping, info = overhead()
    windows = subprocess.run([sys.executable, str(REPO / "bench" / "windows_logoff.py")], capture_output=True,
                             text=True, check=True).stdout.strip()
    data = {"exit_delay_s": EXIT_DELAY, "linux": rows, "policy_10k_sessions_s": round(policy_10k(), 4),
            "ansible_ping_s": round(ping, 2), "session_info_s": round(info, 2), "windows": windows,
            "module_executions_per_host": {"check mode": 1, "logoff": 2, "logoff with notice": 4}}
    (RESULTS / f"results{SUFFIX}.json").write_text(json.dumps(data, indent=1))
    lines = ["| sessions | batch-file loop (s) | session_logoff task (s) | slowest session (s) | speed-up |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['n']} | {r['sequential_s']} | {r['module_task_s']} | {r['module_slowest_session_s']} | "
              f"x{r['speedup']} |" for r in rows]
    lines += ["", f"Selection policy over 10 000 sessions: {data['policy_10k_sessions_s'] * 1000:.1f} ms.",
              f"`ansible -m ping`: {ping:.2f} s; `ansible -m termserv.sessions.session_info`: {info:.2f} s "
              f"(best of 3).", "", windows]
    (RESULTS / f"results{SUFFIX}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot([r["n"] for r in rows], [r["sequential_s"] for r in rows], "o-", label="batch-file loop")
        ax.plot([r["n"] for r in rows], [r["module_task_s"] for r in rows], "o-", label="session_logoff")
        ax.set_xlabel("sessions (each takes 1 s to exit)")
        ax.set_ylabel("seconds")
        ax.legend()
        fig.tight_layout()
        fig.savefig(RESULTS / f"logoff{SUFFIX}.png", dpi=100)
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
