# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only. The task runs the action plugin plugins/action/session_info.py, which validates
# these options and runs the target module linux_session_info (Linux) or win_session_info (Windows);
# those take only internal options (issue 13 item 5).
from __future__ import annotations

DOCUMENTATION = r"""
module: session_info
short_description: List interactive user sessions on Windows and Linux hosts
version_added: 0.1.0
description:
  - Lists the interactive user sessions of a host and returns those that match the
    selection options in RV(sessions), and every other session in RV(skipped_sessions)
    with the reason it was not selected.
  - The list is not called C(skipped) because Ansible reads a true C(skipped) key as
    "this task was skipped".
  - Use it to preview what M(termserv.sessions.session_logoff) with the same options would
    act on, or to report on sessions. Combine O(states=[disconnected]) with O(min_disconnected)
    to find stale sessions.
  - The same task works on Windows (WinRM, PSRP or SSH) and Linux (SSH or local) hosts.
    All filtering happens on the controller; the host only enumerates.
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes
  - termserv.sessions._attributes.info_module
  - termserv.sessions._attributes.action_group
  - termserv.sessions._attributes.platforms
  - termserv.sessions._selection
options:
  include_processes:
    description:
      - Add to each returned session its C(processes), each with C(pid), C(name) and C(user),
        the "Users" tab of Task Manager as data.
    type: bool
    default: false
seealso:
  - module: termserv.sessions.session_logoff
  - module: termserv.sessions.session_message
"""

EXAMPLES = r"""
- name: List every session that is selectable by default
  termserv.sessions.session_info:
  register: all_sessions

- name: Find sessions of everybody but admin (admin2 is still listed)
  termserv.sessions.session_info:
    exclude_users:
      - admin
  register: not_admin

- name: Find Windows sessions disconnected for more than 2 hours
  termserv.sessions.session_info:
    states:
      - disconnected
    min_disconnected: 2h
  register: stale

- name: Also list sftp, rsync and other connections without a terminal (Linux with logind)
  termserv.sessions.session_info:
    include_non_interactive: true
  register: with_connections

- name: List sessions with the programs they run
  termserv.sessions.session_info:
    include_processes: true
  register: with_processes

- name: Find sessions that do not run a backup program
  termserv.sessions.session_info:
    exclude_processes:
      - rsync
      - backup*.exe
  register: no_backup

- name: Show who is logged on and why others are not selected
  ansible.builtin.debug:
    msg: >-
      {{ all_sessions.sessions | map(attribute='user') | list }};
      skipped: {{ all_sessions.skipped_sessions | map(attribute='reason') | list }}
"""

RETURN = r"""
sessions:
  description: The sessions that match the selection options.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description:
        - Windows session id as a decimal string.
        - Linux logind session id or, without logind, the terminal (V(pts/3)).
      type: str
      sample: "3"
    user:
      description: User name, V("") when the session has none.
      type: str
      sample: alice
    domain:
      description: Windows domain of the user; always V("") on Linux.
      type: str
      sample: CORP
    state:
      description: Session state in snake_case, see O(states).
      type: str
      sample: disconnected
    station:
      description: Window station or terminal.
      type: str
      sample: RDP-Tcp#3
    client:
      description: Client name (Windows) or remote host (Linux), V("") when none.
      type: str
      sample: LAPTOP7
    logon_time:
      description: When the user logged on, ISO 8601 UTC; null when unknown.
      type: str
      sample: "2026-11-24T07:58:03Z"
    idle_seconds:
      description: Seconds since the last input; null when unknown.
      type: int
      sample: 5400
    disconnected_seconds:
      description: Seconds since the session was disconnected (Windows); null otherwise.
      type: int
      sample: 7300
    console:
      description: Whether this is the physical console session (Windows) or a local virtual terminal (Linux).
      type: bool
      sample: false
    pid:
      description: Linux only, the session's login process (utmp C(ut_pid) or logind C(Leader)); null on Windows.
      type: int
      sample: 4242
    kind:
      description:
        - Linux only, what the session is (issue 22 item 1) V(terminal) (a login on a terminal,
          serial consoles and mosh included), V(graphical) (an xrdp, X11 or Wayland desktop) or
          V(non_interactive) (a connection with neither, such as sftp, rsync or another Ansible job);
          null on Windows, where every session is interactive.
      type: str
      sample: terminal
    processes:
      description:
        - Only with O(include_processes=true). The session's processes, each with C(pid) (int),
          C(name) (the program, the Windows process name or, Linux executable name) and C(user).
      type: list
      elements: dict
      returned: when O(include_processes=true)
      sample:
        - pid: 4242
          name: rsync
          user: admin2
  sample:
    - id: "3"
      user: alice
      domain: CORP
      state: disconnected
      station: ""
      client: LAPTOP7
      logon_time: "2026-11-24T07:58:03Z"
      idle_seconds: 9000
      disconnected_seconds: 7300
      console: false
      pid: null
skipped_sessions:
  description:
    - Every session that does not match, with the same keys as RV(sessions) plus
      C(reason), a code such as V(no_user), V(own_session), V(controller_session), V(console),
      V(non_interactive), V(user_excluded),
      V(user_not_included), V(state), V(not_idle_long_enough), V(process_running), and
      C(detail), a sentence.
  returned: success
  type: list
  elements: dict
  sample:
    - id: "0"
      user: ""
      reason: no_user
      detail: session 0 has no user (services session or listener)
backend:
  description: How the host's sessions were read, V(wts) (Windows), V(logind) or V(utmp) (Linux).
  returned: success
  type: str
  sample: utmp
"""
