# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff_all playbook across the farm, continued (issue 10 item 4).

- ``serial`` batches with drain, notice and grace: the batches really follow each other
  (no host of one batch refuses logons while a host of another does; each batch's holds
  are taken after the previous batch's were released), every host ends with logons allowed again and the
  selected sessions gone, each of them warned and given the grace period.
- A host whose logoff FAILS for a real reason (a session process that SIGKILL cannot end
  within the timeout) fails in the run, the other hosts complete, and the failing host's
  drain is released anyway (the role's ``always:``).
- The same farm as AWX runs a job (issue 15 item 3): ansible-runner with process isolation
  runs the playbook inside the execution environment built from the tarball
  (tests/ee/ee.py, podman), with survey-shaped extra vars: first the preview job (check
  mode), then the real one with drain, notice and grace.

Same ground and same way of reading results as test_farm_playbook.py (the one farm of
the pytest run, the playbook run as a user runs it, the role's registered results saved
by a play of our own), plus a watcher thread that samples every host's own /etc/nologin
and the sessions' processes while the playbook runs.
"""
from __future__ import annotations

import errno
import os
import threading
import time
import typing as t
from pathlib import Path

import ansible_runner
import pytest
import yaml

from tests.farm.farm import Farm, Handle
from tests.farm.pytest_farm import farm  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_farm_playbook import (  # noqa: F401 pylint: disable=unused-import
    SAVED,
    SURVEY,
    nologin,
    run_logoff_all,
    sessions_everywhere,
)
from tests.ee import ee
from tests.sandbox.sandbox import marked

SAVED_ALL = SAVED + ("__logoff_all_restore",)
HOLDS = Path("etc") / "termserv-sessions" / "holds.json"
LOGOFF_TASK = "Warn, wait the grace period and log off"
NOTICE = "Farm maintenance in a moment"


def live_markers(markers: t.Iterable[str]) -> set[str]:
    """The markers (of sessions the farm opened) some live process still carries: one pass over /proc."""
    return {marker for marker, pids in marked(set(markers)).items() if pids}


class Watch:
    """Samples, every 50 ms while the playbook runs: which hosts have their own /etc/nologin,
    which of the given sessions still have processes. Times are the machine's wall clock
    (the hosts share it, so they compare with the holds' ``since``)."""

    def __init__(self, farm: Farm, handles: t.Iterable[Handle]) -> None:  # noqa: F811
        self.roots = {name: farm.root(name) for name in farm.hosts()}
        self.markers = [h.marker for h in handles]
        self.samples: list[tuple[float, frozenset[str], frozenset[str]]] = []

    def __call__(self, stop: threading.Event) -> None:
        while True:
            now = time.time()
            drained = frozenset(n for n, root in self.roots.items() if (root / "etc" / "nologin").exists())
            self.samples.append((now, drained, frozenset(live_markers(self.markers))))
            if stop.wait(0.05):
                return

    def drained_times(self, name: str) -> list[float]:
        return [when for when, drained, _live in self.samples if name in drained]

    def first_gone(self, handle: Handle) -> float | None:
        """When the watcher first saw none of the session's processes."""
        return next((when for when, _drained, live in self.samples if handle.marker not in live), None)


def recap_line(output: str, name: str) -> str:
    recap = output[output.rfind("PLAY RECAP"):]
    return next(line for line in recap.splitlines() if line.startswith(name + " "))


def assert_released(farm: Farm, name: str, registered: dict[str, t.Any]) -> None:  # noqa: F811
    """The host allows logons again and holds nothing: the run's own hold was released."""
    restore = registered["__logoff_all_restore"]
    assert restore and restore.get("skipped") is not True, (name, restore)
    assert restore["state"] == "enabled" and restore["holds"] == [], (name, restore)
    assert [h["holder"] for h in restore["released"]] == [registered["__logoff_all_drain"]["holder"]], restore
    assert not nologin(farm, name), f"{name} was left drained"
    assert not (farm.root(name) / HOLDS).exists(), f"{name} still has a hold store"


def test_serial_batches_drain_warn_wait_and_release_one_batch_after_the_other(farm, sessions_everywhere):  # noqa: F811
    grace = 2
    everyone = [h for handles in sessions_everywhere.values() for h in handles["go"] + handles["keep"]]
    watch = Watch(farm, everyone)
    # A canary host first, then the rest together: serial as a list, as -e JSON gives it.
    extra = dict(SURVEY, logoff_all_serial=[1, "100%"], logoff_all_drain=True, logoff_all_message=NOTICE,
                 logoff_all_grace=grace)
    run, registered = run_logoff_all(farm, extra, saved=SAVED_ALL, watch=watch)
    assert run.returncode == 0, run.stdout + run.stderr
    order = sorted(farm.hosts())  # the inventory's order, which serial follows
    batches = [order[:1], order[1:]]
    assert len(order) >= 3 and run.stdout.count("PLAY [Log off interactive user sessions]") == len(batches), \
        run.stdout
    assert set(registered) == set(order)

    # The batches follow each other: never a host of one batch drained while a host of the
    # other is; every drain of the second batch first seen after the first batch's drain
    # was last seen, and the second batch's hosts drained together (in parallel).
    batch_of = {name: number for number, batch in enumerate(batches) for name in batch}
    mixed = [(when, sorted(drained)) for when, drained, _live in watch.samples
             if len({batch_of[n] for n in drained}) > 1]
    assert mixed == [], mixed
    seen = {name: watch.drained_times(name) for name in order}
    assert all(seen.values()), f"a host's drain was never seen: {seen}"
    first_done = max(seen[n][-1] for n in batches[0])
    assert all(seen[n][0] > first_done for n in batches[1]), seen
    assert any(set(batches[1]) <= drained for _when, drained, _live in watch.samples), "batch 2 was not parallel"
    # The same from the hosts' own records: the second batch's holds were taken (host
    # clock, whole seconds) after the last moment the first batch was seen drained.
    since = {n: next(h["since"] for h in registered[n]["__logoff_all_drain"]["holds"]
                     if h["holder"] == registered[n]["__logoff_all_drain"]["holder"]) for n in order}
    assert all(since[n] >= int(first_done) for n in batches[1]), (since, first_done)

    for name, handles in sessions_everywhere.items():
        result = registered[name]["__logoff_all_result"]
        go_ids = {h.id for h in handles["go"]}
        assert {s["id"] for s in result["logged_off"]} == go_ids and result["errors"] == [], (name, result)
        assert {s["id"] for s in result["notified"]} == go_ids, (name, result)
        assert registered[name]["__logoff_all_drain"]["previous_state"] == "enabled"
        assert_released(farm, name, registered[name])
        for handle in handles["go"]:
            assert not farm.alive(handle)
            # Warned on its own terminal, then given the grace period after the drain.
            assert NOTICE in Path(handle.output).read_text(errors="replace"), name
            gone = watch.first_gone(handle)
            assert gone is not None and gone >= since[name] + grace, (name, gone, since[name])
        for handle in handles["keep"]:
            assert farm.alive(handle)
            assert NOTICE not in Path(handle.output).read_text(errors="replace")


# --- A host whose logoff step fails ------------------------------------------------------

FREEZER = Path("/sys/fs/cgroup/freezer")


class Freezer:
    """A cgroup-v1 freezer group of this test's own, for processes it identified."""

    def __init__(self, group: Path) -> None:
        self.group = group

    def freeze(self, pids: list[int]) -> None:
        for pid in pids:
            (self.group / "cgroup.procs").write_text(str(pid))
        (self.group / "freezer.state").write_text("FROZEN")
        deadline = time.monotonic() + 10
        while (self.group / "freezer.state").read_text().strip() != "FROZEN":
            assert time.monotonic() < deadline, "the freezer did not freeze"
            time.sleep(0.05)

    def thaw(self) -> None:
        (self.group / "freezer.state").write_text("THAWED")


@pytest.fixture
def freezer() -> t.Iterator[Freezer]:
    """Processes put in a cgroup-v1 freezer group and frozen.

    A frozen task sits in uninterruptible sleep (ps shows D) and a SIGKILL stays pending
    until it is thawed: the kernel's own model of a process stuck on a dead NFS server or
    a hung device, under the test's control. The v2 freezer lets SIGKILL through, so only
    v1 serves. Thawed and removed at the end, whatever happened.
    """
    if not (FREEZER / "cgroup.procs").exists():
        pytest.skip("no cgroup-v1 freezer hierarchy on this machine: nothing here can make SIGKILL wait")
    group = FREEZER / f"termserv-farm-test-{os.getpid()}"
    group.mkdir()
    try:
        yield Freezer(group)
    finally:
        (group / "freezer.state").write_text("THAWED")
        deadline = time.monotonic() + 10
        while (group / "cgroup.procs").read_text().split() and time.monotonic() < deadline:
            time.sleep(0.05)  # a SIGKILL they got while frozen takes them now
        for pid in (group / "cgroup.procs").read_text().split():  # survivors go back, alive
            try:
                (FREEZER / "cgroup.procs").write_text(pid)
            except ProcessLookupError:
                pass
        group.rmdir()


def marked_pids(handle: Handle) -> list[int]:
    from tests.sandbox.sandbox import marked_processes
    return marked_processes(handle.marker)


def test_a_host_whose_logoff_fails_fails_alone_and_still_releases_its_drain(farm, sessions_everywhere, freezer):  # noqa: F811
    failing = sorted(n for n, h in farm.hosts().items() if h["kind"] == "utmp")[0]
    others = [n for n in sessions_everywhere if n != failing]
    stuck, ended = sessions_everywhere[failing]["go"]
    pids = marked_pids(stuck)
    assert pids, "the session to freeze has no processes"
    freezer.freeze(pids)

    timeout = 3
    extra = dict(SURVEY, logoff_all_drain=True, logoff_all_timeout=timeout)
    run, registered = run_logoff_all(farm, extra, saved=SAVED_ALL, failed_too=True)
    assert run.returncode == 2, run.stdout + run.stderr  # 2: a host failed
    assert "failed=1" in recap_line(run.stdout, failing), run.stdout
    assert set(registered) == set(sessions_everywhere)

    # The failing host: the stuck session is an error (its processes outlived the KILL
    # for the whole timeout), the other selected session was logged off, the kept one
    # lives, and the drain this run took is gone.
    result = registered[failing]["__logoff_all_result"]
    assert result["failed"] is True, result
    [error] = result["errors"]
    assert error["id"] == stuck.id and error["error_code"] == errno.ETIMEDOUT, result
    assert f"after {timeout}s" in error["error"] and "KILL" in error["error"], error
    assert [s["id"] for s in result["logged_off"]] == [ended.id], result
    assert farm.alive(stuck) and not farm.alive(ended)
    assert farm.alive(sessions_everywhere[failing]["keep"][0])
    assert_released(farm, failing, registered[failing])
    # Only the freezer kept it: thawed, the SIGKILL the logoff sent takes it at once.
    freezer.thaw()
    deadline = time.monotonic() + 5
    while farm.alive(stuck) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not farm.alive(stuck), "the stuck session outlived its thaw: the logoff never sent SIGKILL"

    # Every other host completed.
    for name in others:
        assert "failed=0" in recap_line(run.stdout, name) and "unreachable=0" in recap_line(run.stdout, name)
        result = registered[name]["__logoff_all_result"]
        assert {s["id"] for s in result["logged_off"]} == {h.id for h in sessions_everywhere[name]["go"]}
        assert result["errors"] == []
        assert_released(farm, name, registered[name])
        assert not any(farm.alive(h) for h in sessions_everywhere[name]["go"])
        assert all(farm.alive(h) for h in sessions_everywhere[name]["keep"])


# --- The same through ansible-runner -----------------------------------------------------

def runner_data_dir(root: Path, farm: Farm, extravars: dict[str, str]) -> Path:  # noqa: F811
    """A private data dir shaped as AWX writes it for a job on the farm."""
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "project" / "logoff_all.yml").write_text(yaml.safe_dump([{
        "name": "Log off user sessions (AWX project wrapper)",
        "ansible.builtin.import_playbook": "termserv.sessions.logoff_all"}]))
    # The farm's inventory; the key comes from the Machine credential (env/ssh_key, which
    # ansible-runner loads into an ssh-agent for the job), not from the inventory.
    inventory = farm.write_inventory().read_text().splitlines()
    (root / "inventory" / "hosts").write_text(
        "\n".join(line for line in inventory if not line.startswith("ansible_ssh_private_key_file")) + "\n")
    (root / "env" / "ssh_key").write_text((farm.dir / "client_key").read_text())
    (root / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    return root


@pytest.fixture(scope="module")
def ee_image(tmp_path_factory) -> str:
    """The test EE (built by tests/ee in make test, reused here: same tarball, same key)."""
    return ee.build(tmp_path_factory.mktemp("ee-build"))


def run_in_ee(data: Path, image: str, check: bool) -> ansible_runner.Runner:
    """ansible-runner as AWX calls it: process isolation in the EE, host networking."""
    if check:  # a job template of type "check"
        (data / "env" / "cmdline").write_text("--check")
    env = {"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1"}
    (data / "env" / "envvars").write_text(yaml.safe_dump(env))
    return ansible_runner.run(
        private_data_dir=str(data), playbook="logoff_all.yml", quiet=True, timeout=300,
        process_isolation=True, process_isolation_executable="podman", container_image=image,
        container_options=["--user=0", "--network=host"])


def test_the_farm_through_ansible_runner_as_awx_runs_a_job(tmp_path, farm, sessions_everywhere,  # noqa: F811
                                                           ee_image, monkeypatch):
    monkeypatch.setenv("CONTAINERS_CONF", str(ee.CONTAINERS_CONF))  # podman inherits it
    # Every survey answer is text.
    survey = {"target": "farm", "logoff_all_users": "admin2", "logoff_all_exclude_users": "admin",
              "logoff_all_drain": "true", "logoff_all_message": NOTICE, "logoff_all_grace": "1",
              "logoff_all_timeout": "20"}
    hosts = set(sessions_everywhere)

    # 1. The preview job: every host reports who would go; nothing changes anywhere.
    preview = run_in_ee(runner_data_dir(tmp_path / "check", farm, survey), ee_image, check=True)
    assert (preview.status, preview.rc) == ("successful", 0), preview.stdout.read()
    shown = {e["event_data"]["host"]: e["event_data"]["res"] for e in preview.events
             if e["event"] == "runner_on_ok"
             and e["event_data"].get("task") == "Preview who will be logged off and who is kept"}
    assert set(shown) == hosts
    for name, handles in sessions_everywhere.items():
        assert {s["id"] for s in shown[name]["logged_off"]} == {h.id for h in handles["go"]}
        assert all(farm.alive(h) for h in handles["go"] + handles["keep"])
        assert not nologin(farm, name) and not (farm.root(name) / HOLDS).exists()

    # 2. The real job.
    job = run_in_ee(runner_data_dir(tmp_path / "runner", farm, survey), ee_image, check=False)
    assert (job.status, job.rc) == ("successful", 0), job.stdout.read()
    artifacts = Path(job.config.artifact_dir)
    assert (artifacts / "status").read_text() == "successful" and (artifacts / "rc").read_text() == "0"
    assert any((artifacts / "job_events").iterdir())

    def per_host(task: str, event: str = "runner_on_ok") -> dict[str, dict]:
        return {e["event_data"]["host"]: e["event_data"]["res"] for e in job.events
                if e["event"] == event and e["event_data"].get("task") == task}

    logoffs = per_host(LOGOFF_TASK)
    assert set(logoffs) == hosts
    drains = per_host("Drain new logons (this run's hold, which expires by itself)")
    releases = per_host("Release this run's hold on the logon mode")
    assert set(drains) == set(releases) == hosts
    assert not [e for e in job.events if e["event"] in ("runner_on_failed", "runner_on_unreachable")]
    [stats] = [e for e in job.events if e["event"] == "playbook_on_stats"]
    counts = stats["event_data"]["artifact_data"]["logoff_all"]
    assert set(counts) == hosts
    for name, handles in sessions_everywhere.items():
        go = {h.id for h in handles["go"]}
        assert {s["id"] for s in logoffs[name]["logged_off"]} == go
        assert drains[name]["changed"] and drains[name]["state"] == "drain"
        assert releases[name]["state"] == "enabled" and releases[name]["holds"] == []
        assert int(counts[name]["logged_off"]) == len(go) and int(counts[name]["failed"]) == 0
        assert int(counts[name]["skipped"]) == len(logoffs[name]["skipped_sessions"])
        # The hosts themselves.
        assert not any(farm.alive(h) for h in handles["go"]) and all(farm.alive(h) for h in handles["keep"])
        assert all(NOTICE in Path(h.output).read_text(errors="replace") for h in handles["go"])
        assert not nologin(farm, name) and not (farm.root(name) / HOLDS).exists()
