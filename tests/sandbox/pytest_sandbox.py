# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures over the sandbox of real sessions (loaded by tests/conftest.py).

``ground``: the running sandbox (started once per test run, ended at the end).
``open_sessions(user, count=1, behaviour="normal", exit_delay=1.0)``: open sessions;
whatever a test leaves open is closed at its teardown.
"""
from __future__ import annotations

import os
import subprocess
import sys
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
    """``read(handle, expect)``: what the session's terminal showed, waiting up to 5 s for ``expect``."""
    def read(handle: Handle, expect: str | None) -> str:
        deadline = time.monotonic() + (5 if expect else 0.5)
        text = ground.terminal_output(handle)
        while expect and expect not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = ground.terminal_output(handle)
        return text
    return read


@pytest.fixture
def as_user(ground: Sandbox, tmp_path) -> t.Callable[[str, list[dict]], tuple[int, str]]:
    """``run(user, tasks)``: run tasks with ansible-playbook as a non-root user."""
    import yaml
    from tests.integration.ansible_run import env

    def run(user: str, tasks: list[dict]) -> tuple[int, str]:
        book = tmp_path / "nonroot.yml"
        book.write_text(yaml.safe_dump([{"name": "Non-root run", "hosts": "localhost",
                                         "gather_facts": False, "tasks": tasks}]))
        book.parent.chmod(0o755)
        book.chmod(0o644)
        home = f"/home/{user}"
        proc = subprocess.run(
            ["runuser", "-u", user, "--", os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
             "-i", "localhost,", "-c", "local", str(book)],
            capture_output=True, text=True, timeout=120, check=False, cwd="/tmp",
            env=env(HOME=home, ANSIBLE_LOCAL_TEMP=f"{home}/.ansible/tmp",
                    ANSIBLE_REMOTE_TEMP=f"{home}/.ansible/tmp"))
        return proc.returncode, proc.stdout + proc.stderr
    return run
