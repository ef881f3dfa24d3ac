# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only. The task runs the action plugin plugins/action/session_logoff.py, which validates
# these options and runs the target module linux_session_logoff (Linux) or win_session_logoff (Windows);
# those take only internal options (issue 13 item 5).
from __future__ import annotations

DOCUMENTATION = r"""
module: session_logoff
short_description: Warn and log off interactive user sessions, safely and in parallel
version_added: 0.1.0
description:
  - Logs off the sessions of a Windows or Linux host that match the selection options, in
    parallel, and waits until each has really ended.
  - "The sequence: enumerate and select; in check mode stop here and report what would be
    logged off; send O(notify_msg) to the selected sessions; wait O(grace); enumerate and
    select again; log off what is still selected; wait up to O(timeout) for each session
    to end; report."
  - "Never logged off, whatever the options: a session without a user (Windows session 0,
    listeners), the session the Ansible task itself runs in (also with C(connection: local)
    from inside a user's session), the controller's other connections (reason
    V(controller_session)), the console unless O(include_console=true), and on Linux
    connections without a terminal or desktop (sftp, rsync, other Ansible jobs) unless
    O(include_non_interactive=true)."
  - A session is only touched when its id, user and logon time (on Linux also its login
    process) still match what was selected, so a reused id or terminal is never logged off
    by mistake. A session that ends by itself before it is reached is reported in
    RV(skipped_sessions), not as an error.
  - After a notice, a session that logged on during O(grace) was not warned and is not
    logged off in this run (reason V(not_notified)).
  - One session failing (access denied, stuck) does not stop the others; the task fails
    after doing all it can, listing the failures in RV(errors).
  - On Linux with systemd-logind the session is ended with C(loginctl terminate-session).
    Without logind the login process gets SIGHUP, then every process of the session gets
    SIGTERM and finally SIGKILL, each after a third of O(timeout) (at most 10 and 20
    seconds); the session has ended when none of its processes remain, not when its utmp
    record disappears. The C(forced) key of each RV(logged_off) item tells when SIGTERM or SIGKILL was needed.
  - On Windows each session is logged off with C(WTSLogoffSession) without blocking, and
    polled until it is gone.
  - Needs root on Linux (use C(become)) and administrator rights on Windows; otherwise the
    task fails before anything is changed.
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
      - In check mode nothing is sent and nobody is logged off; RV(logged_off) lists the sessions
        that would be, and RV(skipped_sessions) the others with their reasons.
  diff_mode:
    support: full
    details:
      - Shows the session table before and after the logoff.
  idempotent:
    support: full
    details:
      - A second run with the same options finds no matching session and reports no change.
options:
  notify_msg:
    description:
      - Text sent to every selected session before the logoff. Nothing is sent when omitted.
      - On Linux it is written to the session's terminal, with control characters removed; a
        graphical session (xrdp, X11, Wayland) gets it as a critical notification from its
        desktop's notification service, as M(termserv.sessions.session_message) sends it.
      - A session that could not be shown the notice (for example a desktop without a
        notification server) is named in a warning with the reason, and is still logged off.
    type: str
  notify_title:
    description:
      - Title of the notice (the message box title on Windows, a heading line on Linux).
    type: str
    default: Logoff notice
  grace:
    description:
      - Time between the notice and the logoff, during which users can save their work and
        log off themselves. Same syntax as O(min_idle).
      - When it is above V(0), or a notice was sent, the sessions are enumerated and selected
        again before the logoff.
    type: raw
    default: 0
  timeout:
    description:
      - How long to wait for each session to end after the logoff, in parallel. Same syntax
        as O(min_idle). At least one second.
      - A session still present after it is reported in RV(errors).
    type: raw
    default: 60
  wait:
    description:
      - Wait for each session to end (up to O(timeout)).
      - With V(false) the logoff is only requested (Windows) or the hang-up signal only sent
        (Linux); such sessions are listed in RV(logged_off) with C(verified=false).
    type: bool
    default: true
  audit:
    description:
      - Record every logoff, forced escalation (Linux) and notice on the host where it happened,
        on Linux in syslog/the journal under the identifier C(termserv.sessions) (with structured
        fields where journald runs), on Windows in the Application event log under the source
        C(termserv.sessions).
      - The record names who asked, C(AWX job 123) when the run has an C(awx_job_id) or
        C(tower_job_id), else the controller's C(user@host).
      - Check mode records nothing. A host that cannot write the record still logs off and
        the task shows a warning.
    type: bool
    default: true
seealso:
  - module: termserv.sessions.session_info
  - module: termserv.sessions.session_message
"""

