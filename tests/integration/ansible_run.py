# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run tasks or playbooks with the real ``ansible-playbook`` and read what they registered.

Tests are read as examples, so they pass tasks exactly as a user would write them (FQCNs,
``register``); a last task saves every registered variable as JSON for the test to read.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "build" / "collections"
BIN = Path(sys.executable).parent


@dataclasses.dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    registered: dict[str, t.Any]

    def __getitem__(self, name: str) -> t.Any:
        return self.registered[name]


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": f"{BIN}:{out.get('PATH', '/usr/bin:/bin')}",
    })
    out.update(extra)
    return out


def playbook(path: str | Path, *args: str, timeout: float = 300, **env_extra: str) -> subprocess.CompletedProcess:
    """``ansible-playbook PATH ARGS...`` with the collection from this checkout."""
    return subprocess.run([str(BIN / "ansible-playbook"), str(path), *args], capture_output=True,
                          text=True, timeout=timeout, env=env(**env_extra), check=False)


def run_tasks(tasks: list[dict[str, t.Any]], *args: str, check: bool = False, diff: bool = False,
              play: dict[str, t.Any] | None = None, timeout: float = 300,
              inventory: str = "localhost,") -> Run:
    """Run ``tasks`` on localhost; return rc, output and every variable they registered."""
    names = [task["register"] for task in tasks if "register" in task]
    with tempfile.TemporaryDirectory(prefix="termserv-it-") as tmp:
        out = Path(tmp) / "registered.json"
        saved = "{" + ", ".join(f"'{n}': {n} | default(None)" for n in names) + "}"
        body = dict(play or {})
        body.setdefault("name", "Integration test")
        body.setdefault("hosts", "localhost")
        body.setdefault("gather_facts", False)
        body["tasks"] = [{"name": "Steps under test", "block": list(tasks), "always": [{
            "name": "Save what the steps registered",
            "ansible.builtin.copy": {"content": "{{ " + saved + " | to_json }}", "dest": str(out),
                                     "mode": "0600"},
            "check_mode": False,
            "diff": False,
            "delegate_to": "localhost",
            "connection": "local",
        }]}]
        book = Path(tmp) / "play.yml"
        book.write_text(yaml.safe_dump([body], sort_keys=False), encoding="utf-8")
        flags = ["-i", inventory, *args]
        if inventory == "localhost,":
            flags += ["-c", "local"]
        if check:
            flags.append("--check")
        if diff:
            flags.append("--diff")
        proc = playbook(book, *flags, timeout=timeout)
        registered = json.loads(out.read_text()) if out.exists() else {}
    return Run(proc.returncode, proc.stdout, proc.stderr, registered)
