# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hold decisions (issue 16): overlapping runs, expiry, foreign drains, force."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.plugin_utils import _holds
from ansible_collections.termserv.sessions.plugins.plugin_utils._holds import Request, decide


class Host:
    """A host as the targets keep it: a mode, whose it is, and the hold store."""

    def __init__(self, mode: str = "enabled", foreign: bool = False) -> None:
        self.mode, self.foreign, self.store, self.now = mode, foreign, None, 1_000_000

    def run(self, state: str, holder: str, expires_in: int = 600, force: bool = False,
            holder_given: bool = True) -> _holds.Decision:
        decision = decide(self.store, Request(state, holder, expires_in, force, holder_given),
                          now=self.now, current=self.mode, foreign=self.foreign)
        if decision.set_state is not None:
            if decision.set_state == "enabled" and not force and self.foreign:
                pass  # the Linux target never removes a file that is not ours
            else:
                self.mode, self.foreign = decision.set_state, False
        if decision.write_store:
            self.store = decision.store
        return decision

    def switch_fires(self) -> None:
        """The host's dead man's switch at the last hold's expiry (same generation)."""
        if self.store and all(h["until"] <= self.now for h in self.store["holds"]):
            self.mode = self.store["original"]["state"]
            self.store = None


def test_one_run_drains_and_restores():
    host = Host()
    first = host.run("drain", "A")
    assert first.changed and host.mode == "drain" and [h.holder for h in first.holds] == ["A"]
    assert first.store["original"] == {"state": "enabled"}
    last = host.run("enabled", "A")
    assert last.changed and last.restore_original and host.mode == "enabled" and host.store is None


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
def test_overlapping_runs_end_in_the_original_mode_in_either_order(order):
    host = Host()
    host.run("drain", "A")
    host.now += 5
    second = host.run("drain", "B")
    assert [h.holder for h in second.others] == ["A"], "B must see A's hold"
    host.now += 5
    early = host.run("enabled", order[0])
    assert host.mode == "drain", "the first release must not lift the other run's drain"
    assert [h.holder for h in early.others] == [order[1]]
    host.run("enabled", order[1])
    assert host.mode == "enabled" and host.store is None


def test_the_overlap_bug_of_issue_16_cannot_happen():
    # A drains, B drains (its previous state is A's drain), A restores, B restores.
    host = Host()
    host.run("drain", "A")
    b = host.run("drain", "B")
    assert b.previous_state == "drain"
    host.run("enabled", "A")
    host.run("enabled", "B")
    assert host.mode == "enabled", "the host must not stay drained for good"


def test_a_repeated_drain_renews_the_expiry_without_a_change():
    host = Host()
    first = host.run("drain", "A", expires_in=60)
    host.now += 30
    again = host.run("drain", "A", expires_in=60)
    assert not again.changed and again.write_store
    assert again.holds[0].since == first.holds[0].since and again.holds[0].until == host.now + 60


def test_a_foreign_drain_is_covered_never_held_and_never_lifted():
    host = Host(mode="drain", foreign=True)
    drain = host.run("drain", "A")
    assert drain.covered and not drain.changed and drain.set_state is None and not drain.write_store
    release = host.run("enabled", "A")
    assert release.covered and release.set_state is None and host.mode == "drain"


@pytest.mark.parametrize("state", ["drain", "disabled", "drain_until_restart"])
def test_linux_foreign_file_covers_every_refusing_state(state):
    decision = decide(None, Request(state, "A", 60), now=1, current="drain", foreign=True)
    assert decision.covered and decision.set_state is None and not decision.changed


def test_windows_a_weaker_foreign_mode_is_held_and_restored():
    host = Host(mode="drain_until_restart")
    host.run("disabled", "A")
    assert host.mode == "disabled" and host.store["original"] == {"state": "drain_until_restart"}
    host.run("enabled", "A")
    assert host.mode == "drain_until_restart"