EXAMPLES = r"""
- name: Preview who would be logged off (run the play with --check)
  termserv.sessions.session_logoff:
    exclude_users:
      - admin
  check_mode: true
  register: preview

- name: Log off everybody but admin and service accounts, after a 5 minute warning
  termserv.sessions.session_logoff:
    exclude_users:
      - admin
      - svc_*
    notify_msg: The server restarts for maintenance in 5 minutes. Please save your work.
    grace: 5m
    timeout: 2m
  become: true
  register: logoff

- name: Log off Windows sessions disconnected for more than 2 hours
  termserv.sessions.session_logoff:
    states:
      - disconnected
    min_disconnected: 2h

- name: Log off idle sessions, but keep those running the nightly backup
  termserv.sessions.session_logoff:
    min_idle: 2h
    exclude_processes:
      - rsync
      - backup*.exe
  become: true

- name: Log off without leaving a record in the host's journal or event log
  termserv.sessions.session_logoff:
    users:
      - test_*
    audit: false
  become: true

- name: Log off one terminal session by id
  termserv.sessions.session_logoff:
    session_ids:
      - pts/3
    timeout: 30
  become: true
"""

RETURN = r"""
logged_off:
  description:
    - The sessions that were logged off; in check mode the sessions that would be.
    - Each has the keys of RV(termserv.sessions.session_info#module:sessions) plus C(forced)
      (Linux, SIGTERM or SIGKILL was needed), C(elapsed) (seconds until it ended) and, with
      O(wait=false), C(verified=false).
  returned: success
  type: list
  elements: dict
  sample:
    - id: pts/3
      user: admin2
      domain: ""
      state: active
      station: pts/3
      client: 10.0.0.7
      logon_time: "2026-11-24T07:58:03Z"
      idle_seconds: 312
      disconnected_seconds: null
      console: false
      pid: 4242
      forced: false
      elapsed: 0.031
skipped_sessions:
  description:
    - The sessions that were not logged off, each with C(reason) and C(detail).
    - C(reason) is one of V(no_user), V(own_session), V(controller_session), V(console), V(non_interactive), V(session_id_excluded),
      V(session_id_not_included), V(user_excluded), V(user_not_included), V(state),
      V(not_idle_long_enough), V(not_disconnected_long_enough), V(ended_during_grace),
      V(not_notified), V(ended_before_logoff), V(identity_changed), V(process_running).
    - Not called C(skipped), which Ansible reads as "the task was skipped".
  returned: success
  type: list
  elements: dict
  sample:
    - id: pts/1
      user: admin
      reason: user_excluded
      detail: user 'admin' matches exclude_users pattern 'admin'
errors:
  description:
    - The sessions that could not be logged off, each with C(error) (a sentence) and
      C(error_code) (errno on Linux, the Win32 error code on Windows). The task fails when
      this is not empty, after all other sessions were handled.
  returned: always
  type: list
  elements: dict
  sample:
    - id: "5"
      user: bob
      error: Access is denied
      error_code: 5
notified:
  description:
    - The sessions the notice was delivered to.
    - On Linux each also says how it was shown in RV(notified[].via), and a desktop
      notification carries RV(notified[].notification_id).
  returned: success
  type: list
  elements: dict
  contains:
    via:
      description:
        - V(terminal) when the text was written to the session's terminal, V(notification)
          when the session's desktop notification server showed it.
      returned: on Linux hosts
      type: str
      sample: notification
    notification_id:
      description: The id the desktop's notification server gave the notice.
      returned: when RV(notified[].via) is V(notification)
      type: int
      sample: 7
msg:
  description: A one-line summary with counts.
  returned: always
  type: str
  sample: Logged off 2 sessions; skipped 3.
"""
