# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jobs in the execution environment, run as AWX runs them.

AWX hands a job to ansible-runner with process isolation: ansible-runner starts the EE
image with podman, mounts the private data dir (project, inventory, extra vars from the
survey, the Machine credential's ssh key) at /runner, runs ansible-playbook inside, and
reads status, rc, job events and the ``set_stats`` data from the artifacts. Here the
same: the EE built from the tarball (tests/ee/ee.py), the collection only from inside
the image, hosts reached over ssh (the sandbox's sshd on 127.0.0.1, host networking),
every survey answer a string.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import ansible_runner
import pytest
import yaml

from tests.ee import ee

pytestmark = pytest.mark.usefixtures("ground")
NOLOGIN = Path("/etc/nologin")
LOGOFF_TASK = "Warn, wait the grace period and log off"


@pytest.fixture(autouse=True)
def podman_conf(monkeypatch):
    # ansible-runner starts podman with this process's environment.
    monkeypatch.setenv("CONTAINERS_CONF", str(ee.CONTAINERS_CONF))


@pytest.fixture(autouse=True)
def no_nologin_left_behind():
    assert not NOLOGIN.exists(), "something before this test left /etc/nologin"
    yield
    leftover = NOLOGIN.exists()
    if leftover:  # do not leave the machine refusing logons for everyone after us
        NOLOGIN.unlink()
    assert not leftover, "the job left /etc/nologin behind"


def survey(**answers: str) -> dict[str, str]:
    """Extra variables as an AWX survey sends them: every answer text."""
    base = {"target": "rds_hosts", "logoff_all_users": "admin2\nTsuUp", "logoff_all_exclude_users": "admin, svc_*",
            "logoff_all_states": "active", "logoff_all_min_idle": "0", "logoff_all_timeout": "20"}
    base.update(answers)
    assert all(isinstance(v, str) for v in base.values())
    return base


def private_data_dir(tmp_path: Path, ground, extravars: dict[str, str], check: bool) -> Path:
    root = tmp_path / "runner"
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # The job template's playbook: a wrapper in the project, as docs/awx.md tells users.
    (root / "project" / "logoff_all.yml").write_text(yaml.safe_dump([{
        "name": "Log off user sessions (AWX project wrapper)",
        "ansible.builtin.import_playbook": "termserv.sessions.logoff_all"}]))
    (root / "inventory" / "hosts").write_text(
        "[rds_hosts]\n"
        f"sandbox ansible_host=127.0.0.1 ansible_port={ground.port} ansible_user=root "
        "ansible_python_interpreter=/usr/bin/python3\n")
    (root / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    # The Machine credential: AWX writes the key to env/ssh_key and runs the job under ssh-agent.
    (root / "env" / "ssh_key").write_text((ground.dir / "client_key").read_text())
    (root / "env" / "envvars").write_text(yaml.safe_dump({
        "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_SSH_ARGS": "-o UserKnownHostsFile=/dev/null -o ControlMaster=no"}))
    if check:  # a job template of type "check"
        (root / "env" / "cmdline").write_text("--check")
    return root


def run_job(tmp_path: Path, ground, image: str, extravars: dict[str, str], check: bool) -> ansible_runner.Runner:
    data = private_data_dir(tmp_path, ground, extravars, check)
    return ansible_runner.run(
        private_data_dir=str(data), playbook="logoff_all.yml", quiet=True, timeout=300,
        process_isolation=True, process_isolation_executable="podman", container_image=image,
        # AWX runs the image's own user with a writable /runner; ansible-runner creates the
        # artifacts directory as root here, so the job runs as root in the container.
        container_options=["--user=0", "--network=host"])


def stats(result: ansible_runner.Runner) -> dict:
    [event] = [e for e in result.events if e["event"] == "playbook_on_stats"]
    return event["event_data"].get("artifact_data", {})


def task_results(result: ansible_runner.Runner, task: str) -> list[dict]:
    return [e["event_data"]["res"] for e in result.events
            if e["event"] == "runner_on_ok" and e["event_data"].get("task") == task]


def test_collection_comes_from_inside_the_image(image):
    # Nothing of this checkout is mounted: the job sees the collection the EE installed.
    proc = subprocess.run(["podman", "run", "--rm", "--user=0", image, "ansible-galaxy", "collection", "list",
                           "termserv.sessions", "--format", "json"], capture_output=True, text=True,
                          env=ee.podman_env(), check=False)
    assert proc.returncode == 0, proc.stderr
    listed = yaml.safe_load(proc.stdout)
    [(path, collections)] = listed.items()
    assert "termserv.sessions" in collections and path.startswith("/usr/share/ansible/collections"), listed
    version = subprocess.run(["podman", "run", "--rm", "--user=0", image, "ansible", "--version"],
                             capture_output=True, text=True, env=ee.podman_env(), check=True).stdout
    assert "core 2.15" in version if "2.15" in ee.CORE else True, version
    # meta/requirements-ee.txt reached the image: what the winrm and psrp connections import.
    imports = subprocess.run(["podman", "run", "--rm", "--user=0", image, "python3", "-c",
                              "import winrm, pypsrp.client; print('ok')"],
                             capture_output=True, text=True, env=ee.podman_env(), check=False)
    assert (imports.returncode, imports.stdout.strip()) == (0, "ok"), imports.stderr


def test_check_job_then_real_job_with_drain_notice_and_grace(
        tmp_path, ground, image, open_sessions, is_alive, terminal_output):
    go = open_sessions("admin2") + open_sessions("TsuUp")
    keep = open_sessions("admin")

    # 1. The preview job (job type "check"): reports, changes nothing.
    preview = run_job(tmp_path / "check", ground, image, survey(
        logoff_all_message="Maintenance at once", logoff_all_grace="3", logoff_all_drain="true"), check=True)
    assert (preview.status, preview.rc) == ("successful", 0), preview.stdout.read()
    [shown] = task_results(preview, "Preview who will be logged off and who is kept")
    assert {s["id"] for s in shown["logged_off"]} == {h.tty for h in go}
    counts = stats(preview)["logoff_all"]["sandbox"]
    assert int(counts["would_log_off"]) == len(go) and int(counts["failed"]) == 0
    assert all(is_alive(h) for h in go + keep) and not NOLOGIN.exists()

    # 2. The real job: drain, notice, grace, logoff, restore.
    seen = {"drained": False}
    done = threading.Event()

    def watch() -> None:  # the drain shows as /etc/nologin on the host while the job runs
        while not done.wait(0.05):
            seen["drained"] = seen["drained"] or NOLOGIN.exists()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        real = run_job(tmp_path / "run", ground, image, survey(
            logoff_all_message="Maintenance at once", logoff_all_grace="3", logoff_all_drain="true"), check=False)
    finally:
        done.set()
        watcher.join()
    assert (real.status, real.rc) == ("successful", 0), real.stdout.read()
    [logoff] = task_results(real, LOGOFF_TASK)
    assert {s["id"] for s in logoff["logged_off"]} == {h.tty for h in go}
    counts = stats(real)["logoff_all"]["sandbox"]
    assert int(counts["logged_off"]) == len(go) and int(counts["failed"]) == 0
    assert int(counts["skipped"]) == len(logoff["skipped_sessions"])
    # The hosts: the selected sessions are gone after being warned, the kept one lives,
    # logons were refused during the run and are allowed again.
    assert not any(is_alive(h) for h in go) and is_alive(keep[0])
    for handle in go:
        assert "Maintenance at once" in terminal_output(handle, "Maintenance at once")
    assert "Maintenance at once" not in terminal_output(keep[0], None)
    assert seen == {"drained": True} and not NOLOGIN.exists()
    # What AWX reads from the artifacts directory.
    artifacts = Path(real.config.artifact_dir)
    assert (artifacts / "status").read_text() == "successful"
    assert (artifacts / "rc").read_text() == "0"
    assert any(e["event"] == "runner_on_ok" and e["event_data"].get("task", "").startswith("Drain new logons")
               and e["event_data"]["res"].get("changed") for e in real.events)
    assert os.path.isdir(artifacts / "job_events") and any((artifacts / "job_events").iterdir())


# A process in a container whose console is /dev/pts/N of the container's own devpts has
# the same tty_nr (136, N) as the host's /dev/pts/N. The Linux target took every process
# with the session's tty_nr as a member, so logging off the host session on pts/N signalled
# the container's processes too. Found when the EE job (with --tty, as AWX starts it) killed
# itself on this machine (controller and target at once); fixed by the Linux target's
# membership from the confirmed leader's descendants. A regression test now.
CONSOLE = """
import fcntl, os, sys, termios
want, held = "/dev/pts/" + sys.argv[1], []
while True:
    master, slave = os.openpty()
    if os.ttyname(slave) == want:
        break
    held.append((master, slave))
child = os.fork()
if child == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os.execvp("sleep", ["sleep", "120"])
os.waitpid(child, 0)
"""


def test_logoff_spares_a_container_on_the_same_pts_number(image, open_sessions, is_alive):
    from tests.integration.ansible_run import run_tasks
    [victim] = open_sessions("admin2")
    number = victim.tty.split("/")[-1]
    podman = ["podman", "run", "-d", "--rm", "--user=0", image, "python3", "-c", CONSOLE, number]
    container = subprocess.run(podman, capture_output=True, text=True, env=ee.podman_env(), check=True).stdout.strip()
    try:
        time.sleep(1)
        assert running(container)
        result = run_tasks([{"name": "Log off admin2", "termserv.sessions.session_logoff": {"users": ["admin2"]},
                             "register": "logoff"}])
        assert result.rc == 0, result.stdout
        assert not is_alive(victim)
        assert running(container), "logging off the host's session killed a container's process"
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", container], capture_output=True, env=ee.podman_env(),
                       check=False)


def running(container: str) -> bool:
    proc = subprocess.run(["podman", "inspect", "-f", "{{.State.Running}}", container], capture_output=True,
                          text=True, env=ee.podman_env(), check=False)
    return proc.stdout.strip() == "true"
