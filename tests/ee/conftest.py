# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EE jobs run on the sandbox of real sessions, the execution-node ones on the farm."""
from __future__ import annotations

import shutil

import pytest

from tests.ee import ee

from tests.sandbox.pytest_sandbox import (  # noqa: F401 pylint: disable=unused-import
    close_session,
    ground,
    is_alive,
    open_sessions,
    terminal_output,
)


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> str:
    """The test EE with this checkout's collection (built once, then reused by its tag)."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed (tests/apt-packages.txt lists it; run make deps)")
    return ee.build(tmp_path_factory.mktemp("ee-build"))
