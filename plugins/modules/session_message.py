# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only. The task runs the action plugin plugins/action/session_message.py, which validates
# these options and runs the target module linux_session_message (Linux) or win_session_message (Windows);
# those take only internal options (issue 13 item 5).
from __future__ import annotations

DOCUMENTATION = r"""
module: session_message
short_description: Send a message to interactive user sessions
version_added: 0.1.0
description:
  - Shows O(msg) to every session that matches the selection options.
  - On Windows the message box appears in the session (C(WTSSendMessage), not waiting for
    an answer). On Linux the text is written to the session's terminal, with every control
    and format character except newline and tab removed, so a message can never move the
    cursor, change the terminal or hide text.
  - On Linux a graphical session (xrdp, X11, Wayland; C(kind=graphical)) has no terminal, so it
    gets a critical desktop notification with O(title) as its heading and O(msg) as its text,
    cleaned the same way, sent to C(org.freedesktop.Notifications) on the session's own D-Bus
    session bus (the bus its programs were started with, else C(/run/user/UID/bus); only a bus
    of the session's user) by a process that runs as that user. The host waits at most about
    3 seconds for all desktops together.
  - A desktop notice is delivered only when the desktop's notification server accepted it and
    returned an id; otherwise the session is in RV(skipped_sessions) with reason
    V(no_session_bus), V(no_notification_server) or V(notification_failed).
  - Each session is re-checked right before the message is sent; one that ended or whose id
    now belongs to another logon gets nothing.
  - A session the message cannot be delivered to (for example a terminal that is not
    writable) is listed in RV(errors); the task fails after every session was tried.
  - A disconnected session has no desktop or terminal to show the message on. It is not
    counted as delivered but listed in RV(skipped_sessions) with reason V(disconnected).
  - O(msg) and O(title) must be text that can be sent; a lone surrogate (such as V(\\ud800)
    in a YAML string) is an error naming the option, before anything is sent.
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
      - In check mode nothing is sent; RV(delivered) lists the sessions that would get the message.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run shows the message again.
options:
  msg:
    description: The text to show. Newlines are kept.
    type: str
    required: true
  title:
    description: The message box title (Windows) or a heading line (Linux).
    type: str
    default: Message from your administrator
  audit:
    description:
      - Record every notice on the host where it was shown, on Linux in syslog/the journal
        under the identifier C(termserv.sessions), on Windows in the Application event log
        under the source C(termserv.sessions), naming who asked (C(AWX job 123) or the
        controller's C(user@host)).
      - Check mode records nothing. A host that cannot write the record still shows the
        message and the task shows a warning.
    type: bool
    default: true
seealso:
  - module: termserv.sessions.session_logoff
"""

EXAMPLES = r"""
- name: Tell everybody but admin that the host restarts tonight
  termserv.sessions.session_message:
    exclude_users:
      - admin
    msg: |-
      This server restarts at 22:00.
      Please save your work and log off.
    title: Maintenance tonight
  become: true
  register: told

- name: Warn the xrdp desktops (a notification on each desktop) and the terminals
  termserv.sessions.session_message:
    users:
      - "*"
    title: Maintenance at 22:00
    msg: The server restarts in 15 minutes. Please save your work.
  become: true
  register: warned

- name: Show which desktops had no notification server
  ansible.builtin.debug:
    msg: >-
      {{ warned.skipped_sessions | selectattr('reason', 'equalto', 'no_notification_server')
         | map(attribute='user') | list }}

- name: Warn only the sessions that do not run the backup, without an audit record
  termserv.sessions.session_message:
    msg: "Please log off by 22:00: the server restarts."
    exclude_processes:
      - rsync
      - backup*.exe
    audit: false
  become: true
"""

RETURN = r"""
delivered:
  description:
    - The sessions the message was delivered to (in check mode, would be), with the keys of
      RV(termserv.sessions.session_info#module:sessions).
    - On Linux, outside check mode, each also says how it was shown in RV(delivered[].via), and
      a desktop notification carries RV(delivered[].notification_id).
  returned: success
  type: list
  elements: dict
  contains:
    via:
      description:
        - V(terminal) when the text was written to the session's terminal, V(notification)
          when the session's desktop notification server showed it.
      returned: on Linux hosts, not in check mode
      type: str
      sample: notification
    notification_id:
      description: The id the desktop's notification server gave the notice.
      returned: when RV(delivered[].via) is V(notification)
      type: int
      sample: 7
skipped_sessions:
  description:
    - The sessions that got no message, each with C(reason) and C(detail).
    - C(reason) is one of the reasons of RV(termserv.sessions.session_logoff#module:skipped_sessions),
      or V(disconnected) for a session with no desktop or terminal to show the message on.
    - "For a Linux desktop that got no notice: V(no_session_bus) (no D-Bus session bus of the
      session's user was found), V(no_notification_server) (the bus has no
      C(org.freedesktop.Notifications) service and could not start one), or
      V(notification_failed) (the call failed or took too long); C(detail) says what the bus
      answered."
  returned: success
  type: list
  elements: dict
errors:
  description: Sessions the message could not be delivered to, each with C(error) and C(error_code).
  returned: always
  type: list
  elements: dict
msg:
  description: A one-line summary with counts.
  returned: always
  type: str
  sample: Notified 2 sessions; skipped 1.
"""
