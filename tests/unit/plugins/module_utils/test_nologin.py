# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""logon_mode's nologin files and hold store, in a temporary directory.

``set_state`` is the action plugin's flow without Ansible: read the facts, decide with
plugin_utils/_holds.py, apply on the "host".
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _nologin
from ansible_collections.termserv.sessions.plugins.plugin_utils import _holds


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "run").mkdir()
    return _nologin.Paths(etc=str(tmp_path / "etc" / "nologin"), run=str(tmp_path / "run" / "nologin"),
                          etc_dir=str(tmp_path / "etc" / "termserv-sessions"),
                          run_dir=str(tmp_path / "run" / "termserv-sessions"))


def decide(state, paths, holder="run1", force=False, expires_in=600):
    facts = _nologin.facts(paths)
    decision = _holds.decide(facts["store"], _holds.Request(state, holder, expires_in, force),
                             now=facts["now"], current=facts["state"], foreign=facts["foreign"])
    return facts, decision


def set_state(state, paths, msg=None, holder="run1", force=False, expires_in=600):
    facts, decision = decide(state, paths, holder, force, expires_in)
    if decision.set_state is None and not decision.write_store:
        return False
    done = _nologin.apply(paths, generation=(facts["store"] or {}).get("generation", 0),
                          store=decision.store, set_state=decision.set_state, msg=msg, force=force,
                          write_store=decision.write_store)
    return bool(decision.changed or done["changed"])


def write(path, data: bytes):
    with open(path, "wb") as handle:
        handle.write(data)


