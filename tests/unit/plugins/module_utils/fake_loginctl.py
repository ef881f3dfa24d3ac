# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for ``loginctl``, replaying recorded outputs (there is no logind here).

FAKE_LOGINCTL_DIR names a directory with ``list-sessions.txt`` (the ``--no-legend``
table) and ``show-session/<ID>.txt`` (all properties of one session, as
``loginctl show-session ID`` prints them). Like the real tool (systemd 247-256:
``show_session()`` returns at the first id it cannot resolve), ``show-session`` prints
only the ``-p`` properties asked for, in the tool's own order, one blank line between
sessions, and STOPS at the first unknown id: the ids after it are not printed at all
(rc 1, ``Failed to get session path: No session 'ID' known``).
Every call is appended to ``calls.log``; a terminated session disappears unless
``stuck/<ID>`` exists. Hostile cases: ``hang/<ID>`` makes any call naming that id hang
(a logind that does not answer: the caller's time-out must fire); ``fail/<ID>`` makes it
fail with a bus error that does not say the session is gone; ``vanished/<ID>`` keeps it in
``list-sessions`` but unknown to everything else (it ended between the two calls);
``closing/<ID>``: the next show-session reaching it fails with "Invalid request
descriptor" (its D-Bus object vanished while read) and it is vanished from then on.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(os.environ["FAKE_LOGINCTL_DIR"])
GONE = ROOT / "terminated"


def known(sid: str) -> bool:
    path = ROOT / "show-session" / f"{sid}.txt"
    return path.exists() and not (GONE / sid).exists() and not (ROOT / "vanished" / sid).exists()


def main(argv: list[str]) -> int:
    args = [a for a in argv if a not in ("--no-pager", "--no-legend")]
    with open(ROOT / "calls.log", "a", encoding="utf-8") as log:
        log.write(" ".join(argv) + "\n")
    verb, rest = args[0], args[1:]
    named = [a for a in rest if not a.startswith("-")]
    for sid in named:
        if (ROOT / "hang" / sid).exists():
            time.sleep(60)
            return 1
    for sid in named:
        if (ROOT / "fail" / sid).exists():
            print("Failed to get properties: Connection timed out", file=sys.stderr)
            return 1
    if verb == "list-sessions":
        for line in (ROOT / "list-sessions.txt").read_text(encoding="utf-8").splitlines():
            # vanished/<ID>: listed, but gone by the time show-session asks about it.
            if line.split() and (known(line.split()[0]) or (ROOT / "vanished" / line.split()[0]).exists()):
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
                break
            if (ROOT / "closing" / sid).exists():
                # Closing right now: the path resolved, the object is gone when read; from
                # then on logind does not know it (as measured on systemd 252).
                (ROOT / "closing" / sid).unlink()
                (ROOT / "vanished").mkdir(exist_ok=True)
                (ROOT / "vanished" / sid).touch()
                print("Failed to parse bus message: Invalid request descriptor", file=sys.stderr)
                rc = 1
                break
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
