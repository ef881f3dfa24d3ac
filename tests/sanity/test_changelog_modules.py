# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The generated CHANGELOG.md and galaxy.yml agree with the modules (issue 23.14).

A module appears in CHANGELOG.md ("New Modules") when antsibull-changelog releases the
version of its version_added. So: a tree whose galaxy.yml says version V ships every
module added in V or earlier, and each of them must be in changelogs/changelog.yaml and
CHANGELOG.md. Raising galaxy.yml's version is the moment to run
`antsibull-changelog release` (changelogs/config.yaml: CHANGELOG.md is generated).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-", 1)[0].split("."))


def module_versions() -> dict[str, str]:
    """Each user-facing module's version_added (a user-facing module has an action plugin;
    the linux_/win_ target modules it runs are internal)."""
    found = {}
    for path in sorted((REPO / "plugins" / "modules").glob("*.py")):
        if not (REPO / "plugins" / "action" / path.name).exists():
            continue
        match = re.search(r"^\s*version_added:\s*['\"]?([\d.]+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        if match:
            found[path.stem] = match.group(1)
    return found


def released_modules() -> dict[str, str]:
    data = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8"))
    return {module["name"]: version for version, release in (data.get("releases") or {}).items()
            for module in release.get("modules", [])}


def test_every_module_has_a_version_added():
    assert "session_disconnect" in module_versions()


@pytest.mark.parametrize("name", sorted(module_versions()))
def test_a_shipped_module_is_in_the_changelog(name):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    added = module_versions()[name]
    if _version(added) > _version(galaxy):
        pytest.skip(f"{name} is added in {added}, after galaxy.yml's {galaxy}: released with {added}")
    assert name in released_modules(), (
        f"galaxy.yml says {galaxy}, which ships {name} (version_added {added}), but no release in "
        "changelogs/changelog.yaml lists it: run `antsibull-changelog release`")
    escaped = "termserv\\.sessions\\." + name.replace("_", "\\_")
    assert escaped in (REPO / "CHANGELOG.md").read_text(encoding="utf-8"), "regenerate CHANGELOG.md"
