# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for tests of the Linux target code (module_utils) run in this process."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "loginctl"
VERSIONS = sorted(p.name for p in FIXTURES.iterdir())


@pytest.fixture
def fake_loginctl(tmp_path, monkeypatch):
    """Returns ``use(version)``: put a fake loginctl replaying that version on PATH."""
    from ansible_collections.termserv.sessions.plugins.module_utils import _logind

    def use(version: str) -> Path:
        data = tmp_path / version
        shutil.copytree(FIXTURES / version, data)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir(exist_ok=True)
        # A wrapper, not a shebang: it must run with this Python whatever is on PATH.
        wrapper = bin_dir / "loginctl"
        wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE / 'fake_loginctl.py'} \"$@\"\n")
        wrapper.chmod(0o755)
        monkeypatch.setenv("FAKE_LOGINCTL_DIR", str(data))
        monkeypatch.setitem(_logind._ENV, "PATH", f"{bin_dir}:/usr/bin:/bin")
        monkeypatch.setitem(_logind._ENV, "FAKE_LOGINCTL_DIR", str(data))
        return data

    return use
