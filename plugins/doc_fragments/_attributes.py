# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attribute documentation shared by the modules. PRIVATE to the collection."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
"""

    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/termserv.sessions.sessions) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - termserv.sessions.sessions
"""

    PLATFORMS = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: [posix, windows]
    details:
      - Linux with systemd-logind (sessions from C(loginctl)) or without it (sessions from the utmp file).
      - Windows Server with the Remote Desktop Session Host role, or any Windows with Remote Desktop enabled (WTS API).
"""

    # The Linux targets (linux_*): what they share; each documents its own check_mode.
    LINUX_TARGET = r"""
options: {}
attributes:
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The action plugin decides; this module acts only on what it is given.
  platform:
    support: full
    platforms: posix
"""
