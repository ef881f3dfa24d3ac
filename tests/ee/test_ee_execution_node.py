# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff_all job on an execution node (issue 26 item 1): transmit | worker | process.

The job streamed as AWX streams it over receptor (tests/ee/stream.py), the worker in the
test EE, against the farm's hosts (tests/farm): what comes back to the controller (status,
rc, events, per-host results, the ``set_stats`` counts) and what the hosts show (sessions
gone or kept, the notice on the terminals, logons allowed again, no hold left).
"""
from __future__ import annotations

import time
from pathlib import Path

from tests.ee import stream
from tests.farm.pytest_farm import farm  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_farm_holds import holds
from tests.farm.test_farm_playbook import nologin, sessions_everywhere  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_farm_scenarios import HOLDS
from tests.role.test_role_logoff_all import wait_for

NOTICE = "Execution node maintenance in a moment"
LOGOFF_TASK = "Warn, wait the grace period and log off"
PREVIEW_TASK = "Preview who will be logged off and who is kept"
DRAIN_TASK = "Drain new logons (this run's hold, which expires by itself)"
RELEASE_TASK = "Release this run's hold on the logon mode"
SURVEY = {"target": "farm", "logoff_all_users": "admin2", "logoff_all_exclude_users": "admin",
          "logoff_all_drain": "true", "logoff_all_message": NOTICE, "logoff_all_grace": "1",
          "logoff_all_timeout": "20"}


def run(tmp_path: Path, farm, image: str, job_id: int, check: bool) -> stream.Job:  # noqa: F811
    data = stream.data_dir(tmp_path / f"job-{job_id}", farm, stream.awx_extravars(job_id, SURVEY), check)
    job = stream.start(data, image, tmp_path / f"controller-{job_id}", ident=str(job_id))
    codes = job.wait()
    assert codes == [0, 0, 0], (codes, job.stdout())
    return job


def test_check_job_then_real_job_streamed_through_a_worker_in_the_ee(tmp_path, farm, sessions_everywhere,  # noqa: F811
                                                                      image):
    hosts = set(sessions_everywhere)

    # 1. The check job: every host's preview comes back; nothing changes anywhere.
    preview = run(tmp_path, farm, image, 101, check=True)
    assert (preview.status, preview.rc) == ("successful", 0), preview.stdout()
    shown = preview.per_host(PREVIEW_TASK)
    assert set(shown) == hosts
    counts = preview.stats()["logoff_all"]
    for name, handles in sessions_everywhere.items():
        assert {s["id"] for s in shown[name]["logged_off"]} == {h.id for h in handles["go"]}
        assert int(counts[name]["would_log_off"]) == len(handles["go"]) and int(counts[name]["failed"]) == 0
        assert all(farm.alive(h) for h in handles["go"] + handles["keep"])
        assert not nologin(farm, name) and not (farm.root(name) / HOLDS).exists()

    # 2. The real job: drain, notice, grace, logoff, release.
    job = run(tmp_path, farm, image, 102, check=False)
    assert (job.status, job.rc) == ("successful", 0), job.stdout()
    events = job.events
    kinds = [e["event"] for e in events]  # the stream's order, counter by counter
    assert kinds.count("playbook_on_stats") == 1 and kinds.index("playbook_on_start") < kinds.index("playbook_on_stats")
    assert not [e for e in events if e["event"] in ("runner_on_failed", "runner_on_unreachable")]
    logoffs, drains, releases = job.per_host(LOGOFF_TASK), job.per_host(DRAIN_TASK), job.per_host(RELEASE_TASK)
    assert set(logoffs) == set(drains) == set(releases) == hosts
    counts = job.stats()["logoff_all"]
    assert set(counts) == hosts
    for name, handles in sessions_everywhere.items():
        go = {h.id for h in handles["go"]}
        assert {s["id"] for s in logoffs[name]["logged_off"]} == go
        assert {s["id"] for s in logoffs[name]["notified"]} == go
        # The hold names the AWX job (its awx_job_id came in the transmitted extra vars).
        assert drains[name]["changed"] and drains[name]["state"] == "drain"
        assert drains[name]["holder"] == "AWX job 102", drains[name]
        assert releases[name]["state"] == "enabled" and releases[name]["holds"] == []
        assert int(counts[name]["logged_off"]) == len(go) and int(counts[name]["failed"]) == 0
        assert int(counts[name]["skipped"]) == len(logoffs[name]["skipped_sessions"])
        # The hosts themselves.
        assert not any(farm.alive(h) for h in handles["go"]) and all(farm.alive(h) for h in handles["keep"])
        assert all(NOTICE in Path(h.output).read_text(errors="replace") for h in handles["go"])
        assert not any(NOTICE in Path(h.output).read_text(errors="replace") for h in handles["keep"])
        assert not nologin(farm, name) and not (farm.root(name) / HOLDS).exists()


def test_a_worker_killed_mid_grace_leaves_only_the_expiring_hold(tmp_path, farm, sessions_everywhere,  # noqa: F811
                                                                 image):
    hosts = sorted(sessions_everywhere)
    grace, expires_in = 14, 8
    extra = stream.awx_extravars(103, dict(SURVEY, logoff_all_grace=str(grace),
                                           logoff_all_drain_expires_in=str(expires_in)))
    job = stream.start(stream.data_dir(tmp_path / "job", farm, extra, check=False), image,
                       tmp_path / "controller", ident="103")
    try:
        # Every host drained by this job, its users warned: the grace period has begun.
        assert wait_for(lambda: all(any(h["holder"] == "AWX job 103" for h in holds(farm, n)) for n in hosts)
                        and all(NOTICE in Path(h.output).read_text(errors="replace")
                                for handles in sessions_everywhere.values() for h in handles["go"]), 120), \
            {n: holds(farm, n) for n in hosts}
        stream.kill_worker(job)  # the execution node is lost
        killed = time.time()
        job.wait(timeout=60)
    finally:
        stream.kill_worker(job)
        for proc in job.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    # What is left on each host: this job's hold alone, expiring by itself.
    until = {}
    for name in hosts:
        left = holds(farm, name)
        assert [h["holder"] for h in left] == ["AWX job 103"], (name, left)
        until[name] = left[0]["until"]
        assert until[name] <= killed + expires_in + 1 and nologin(farm, name)
    # Each host lifts the drain at the hold's expiry, and nothing else happens: the
    # grace period ends without a logoff, every session lives on.
    assert wait_for(lambda: not any(nologin(farm, n) for n in hosts), max(until.values()) - time.time() + 40), \
        {n: holds(farm, n) for n in hosts}
    time.sleep(max(0.0, killed + grace + 3 - time.time()))
    for name, handles in sessions_everywhere.items():
        assert not (farm.root(name) / HOLDS).exists(), name
        assert all(farm.alive(h) for h in handles["go"] + handles["keep"]), name
