# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``become_method: machinectl`` for the farm tests (issue 22 item 3).

The farm's venv carries ansible-core only, and community.general (whose machinectl become
plugin users run) cannot be installed here. This plugin builds the same command that one
does: ``machinectl -q shell [FLAGS] USER@ /bin/sh -c 'echo BECOME-SUCCESS-...; CMD'``, with
a terminal (machinectl shell always gives the command one, so Ansible's ssh runs it with
``-tt``). What matters for the test is on the host: the task's module runs in a new logind
session that systemd-machined starts from PID 1, not below the ssh connection.
"""
from __future__ import annotations

DOCUMENTATION = """
    name: machinectl
    short_description: become through systemd-machined (machinectl shell), for the farm tests
    description:
        - Runs the task's command as O(become_user) with C(machinectl -q shell USER@).
    author: termserv.sessions contributors
    options:
        become_user:
            description: The user to become.
            default: root
            vars:
              - name: ansible_become_user
            keyword:
              - name: become_user
        become_exe:
            description: The machinectl executable.
            default: machinectl
            vars:
              - name: ansible_become_exe
            keyword:
              - name: become_exe
        become_flags:
            description: Options for machinectl.
            default: ''
            vars:
              - name: ansible_become_flags
            keyword:
              - name: become_flags
"""

from ansible.plugins.become import BecomeBase


class BecomeModule(BecomeBase):

    name = "machinectl"
    require_tty = True

    def build_become_command(self, cmd, shell):
        super().build_become_command(cmd, shell)
        if not cmd:
            return cmd
        parts = [self.get_option("become_exe"), "-q", "shell", self.get_option("become_flags"),
                 f"{self.get_option('become_user')}@", self._build_success_command(cmd, shell)]
        return " ".join(part for part in parts if part)
