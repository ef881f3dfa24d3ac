# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures over the sandbox of real sessions (loaded by tests/conftest.py).

``ground``: the running sandbox (started once per test run, ended at the end).
``open_sessions(user, count=1, behaviour="normal", exit_delay=1.0)``: open sessions;
whatever a test leaves open is closed at its teardown.
The fixtures other than ``ground`` use only what every ground has (a Sandbox here, a
farm host in tests/integration, whose conftest imports them over its own ``ground``).
"""
from __future__ import annotations

import os
import time
import typing as t

import pytest

from tests.sandbox.sandbox import Handle, Sandbox


@pytest.fixture(scope="session")
def ground() -> t.Iterator[Sandbox]:
    if os.geteuid() != 0:
        pytest.skip("the sandbox of real sessions needs root")
    box = Sandbox()
    box.up()
    box.close_all()  # sessions left by an interrupted earlier run
    yield box
    box.down()


@pytest.fixture
def open_sessions(ground: Sandbox) -> t.Iterator[t.Callable[..., list[Handle]]]:
    opened: list[Handle] = []

    def opener(user: str, count: int = 1, behaviour: str = "normal",
               exit_delay: float = 1.0) -> list[Handle]:
        handles = ground.open(user, count, behaviour, exit_delay)
        opened.extend(handles)
        return handles

    yield opener
    for handle in opened:
        ground.close(handle)


@pytest.fixture
def is_alive(ground: Sandbox) -> t.Callable[[Handle], bool]:
    return ground.alive


@pytest.fixture
def close_session(ground: Sandbox) -> t.Callable[[Handle], None]:
    return ground.close


@pytest.fixture
def terminal_output(ground: Sandbox) -> t.Callable[[Handle, str | None], str]:
    """``read(handle, expect, wait=5)``: what the session's terminal showed, waiting up to
    ``wait`` seconds for ``expect``."""
    def read(handle: Handle, expect: str | None, wait: float = 5) -> str:
        deadline = time.monotonic() + (wait if expect else 0.5)
        text = ground.terminal_output(handle)
        while expect and expect not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = ground.terminal_output(handle)
        return text
    return read


@pytest.fixture
def as_user(ground: Sandbox) -> t.Callable[[str, list[dict]], tuple[int, str]]:
    """``run(user, tasks)``: run tasks over ssh as a non-root user of the ground (no become)."""
    return ground.as_user
