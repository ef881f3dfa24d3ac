# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The name options of the variable_errors and hosts_variable_errors filters. PRIVATE to the collection."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  known:
    description: Every name with O(prefix) that is a real variable.
    type: list
    elements: str
    required: true
  prefix:
    description: Names that start with this are checked; others (and names that merely contain it) are not.
    type: str
    required: true
"""
