# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain across a reboot (issue 24 item 3): systemd <= 253's systemd-user-sessions
deletes /etc/nologin at boot; the boot unit the collection enables while a hold exists runs
release.py --boot, which puts our file back (or releases what expired meanwhile)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from ansible_collections.termserv.sessions.plugins.module_utils import _nologin

from test_nologin import paths, read, set_state, write  # noqa: F401 pylint: disable=import-error,unused-import


def store_of(paths):  # noqa: F811
    return paths.store(paths.etc)


def boot_script(paths):  # noqa: F811
    script = os.path.join(paths.etc_dir, "release.py")
    write(script, _nologin.RELEASE_SOURCE.encode())
    return script


def test_boot_puts_back_the_file_systemd_user_sessions_deleted(paths):  # noqa: F811
    set_state("drain", paths, "back at 23:00", expires_in=600)
    before = read(paths.etc)
    os.unlink(paths.etc)  # what systemd-user-sessions start does on systemd 252
    assert _nologin.facts(paths)["state"] == "enabled"
    script = boot_script(paths)
    # The standalone script, as the boot unit runs it (no systemd-run here: not armed).
    proc = subprocess.run([sys.executable, "-I", script, "--boot", store_of(paths), paths.lock],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert read(paths.etc) == before
    assert _nologin.facts(paths)["state"] == "drain"


def test_boot_releases_a_hold_that_expired_while_the_host_was_down(paths):  # noqa: F811
    set_state("drain", paths, expires_in=1)
    unit, wants = _nologin.boot_unit_paths(paths.etc_dir)
    _nologin.install_boot_unit(paths, sys.executable, boot_script(paths), store_of(paths))
    assert os.path.islink(wants) and b"After=systemd-user-sessions.service" in read(unit)
    os.unlink(paths.etc)
    time.sleep(1.1)
    outcome = _nologin.boot(store_of(paths), paths.lock, sys.executable, "unused")
    assert outcome.startswith("expired while the host was down: released"), outcome
    assert _nologin.read_store(paths) == (None, None)
    assert not os.path.exists(paths.etc)
    assert not os.path.exists(unit) and not os.path.lexists(wants)


def test_boot_never_writes_bytes_it_did_not_record(paths):  # noqa: F811
    set_state("drain", paths, expires_in=600)
    os.unlink(paths.etc)
    path = store_of(paths)
    import json  # pylint: disable=import-outside-toplevel
    store = json.loads(read(path))
    store["file"]["text"] = "tampered\n"
    write(path, json.dumps(store).encode())
    _nologin.boot(path, paths.lock, sys.executable, "unused")
    assert not os.path.exists(paths.etc)


def test_boot_with_an_admins_file_in_place_leaves_it(paths):  # noqa: F811
    set_state("drain", paths, expires_in=600)
    write(paths.etc, b"admin's own\n")
    _nologin.boot(store_of(paths), paths.lock, sys.executable, "unused")
    assert read(paths.etc) == b"admin's own\n"


def test_the_boot_unit_exists_only_while_an_etc_hold_does(paths):  # noqa: F811
    set_state("drain", paths, expires_in=600)
    unit, wants = _nologin.boot_unit_paths(paths.etc_dir)
    generation = _nologin.facts(paths)["generation"]
    _nologin.install_boot_unit(paths, sys.executable, boot_script(paths), store_of(paths))
    _nologin.install_boot_unit(paths, sys.executable, boot_script(paths), store_of(paths))  # idempotent
    assert os.readlink(wants) == unit
    assert f"--boot {store_of(paths)} {paths.lock}" in read(unit).decode()
    assert set_state("enabled", paths) is True
    _nologin.drop_boot_unit(paths.etc_dir)  # what the module does when no hold is left
    assert not os.path.exists(unit) and not os.path.lexists(wants)
    assert generation


def test_the_boot_unit_cannot_hold_up_the_logon_services_forever(paths):  # noqa: F811
    # A oneshot unit has no start timeout by default, and ssh.service waits for it.
    set_state("drain", paths, expires_in=600)
    _nologin.install_boot_unit(paths, sys.executable, boot_script(paths), store_of(paths))
    unit = read(_nologin.boot_unit_paths(paths.etc_dir)[0]).decode()
    assert "\nTimeoutStartSec=30s\n" in unit, unit


def test_boot_arms_the_expiry_on_the_wall_clock(paths, monkeypatch):  # noqa: F811
    # At boot the clock may still be wrong (no RTC, before NTP): a monotonic "in N seconds"
    # computed from it would fire late; a realtime timer at the hold's own epoch follows the
    # clock when it is corrected.
    set_state("drain", paths, expires_in=600)
    until = max(h["until"] for h in _nologin.read_store(paths)[1]["holds"])
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda argv, **kwargs: calls.append(argv) or 0)
    outcome = _nologin.boot(store_of(paths), paths.lock, sys.executable, "release.py")
    assert outcome.endswith("expiry armed again"), outcome
    (argv,) = calls
    assert f"--on-calendar=@{int(until) + 1}" in argv, argv
    assert not [a for a in argv if a.startswith("--on-active")], argv


def test_boot_falls_back_to_a_relative_timer_when_systemd_refuses_the_epoch(paths, monkeypatch):  # noqa: F811
    # systemd before 234 (RHEL 7's 219) refuses OnCalendar=@EPOCH: the drain put back at boot
    # must still expire (else non-root logons stay refused until someone releases it), so the
    # boot falls back to "in N seconds" from the clock it has.
    set_state("drain", paths, expires_in=600)
    until = max(h["until"] for h in _nologin.read_store(paths)[1]["holds"])
    calls = []

    def call(argv, **kwargs):
        calls.append(argv)
        return 1 if any(a.startswith("--on-calendar=") for a in argv) else 0

    monkeypatch.setattr(subprocess, "call", call)
    outcome = _nologin.boot(store_of(paths), paths.lock, sys.executable, "release.py")
    assert outcome.endswith("expiry armed again"), outcome
    first, second = calls
    assert [a for a in first if a.startswith("--on-calendar=")]
    [active] = [a for a in second if a.startswith("--on-active=")]
    assert 590 <= int(active.split("=")[1].rstrip("s")) <= int(until - __import__("time").time()) + 2, active
    assert second[second.index("--") + 1:] == first[first.index("--") + 1:], "the same release command"
