# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Documentation only. The task runs the action plugin plugins/action/logon_mode.py, which validates
# these options and runs the target module linux_logon_mode (Linux) or win_logon_mode (Windows);
# those take only internal options (issue 13 item 5).
from __future__ import annotations

DOCUMENTATION = r"""
module: logon_mode
short_description: Allow, drain or disable new user logons, with holds that expire
version_added: 0.1.0
description:
  - Sets whether users can log on, as C(change logon) does on a Windows Remote Desktop
    Session Host, and returns the RV(previous_state).
  - "On Windows: V(enabled) allows logons (C(change logon /enable)); V(drain) refuses new
    logons but lets users reconnect to their sessions (C(/drain)); V(drain_until_restart)
    does the same until the next restart (C(/drainuntilrestart)); V(disabled) refuses new
    logons and reconnections (C(/disable))."
  - "On Linux the files of C(pam_nologin) are used: V(drain) and V(disabled) write
    C(/etc/nologin), V(drain_until_restart) writes C(/run/nologin), which a restart removes.
    While one exists every non-root login through a PAM service that calls C(pam_nologin)
    is refused and shown O(msg): ssh and the console on Debian, Ubuntu, Red Hat and SUSE.
    root is always let in."
  - "B(xrdp.) The PAM file of C(xrdp-sesman) of these distributions does not call
    C(pam_nologin). While this collection's nologin file exists it puts two account lines of
    its own, marked C(# termserv.sessions drain), at the top of C(/etc/pam.d/xrdp-sesman):
    a C(pam_exec) check that lets a user who already has an xrdp session reconnect to it,
    then C(account requisite pam_nologin.so). So V(drain) and V(drain_until_restart) refuse
    new RDP logons and allow reconnections, as on Windows; V(disabled) puts only the
    second line in and refuses reconnections too. The lines are removed, leaving the file
    byte for byte as it was, when the last hold is released or expires (the host's switch
    removes them with the nologin file). No daemon is restarted. An C(xrdp-sesman) whose
    own stack already calls C(pam_nologin) is left alone (its reconnections are refused).
    A nologin file someone else wrote (RV(covered)) gets no lines."
  - "RV(mechanisms) says which logon paths the drain covers on the host; a path left open
    while logons are refused is also a warning."
  - "B(Holds.) Every task that refuses logons records a hold of its O(holder) on the host
    (who, since, until). O(state=enabled) releases only that holder's hold; the host goes
    back to the mode it had before the first hold only when the last hold is released, so
    overlapping runs cannot leave each other's drain behind or lift it too early. Holds are
    kept next to C(/etc/nologin) (C(/etc/termserv-sessions), or C(/run/termserv-sessions)
    for C(/run/nologin)) on Linux, and in the registry key
    C(HKLM\\SOFTWARE\\termserv.sessions\\LogonHolds) on Windows."
  - "B(Expiry.) Every hold expires after O(expires_in). The host releases it by itself even
    if no controller ever comes back: on Linux a transient systemd timer (C(systemd-run)),
    or a detached watcher process where systemd does not run; on Windows a scheduled task.
    A later task that finds expired holds releases them too and says so in
    RV(released_expired)."
  - "B(Reboots.) On Linux with systemd, while a hold keeps C(/etc/nologin) the collection
    enables C(termserv-sessions-holds.service) for the next boot: it runs after
    C(systemd-user-sessions) (which on systemd 253 and older deletes C(/etc/nologin) at
    boot) and before ssh and xrdp, puts the drain back and arms its expiry again, or
    releases a hold that expired while the host was down. It is removed with the last hold.
    V(drain_until_restart) ends at a reboot, as its name says."
  - "B(Someone else's drain is never ours.) A host that already refuses logons with no hold
    of this collection (an admin's C(/etc/nologin), a drain set by hand) is left exactly as
    it is: no hold is taken, nothing is written, RV(covered) is true and RV(previous_state) /
    RV(previous_msg) say what was there. Only O(force=true) with O(state=enabled) lifts it."
author:
  - termserv.sessions contributors (@termserv)
extends_documentation_fragment:
  - termserv.sessions._attributes
  - termserv.sessions._attributes.action_group
  - termserv.sessions._attributes.platforms
attributes:
  check_mode:
    support: full
    details:
      - Reports the change, RV(previous_state) and the holds it would take or release
        without writing anything.
  diff_mode:
    support: full
    details:
      - Shows the logon state (and on Linux the nologin text) before and after.
  idempotent:
    support: full
    details:
      - Taking a hold its holder already has only renews its expiry, which is not reported
        as a change.
options:
  state:
    description:
      - The logon mode to set. V(enabled) releases the hold of O(holder); logons are enabled
        when no other hold remains.
    type: str
    required: true
    choices: [enabled, drain, drain_until_restart, disabled]
  msg:
    description:
      - Linux only, the text shown to users whose login is refused. A default text is used when omitted.
    type: str
  holder:
    description:
      - Who holds the drain. A run's drain and its restore must use the same holder.
      - "Default: C(AWX job <id>) when the play runs in an AWX/AAP job (C(awx_job_id) or
        C(tower_job_id)), else C(<user>@<controller> run <pid.starttime>) of the running
        C(ansible-playbook), which is the same for every task of one run."
      - When O(holder) is omitted and nothing of ours holds the host, O(state=enabled)
        enables logons (also lifting someone else's drain) as before holds existed. When it
        is given, O(state=enabled) only ever releases that holder's hold.
    type: str
  expires_in:
    description:
      - How long the hold lasts (seconds, or C(30m), C(2h)...). After that the host releases
        it by itself. Renewed each time the same holder refuses logons again.
    type: raw
    default: 1h
  force:
    description:
      - With O(state=enabled), release every hold of every holder and enable logons at once,
        also removing a nologin file that someone else wrote. The way to end a drain now.
    type: bool
    default: false
seealso:
  - module: termserv.sessions.session_logoff
"""