def test_plain_enabled_without_a_holder_still_enables_an_unheld_host():
    host = Host(mode="drain", foreign=True)
    decision = host.run("enabled", "default", holder_given=False)
    assert decision.set_state == "enabled" and decision.changed


def test_expired_holds_are_released_by_a_later_run_and_reported():
    host = Host()
    host.run("drain", "A", expires_in=10)
    host.now += 11
    later = host.run("drain", "B")
    assert [h.holder for h in later.released_expired] == ["A"]
    assert [h.holder for h in later.holds] == ["B"] and later.store["original"] == {"state": "enabled"}
    host.run("enabled", "B")
    assert host.mode == "enabled"


def test_a_release_that_finds_only_expired_holds_restores():
    host = Host()
    host.run("drain", "A", expires_in=10)
    host.now += 11
    decision = host.run("enabled", "B")
    assert decision.restore_original and host.mode == "enabled"
    assert [h.holder for h in decision.released_expired] == ["A"]


def test_force_releases_every_hold_and_enables():
    host = Host()
    host.run("drain", "A")
    host.run("drain", "B")
    decision = host.run("enabled", "admin", force=True)
    assert host.mode == "enabled" and host.store is None
    assert sorted(h.holder for h in decision.released) == ["A", "B"]


def test_force_clears_a_damaged_store_that_otherwise_is_refused():
    with pytest.raises(_holds.HoldError, match="hold store"):
        decide({"version": 1, "holds": "x"}, Request("drain", "A", 60), now=1, current="drain", foreign=False)
    decision = decide({"damaged": "{"}, Request("enabled", "A", 60, force=True), now=1,
                      current="drain", foreign=False)
    assert decision.set_state == "enabled" and decision.store is None


def test_the_switch_is_armed_for_the_last_expiry_and_generations_grow():
    host = Host()
    a = host.run("drain", "A", expires_in=100)
    b = host.run("drain", "B", expires_in=50)
    assert b.wake_at == a.holds[0].until  # A's hold lasts longer
    assert b.store["generation"] == a.store["generation"] + 1


def test_a_killed_controller_leaves_only_the_expiring_hold():
    host = Host()
    host.run("drain", "A", expires_in=30)
    host.now += 31  # the controller never comes back
    host.switch_fires()
    assert host.mode == "enabled" and host.store is None


def test_holder_defaults_to_the_awx_job_then_user_at_host():
    assert _holds.default_holder({"awx_job_id": 42}, "1.2") == "AWX job 42"
    assert _holds.default_holder({"tower_job_id": "7"}, "1.2") == "AWX job 7"
    plain = _holds.default_holder({}, "123.456")
    assert "@" in plain and plain.endswith("run 123.456")


def test_run_id_is_the_parent_pid_and_its_start_time():
    import os
    run_id = _holds.controller_run_id(os.getpid())
    pid, _sep, start = run_id.partition(".")
    assert int(pid) == os.getpid() and start.isdigit()


@pytest.mark.parametrize("bad", [
    {"version": 2},
    {"version": 1, "generation": 1, "original": {"state": "x"}, "holds": []},
])
def test_unknown_or_damaged_stores_are_refused(bad):
    with pytest.raises(_holds.HoldError):
        _holds.parse_store(bad)


# ---- properties over random sequences of runs, releases, expiries and forces ----
HOLDERS = ("A", "B", "C")
STEP = st.one_of(
    st.tuples(st.just("drain"), st.sampled_from(HOLDERS), st.sampled_from(_holds.REFUSING),
              st.integers(1, 100)),
    st.tuples(st.just("release"), st.sampled_from(HOLDERS)),
    st.tuples(st.just("tick"), st.integers(0, 120)),
    st.tuples(st.just("switch"),),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["enabled", "drain_until_restart"]), st.lists(STEP, max_size=25))
