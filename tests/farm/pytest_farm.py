# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures over the farm of namespaced hosts (tests/farm/farm.py).

``farm``: one farm per pytest run (FARM_HOSTS utmp + systemd hosts), brought down at the end.
``xrdp``: an xrdp host for one test module (``xrdp_host``: one for a ``with`` block, any set-up).
``FarmGround``: one farm host seen through the same API as tests/sandbox's ``Sandbox`` (open,
alive, close, run, run_in_root_session, try_login, as_user ...), so a test written for the
sandbox runs on a farm host unchanged.
"""
from __future__ import annotations

import contextlib
import os
import typing as t
from pathlib import Path

import pytest

from tests.farm.farm import Farm, Handle

# The farm a pytest run brings up: enough for the integration and playbook tests.
FARM_HOSTS = {"utmp": 2, "systemd": 1}


class FarmGround:
    """One farm host as a test ground."""

    local = False

    def __init__(self, farm: Farm, name: str) -> None:
        self.farm = farm
        self.name = name
        host = farm.host(name)
        self.kind = host["kind"]
        self.backend = host["backend"]
        self.addr = host["addr"]
        self.port = host["port"]
        self.dir = farm.dir

    def open(self, user: str, count: int = 1, behaviour: str = "normal",
             exit_delay: float = 1.0) -> list[Handle]:
        return self.farm.open(self.name, user, count, behaviour, exit_delay)

    def alive(self, handle: Handle) -> bool:
        return self.farm.alive(handle)

    def close(self, handle: Handle) -> None:
        self.farm.close(handle)

    @staticmethod
    def terminal_output(handle: Handle) -> str:
        return Path(handle.output).read_text(encoding="utf-8", errors="replace")

    def try_login(self, user: str, timeout: float = 20) -> int:
        return self.farm.try_login(self.name, user, timeout)

    def run_in_root_session(self, argv: list[str], timeout: float = 240) -> tuple[int, str]:
        return self.farm.run_in_root_session(self.name, argv, timeout)

    def root(self) -> Path:
        """This host's / as the machine sees it (/proc/PID/root)."""
        return self.farm.root(self.name)

    def run(self, tasks: list[dict[str, t.Any]], user: str = "root", **kwargs: t.Any) -> t.Any:
        """Run tasks on this host over ssh, from the farm's inventory."""
        from tests.integration.ansible_run import run_tasks
        play = {"hosts": self.name}
        if user != "root":
            play["vars"] = {"ansible_user": user}
        return run_tasks(tasks, play=play, inventory=str(self.farm.write_inventory()), **kwargs)

    def as_user(self, user: str, tasks: list[dict[str, t.Any]]) -> tuple[int, str]:
        for number, task in enumerate(tasks):
            task.setdefault("register", f"task_{number}")
        result = self.run(tasks, user=user)
        return result.rc, result.stdout + result.stderr


# Several conftests import the fixture (each import is its own session fixture): they share
# one farm, brought up by the first and down by the last.
_SHARED: dict[str, t.Any] = {"farm": None, "users": 0}


@pytest.fixture(scope="session")
def farm() -> t.Iterator[Farm]:
    if os.geteuid() != 0:
        pytest.skip("the farm of real hosts needs root")
    if _SHARED["users"] == 0:
        instance = Farm()
        instance.down()  # whatever an interrupted earlier run left
        try:
            instance.up(**FARM_HOSTS)
        except Exception:
            instance.down()
            raise
        _SHARED["farm"] = instance
    _SHARED["users"] += 1
    instance = _SHARED["farm"]
    try:
        yield instance
    finally:
        _SHARED["users"] -= 1
        if _SHARED["users"] == 0:
            instance.down()
            assert instance.leftovers() == [], "the farm left mounts behind"
            assert not list(instance.dir.glob("hosts/*/disk")), "the farm left a host's disk behind"


def farm_host(farm: Farm, kind: str, index: int = 0) -> str:
    names = sorted(n for n, h in farm.hosts().items() if h["kind"] == kind)
    return names[index]


@contextlib.contextmanager
def xrdp_host(farm: Farm, **setup: bool) -> t.Iterator[str]:  # noqa: F811
    """One more xrdp host (``setup``: Farm.up's xrdp_setup), removed afterwards: never left in
    the shared farm's inventory, whose every host other tests target."""
    before = set(farm.hosts())
    farm.up(**FARM_HOSTS, xrdp=1, xrdp_setup=setup)
    [name] = [n for n in set(farm.hosts()) - before if farm.host(n)["kind"] == "xrdp"]
    try:
        yield name
    finally:
        farm.remove_host(name)


@pytest.fixture(scope="module")
def xrdp(farm: Farm) -> t.Iterator[str]:  # noqa: F811  pylint: disable=redefined-outer-name
    """An xrdp host for the tests of one module."""
    with xrdp_host(farm) as name:
        yield name
