# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every change to plugins/, roles/ or playbooks/ since the last release has a fragment."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.sanity.changelog_check import last_release, missing_fragment

REPO = Path(__file__).resolve().parents[2]


def test_this_repository_has_fragments_for_its_changes():
    missing = missing_fragment(REPO)
    assert not missing, ("changed since the last release without a changelog fragment "
                         f"(add changelogs/fragments/<issue>-<topic>.yml): {missing[:20]}")


def test_plugin_cache_is_not_committed():
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "changelogs/.plugin-cache.yaml"],
                             capture_output=True, text=True, check=True).stdout
    assert not tracked.strip()


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def released(tmp_path) -> Path:
    """A repository with a release (changelog.yaml written, fragments consumed) and later commits."""
    repo = tmp_path / "repo"
    (repo / "plugins" / "modules").mkdir(parents=True)
    (repo / "changelogs" / "fragments").mkdir(parents=True)
    (repo / "plugins" / "modules" / "m.py").write_text("v1\n")
    (repo / "changelogs" / "fragments" / "1-old.yml").write_text("bugfixes: [old]\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "work")
    (repo / "changelogs" / "fragments" / "1-old.yml").unlink()
    (repo / "changelogs" / "changelog.yaml").write_text("releases: {0.1.0: {}}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "release 0.1.0")
    (repo / "README.md").write_text("docs only\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "after the release")
    return repo


def test_release_is_the_last_commit_that_changed_changelog_yaml(released):
    head = subprocess.run(["git", "-C", str(released), "rev-parse", "HEAD~1"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert last_release(released) == head


def test_docs_only_changes_need_no_fragment(released):
    assert missing_fragment(released) == []


@pytest.mark.parametrize("path", ["plugins/modules/m.py", "roles/r/tasks/main.yml", "playbooks/p.yml"])
def test_a_change_without_a_fragment_fails_committed_or_not(released, path):
    target = released / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("v2\n")
    assert missing_fragment(released) == [path]  # untracked / modified in the work tree
    git(released, "add", "-A")
    git(released, "commit", "-qm", "change")
    assert missing_fragment(released) == [path]  # committed


def test_a_fragment_added_since_the_release_satisfies_it(released):
    (released / "plugins" / "modules" / "m.py").write_text("v2\n")
    (released / "changelogs" / "fragments" / "2-fix.yml").write_text("bugfixes: [fix]\n")
    git(released, "add", "-A")
    git(released, "commit", "-qm", "fix with fragment")
    assert missing_fragment(released) == []
