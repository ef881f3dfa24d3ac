# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's documentation, as ansible-doc renders it, agrees with its argument spec.

The spec (plugins/module_utils/_spec.py) is the source of truth: the action plugins validate
a task against its user spec, whose documentation is the doc-only module NAME.py; the Linux
targets (linux_NAME.py) build their AnsibleModule from its internal spec and document only
that (issue 13.5).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _spec

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))
WIN_MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("win_*.yml"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if p.is_dir())


def ansible_doc(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"),
               ANSIBLE_NOCOLOR="1")
    return subprocess.run([str(BIN / "ansible-doc"), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def docs(name: str) -> dict:
    proc = ansible_doc("--json", f"termserv.sessions.{name}")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)[f"termserv.sessions.{name}"]


@pytest.mark.parametrize("name", MODULES + WIN_MODULES)
def test_module_renders_without_warnings(name):
    proc = ansible_doc(f"termserv.sessions.{name}")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    assert f"termserv.sessions.{name}" in proc.stdout


@pytest.mark.parametrize("role", ROLES)
def test_role_renders(role):
    proc = ansible_doc("-t", "role", f"termserv.sessions.{role}")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    assert "ENTRY POINT" in proc.stdout and "logoff_all_exclude_users" in proc.stdout


def expected(name: str) -> dict:
    if name.startswith("linux_"):
        return _spec.target_spec(name[len("linux_"):], windows=False)
    return _spec.user_spec(name)


def test_every_user_facing_module_has_a_linux_target():
    assert sorted(_spec.USER_SPECS) == sorted(n for n in MODULES if not n.startswith("linux_"))
    assert sorted(f"linux_{n}" for n in _spec.USER_SPECS) == sorted(n for n in MODULES if n.startswith("linux_"))


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_are_the_spec(name):
    documented = docs(name)["doc"]["options"]
    spec = expected(name)
    assert set(documented) == set(spec)
    for option, entry in spec.items():
        doc = documented[option]
        assert doc.get("type", "str") == entry.get("type", "str"), option
        assert doc.get("elements") == entry.get("elements"), option
        assert bool(doc.get("required", False)) == bool(entry.get("required", False)), option
        assert doc.get("choices") == entry.get("choices"), option
        if not entry.get("required"):
            assert doc.get("default") == entry.get("default"), option


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_check_diff_and_idempotence(name):
    attributes = docs(name)["doc"]["attributes"]
    for attribute in ("check_mode", "diff_mode", "idempotent"):
        assert attributes[attribute]["support"] in ("full", "partial", "none", "N/A"), attribute
        assert attributes[attribute]["description"], attribute
