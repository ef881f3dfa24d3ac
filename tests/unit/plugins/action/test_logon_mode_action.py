# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""logon_mode's action plugin against targets that keep real state.

Linux: the real module_utils/_nologin.py on files under tmp_path (what linux_logon_mode
runs, minus arming the switch). Windows: a registry modelled as win_logon_mode.ps1 uses
it, where the hold store (a JSON string) and its generation (a DWORD) are two values.
"""
from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.termserv.sessions.plugins.action import logon_mode
from ansible_collections.termserv.sessions.plugins.module_utils import _nologin

from test_session_logoff_action import make as make_action  # pylint: disable=import-error


def make(args: dict[str, t.Any], target: t.Callable[..., dict], windows: bool):
    plugin = make_action(logon_mode, args, windows=windows)
    plugin._execute_module = lambda module_name, module_args, task_vars: target(module_args)
    return plugin


class LinuxHost:
    """linux_logon_mode's two phases on nologin files under a temporary directory."""

    def __init__(self, root):
        for sub in ("etc", "run", "etc/ts", "run/ts"):
            (root / sub).mkdir(exist_ok=True)
        self.paths = _nologin.Paths(etc=str(root / "etc/nologin"), run=str(root / "run/nologin"),
                                    etc_dir=str(root / "etc/ts"), run_dir=str(root / "run/ts"))
        self.before_apply: t.Callable[[], None] | None = None
        self.applies = 0

    def __call__(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        if args["_phase"] == "read":
            return _nologin.facts(self.paths)
        self.applies += 1
        if self.before_apply:
            hook, self.before_apply = self.before_apply, None
            hook()
        try:
            done = _nologin.apply(self.paths, generation=args["_generation"], store=args["_store"],
                                  set_state=args["_set_state"], msg=args["msg"], force=args["force"],
                                  write_store=args["_write_store"])
        except _nologin.Conflict as exc:
            return {"changed": False, "conflict": str(exc)}
        return {"changed": done["changed"], "switch": None, **_nologin.facts(self.paths)}

    def run(self, tmp_args: dict[str, t.Any]) -> dict[str, t.Any]:
        return make(tmp_args, self, windows=False).run(task_vars={})


class WindowsHost:
    """The registry as win_logon_mode.ps1 reads and writes it."""

    def __init__(self) -> None:
        self.values = {"WinStationsDisabled": 0, "TSServerDrainMode": 0}
        self.holds: str | None = None
        self.generation = 0
        # The registry values our last change left (AppliedWinStationsDisabled, ...).
        self.applied: dict[str, int] | None = None
        # The volatile key written with the store (REG_OPTION_VOLATILE: gone after a restart).
        self.boot_key = False
        self.now = 1_800_000_000

    def restart(self) -> None:
        """Windows starts again: volatile keys are gone, and "drain until restart" is over."""
        self.boot_key = False
        if self.values.get("TSServerDrainMode") == 1:
            self.values["TSServerDrainMode"] = 0

    def change_logon(self, switch: str) -> None:
        """An admin's chglogon.exe (or Server Manager), which knows nothing of our holds."""
        self.values.update({"/enable": {"WinStationsDisabled": 0, "TSServerDrainMode": 0},
                            "/drain": {"WinStationsDisabled": 0, "TSServerDrainMode": 2},
                            "/disable": {"WinStationsDisabled": 1}}[switch])

    def __call__(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        result = {"before": dict(self.values), "after": dict(self.values), "holds": self.holds,
                  "generation": self.generation, "applied": self.applied, "now": self.now, "changed": False,
                  "restarted": self.holds is not None and not self.boot_key}
        if args.get("_phase", "read") == "read":
            return result
        if self.generation != args["_generation"]:
            return dict(result, conflict="hold store changed under us")
        if args["_set_state"]:
            want = args["_expected"][args["_set_state"]]["values"]
            if any(self.values.get(k) != v for k, v in want.items()):
                self.values.update(want)
                result["changed"] = True
        if args["_write_store"]:
            if args["_store"] is None:
                self.holds, self.generation, self.applied, self.boot_key = None, 0, None, False
            else:
                self.holds, self.generation, self.boot_key = args["_store"], args["_generation"] + 1, True
                if args["_set_state"]:
                    self.applied = dict(self.values)
        result["after"] = dict(self.values)
        return result

    def run(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        return make(args, self, windows=True).run(task_vars={})


def test_linux_force_clears_a_damaged_store_so_later_runs_work(tmp_path):
    host = LinuxHost(tmp_path)
    assert not host.run({"state": "drain", "holder": "A"}).get("failed")
    with open(host.paths.store(host.paths.etc), "w", encoding="utf-8") as handle:
        handle.write("{damaged")
    refused = host.run({"state": "drain", "holder": "B"})
    assert refused["failed"] and "force: true" in refused["msg"]
    forced = host.run({"state": "enabled", "force": True})
    assert not forced.get("failed") and forced["changed"] and forced["state"] == "enabled"
    assert _nologin.read_store(host.paths) == (None, None)
    # The advice in the error works: the next run decides on a clean host.
    again = host.run({"state": "drain", "holder": "B"})
    assert not again.get("failed") and again["state"] == "drain"
    assert [h["holder"] for h in again["holds"]] == ["B"]


def test_windows_force_clears_a_damaged_store_whatever_generation_the_registry_has():
    host = WindowsHost()
    assert not host.run({"state": "drain", "holder": "A"}).get("failed")
    assert host.generation == 1 and host.values["TSServerDrainMode"] == 2
    host.holds = "{damaged"
    host.generation = 7  # the JSON names no generation any more; the registry value does
    refused = host.run({"state": "drain", "holder": "B"})
    assert refused["failed"] and "force: true" in refused["msg"]
    forced = host.run({"state": "enabled", "force": True})
    assert not forced.get("failed"), forced
    assert host.holds is None and host.values["TSServerDrainMode"] == 0
    assert not host.run({"state": "drain", "holder": "B"}).get("failed")
    assert host.values["TSServerDrainMode"] == 2


def test_windows_compare_and_swap_uses_the_registry_generation():
    host = WindowsHost()
    host.run({"state": "drain", "holder": "A"})
    # The JSON's own generation disagrees with the DWORD (a store edited by hand): the
    # DWORD is what the .ps1 compares, so it is what the controller must send.
    store = json.loads(host.holds)
    store["generation"] = 40
    host.holds = json.dumps(store)
    released = host.run({"state": "enabled", "holder": "A"})
    assert not released.get("failed"), released
    assert host.holds is None and host.values["TSServerDrainMode"] == 0


def test_linux_a_conflicting_writer_makes_the_run_decide_again(tmp_path):
    host = LinuxHost(tmp_path)
    host.run({"state": "drain", "holder": "A"})
    host.applies = 0
    # Between B's read and B's write, A releases: B must read again and hold alone.
    host.before_apply = lambda: _nologin.apply(
        host.paths, generation=1, store=None, set_state="enabled", msg=None)
    result = host.run({"state": "drain", "holder": "B"})
    assert host.applies == 2
    assert not result.get("failed") and result["state"] == "drain"
    assert [h["holder"] for h in result["holds"]] == ["B"]
    assert result["holds"][0]["state"] == "drain"


@pytest.mark.parametrize("windows", [False, True])
def test_a_later_run_releases_expired_holds_and_says_so(tmp_path, monkeypatch, windows):
    host = WindowsHost() if windows else LinuxHost(tmp_path)
    host.run({"state": "drain", "holder": "A", "expires_in": "60"})
    later = 1_800_000_000 + 120 if windows else None
    if windows:
        host.now = later
    else:
        real = _nologin.facts
        monkeypatch.setattr(_nologin, "facts", lambda paths: dict(real(paths), now=real(paths)["now"] + 120))
    result = host.run({"state": "drain", "holder": "B"})
    assert [h["holder"] for h in result["holds"]] == ["B"]
    assert result["notes"][0] == "released 1 expired hold(s): A"
    assert [h["holder"] for h in result["released_expired"]] == ["A"]


def test_a_dead_controller_between_read_and_apply_changes_nothing(tmp_path):
    """Issue 17: the controller dies while the host is read: the decided drain is not applied."""
    host = LinuxHost(tmp_path)
    plugin = make({"state": "drain", "holder": "A"}, host, windows=False)
    phases = []

    def target(args):
        phases.append(args["_phase"])
        result = host(args)
        plugin._watch.parent = -1  # the ansible-playbook main process just died
        return result

    plugin._execute_module = lambda module_name, module_args, task_vars: target(module_args)
    result = plugin.run(task_vars={})
    assert phases == ["read"]
    assert result["failed"] is True and "nothing more was done" in result["msg"]
    assert not (tmp_path / "etc" / "nologin").exists() and _nologin.read_store(host.paths) == (None, None)


# Issue 25 item 1: an admin's change during a hold is theirs; a release never undoes it.

@pytest.mark.parametrize("switch, state", [("/disable", "disabled"), ("/enable", "enabled")])
@pytest.mark.parametrize("holder", ["A", None])
def test_windows_a_release_leaves_a_mode_someone_else_set_meanwhile(switch, state, holder):
    host = WindowsHost()
    args = {"state": "drain", "holder": holder} if holder else {"state": "drain"}
    plugin = make(args, host, windows=True)
    assert not plugin.run(task_vars={}).get("failed")
    host.change_logon(switch)  # change logon /disable, or Server Manager allowing connections
    released = make(dict(args, state="enabled"), host, windows=True)
    result = released.run(task_vars={})
    assert not result.get("failed"), result
    assert _wlm_state(host) == state, "the release put back our original over the admin's change"
    assert host.holds is None and host.applied is None
    assert [h["holder"] for h in result["overridden"]] == [result["holder"]] and result["changed"]
    assert result["notes"][0].startswith(f"someone else changed the logon mode to {state} while it was held")


def test_windows_a_new_drain_after_an_admin_enabled_holds_afresh():
    host = WindowsHost()
    host.run({"state": "drain", "holder": "A"})
    host.change_logon("/enable")
    result = host.run({"state": "drain", "holder": "B"})
    assert [h["holder"] for h in result["overridden"]] == ["A"]
    assert [h["holder"] for h in result["holds"]] == ["B"] and host.values["TSServerDrainMode"] == 2
    assert json.loads(host.holds)["original"] == {"state": "enabled"}


def test_windows_our_own_changes_are_not_someone_elses():
    host = WindowsHost()
    host.run({"state": "drain", "holder": "A"})
    host.run({"state": "disabled", "holder": "B"})  # we set disabled over our own drain
    result = host.run({"state": "enabled", "holder": "B"})
    assert result["overridden"] == [] and host.values == {"WinStationsDisabled": 0, "TSServerDrainMode": 2}
    assert not host.run({"state": "enabled", "holder": "A"})["overridden"]
    assert host.values == {"WinStationsDisabled": 0, "TSServerDrainMode": 0} and host.holds is None


def _wlm_state(host: WindowsHost) -> str:
    from ansible_collections.termserv.sessions.plugins.plugin_utils import _windows_logon_mode  # pylint: disable=import-outside-toplevel
    return _windows_logon_mode.state_of(host.values)


# Issue 25 item 2: "drain until restart" does not outlive the restart it was meant for.

def _drained_until_restart_then_held() -> WindowsHost:
    host = WindowsHost()
    host.change_logon("/drain")
    host.values["TSServerDrainMode"] = 1  # change logon /drainuntilrestart by an admin
    result = host.run({"state": "drain", "holder": "A"})
    assert json.loads(host.holds)["original"] == {"state": "drain_until_restart"}, result
    return host


def test_windows_after_a_restart_the_release_enables():
    host = _drained_until_restart_then_held()
    host.restart()
    result = host.run({"state": "enabled", "holder": "A"})
    assert not result.get("failed"), result
    assert host.values == {"WinStationsDisabled": 0, "TSServerDrainMode": 0} and host.holds is None


def test_windows_without_a_restart_the_release_puts_back_drain_until_restart():
    host = _drained_until_restart_then_held()
    host.run({"state": "enabled", "holder": "A"})
    assert host.values["TSServerDrainMode"] == 1 and host.holds is None


def test_windows_a_renewal_after_a_restart_stores_enabled_as_the_original_and_tells_the_task():
    host = _drained_until_restart_then_held()
    host.restart()
    sent = []
    plugin = make({"state": "drain", "holder": "A"}, lambda args: sent.append(args) or host(args), windows=True)
    assert not plugin.run(task_vars={}).get("failed")
    assert json.loads(host.holds)["original"] == {"state": "enabled"}
    apply = [a for a in sent if a["_phase"] == "apply"][-1]
    assert apply["_restore_switch"] == "/enable" and apply["_expected"]["after_restart"] == {"switch": "/enable"}


def test_windows_the_task_learns_the_switch_for_after_a_restart():
    host = WindowsHost()
    host.values["TSServerDrainMode"] = 1
    sent = []
    plugin = make({"state": "drain", "holder": "A"}, lambda args: sent.append(args) or host(args), windows=True)
    plugin.run(task_vars={})
    apply = [a for a in sent if a["_phase"] == "apply"][-1]
    assert apply["_restore_switch"] == "/drainuntilrestart"
    assert apply["_expected"]["after_restart"] == {"switch": "/enable"}
