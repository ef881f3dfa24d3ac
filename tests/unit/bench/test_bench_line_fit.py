# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench/line_fit.py: the marginal cost per host that `make bench` reports (issue 26 item 3)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.line_fit import fit_line, marginal_costs

COST = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
HOST_COUNTS = st.lists(st.integers(min_value=1, max_value=5000), min_size=2, max_size=8, unique=True)


@settings(max_examples=300, deadline=None)
@given(slope=COST, intercept=COST, xs=HOST_COUNTS, repeats=st.integers(min_value=1, max_value=3))
def test_a_perfectly_linear_cost_gives_its_own_slope_and_intercept(slope, intercept, xs, repeats):
    points = [x for x in xs for _round in range(repeats)]  # rounds repeat each host count
    got_slope, got_intercept = fit_line(points, [slope * x + intercept for x in points])
    assert math.isclose(got_slope, slope, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(got_intercept, intercept, rel_tol=1e-6, abs_tol=1e-3)


@settings(max_examples=300, deadline=None)
@given(slope=COST, noise=st.floats(min_value=0, max_value=10), xs=HOST_COUNTS)
def test_noise_symmetric_around_the_line_leaves_the_slope(slope, noise, xs):
    # every host count measured twice, once above and once below the line by the same amount
    points = [x for x in xs for _round in range(2)]
    ys = [slope * x + (noise if index % 2 else -noise) for index, x in enumerate(points)]
    assert math.isclose(fit_line(points, ys)[0], slope, rel_tol=1e-6, abs_tol=1e-6)


def test_one_host_count_has_no_slope():
    with pytest.raises(ValueError, match="two host counts"):
        fit_line([8, 8], [1.0, 2.0])


def test_lengths_must_agree():
    with pytest.raises(ValueError, match="2 host counts but 1 costs"):
        fit_line([8, 16], [1.0])


def test_marginal_costs_per_way_leave_failed_runs_out():
    runs = [{"way": "ping", "hosts": n, "rc": 0, "wall_seconds": 1 + 0.5 * n} for n in (8, 16, 32)]
    runs += [{"way": "defaults", "hosts": n, "rc": 0, "wall_seconds": 2 + 1.0 * n} for n in (8, 16, 32)]
    runs.append({"way": "defaults", "hosts": 32, "rc": 2, "wall_seconds": 999.0})
    got = marginal_costs(runs, ["ping", "defaults"], ["wall_seconds"])
    assert got["ping"]["wall_seconds"] == {"per_host": 0.5, "fixed": 1.0, "points": 3}
    assert got["defaults"]["wall_seconds"] == {"per_host": 1.0, "fixed": 2.0, "points": 3}
