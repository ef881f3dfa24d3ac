# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside a real root ssh session: log off root's sessions.

With connection: local, or (a second argument: the play's connection variables) over ssh
to this same host by address, as a controller managing the host it runs on (issue 11
item 9). The session we run in must be reported as ``own_session`` and survive; we print
OWN_SESSION_SURVIVED only if we are still here and our terminal was not logged off.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.integration.ansible_run import run_tasks  # noqa: E402


def main() -> int:
    args = json.loads(sys.argv[1])
    tty = os.ttyname(0).replace("/dev/", "")

    # logind: the session whose scope we run in (read here, not by the module under test).
    with open("/proc/self/cgroup", encoding="utf-8") as handle:
        scope = re.search(r"/session-([^/.]+)\.scope", handle.read())
    logind_id = scope.group(1) if scope else None

    def ours(session: dict) -> bool:  # utmp: the id is the tty; logind: the scope's id
        return session["id"] in (tty, logind_id)
    task = [{"name": "Log off", "termserv.sessions.session_logoff": args, "register": "out"}]
    if len(sys.argv) > 2:
        run = run_tasks(task, play={"hosts": "sandbox", "vars": json.loads(sys.argv[2])}, inventory="sandbox,")
    else:
        run = run_tasks(task)
    out = run["out"]
    mine = [s["reason"] for s in out.get("skipped_sessions", []) if ours(s)]
    if mine == ["own_session"] and not [s for s in out.get("logged_off", []) if ours(s)]:
        print("OWN_SESSION_SURVIVED", tty, "logged off:", sorted(s["id"] for s in out["logged_off"]))
        return 0
    print(json.dumps(out, indent=1), run.stdout, run.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
