# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Marginal cost per host: the slope of a least-squares line over (hosts, cost) points.

Pure Python, no bench machinery: tests/unit/bench/test_bench_line_fit.py checks it.
"""
from __future__ import annotations

import typing as t


def fit_line(xs: t.Sequence[float], ys: t.Sequence[float]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through the points (xs[i], ys[i]).

    Several points per x (rounds of the same size) are fine; at least two distinct xs are
    needed, or there is no slope to speak of.
    """
    if len(xs) != len(ys):
        raise ValueError(f"{len(xs)} host counts but {len(ys)} costs")
    if len(set(xs)) < 2:
        raise ValueError("a slope needs costs measured at two host counts at least")
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread
    return slope, mean_y - slope * mean_x


def marginal_costs(runs: t.Iterable[t.Mapping[str, t.Any]], ways: t.Iterable[str],
                   metrics: t.Iterable[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Per way and metric (a key of each run, e.g. ``wall_seconds``): the fitted line over the
    runs' ``hosts``, as ``{"per_host": slope, "fixed": intercept, "points": n}``.
    Failed runs (rc != 0) are left out: their cost is not the cost of the work."""
    runs = [run for run in runs if not run.get("rc")]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for way in ways:
        mine = [run for run in runs if run["way"] == way]
        out[way] = {}
        for metric in metrics:
            points = [(run["hosts"], run[metric]) for run in mine if run.get(metric) is not None]
            slope, intercept = fit_line([p[0] for p in points], [p[1] for p in points])
            out[way][metric] = {"per_host": round(slope, 4), "fixed": round(intercept, 3), "points": len(points)}
    return out
