# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain that does not cover a logon path says so (issue 24 item 1)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _drain_coverage

STATES = ["enabled", "drain", "drain_until_restart", "disabled"]
MECHS = st.dictionaries(st.sampled_from(["ssh", "console", "xrdp"]),
                        st.fixed_dictionaries({"covered": st.booleans(), "how": st.text(max_size=20)}))


@given(st.sampled_from(STATES), MECHS)
def test_one_warning_per_open_path_exactly_while_refusing(state, mechanisms):
    warned = _drain_coverage.warnings(state, mechanisms)
    open_paths = [name for name, info in mechanisms.items() if not info["covered"]]
    assert len(warned) == (len(open_paths) if state != "enabled" else 0)
    for name in open_paths if state != "enabled" else []:
        assert any(f"new {name} logons are NOT refused" in w for w in warned)


def test_debian_xrdp_host_without_our_lines_warns_about_xrdp():
    mechanisms = {"ssh": {"covered": True, "how": "pam_nologin"},
                  "xrdp": {"covered": False, "how": "none: /etc/pam.d/xrdp-sesman does not call pam_nologin"}}
    assert _drain_coverage.warnings("drain", mechanisms) == [
        "logons are drain but new xrdp logons are NOT refused on this host "
        "(none: /etc/pam.d/xrdp-sesman does not call pam_nologin)"]
    assert _drain_coverage.uncovered(None) == []


def test_check_mode_of_our_drain_counts_the_lines_it_would_put_in():
    mechanisms = {"xrdp": {"covered": False, "hookable": True, "how": "none"}}
    assert _drain_coverage.warnings("drain", mechanisms, would_hook=True) == []
    assert len(_drain_coverage.warnings("drain", mechanisms, would_hook=False)) == 1
