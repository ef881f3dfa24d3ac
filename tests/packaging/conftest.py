# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed copy logs off real sessions of the sandbox."""
from __future__ import annotations

from tests.sandbox.pytest_sandbox import (  # noqa: F401 pylint: disable=unused-import
    ground,
    is_alive,
    open_sessions,
)
