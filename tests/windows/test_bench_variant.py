# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench's Windows line compares the util with a variant that logs off one at a time.

The variant is made by patching the util's logoff call; when the util's code moves, the
patch must follow, or `make bench` stops (it did once, unnoticed: make bench is not in CI).
"""
from __future__ import annotations

import importlib.util

from wtsfake import REPO, UTIL


def test_the_bench_finds_the_logoff_call_it_makes_sequential():
    spec = importlib.util.spec_from_file_location("windows_logoff", REPO / "bench" / "windows_logoff.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    source = UTIL.read_text(encoding="utf-8")
    assert source.count(bench.PARALLEL_CALL) == 1
    assert bench.PARALLEL_CALL.endswith("false)")