def test_any_sequence_ends_in_the_original_mode_once_every_run_released(original, steps):
    host = Host(mode=original)
    for step in steps:
        if step[0] == "drain":
            host.run(step[2], step[1], expires_in=step[3])
        elif step[0] == "release":
            host.run("enabled", step[1])
        elif step[0] == "tick":
            host.now += step[1]
        else:
            host.switch_fires()
        live = [h for h in (host.store or {}).get("holds", []) if h["until"] > host.now]
        if live:
            strongest = max(_holds.RANK[h["state"]] for h in live)
            assert _holds.RANK[host.mode] >= strongest, "a live hold must keep logons refused"
    for holder in HOLDERS:
        host.run("enabled", holder)
    assert host.mode == original and host.store is None


@settings(max_examples=300, deadline=None)
@given(st.lists(STEP, max_size=25))
def test_nothing_outlives_the_last_expiry(steps):
    host = Host()
    for step in steps:
        if step[0] == "drain":
            host.run(step[2], step[1], expires_in=step[3])
        elif step[0] == "tick":
            host.now += step[1]
    host.now += 101  # past every expiry: no controller comes back, only the switch
    host.switch_fires()
    assert host.mode == "enabled" and host.store is None


@settings(max_examples=300, deadline=None)
@given(st.lists(STEP, max_size=15))
def test_a_foreign_drain_is_never_lifted_without_force(steps):
    host = Host(mode="drain", foreign=True)
    for step in steps:
        if step[0] == "drain":
            host.run(step[2], step[1], expires_in=step[3])
        elif step[0] == "release":
            host.run("enabled", step[1])
        elif step[0] == "tick":
            host.now += step[1]
        else:
            host.switch_fires()
        assert host.mode == "drain" and host.foreign and host.store is None


# Issue 25 item 1: a mode someone else set over our holds is theirs.

def test_an_overridden_hold_is_dropped_and_the_mode_left():
    host = Host()
    host.run("drain", "A")
    decision = decide(host.store, Request("enabled", "A", 600), now=host.now, current="disabled",
                      foreign=False, overridden=True)
    assert decision.set_state is None and decision.store is None and decision.write_store
    assert [h.holder for h in decision.overridden] == ["A"] and decision.changed
    assert _holds.summary(decision)["overridden"][0]["holder"] == "A"


def test_without_overriding_the_release_restores_the_original():
    host = Host()
    host.run("drain", "A")
    decision = decide(host.store, Request("enabled", "A", 600), now=host.now, current="drain", foreign=False)
    assert decision.set_state == "enabled" and decision.restore_original and decision.overridden == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_holds.RANK)), st.sampled_from(sorted(_holds.RANK)), st.booleans(),
       st.sampled_from(["A", "B"]))
def test_an_overridden_mode_is_never_put_back_by_a_release(held, current, holder_given, who):
    """Whatever was held and whatever someone set since, a release (force aside) never changes it."""
    host = Host()
    host.run(held if held != "enabled" else "drain", "A")
    decision = decide(host.store, Request("enabled", who, 600, holder_given=holder_given), now=host.now,
                      current=current, foreign=False, overridden=True)
    assert decision.set_state in (None, current)
    assert decision.store is None and [h.holder for h in decision.overridden] == ["A"]


# Issue 25 item 2: an original "drain until restart" is over once the host restarted.

@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_holds.RANK)), st.sampled_from(["A", "B"]), st.booleans())
def test_after_a_restart_drain_until_restart_is_never_put_back(request_state, who, restarted):
    host = Host(mode="drain_until_restart")
    host.run("drain", "A")
    assert host.store["original"] == {"state": "drain_until_restart"}
    decision = decide(host.store, Request(request_state, who, 600), now=host.now, current="drain",
                      foreign=False, restarted=restarted)
    originals = {(decision.store or {}).get("original", {}).get("state")} - {None}
    if restarted:
        assert "drain_until_restart" not in originals
        if request_state != "drain_until_restart":  # asked for now: a new one, until the next restart
            assert decision.set_state != "drain_until_restart"
    if request_state == "enabled" and who == "A":
        assert decision.set_state == ("enabled" if restarted else "drain_until_restart")
