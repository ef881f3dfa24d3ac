# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each .ps1 ``$spec`` validated by ansible-core's own Ansible.Basic.cs, compiled and run on Mono.

This is the validation a Windows host runs before the module's code: good arguments (the
shape the action plugins send) pass and get the documented defaults; bad ones fail with a
message naming the option; an option the target does not take fails naming the
user-facing module to call (the .ps1's refusal, _TargetOptions.cs, run as each .ps1 runs it).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ansible.module_utils import csharp
import pytest

import wtsfake  # pylint: disable=import-error
from test_source_checks import PS1, expected_spec, ps_spec  # pylint: disable=import-error

HERE = Path(__file__).resolve().parent
TARGET_OPTIONS = HERE.parents[1] / "plugins" / "module_utils" / "_TargetOptions.cs"
OUT = wtsfake.BUILD / "ansible_basic"
TARGET = {"id": "2", "user": "alice", "domain": "CORP", "logon_time": "2026-11-24T08:00:00Z",
          "pid": None, "station": "RDP-Tcp#3"}
GOOD = {
    "win_session_info": {},
    "win_session_logoff": {"_targets": [TARGET], "_timeout": 30.0},
    "win_session_message": {"_targets": [TARGET], "msg": "Bitte abmelden", "title": "Wartung",
                            "_audit": {"requester": "AWX job 123", "run_id": "r-1"}},
    "win_session_disconnect": {"_targets": [TARGET], "_timeout": 30.0, "_audit": None},
    "win_logon_mode": {"_phase": "apply", "_generation": 3, "_set_state": "drain"},
}
BAD = [
    ("win_session_info", {"no_such_option": 1}, "no_such_option"),
    ("win_session_info", {"users": {"alice": True}}, "users"),
    ("win_session_logoff", {"_timeout": "soon"}, "_timeout"),
    ("win_session_message", {"title": "no message"}, "msg"),
    ("win_session_info", {"_processes": "maybe"}, "_processes"),
    ("win_session_logoff", {"_audit": "AWX job 1"}, "_audit"),
    ("win_session_disconnect", {"_timeout": "soon"}, "_timeout"),
    ("win_logon_mode", {"_phase": "sleeping"}, "_phase"),
]


@pytest.fixture(scope="module")
def harness() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    basic = Path(csharp.__file__).with_name("Ansible.Basic.cs")
    subprocess.run(["mcs", "-target:library", f"-out:{OUT / 'ab.dll'}", "-r:System.Web.Extensions.dll",
                    "-nowarn:1591,219,414,169,649", str(basic), str(HERE / "ansible_basic" / "SmaStub.cs"),
                    str(TARGET_OPTIONS)],
                   check=True, capture_output=True)
    exe = OUT / "harness.exe"
    subprocess.run(["mcs", "-target:exe", f"-out:{exe}", f"-r:{OUT / 'ab.dll'}", "-r:System.Web.Extensions.dll",
                    str(HERE / "ansible_basic" / "SpecHarness.cs")], check=True, capture_output=True)
    return exe


def validate(harness: Path, module: str, args: dict, tmp_path: Path) -> tuple[int, dict]:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"options": ps_spec(HERE.parents[1] / "plugins" / "modules" / f"{module}.ps1"),
                                "supports_check_mode": True}))
    given = tmp_path / "args.json"
    given.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    # The .ps1's own name for Refusal(), as test_source_checks.py reads it from the file.
    name = module[len("win_"):]
    proc = subprocess.run(["mono", str(harness), str(spec), str(given), name], capture_output=True, text=True,
                          cwd=OUT, timeout=60, check=False)
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.stem)
def test_action_plugin_arguments_pass_and_get_the_defaults(harness, path, tmp_path):
    rc, result = validate(harness, path.stem, GOOD[path.stem], tmp_path)
    assert rc == 0 and not result.get("failed"), result
    params = result["params"]
    python = expected_spec(path.stem)
    for name, value in params.items():
        if name in GOOD[path.stem]:
            continue
        assert value == python[name].get("default"), name
    if "_targets" in GOOD[path.stem]:
        assert params["_targets"] == [TARGET]


@pytest.mark.parametrize("module, args, option", BAD, ids=[f"{m}-{o}" for m, _a, o in BAD])
def test_bad_arguments_fail_naming_the_option(harness, module, args, option, tmp_path):
    rc, result = validate(harness, module, args, tmp_path)
    assert rc == 1 and result["failed"] is True
    assert option in result["msg"], result["msg"]


# Issue 13 item 5: a target called directly with a user-facing option is refused, naming
# the module to call instead (before this, win_session_info took users: bob and returned
# everyone).
REFUSED = [
    ("win_session_info", {"users": ["bob"]}, "users"),
    ("win_session_info", {"include_processes": True, "_processes": True}, "include_processes"),
    ("win_session_logoff", {"_targets": [TARGET], "exclude_users": ["admin"]}, "exclude_users"),
    ("win_session_message", {"_targets": [], "msg": "hi", "states": ["active"]}, "states"),
    ("win_session_disconnect", {"users": ["bob"]}, "users"),
    ("win_logon_mode", {"_phase": "read", "state": "drain"}, "state"),
    ("win_logon_mode", {"_phase": "read", "msg": "go away"}, "msg"),
]


@pytest.mark.parametrize("module, args, option", REFUSED, ids=[f"{m}-{o}" for m, _a, o in REFUSED])
def test_a_user_option_is_refused_naming_the_user_facing_module(harness, module, args, option, tmp_path):
    rc, result = validate(harness, module, args, tmp_path)
    assert rc == 1 and result.get("failed") is True, result
    assert result["msg"] == (f"{module} is the target half of termserv.sessions.{module[len('win_'):]}; "
                             f"call that module: unsupported option '{option}'")


def test_several_user_options_are_all_named(harness, tmp_path):
    rc, result = validate(harness, "win_session_info", {"users": ["bob"], "exclude_users": ["x"]}, tmp_path)
    assert rc == 1 and result.get("failed") is True, result
    assert result["msg"] == ("win_session_info is the target half of termserv.sessions.session_info; "
                             "call that module: unsupported options 'exclude_users', 'users'")


# Issue 25 item 6: Ansible.Basic's "int" is Int32, which ends at 2038-01-19T03:14:07Z; a
# hold's expiry after that (or any _wake_at the controller sends then) must still pass. The
# .ps1 reads it as [int64]; the spec type must be one Ansible.Basic does not narrow ("raw"),
# as module_utils/_spec.py declares it (failed with "int": a value out of Int32's range).
def test_a_wake_time_after_2038_passes_the_spec(harness, tmp_path):
    args = dict(GOOD["win_logon_mode"], _wake_at=2_200_000_000)  # 2039-09-18
    rc, result = validate(harness, "win_logon_mode", args, tmp_path)
    assert rc == 0 and not result.get("failed"), result
    assert int(result["params"]["_wake_at"]) == 2_200_000_000
