# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 4 across the farm, over ssh: two overlapping runs and a killed controller.

Run A drains every host and waits out a long grace period. Run B drains too, logs its
users off and releases its own hold: every host stays drained, because A still holds it.
Then A's ansible-playbook is killed (SIGKILL). Nobody releases A's hold; each host lifts
the drain by itself when A's hold expires (the systemd timer where systemd runs, the
detached watcher on the host without it), and not before.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import typing as t

from tests.farm.farm import Farm
from tests.farm.pytest_farm import farm  # noqa: F401 pylint: disable=unused-import
from tests.farm.test_farm_playbook import (  # noqa: F401 pylint: disable=unused-import
    PLAYBOOK,
    nologin,
    run_logoff_all,
    sessions_everywhere,
)
from tests.farm.test_farm_scenarios import HOLDS
from tests.integration.ansible_run import BIN, env
from tests.role.test_role_logoff_all import descendants, end_processes, wait_for

DRAIN = "Drain new logons (this run's hold, which expires by itself)"


def holds(farm: Farm, name: str) -> list[dict[str, t.Any]]:
    try:
        return json.loads((farm.root(name) / HOLDS).read_text())["holds"]
    except (FileNotFoundError, ValueError):
        return []


def test_overlapping_runs_and_a_killed_controller_leave_no_host_drained(farm, sessions_everywhere,  # noqa: F811
                                                                        tmp_path):
    hosts = sorted(sessions_everywhere)
    expires_in = 45
    run_a = {"target": "farm", "logoff_all_users": "admin2", "logoff_all_exclude_users": "admin",
             "logoff_all_drain": True, "logoff_all_drain_holder": "run A", "logoff_all_grace": 300,
             "logoff_all_timeout": 20, "logoff_all_drain_expires_in": expires_in}
    output = tmp_path / "run-a.txt"
    with open(output, "w", encoding="utf-8") as sink:  # a file: a full pipe would stall run A
        a = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(BIN / "ansible-playbook"), str(PLAYBOOK), "-i", str(farm.write_inventory()),
             "-e", json.dumps(run_a)], stdout=sink, stderr=subprocess.STDOUT, env=env(), start_new_session=True)
    left: list[tuple[int, str]] = []
    try:
        assert wait_for(lambda: all(any(h["holder"] == "run A" for h in holds(farm, n)) for n in hosts), 120), \
            output.read_text()
        until = {n: max(h["until"] for h in holds(farm, n) if h["holder"] == "run A") for n in hosts}

        # B overlaps: it drains, logs admin2 off, and releases only its own hold.
        b, registered = run_logoff_all(farm, {
            "target": "farm", "logoff_all_users": "admin2", "logoff_all_exclude_users": "admin",
            "logoff_all_drain": True, "logoff_all_drain_holder": "run B", "logoff_all_grace": 1,
            "logoff_all_timeout": 20})
        assert b.returncode == 0, b.stdout + b.stderr
        assert time.time() < min(until.values()), "B outlasted A's hold; raise expires_in"
        for name in hosts:
            assert [h["holder"] for h in registered[name]["__logoff_all_drain"]["other_holds"]] == ["run A"]
            assert not any(farm.alive(h) for h in sessions_everywhere[name]["go"])
            assert nologin(farm, name), f"{name}: B's release lifted A's drain"
            assert [h["holder"] for h in holds(farm, name)] == ["run A"]

        # A's controller dies in its grace period: nothing releases its hold but the hosts.
        left = descendants(a.pid)
        os.kill(a.pid, signal.SIGKILL)
        a.wait(timeout=30)
        lifted: dict[str, float] = {}

        def all_lifted() -> bool:
            for name in hosts:
                if name not in lifted and not nologin(farm, name):
                    lifted[name] = time.time()
            return len(lifted) == len(hosts)

        assert wait_for(all_lifted, max(until.values()) - time.time() + 40), \
            f"still drained: {sorted(set(hosts) - set(lifted))}"
        for name in hosts:
            # Holds expire in whole seconds of the host's clock, which is this machine's.
            assert lifted[name] >= until[name], (name, "lifted before A's hold expired")
            assert not (farm.root(name) / HOLDS).exists()
            assert all(farm.alive(h) for h in sessions_everywhere[name]["keep"])
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
        end_processes(left)
