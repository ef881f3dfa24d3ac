# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""These tests run on real sessions, on every ground:

- ``sandbox``: this machine (utmp, ``connection: local``; tests/sandbox);
- ``systemd``: a farm host with systemd as PID 1 and a real systemd-logind, reached over
  ssh (tests/farm). Same tests, same assertions: only the session ids differ (a tty on a
  utmp host, logind's id on a logind host), so tests use ``handle.id``.

``TERMSERV_GROUNDS=sandbox`` (comma-separated) limits the grounds.
"""
from __future__ import annotations

import os
import time
import typing as t

import pytest

from tests.farm.pytest_farm import FarmGround, farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.sandbox.sandbox import Sandbox

GROUNDS = [g for g in os.environ.get("TERMSERV_GROUNDS", "sandbox,systemd").split(",") if g]


@pytest.fixture(scope="session")
def sandbox_ground() -> t.Iterator[Sandbox]:
    if os.geteuid() != 0:
        pytest.skip("the sandbox of real sessions needs root")
    box = Sandbox()
    box.up()
    box.close_all()  # sessions left by an interrupted earlier run
    yield box
    box.down()


@pytest.fixture(scope="session", params=GROUNDS)
def ground(request) -> t.Any:
    if request.param == "sandbox":
        return request.getfixturevalue("sandbox_ground")
    instance = request.getfixturevalue("farm")
    return FarmGround(instance, farm_host(instance, request.param))


@pytest.fixture
def open_sessions(ground) -> t.Iterator[t.Callable[..., list]]:
    opened: list = []

    def opener(user: str, count: int = 1, behaviour: str = "normal", exit_delay: float = 1.0) -> list:
        handles = ground.open(user, count, behaviour, exit_delay)
        opened.extend(handles)
        return handles

    yield opener
    for handle in opened:
        ground.close(handle)


@pytest.fixture
def is_alive(ground) -> t.Callable[[t.Any], bool]:
    return ground.alive


@pytest.fixture
def close_session(ground) -> t.Callable[[t.Any], None]:
    return ground.close


@pytest.fixture
def terminal_output(ground) -> t.Callable[[t.Any, str | None], str]:
    """``read(handle, expect)``: what the session's terminal showed, waiting up to 5 s for ``expect``."""
    def read(handle, expect: str | None) -> str:
        deadline = time.monotonic() + (5 if expect else 0.5)
        text = ground.terminal_output(handle)
        while expect and expect not in text and time.monotonic() < deadline:
            time.sleep(0.05)
            text = ground.terminal_output(handle)
        return text
    return read


@pytest.fixture
def as_user(ground) -> t.Callable[[str, list[dict]], tuple[int, str]]:
    """``run(user, tasks)``: run tasks over ssh as a non-root user of the ground (no become)."""
    if isinstance(ground, FarmGround):
        return ground.as_user
    from tests.integration.ansible_run import run_tasks

    def run(user: str, tasks: list[dict]) -> tuple[int, str]:
        for number, task in enumerate(tasks):
            task.setdefault("register", f"task_{number}")
        result = run_tasks(tasks, play={
            "hosts": "sandbox", "vars": {
                "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": ground.port,
                "ansible_user": user, "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_ssh_private_key_file": str(ground.dir / "client_key"),
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
            }}, inventory="sandbox,")
        return result.rc, result.stdout + result.stderr
    return run
