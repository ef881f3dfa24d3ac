# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A job as AWX runs it on an execution node: transmit | worker (in the EE) | process.

AWX's controller packs the job with ``ansible-runner transmit`` (the private data dir:
project, inventory, env/extravars, env/ssh_key, env/cmdline, zipped into the stream),
receptor carries the stream to an execution node, where ``ansible-runner worker`` runs
the job inside the execution environment and streams back the events, status and
artifacts, which ``ansible-runner process`` on the controller turns into the job's
artifacts directory (status, rc, job_events/, the stats event with the ``set_stats``
data). Here receptor is a pipe, and the worker runs in the test EE under podman (host
networking: the farm's hosts are on 127.0.0.N), as the image's own user. That is AWX's
container-group path (the worker in the EE's pod); on a podman execution node the node's
own ``ansible-runner worker`` starts the EE container for the playbook instead: the same
stream, the same playbook in the same image.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import typing as t
from pathlib import Path

import yaml

from tests.ee import ee
from tests.farm.farm import Farm

RUNNER = str(ee.BIN / "ansible-runner")
PLAYBOOK = "logoff_all.yml"


def awx_extravars(job_id: int, survey: t.Mapping[str, str], **more: t.Any) -> dict[str, t.Any]:
    """The survey's answers (all text) plus what AWX adds to every job's extra vars."""
    assert all(isinstance(v, str) for v in survey.values()), "every survey answer is text"
    return {**survey, "awx_job_id": job_id, "tower_job_id": job_id, "awx_job_template_name": "Log off users",
            "awx_job_launch_type": "manual", **more}


def inventory_text(farm: Farm, hosts: t.Collection[str]) -> str:
    """The farm's inventory reduced to ``hosts`` (a job slice's share), without the key file:
    the key comes from the Machine credential (env/ssh_key, loaded into an ssh-agent)."""
    lines, in_vars = [], False
    for line in farm.write_inventory().read_text().splitlines():
        if line.startswith("["):
            in_vars = line.endswith(":vars]")
        elif line.startswith("ansible_ssh_private_key_file"):
            continue
        elif line and not in_vars and line.split()[0] not in hosts:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def data_dir(root: Path, farm: Farm, extravars: t.Mapping[str, t.Any], check: bool,
             hosts: t.Collection[str] | None = None) -> Path:
    """A private data dir as AWX's controller writes it before transmitting the job."""
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "project" / PLAYBOOK).write_text(yaml.safe_dump([{
        "name": "Log off user sessions (AWX project wrapper)",
        "ansible.builtin.import_playbook": "termserv.sessions.logoff_all"}]))
    (root / "inventory" / "hosts").write_text(inventory_text(farm, hosts if hosts is not None else farm.hosts()))
    (root / "env" / "ssh_key").write_text((farm.dir / "client_key").read_text())
    (root / "env" / "extravars").write_text(yaml.safe_dump(dict(extravars)))
    (root / "env" / "envvars").write_text(yaml.safe_dump({"ANSIBLE_HOST_KEY_CHECKING": "False",
                                                         "ANSIBLE_NOCOLOR": "1"}))
    if check:  # a job template of type "check"
        (root / "env" / "cmdline").write_text("--check")
    return root


@dataclasses.dataclass
class Job:
    """One streamed job: the three processes while it runs, the controller's artifacts after."""

    ident: str
    container: str
    out: Path
    procs: list[subprocess.Popen]

    @property
    def artifacts(self) -> Path:
        return self.out / "artifacts" / self.ident

    def wait(self, timeout: float = 300) -> list[int]:
        """The exit codes of process, worker and transmit (the controller side ends last)."""
        return [proc.wait(timeout=timeout) for proc in reversed(self.procs)]

    @property
    def status(self) -> str:
        return (self.artifacts / "status").read_text()

    @property
    def rc(self) -> int:
        return int((self.artifacts / "rc").read_text())

    @property
    def events(self) -> list[dict[str, t.Any]]:
        found = [json.loads(p.read_text()) for p in (self.artifacts / "job_events").glob("*.json")]
        return sorted(found, key=lambda e: e.get("counter", 0))

    def per_host(self, task: str, event: str = "runner_on_ok") -> dict[str, dict[str, t.Any]]:
        return {e["event_data"]["host"]: e["event_data"]["res"] for e in self.events
                if e["event"] == event and e["event_data"].get("task") == task}

    def stats(self) -> dict[str, t.Any]:
        """The ``set_stats`` data, as AWX reads it from the stats event (the job's artifacts)."""
        [event] = [e for e in self.events if e["event"] == "playbook_on_stats"]
        return event["event_data"].get("artifact_data", {})

    def stdout(self) -> str:
        path = self.artifacts / "stdout"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""


def start(data: Path, image: str, out: Path, ident: str) -> Job:
    """Start transmit | worker | process; ``out`` is the controller side's private data dir."""
    container = f"termserv-ee-worker-{ident}"
    out.mkdir(parents=True, exist_ok=True)
    transmit = subprocess.Popen([RUNNER, "transmit", str(data), "-p", PLAYBOOK, "--ident", ident],
                                stdout=subprocess.PIPE)
    # No --user: the worker unpacks the job in a directory of its own, as the image's user.
    # --replace: a worker left by an interrupted run of the same test must not block this one.
    worker = subprocess.Popen(["podman", "run", "-i", "--rm", "--replace", "--name", container, "--network=host",
                               image, "ansible-runner", "worker"],
                              stdin=transmit.stdout, stdout=subprocess.PIPE, env=ee.podman_env())
    assert transmit.stdout is not None and worker.stdout is not None
    transmit.stdout.close()  # only the worker reads it now
    process = subprocess.Popen([RUNNER, "process", str(out), "--ident", ident], stdin=worker.stdout,
                               stdout=subprocess.DEVNULL)
    worker.stdout.close()
    return Job(ident, container, out, [transmit, worker, process])


def kill_worker(job: Job) -> None:
    """The execution node lost: its container ends at once (SIGKILL), the stream breaks."""
    subprocess.run(["podman", "kill", "--signal", "KILL", job.container], env=ee.podman_env(),
                   capture_output=True, check=False)
