# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A template of the collection rendered by ansible-playbook itself (its filters, its
escaping), from given variables, for tests that need no host."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VENV", REPO / ".venv"))


def render(template: Path, variables: dict[str, object], tmp_path: Path) -> list[str]:
    """The lines ``template`` renders to with ``variables``, on localhost."""
    out = tmp_path / "rendered.txt"
    play = [{"hosts": "localhost", "gather_facts": False, "vars": variables,
             "tasks": [{"ansible.builtin.copy": {
                 "content": f"{{{{ lookup('ansible.builtin.template', '{template}') }}}}", "dest": str(out)}}]}]
    book = tmp_path / "play.yml"
    book.write_text(json.dumps(play))
    proc = subprocess.run([str(VENV / "bin" / "ansible-playbook"), str(book)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "ANSIBLE_LOCALHOST_WARNING": "0"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out.read_text().splitlines()
