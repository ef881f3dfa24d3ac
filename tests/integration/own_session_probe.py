# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run inside a real ssh session: does session_info (connection: local) see its own session?

Prints OWN_SESSION_FOUND when the session on our controlling terminal is reported as
``own_session`` and never selected, and exits non-zero with the result otherwise.
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
    run = run_tasks([{"name": "List", "termserv.sessions.session_info": args, "register": "info"}])
    info = run["info"]
    mine = [s for s in info["skipped_sessions"] if ours(s)]
    selected = [s for s in info["sessions"] if ours(s)]
    if mine and mine[0]["reason"] == "own_session" and not selected:
        print("OWN_SESSION_FOUND", tty)
        return 0
    print(json.dumps(info, indent=1), run.stdout, run.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
