# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task examples of the user guide and the migration guide run, as written, in check mode.

A YAML block in these pages that is a list of tasks calling this collection's modules is an
example a user will paste; it runs against real sessions so that a renamed option or a
wrong value in the docs fails here, not on a user's host. Check mode: the examples warn and
wait for minutes; in check mode they enumerate and select for real.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .ansible_run import REPO


@pytest.fixture(scope="session")
def ground(sandbox_ground):
    """One ground is enough to prove an example is valid; the modules themselves run on
    every ground in the other tests."""
    return sandbox_ground


PAGES = [REPO / "docs" / "user-guide.md", REPO / "docs" / "migration.md"]
FENCE = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)
PREFIX = "termserv.sessions."


def task_examples(page: Path) -> list[list[dict]]:
    """Every yaml block of ``page`` that is a task list calling one of our modules."""
    found = []
    for block in FENCE.findall(page.read_text(encoding="utf-8")):
        tasks = yaml.safe_load(block)
        if isinstance(tasks, list) and all(isinstance(task, dict) for task in tasks) \
                and any(key.startswith(PREFIX) for task in tasks for key in task):
            found.append(tasks)
    return found


def test_the_guides_have_task_examples():
    """Guards the extraction: a changed fence style must not make the test below vacuous."""
    assert len(task_examples(PAGES[0])) >= 5
    assert len(task_examples(PAGES[1])) >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_guide_examples_run_in_check_mode(ground, page, open_sessions):
    open_sessions("admin")
    open_sessions("admin2")
    tasks = [task for block in task_examples(page) for task in block]
    for number, task in enumerate(tasks):
        task["register"] = f"example_{number}"  # the examples' own names would collide
    run = ground.run(tasks, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    for task in tasks:
        result = run[task["register"]]
        assert result is not None and not result.get("failed"), (task["name"], result)
        module = next(key for key in task if key.startswith(PREFIX))
        if module != PREFIX + "logon_mode":
            # The example enumerated for real: the sessions opened above are in its report
            # (listed, or selected / skipped with a reason).
            reported = {entry["user"] for value in result.values() if isinstance(value, list)
                        for entry in value if isinstance(entry, dict) and "user" in entry}
            assert {"admin", "admin2"} <= reported, (task["name"], result)
