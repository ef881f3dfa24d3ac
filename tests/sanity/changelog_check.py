# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Changelog as a habit: a change to what users run needs a changelog fragment.

"The last release" is the commit that last changed changelogs/changelog.yaml: antsibull-
changelog writes that file when a release is made (and removes the fragments it took), so
it marks a release whether or not anyone pushed a tag. Since that commit, if anything under
plugins/, roles/ or playbooks/ changed (committed or not), changelogs/fragments/ must hold
fragments added since then.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

WATCHED = ("plugins/", "roles/", "playbooks/")
FRAGMENTS = "changelogs/fragments/"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def last_release(repo: Path) -> str:
    commit = _git(repo, "log", "-n", "1", "--format=%H", "--", "changelogs/changelog.yaml").strip()
    if not commit:
        raise LookupError("no commit changed changelogs/changelog.yaml (a shallow clone? fetch the history)")
    return commit


def changed_since(repo: Path, commit: str) -> set[str]:
    """Files changed since ``commit``: committed, staged, unstaged and new untracked files."""
    changed = set(_git(repo, "diff", "--name-only", commit).split("\n"))
    changed |= set(_git(repo, "ls-files", "--others", "--exclude-standard").split("\n"))
    return {name for name in changed if name}


def new_fragments(repo: Path, commit: str) -> set[str]:
    """Fragments that exist now and did not at ``commit``."""
    before = set(_git(repo, "ls-tree", "-r", "--name-only", commit, "--", FRAGMENTS).split("\n"))
    now = {str(p.relative_to(repo)) for p in (repo / FRAGMENTS).glob("*.y*ml")} if (repo / FRAGMENTS).is_dir() \
        else set()
    return now - before


def missing_fragment(repo: Path) -> list[str]:
    """The watched files changed since the last release, when no fragment was added; else []."""
    commit = last_release(repo)
    watched = sorted(n for n in changed_since(repo, commit) if n.startswith(WATCHED))
    if watched and not new_fragments(repo, commit):
        return watched
    return []
