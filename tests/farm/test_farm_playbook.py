# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The logoff_all playbook across a farm of real hosts (issue 10 item 4).

The playbook runs as a user runs it (``ansible-playbook termserv.sessions.logoff_all -i
INVENTORY``), followed by one play of our own that saves what the role registered on each
host as JSON (or, when a host is expected to FAIL and so drops out of later plays, a test
callback that saves the same): tests assert on those results and on the hosts themselves
(their sessions' processes, their own /etc/nologin), not on the role's printed text, which
may change. More scenarios (serial batches, a failing host, ansible-runner): test_farm_scenarios.py.
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.farm.farm import Farm
from tests.farm.pytest_farm import FARM_HOSTS, farm  # noqa: F401 pylint: disable=unused-import
from tests.integration.ansible_run import REPO, playbook

PLAYBOOK = REPO / "playbooks" / "logoff_all.yml"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
SAVED = ("__logoff_all_preview", "__logoff_all_drain", "__logoff_all_result")


def run_logoff_all(farm: Farm, extra: dict[str, t.Any], *flags: str, timeout: float = 240,
                   during: t.Callable[[], None] | None = None, saved: tuple[str, ...] = SAVED,
                   failed_too: bool = False,
                   watch: t.Callable[[threading.Event], None] | None = None) -> tuple[t.Any, dict[str, dict]]:
    """Run the playbook on the farm; return the process and {host: registered results}.

    ``saved``: the registered variables to save. ``failed_too``: save them with a callback
    (tests/farm/callback_plugins/save_registered.py) instead of a play of our own after the
    role, so that a host the role FAILED on is saved too (a failed host takes no part in
    later plays). ``watch(stop)`` runs in a thread for the whole run; ``stop`` is set once
    the playbook has ended.
    """
    with tempfile.TemporaryDirectory(prefix="termserv-farm-") as tmp:
        out = Path(tmp) / "registered"
        out.mkdir()
        save = {"name": "Save as JSON",
                "ansible.builtin.copy": {
                    "content": "{{ {" + ", ".join(f"'{n}': {n} | default(None)" for n in saved)
                               + "} | to_json }}",
                    "dest": f"{out}/{{{{ inventory_hostname }}}}.json", "mode": "0600"},
                "delegate_to": "localhost", "connection": "local", "check_mode": False,
                "vars": {"ansible_python_interpreter": str(Path(__import__('sys').executable))}}
        saver = {"name": "Save what the role registered", "hosts": extra.get("target", "farm"),
                 "gather_facts": False, "tasks": [save]}
        env: dict[str, str] = {}
        if failed_too:
            env = {"ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS), "ANSIBLE_CALLBACKS_ENABLED": "save_registered",
                   "TERMSERV_SAVE_REGISTERED": str(out / "all.json")}
        book = Path(tmp) / "run.yml"
        plays: list[dict[str, t.Any]] = [{"ansible.builtin.import_playbook": str(PLAYBOOK)}]
        book.write_text(yaml.safe_dump(plays if failed_too else plays + [saver], sort_keys=False))
        args = (str(book), "-i", str(farm.write_inventory()), "-e", json.dumps(extra), *flags)
        stop = threading.Event()
        threads = [threading.Thread(target=during)] if during is not None else []
        threads += [threading.Thread(target=watch, args=(stop,))] if watch is not None else []
        for thread in threads:
            thread.start()
        try:
            proc = playbook(*args, timeout=timeout, **env)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        if failed_too:
            everything = json.loads((out / "all.json").read_text()) if (out / "all.json").exists() else {}
            registered = {host: {n: found.get(n) for n in saved} for host, found in everything.items()}
        else:
            registered = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    return proc, registered


def nologin(farm: Farm, name: str) -> bool:
    return (farm.root(name) / "etc" / "nologin").exists()


@pytest.fixture
def sessions_everywhere(farm):
    """Two sessions of admin2 and one of admin (kept) on every farm host."""
    opened: dict[str, dict[str, list]] = {}
    for name in sorted(farm.hosts()):
        opened[name] = {"go": farm.open(name, "admin2", 2, behaviour="slow_exit", exit_delay=1.0),
                        "keep": farm.open(name, "admin")}
    yield opened
    for handles in opened.values():
        for handle in handles["go"] + handles["keep"]:
            farm.close(handle)


SURVEY = {"target": "farm", "logoff_all_exclude_users": "admin", "logoff_all_timeout": "20"}


def test_check_mode_on_every_host_changes_nothing_and_predicts_the_run(farm, sessions_everywhere):
    check, registered = run_logoff_all(farm, dict(SURVEY, logoff_all_drain=True), "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert set(registered) == set(farm.hosts())
    for name, handles in sessions_everywhere.items():
        preview = registered[name]["__logoff_all_preview"]
        would = {s["id"] for s in preview["logged_off"]}
        assert would == {h.id for h in handles["go"]}, (name, preview)
        assert registered[name]["__logoff_all_result"].get("skipped") is True  # the real step never ran
        assert all(farm.alive(h) for h in handles["go"] + handles["keep"])
        assert not nologin(farm, name)

    real, registered = run_logoff_all(farm, SURVEY)
    assert real.returncode == 0, real.stdout + real.stderr
    for name, handles in sessions_everywhere.items():
        result = registered[name]["__logoff_all_result"]
        assert {s["id"] for s in result["logged_off"]} == {h.id for h in handles["go"]}, (name, result)
        assert result["errors"] == []
        assert not any(farm.alive(h) for h in handles["go"])
        assert all(farm.alive(h) for h in handles["keep"])

    again, registered = run_logoff_all(farm, SURVEY)
    assert again.returncode == 0, again.stdout
    for name in sessions_everywhere:
        result = registered[name]["__logoff_all_result"]
        assert result["logged_off"] == [] and result["changed"] is False, (name, result)


def test_a_host_lost_mid_run_is_unreachable_while_the_others_finish_and_restore(farm, sessions_everywhere):
    lost = sorted(n for n, h in farm.hosts().items() if h["kind"] == "utmp")[-1]
    others = [n for n in sessions_everywhere if n != lost]

    def lose_host() -> None:
        # During the grace period every host is drained and waiting: pull one away.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not nologin(farm, lost):
            time.sleep(0.1)
        time.sleep(0.5)
        farm.kill_host(lost)

    extra = dict(SURVEY, logoff_all_drain=True, logoff_all_message="Maintenance", logoff_all_grace=6)
    try:
        run, registered = run_logoff_all(farm, extra, during=lose_host)
        assert run.returncode != 0  # a host was lost: the run says so
        recap = run.stdout[run.stdout.rfind("PLAY RECAP"):]
        assert any(line.startswith(lost) and "unreachable=1" in line for line in recap.splitlines()), recap
        for name in others:
            line = next(x for x in recap.splitlines() if x.startswith(name))
            assert "unreachable=0" in line and "failed=0" in line, recap
            result = registered[name]["__logoff_all_result"]
            assert {s["id"] for s in result["logged_off"]} == {h.id for h in sessions_everywhere[name]["go"]}
            assert registered[name]["__logoff_all_drain"]["previous_state"] == "enabled"
            assert not nologin(farm, name), f"{name} was left drained"
            assert not any(farm.alive(h) for h in sessions_everywhere[name]["go"])
            assert all(farm.alive(h) for h in sessions_everywhere[name]["keep"])

        rerun, registered = run_logoff_all(farm, extra, "--limit", ",".join(others))
        assert rerun.returncode == 0, rerun.stdout
        for name in others:
            assert registered[name]["__logoff_all_result"]["logged_off"] == []
            assert not nologin(farm, name)
    finally:
        farm.up(**FARM_HOSTS)  # the next tests get the whole farm back


def test_a_second_farm_never_takes_an_address_in_use(farm, tmp_path):  # noqa: F811
    """A farm with another state directory skips the addresses the first one serves.

    With host keys unchecked, Ansible would otherwise reach the first farm's host through
    the second farm's inventory, and a test would act on a host it did not start.
    """
    other = Farm(tmp_path / "other-farm")
    try:
        started = other.up(utmp=1, systemd=0, timeout=60)["hosts"]
        ours = {host["addr"] for host in farm.hosts().values()}
        theirs = {host["addr"] for host in started.values()}
        assert len(theirs) == 1 and theirs.isdisjoint(ours), (theirs, ours)
        proc = playbook(str(_ping_book(tmp_path)), "-i", str(other.inventory), timeout=120)
        assert proc.returncode == 0 and "ok=1" in proc.stdout, proc.stdout + proc.stderr
    finally:
        other.down()
    assert other.leftovers() == []


def _ping_book(tmp_path: Path) -> Path:
    book = tmp_path / "ping.yml"
    book.write_text(yaml.safe_dump([{"name": "Reach the host", "hosts": "farm", "gather_facts": False,
                                     "tasks": [{"name": "Ping", "ansible.builtin.ping": None}]}]))
    return book
