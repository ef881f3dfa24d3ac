# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's EXAMPLES run, as written, in check mode against real sessions.

Check mode because the examples warn users and wait for minutes; in check mode the same
tasks enumerate and select for real and report what they would do.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from .ansible_run import REPO, run_tasks

# The linux_* targets' EXAMPLES only show a call of the user-facing module, whose own
# EXAMPLES run here; their docs are checked by docs-check.
MODULES = sorted(p for p in (REPO / "plugins" / "modules").glob("*.py")
                 if p.name != "__init__.py" and not p.name.startswith("linux_"))


def examples(path: Path) -> list[dict]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{path.name} has no EXAMPLES")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_examples_run_in_check_mode(ground, path, open_sessions):
    open_sessions("admin")
    open_sessions("admin2")
    tasks = examples(path)
    for number, task in enumerate(tasks):
        task.setdefault("register", f"example_{number}")
    run = ground.run(tasks, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    for number, task in enumerate(tasks):
        result = run[task["register"]]
        assert result is not None and not result.get("failed"), (task["name"], result)


FILTERS = sorted(p for p in (REPO / "plugins" / "filter").glob("*.py") if p.name != "__init__.py")


@pytest.mark.parametrize("path", FILTERS, ids=lambda p: p.stem)
def test_filter_examples_give_what_they_say(path):
    """Each filter example prints what its ``# => value`` comment says it does."""
    text = next(node.value.value for node in ast.parse(path.read_text(encoding="utf-8")).body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXAMPLES")
    promised = [ast.literal_eval(line.split("# =>", 1)[1].strip())
                for line in text.splitlines() if "# =>" in line]
    tasks = yaml.safe_load(text)
    assert len(promised) == len(tasks), f"{path.name}: every example needs one '# => value' comment"
    for number, task in enumerate(tasks):
        task["register"] = f"example_{number}"
    run = run_tasks(tasks)
    assert run.rc == 0, run.stdout + run.stderr
    for number, value in enumerate(promised):
        assert run[f"example_{number}"]["msg"] == value, (tasks[number]["name"], run[f"example_{number}"])
