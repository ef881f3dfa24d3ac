# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A reference to a README section (`README "Requirements"`, `README, "Requirements"`,
`README.md#requirements`) names a section the README has (issue 23.14: docs/awx.md pointed
at a README section that did not exist)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUOTED = re.compile(r"README(?:\.md)?,? \"([^\"]+)\"")
ANCHOR = re.compile(r"README\.md#([\w-]+)")


def headings() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#{2,4} (.+)$", (REPO / "README.md").read_text(), re.MULTILINE)}


def anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def test_every_reference_to_a_readme_section_finds_it():
    names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True,
                           timeout=30).stdout.splitlines()
    titles = headings()
    anchors = {anchor(t) for t in titles}
    wrong = []
    for name in names:
        path = REPO / name
        if name == "README.md" or not path.is_file() or not name.endswith((".md", ".py", ".yml", ".sh", ".txt")):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        wrong += [f"{name}: README \"{m}\"" for m in QUOTED.findall(text) if m not in titles]
        wrong += [f"{name}: README.md#{m}" for m in ANCHOR.findall(text) if m not in anchors]
    assert not wrong, f"README sections that do not exist: {wrong}; README has {sorted(titles)}"
