# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis profiles for the policy's property tests (issue 11 item 21).

``ci`` (the default): at least 1000 random tables per property, no deadline (a loaded CI
machine must not turn a slow example into a failure). ``dev``: 100, for quick local runs
(HYPOTHESIS_PROFILE=dev).
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROPERTY_EXAMPLES = 1000

settings.register_profile("ci", max_examples=PROPERTY_EXAMPLES, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
