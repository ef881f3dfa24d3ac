# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filters read values exactly as the modules do, and name the variable when they cannot."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.filter.duration_seconds import FilterModule as Durations
from ansible_collections.termserv.sessions.plugins.plugin_utils._durations import format_duration, parse_duration

duration_seconds = Durations().filters()["duration_seconds"]


@given(st.integers(min_value=0, max_value=10 * 86400))
def test_every_duration_the_modules_accept_reads_the_same(seconds):
    for form in (seconds, str(seconds), format_duration(seconds), format_duration(seconds).upper()):
        assert duration_seconds(form, "logoff_all_grace") == parse_duration(form, "grace") == seconds


@pytest.mark.parametrize("bad", ["5x", "30m1h", "", -1, True, None, "1.5h"])
def test_a_value_that_is_not_a_duration_names_the_variable(bad):
    with pytest.raises(AnsibleFilterError, match=r"^logoff_all_timeout: .* (is not a duration|is negative)"):
        duration_seconds(bad, "logoff_all_timeout")
