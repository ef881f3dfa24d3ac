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
      - On Windows matching ignores case and is done against both the user name and C(DOMAIN\user).
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
        A V(closing) session is one whose connection ended while its programs live on (mosh,
        C(screen), hosts with C(KillUserProcesses=no), the Debian, Ubuntu and RHEL default). It is
        listed as V(closing) and selected by V(active) too, like any other interactive session.
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
      - Also select the physical console session (Windows) or a console session on Linux, that is a local
        virtual terminal (C(tty1)) or a serial or out-of-band console (C(ttyS0), C(hvc0), C(ttyAMA0),
        C(ttysclp0)).
      - Off by default, as in the batch file this collection replaces, because logging off
        the console can lock an administrator out of the machine.
    type: bool
    default: false
  include_non_interactive:
    description:
      - Also select connections that have neither a terminal nor a desktop.
      - On Linux hosts with systemd-logind every ssh connection is a session, also those without
        a terminal, such as C(sftp), C(scp), C(rsync) backups, C(git) over ssh, monitoring checks and other
        Ansible or AWX jobs. By default they are listed in RV(skipped_sessions) with reason
        V(non_interactive) and never selected, so that another job's connection is not ended.
      - An ssh connection that got a terminal later (a ControlMaster connection, C(mosh)) is an
        interactive session, found by the terminal its programs run on.
      - Without logind (the utmp file) such connections are not sessions at all. On Windows every
        session is interactive; the option changes nothing there.
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
  - On Linux each session has a kind, C(kind). V(terminal) is a login on a terminal (ssh with a
    terminal, a local or serial console, mosh); V(graphical) is an xrdp, X11 or Wayland desktop;
    V(non_interactive) is a connection with neither (see O(include_non_interactive)).
  - Serial and out-of-band consoles (C(ttyS*), C(hvc*), C(ttyAMA*), C(ttysclp*), as cloud serial
    consoles and IPMI SOL use) are consoles like the local ones, kept unless
    O(include_console=true), because they are the way in when the network is down.
  - Other connections of the Ansible controller that runs the task (ControlPersist masters and
    their channels) are never selected; they are skipped with reason V(controller_session).
  - Whatever the options, a session without a user (the Windows services session 0,
    listeners such as V(65536)) and the session the Ansible task itself runs in are never selected.
  - Sessions are enumerated through the WTS API on Windows and C(loginctl) or the utmp file on
    Linux, never by parsing C(quser), C(query session) or C(who) text, so results do not depend on
    the host's language.
"""
