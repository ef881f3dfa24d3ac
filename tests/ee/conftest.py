# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EE jobs run on the sandbox of real sessions."""
from __future__ import annotations

from tests.sandbox.pytest_sandbox import (  # noqa: F401 pylint: disable=unused-import
    close_session,
    ground,
    is_alive,
    open_sessions,
    terminal_output,
)
