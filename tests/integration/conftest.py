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
import typing as t

import pytest

from tests.farm.pytest_farm import FarmGround, farm, farm_host  # noqa: F401 pylint: disable=unused-import
from tests.sandbox.pytest_sandbox import (  # noqa: F401 pylint: disable=unused-import
    as_user, close_session, is_alive, open_sessions, terminal_output)
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
