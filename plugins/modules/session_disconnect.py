# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only. The task runs the action plugin plugins/action/session_disconnect.py, which validates
# these options and runs the target module linux_session_disconnect (Linux) or win_session_disconnect (Windows);
# those take only internal options (issue 13 item 5).
from __future__ import annotations

DOCUMENTATION = r"""
module: session_disconnect
short_description: Disconnect interactive user sessions, leaving them running
version_added: 0.2.0
description:
  - Disconnects the sessions of a host that match the selection options. A disconnected
    session and its programs keep running; the user reconnects to it later. With
    O(min_idle) this is the Group Policy "idle session limit" as an Ansible task, and
    M(termserv.sessions.session_logoff) with O(termserv.sessions.session_logoff#module:states=[disconnected])
    and O(termserv.sessions.session_logoff#module:min_disconnected) can log off the disconnected
    sessions later.
  - "The sequence: enumerate and select; in check mode stop here and report what would be
    disconnected; disconnect the selected sessions in parallel; wait up to O(timeout) for
    each to be disconnected; report."
  - "Never disconnected, whatever the options: a session without a user (Windows session 0,
    listeners), the session the Ansible task itself runs in, the controller's other
    connections, the console unless O(include_console=true), and on Linux connections
    without a terminal or desktop unless O(include_non_interactive=true)."
  - A session is only touched when its id, user and logon time still match what was
    selected, so a reused id is never disconnected by mistake.
  - Only active sessions are selected by default (O(states=[active])), so a second run
    changes nothing. A session that is already disconnected is never disconnected again; when
    O(states) selects it, it is listed in RV(skipped_sessions) with reason V(disconnected).
  - Windows disconnects each session with C(WTSDisconnectSession) without blocking and polls
    until it is disconnected. Needs administrator rights.
  - "Linux: xrdp sessions (with systemd-logind) are disconnected by ending xrdp's connection
    process for the session, identified by (pid, start time) as the peer of the session's X
    server display connection; the session and its programs live on, and the next
    enumeration lists it V(disconnected). An ssh or terminal session has no connection that
    could be ended without ending the session: it is reported in RV(skipped_sessions) with
    reason V(cannot_disconnect) and left alone, as is an xrdp session whose connection process
    cannot be identified exactly. Needs root."
  - No notice is sent; use M(termserv.sessions.session_message) first when users should be told.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes
  - termserv.sessions._attributes.action_group
  - termserv.sessions._attributes.platforms
  - termserv.sessions._selection
attributes:
  check_mode:
    support: full
    details:
      - In check mode nobody is disconnected; RV(disconnected) lists the sessions that would be,
        and RV(skipped_sessions) the others with their reasons.
  diff_mode:
    support: full
    details:
      - Shows the session table before and after; disconnected sessions change their state.
  idempotent:
    support: full
    details:
      - Only active sessions are selected by default, and an already disconnected session is
        never counted as a change, so a second identical run reports no change.
options:
  states:
    description:
      - Select only sessions in one of these states.
      - Windows states are V(active), V(connected), V(connect_query), V(shadow), V(disconnected),
        V(idle), V(listen), V(reset), V(down) and V(init).
      - Linux states are V(active), V(online) and V(closing); without logind every session is V(active).
        An xrdp session (with logind) whose RDP client is gone is V(disconnected), with
        C(disconnected_seconds) counted from the X server's last log write (whole seconds).
      - Unlike the other modules the default is only V(active); a selected session that is already
        V(disconnected) is skipped with reason V(disconnected).
    type: list
    elements: str
    default: [active]
  timeout:
    description:
      - How long to wait for each session to be disconnected before it is reported in RV(errors).
      - An int of seconds or a string such as V(90s) or V(2m); at least one second.
    type: raw
    default: 60
  audit:
    description:
      - Record every disconnect on the host where it happened, on Windows in the Application
        event log under the source C(termserv.sessions), naming who asked (C(AWX job 123) or
        the controller's C(user@host)).
      - Check mode records nothing. A host that cannot write the record still disconnects the
        session and the task shows a warning.
    type: bool
    default: true
seealso:
  - module: termserv.sessions.session_logoff
  - module: termserv.sessions.session_message
  - module: termserv.sessions.session_info
"""

EXAMPLES = r"""
- name: Disconnect sessions idle for 2 hours, as the idle session limit policy would
  termserv.sessions.session_disconnect:
    min_idle: 2h
    exclude_users:
      - Administrator
  register: idle

- name: Log off sessions that stayed disconnected for a day
  termserv.sessions.session_logoff:
    states:
      - disconnected
    min_disconnected: 1d

- name: Preview which sessions of one user would be disconnected
  termserv.sessions.session_disconnect:
    users:
      - admin2
  check_mode: true
  register: preview
"""

RETURN = r"""
disconnected:
  description:
    - The sessions that were disconnected; in check mode the sessions that would be.
    - Each has the keys of RV(termserv.sessions.session_info#module:sessions), with C(state)
      V(disconnected), plus C(elapsed) (seconds until it was disconnected, Windows).
  returned: success
  type: list
  elements: dict
  sample:
    - id: "3"
      user: alice
      domain: CORP
      state: disconnected
      station: RDP-Tcp#3
      client: LAPTOP-17
      logon_time: "2026-11-24T07:58:03Z"
      idle_seconds: 7300
      disconnected_seconds: null
      console: false
      pid: null
      elapsed: 0.25
skipped_sessions:
  description:
    - The sessions that were not disconnected, each with C(reason) and C(detail).
    - C(reason) is one of the selection reasons of RV(termserv.sessions.session_logoff#module:skipped_sessions)
      (V(no_user), V(own_session), V(console), V(session_id_excluded), V(session_id_not_included),
      V(user_excluded), V(user_not_included), V(state), V(not_idle_long_enough),
      V(not_disconnected_long_enough), V(process_running)), or V(cannot_disconnect) (the host
      cannot disconnect this session, such as an ssh or terminal session on Linux, or an xrdp
      session whose connection is not identified), V(disconnected) (it already
      was), V(ended_before_disconnect) (it ended before it was reached) or V(identity_changed)
      (its id now belongs to another logon).
  returned: success
  type: list
  elements: dict
  sample:
    - id: pts/1
      user: admin
      reason: cannot_disconnect
      detail: >-
        session pts/1 (pts/1): Linux: only xrdp sessions can be disconnected (an ssh or terminal
        session has no client connection to end without ending the session); the session was left alone
errors:
  description:
    - Sessions that could not be disconnected, each with C(error) and C(error_code). The task
      fails when this is not empty, after every session was tried.
  returned: always
  type: list
  elements: dict
msg:
  description: A one-line summary with counts.
  returned: always
  type: str
  sample: Disconnected 2 sessions; skipped 1.
"""
