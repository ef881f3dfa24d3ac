# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The selection options, shared by session_info, session_logoff and session_message.

PRIVATE to the collection. The spec of these options is module_utils/_spec.py; a test
checks that the two agree.
"""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  users:
    description:
      - Select only sessions whose user matches one of these shell glob patterns (V(*), V(?), V([abc])).
      - On Windows matching ignores case and is done against both the user name and C(DOMAIN\\user).
      - On Linux matching is exact, case included; V(admin) does not match V(admin2), V(admin*) does.
      - An empty list selects nobody.
    type: list
    elements: str
    default: ['*']
  exclude_users:
    description:
      - Never select sessions whose user matches one of these glob patterns, matched like O(users).
      - Exclusion wins over O(users).
    type: list
    elements: str
    default: []
  session_ids:
    description:
      - Select only these session ids, compared exactly as text.
      - Windows ids are decimal numbers (V(3)); Linux ids are logind session ids (V(12), V(c2)) or,
        without logind, the terminal (V(pts/3)).
      - Empty means any id.
    type: list
    elements: str
    default: []
  exclude_session_ids:
    description:
      - Never select these session ids. Exclusion wins over O(session_ids).
    type: list
    elements: str
    default: []
  states:
    description:
      - Select only sessions in one of these states.
      - Windows states are V(active), V(connected), V(connect_query), V(shadow), V(disconnected),
        V(idle), V(listen), V(reset), V(down) and V(init).
      - Linux states are V(active), V(online) and V(closing); without logind every session is V(active).
        An xrdp session (with logind) whose RDP client is gone is V(disconnected), with
        C(disconnected_seconds) counted from the X server's last log write (whole seconds).
    type: list
    elements: str
    default: [active, disconnected]
  min_idle:
    description:
      - Select only sessions without input for at least this long.
      - An int of seconds or a string such as V(90s), V(30m), V(2h), V(1d) or V(1h30m).
      - A session whose idle time is unknown is not selected when this is above V(0).
    type: raw
    default: 0
  min_disconnected:
    description:
      - Select only sessions disconnected for at least this long (Windows).
      - Same syntax as O(min_idle). Linux sessions are never disconnected, so any value above
        V(0) selects no Linux session.
    type: raw
    default: 0
  include_console:
    description:
      - Also select the physical console session (Windows) or a local virtual terminal (Linux).
      - Off by default, as in the batch file this collection replaces, because logging off
        the console can lock an administrator out of the machine.
    type: bool
    default: false
  exclude_processes:
    description:
      - Never select a session that runs a program matching one of these glob patterns; such a
        session is skipped with reason V(process_running), its C(detail) naming the program and pid.
      - On Windows matching ignores case and is done against the process name (V(backup*.exe)).
        On Linux matching is exact, against the name of the executable and the base name of
        C(argv[0]) (V(rsync), V(pg_dump*)).
      - Checked again after the grace period of M(termserv.sessions.session_logoff); a session that
        started such a program while it was being warned is kept.
      - Empty (the default) looks at no process at all.
    type: list
    elements: str
    default: []
notes:
  - Whatever the options, a session without a user (the Windows services session 0,
    listeners such as V(65536)) and the session the Ansible task itself runs in are never selected.
  - Sessions are enumerated through the WTS API on Windows and C(loginctl) or the utmp file on
    Linux, never by parsing C(quser), C(query session) or C(who) text, so results do not depend on
    the host's language.
"""
