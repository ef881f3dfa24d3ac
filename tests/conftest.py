# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the checkout importable as ``ansible_collections.termserv.sessions``.

The repository root *is* the collection, but Python and Ansible only find it under an
``ansible_collections/<namespace>/<name>`` path, so tests use a symlink in build/.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / "build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "termserv" / "sessions"


def _ensure_link() -> None:
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        try:
            LINK.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:  # another xdist worker won the race
            pass


_ensure_link()
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.* helpers
