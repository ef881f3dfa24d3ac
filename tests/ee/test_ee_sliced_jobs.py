# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sliced job template (issue 26 item 2): the slices at once, each on an execution node.

AWX's job slicing splits the inventory's hosts (ordered by name) into N slices,
``hosts[k-1::N]`` for slice k, and runs each slice as a job of its own, with its own
``awx_job_id``, at the same time. Here each slice is streamed through its own worker in
the EE (tests/ee/stream.py) against the farm: every host is handled by exactly one slice,
its hold and its audit records name that slice's job, and the slices' ``set_stats``
counts add up to the whole estate's.
"""
from __future__ import annotations

import json
from datetime import datetime

from tests.ee import stream
from tests.ee.test_ee_execution_node import DRAIN_TASK, HOLDS, LOGOFF_TASK, SURVEY
from tests.farm.pytest_farm import farm  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_farm_playbook import nologin, sessions_everywhere  # noqa: F401 pylint: disable=unused-import

SLICES = 2
FIRST_JOB = 201


def awx_slices(hosts: list[str], count: int) -> list[list[str]]:
    """AWX's Inventory.get_sliced_hosts: by name, every count-th host from offset k-1."""
    ordered = sorted(hosts)
    return [ordered[offset::count] for offset in range(count)]


def window(job: stream.Job) -> tuple[datetime, datetime]:
    stamps = [datetime.fromisoformat(e["created"]) for e in job.events if e.get("created")]
    return min(stamps), max(stamps)


def audit_requesters(farm, host: str) -> dict[str, str]:  # noqa: F811
    """{session id: requester} of the host's own journald records of logoffs."""
    proc = farm.nsenter(host, ["journalctl", "-t", "termserv.sessions", "-o", "json", "--no-pager"])
    assert proc.returncode in (0, 1), proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {r["TERMSERV_SESSION"]: r["TERMSERV_REQUESTER"] for r in records
            if r.get("TERMSERV_ACTION") == "logoff" and "TERMSERV_SESSION" in r}


def test_slices_run_at_once_each_host_once_named_by_its_slice(tmp_path, farm, sessions_everywhere, image):  # noqa: F811
    slices = awx_slices(list(sessions_everywhere), SLICES)
    assert all(slices) and sum(map(len, slices)) == len(sessions_everywhere)
    job_of = {host: FIRST_JOB + k for k, part in enumerate(slices) for host in part}
    jobs = []
    for k, part in enumerate(slices):
        job_id = FIRST_JOB + k
        extra = stream.awx_extravars(job_id, SURVEY, awx_job_slice_number=k + 1, awx_job_slice_count=SLICES)
        data = stream.data_dir(tmp_path / f"job-{job_id}", farm, extra, check=False, hosts=part)
        jobs.append(stream.start(data, image, tmp_path / f"controller-{job_id}", ident=str(job_id)))
    for job in jobs:
        assert job.wait() == [0, 0, 0], job.stdout()
        assert (job.status, job.rc) == ("successful", 0), job.stdout()

    # At the same time: each slice's events span a window that overlaps the others'.
    windows = [window(job) for job in jobs]
    assert max(start for start, _end in windows) < min(end for _start, end in windows), windows

    # Every host handled by exactly one slice, the one AWX gave it.
    handled: dict[str, list[int]] = {}
    total = 0
    for k, job in enumerate(jobs):
        logoffs, drains = job.per_host(LOGOFF_TASK), job.per_host(DRAIN_TASK)
        counts = job.stats()["logoff_all"]
        assert set(logoffs) == set(drains) == set(counts) == set(slices[k]), (k, slices, counts)
        for host in logoffs:
            handled.setdefault(host, []).append(FIRST_JOB + k)
            # The hold this slice took names its own job.
            assert drains[host]["holder"] == f"AWX job {FIRST_JOB + k}", drains[host]
            assert {s["id"] for s in logoffs[host]["logged_off"]} == {h.id for h in sessions_everywhere[host]["go"]}
        total += sum(int(c["logged_off"]) for c in counts.values())
        assert all(int(c["failed"]) == 0 and int(c["unreachable"]) == 0 for c in counts.values()), counts
    assert handled == {host: [job_id] for host, job_id in job_of.items()}
    # The aggregated counts add up to the estate's sessions.
    assert total == sum(len(h["go"]) for h in sessions_everywhere.values())

    for name, handles in sessions_everywhere.items():
        assert not any(farm.alive(h) for h in handles["go"]) and all(farm.alive(h) for h in handles["keep"])
        assert not nologin(farm, name) and not (farm.root(name) / HOLDS).exists()
    # The audit trail (journald, on the systemd hosts) names the slice that logged each session off.
    for name in (n for n, h in farm.hosts().items() if h["kind"] == "systemd"):
        requesters = audit_requesters(farm, name)
        for handle in sessions_everywhere[name]["go"]:
            assert requesters.get(handle.id) == f"AWX job {job_of[name]}", (name, handle.id, requesters)


def test_awx_slices_are_every_nth_host_by_name():
    assert awx_slices(["c", "a", "b", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
    assert awx_slices(["b", "a"], 3) == [["a"], ["b"], []]
