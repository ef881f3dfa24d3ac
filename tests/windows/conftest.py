# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the Windows proof: build once, then run the driver on any table."""
from __future__ import annotations

import json
import os
import shutil
import sys
import typing as t
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import wtsfake  # noqa: E402  pylint: disable=wrong-import-position

FARM = json.loads((HERE / "tables" / "rds_farm.json").read_text(encoding="utf-8"))


def pytest_collection_modifyitems(config, items):
    missing = [tool for tool in ("mcs", "mono", "gcc") if shutil.which(tool) is None]
    if missing:
        raise pytest.UsageError(f"the Windows proof needs {missing}: run tests/install-deps.sh")


@pytest.fixture(scope="session")
def driver_exe() -> Path:
    # The mutation tests point this at a driver built from a deliberately broken util.
    override = os.environ.get("WTS_DRIVER_EXE")
    return Path(override) if override else wtsfake.build()


def call(exe: Path, table: dict, *args: str, tmp: Path) -> dict[str, t.Any]:
    path = tmp / "table.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    proc = wtsfake.run_driver(path, list(args), exe=exe,
                              timeout=float(os.environ.get("WTS_DRIVER_TIMEOUT", "120")))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def wts(driver_exe, tmp_path) -> t.Callable[..., dict[str, t.Any]]:
    """``wts(table, "list")`` / ``wts(table, "logoff", "--timeout", "2", "3")``: the driver's JSON."""
    def run(table: dict, *args: str) -> dict[str, t.Any]:
        return call(driver_exe, table, *args, tmp=tmp_path)
    return run
