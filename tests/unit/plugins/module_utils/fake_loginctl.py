# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for ``loginctl``, replaying recorded outputs (there is no logind here).

FAKE_LOGINCTL_DIR names a directory with ``list-sessions.txt`` (the ``--no-legend``
table) and ``show-session/<ID>.txt`` (all properties of one session, as
``loginctl show-session ID`` prints them). Like the real tool, ``show-session`` prints
only the ``-p`` properties asked for, in the tool's own order, one blank line between
sessions, and fails for an unknown id while still printing the others.
``terminate-session`` and ``kill-session`` are appended to ``calls.log``; a terminated
session disappears unless ``stuck/<ID>`` exists.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(os.environ["FAKE_LOGINCTL_DIR"])
GONE = ROOT / "terminated"


def known(sid: str) -> bool:
    path = ROOT / "show-session" / f"{sid}.txt"
    return path.exists() and not (GONE / sid).exists()


def main(argv: list[str]) -> int:
    args = [a for a in argv if a not in ("--no-pager", "--no-legend")]
    with open(ROOT / "calls.log", "a", encoding="utf-8") as log:
        log.write(" ".join(argv) + "\n")
    verb, rest = args[0], args[1:]
    if verb == "list-sessions":
        for line in (ROOT / "list-sessions.txt").read_text(encoding="utf-8").splitlines():
            if line.split() and known(line.split()[0]):
                print(line)
        return 0
    if verb == "show-session":
        props, ids, i = [], [], 0
        while i < len(rest):
            if rest[i] == "-p":
                props.append(rest[i + 1])
                i += 2
            else:
                ids.append(rest[i])
                i += 1
        rc, first = 0, True
        for sid in ids:
            if not known(sid):
                print(f"Failed to get session path: No session '{sid}' known", file=sys.stderr)
                rc = 1
                continue
            if not first:
                print()
            first = False
            for line in (ROOT / "show-session" / f"{sid}.txt").read_text(encoding="utf-8").splitlines():
                if not props or line.split("=", 1)[0] in props:
                    print(line)
        return rc
    if verb in ("terminate-session", "kill-session"):
        sid = [a for a in rest if not a.startswith("--")][0]
        if not known(sid):
            print(f"Could not terminate session: No session '{sid}' known", file=sys.stderr)
            return 1
        if (ROOT / "denied" / sid).exists():
            print("Could not terminate session: Access denied", file=sys.stderr)
            return 1
        if not (ROOT / "stuck" / sid).exists() or verb == "kill-session":
            GONE.mkdir(exist_ok=True)
            (GONE / sid).touch()
        return 0
    print(f"fake loginctl: unsupported {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