def read(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("state, file", [("drain", "etc"), ("disabled", "etc"),
                                         ("drain_until_restart", "run")])
def test_each_state_round_trips_and_is_idempotent(paths, state, file):
    assert _nologin.facts(paths)["state"] == "enabled"
    assert set_state(state, paths, "back at 23:00") is True
    assert _nologin.facts(paths)["state"] == state
    assert read(getattr(paths, file)) == b"back at 23:00\n"
    assert set_state(state, paths, "back at 23:00") is False  # second run: no change
    assert set_state("enabled", paths) is True
    assert _nologin.facts(paths)["state"] == "enabled"
    assert not os.path.exists(paths.etc) and not os.path.exists(paths.run)
    assert _nologin.read_store(paths) == (None, None)


def test_the_store_lives_next_to_the_file_it_keeps(paths):
    set_state("drain", paths)
    assert os.path.exists(os.path.join(paths.etc_dir, "holds.json"))
    set_state("drain_until_restart", paths)  # the same holder switches to the /run file
    assert not os.path.exists(paths.etc) and os.path.exists(paths.run)
    assert os.path.exists(os.path.join(paths.run_dir, "holds.json"))
    assert not os.path.exists(os.path.join(paths.etc_dir, "holds.json"))


def test_changed_text_rewrites_our_file(paths):
    set_state("drain", paths, "one")
    assert set_state("drain", paths, "two") is True
    assert _nologin.facts(paths)["msg"] == "two\n"


# Issue 11 item 10: an admin's /etc/nologin is never lost (these failed before the holds:
# the drain replaced the admin's text, and drain_until_restart rewrote /run/nologin on
# every run).
ADMIN = b"admin: disk swap, back at 14:00\n\xff raw bytes stay raw"


@pytest.mark.parametrize("state", ["drain", "disabled", "drain_until_restart"])
def test_refusing_over_a_foreign_file_keeps_its_bytes_and_changes_nothing(paths, state):
    write(paths.etc, ADMIN)
    facts, decision = decide(state, paths)
    assert decision.covered and facts["state"] == "drain" and facts["msg"].startswith("admin: disk swap")
    assert set_state(state, paths) is False
    assert set_state(state, paths) is False  # idempotent
    assert read(paths.etc) == ADMIN and not os.path.exists(paths.run)
    assert set_state("enabled", paths) is False  # our restore: not ours to lift
    assert read(paths.etc) == ADMIN


@pytest.mark.parametrize("state, file", [("drain", "etc"), ("drain_until_restart", "run")])
def test_a_foreign_file_written_between_read_and_apply_is_kept(paths, state, file):
    """The controller decided on an enabled host; an admin writes nologin before our apply."""
    facts, decision = decide(state, paths)
    assert facts["state"] == "enabled" and decision.set_state == state
    write(getattr(paths, file), ADMIN)
    _nologin.apply(paths, generation=0, store=decision.store, set_state=decision.set_state,
                   msg="ours", write_store=decision.write_store)
    assert read(getattr(paths, file)) == ADMIN
    # Our hold does not claim the admin's file: releasing it leaves the file.
    assert _nologin.facts(paths)["foreign"] is True
    set_state("enabled", paths)
    assert read(getattr(paths, file)) == ADMIN


def test_a_renewed_hold_never_claims_a_file_an_admin_wrote_over_ours(paths):
    set_state("drain", paths, "ours")
    write(paths.etc, ADMIN)  # an admin takes over while we hold
    set_state("drain", paths, "ours")  # the same run renews its hold (a repeated drain)
    assert read(paths.etc) == ADMIN and _nologin.facts(paths)["foreign"] is True
    set_state("enabled", paths)
    assert read(paths.etc) == ADMIN


def test_a_foreign_file_written_during_our_hold_survives_our_release(paths):
    set_state("drain", paths, "ours")
    write(paths.etc, ADMIN)  # an admin takes over while we hold
    assert _nologin.facts(paths)["foreign"] is True
    set_state("enabled", paths)
    assert read(paths.etc) == ADMIN


def test_ownership_is_kept_in_etc_so_it_survives_a_reboot(paths, tmp_path):
    set_state("drain", paths, "ours")
    # A reboot empties /run: nothing of the ownership may live only there.
    for name in os.listdir(tmp_path / "run"):
        target = tmp_path / "run" / name
        if target.is_dir():
            import shutil
            shutil.rmtree(target)
        else:
            target.unlink()
    facts = _nologin.facts(paths)
    assert facts["foreign"] is False and facts["state"] == "drain"
    assert set_state("enabled", paths) is True and not os.path.exists(paths.etc)


def test_force_removes_even_a_foreign_file(paths):
    write(paths.etc, ADMIN)
    assert set_state("enabled", paths, force=True) is True
    assert not os.path.exists(paths.etc)


def test_overlapping_runs_through_the_files(paths):
    set_state("drain", paths, "A's text", holder="A")
    set_state("drain", paths, "B's text", holder="B")
    set_state("enabled", paths, holder="A")
    assert os.path.exists(paths.etc), "A's release must not lift B's drain"
    set_state("enabled", paths, holder="B")
    assert not os.path.exists(paths.etc)


def test_a_stale_generation_is_a_conflict(paths):
    facts, decision = decide("drain", paths, holder="A")
    set_state("drain", paths, holder="B")  # another run writes in between
    with pytest.raises(_nologin.Conflict):
        _nologin.apply(paths, generation=0, store=decision.store, set_state="drain", msg=None)


# ---- the dead man's switch ----
def test_release_removes_our_file_only_for_its_generation(paths):
    set_state("drain", paths, holder="A", expires_in=1)
    store_path, store = _nologin.read_store(paths)[0], _nologin.read_store(paths)[1]
    store_file = paths.store(store_path)
    time.sleep(1.1)
    assert _nologin.release(store_file, paths.lock, store["generation"] + 1) == "superseded"
    assert os.path.exists(paths.etc)
    assert _nologin.release(store_file, paths.lock, store["generation"]) == "released"
    assert not os.path.exists(paths.etc) and not os.path.exists(store_file)


def test_release_waits_for_live_holds_and_never_removes_a_foreign_file(paths):
    set_state("drain", paths, holder="A", expires_in=600)
    store = _nologin.read_store(paths)[1]
    store_file = paths.store(paths.etc)
    assert _nologin.release(store_file, paths.lock, store["generation"]) == "not expired"
    # Forge an expired store over an admin's file: the switch removes only our bytes.
    record = json.loads(read(store_file))
    record["holds"][0]["until"] = 0
    write(store_file, json.dumps(record).encode())
    write(paths.etc, ADMIN)
    assert _nologin.release(store_file, paths.lock, store["generation"]) == "released"
    assert read(paths.etc) == ADMIN


def test_the_detached_watcher_releases_after_expiry_and_outlives_its_parent(paths):
    """arm() without systemd: a sleeper in its own session restores the host by itself."""
    set_state("drain", paths, holder="A", expires_in=2)
    store = _nologin.read_store(paths)[1]
    wake_at = max(h["until"] for h in store["holds"])
    # Arm from a child process that exits at once, like a module whose connection closes.
    code = ("import sys; from ansible_collections.termserv.sessions.plugins.module_utils import _nologin as n;"
            f"p = n.Paths(*{tuple(paths)!r}); print(n.arm(p, {paths.store(paths.etc)!r}, {store['generation']},"
            f" {wake_at}, use_systemd=False))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=True)
    assert "'switch': 'watcher'" in proc.stdout
    assert os.path.exists(paths.etc)
    assert os.path.exists(os.path.join(paths.etc_dir, "release.py"))
    deadline = time.time() + 10
    while os.path.exists(paths.etc) and time.time() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(paths.etc), "the watcher did not release the expired hold"
    assert _nologin.read_store(paths) == (None, None)


def test_arm_with_systemd_passes_only_fixed_paths_and_numbers(paths, monkeypatch):
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(_nologin.subprocess, "run", fake_run)
    set_state("drain", paths, holder="A; rm -rf /")
    store = _nologin.read_store(paths)[1]
    done = _nologin.arm(paths, paths.store(paths.etc), store["generation"], int(time.time()) + 30,
                        use_systemd=True)
    assert done["switch"] == "systemd-run"
    argv = calls[0]
    assert argv[0] == "systemd-run" and any(a.startswith("--on-active=") for a in argv)
    assert not any("rm -rf" in a for a in argv)
    assert argv[-3:] == [paths.store(paths.etc), paths.lock, str(store["generation"])]


def test_releasing_the_last_hold_stops_the_watcher(paths):
    """A normal release leaves no sleeper behind until the old expiry."""
    set_state("drain", paths, holder="A", expires_in=600)
    store = _nologin.read_store(paths)[1]
    _nologin.arm(paths, paths.store(paths.etc), store["generation"], int(time.time()) + 600, use_systemd=False)
    record = json.loads(read(os.path.join(paths.etc_dir, "switch.json")))
    assert _nologin._start_time(record["pid"]) == record["start"]
    set_state("enabled", paths, holder="A")
    _nologin.disarm(paths)
    deadline = time.time() + 5
    while _nologin._start_time(record["pid"]) is not None and time.time() < deadline:
        time.sleep(0.1)
    assert _nologin._start_time(record["pid"]) is None, "the watcher is still running"