EXAMPLES = r"""
- name: Refuse new logons during maintenance (hold for at most 2 hours)
  termserv.sessions.logon_mode:
    state: drain
    msg: Maintenance until 23:00. Please log on later.
    expires_in: 2h
  become: true
  register: logons

- name: Release this run's hold; logons come back when no other run holds the host
  termserv.sessions.logon_mode:
    state: enabled
  become: true

- name: End every drain now, whoever holds it
  termserv.sessions.logon_mode:
    state: enabled
    force: true
  become: true
"""

RETURN = r"""
previous_state:
  description: The logon mode before this task, one of the O(state) choices.
  returned: success
  type: str
  sample: enabled
previous_msg:
  description: Linux, the text of the nologin file before this task; null when there was none.
  returned: success
  type: str
  sample: Logons are disabled for maintenance. Please try again later.
state:
  description: The logon mode after this task (in check mode, the one that would be set).
  returned: success
  type: str
  sample: drain
holds:
  description: The holds on the host after this task.
  returned: success
  type: list
  elements: dict
  contains:
    holder:
      description: Who holds it.
      type: str
    state:
      description: The mode the holder asked for.
      type: str
    since:
      description: When the hold was taken, seconds since the epoch (the host's clock).
      type: int
    until:
      description: When it expires, seconds since the epoch (the host's clock).
      type: int
  sample: [{holder: AWX job 42, state: drain, since: 1764099000, until: 1764102600}]
other_holds:
  description: The holds of other holders that remain (same form as RV(holds)).
  returned: success
  type: list
  elements: dict
released:
  description: The holds this task released (its holder's, or all of them with O(force)).
  returned: success
  type: list
  elements: dict
released_expired:
  description: Expired holds this task found and released.
  returned: success
  type: list
  elements: dict
covered:
  description: True when the host already refused logons by someone else's doing and this
    task left it exactly as it was.
  returned: success
  type: bool
overridden:
  description:
    - Windows - the holds of this collection that were dropped because someone else changed
      the logon mode while they were on it (C(change logon), Server Manager's "Do not allow
      new connections"); their mode is left as it is and never put back, neither by this
      task nor by the host's release task. Each item as in RV(holds).
    - Always empty on Linux, where a nologin file someone else wrote is never ours (RV(covered)).
  returned: success
  type: list
  elements: dict
notes:
  description: Lines for people - the holds of others (who, since, until), expired holds
    released, or why nothing was changed.
  returned: success
  type: list
  elements: str
mechanisms:
  description:
    - Linux only, the logon paths this host serves (its PAM service file exists) and whether
      a drain refuses them. Keys C(ssh) (service C(sshd)), C(console) (C(login)), C(xrdp)
      (C(xrdp-sesman)).
  returned: success, on Linux
  type: dict
  contains:
    service:
      description: The PAM service.
      type: str
    covered:
      description: Whether a nologin file refuses new logons through it now (for C(xrdp),
        true while this collection's lines are in place).
      type: bool
    how:
      description: Why, for people.
      type: str
    hookable:
      description: C(xrdp) only, a drain of this collection would put its lines in.
      type: bool
  sample:
    ssh: {service: sshd, covered: true, how: "pam_nologin in /etc/pam.d/sshd's own stack", hookable: false}
    xrdp: {service: xrdp-sesman, covered: true, hookable: true,
           how: "pam_nologin put in /etc/pam.d/xrdp-sesman by termserv.sessions for this drain"}
switch:
  description: The host's dead man's switch armed for the holds, C(systemd-run),
    C(watcher) or C(scheduled_task); null when no hold remains.
  returned: success
  type: str
"""
