# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What `make demo` installs, prints and tells a newcomer (issue 23.12, 23.14); no real
sessions here. The demo itself, from fresh clones: tests/demo/from-clones.sh."""
from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sandbox.sandbox import STATE_ROOT, USERS, state_dir

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VENV", REPO / ".venv"))


def listed(*args: str) -> tuple[list[str], list[str]]:
    """(Debian packages, requirement files) that tests/install-deps.sh ARGS would install."""
    out = subprocess.run(["tests/install-deps.sh", *args, "--list"], cwd=REPO, capture_output=True,
                         text=True, check=True, timeout=30).stdout.splitlines()
    reqs = [line.split(": ", 1)[1].split() for line in out if line.startswith("requirements: ")]
    packages = [line for line in out if line and ": " not in line]
    assert reqs, out
    return packages, reqs[0]


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower())
    return names


def test_the_demo_installs_only_what_it_needs():
    packages, reqs = listed("demo")
    assert {"openssh-server", "openssh-client", "systemd", "python3-venv"} <= set(packages)
    toolchain = {"podman", "runc", "xrdp", "xorgxrdp", "mono-mcs", "mono-runtime", "gcc", "shellcheck",
                 "debootstrap"}
    assert not toolchain & set(packages)
    assert reqs == ["tests/demo/requirements.txt"]
    assert requirement_names(REPO / reqs[0]) == {"ansible-core", "cryptography"}


def test_the_suite_installs_what_the_demo_does_and_more():
    demo_packages, _demo_reqs = listed("demo")
    all_packages, reqs = listed()
    assert set(demo_packages) < set(all_packages)
    assert "podman" in all_packages
    assert "tests/requirements.txt" in reqs
    assert "-r demo/requirements.txt" in (REPO / "tests" / "requirements.txt").read_text().splitlines()


def test_make_demo_does_not_install_the_test_toolchain():
    plan = subprocess.run(["make", "-n", "demo"], cwd=REPO, capture_output=True, text=True, check=True,
                          timeout=30).stdout.splitlines()
    installs = [line for line in plan if "install-deps.sh" in line]
    assert installs == ["tests/install-deps.sh demo"]


def run_step(tty: bool, no_color: bool = False) -> bytes:
    """What the demo's step() prints into a pipe, or onto a terminal (a pty)."""
    argv = ["bash", "-c", "source tests/demo/step.sh && step Farm up"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = "1"
    if not tty:
        return subprocess.run(argv, cwd=REPO, capture_output=True, check=True, env=env, timeout=10).stdout
    main, child = pty.openpty()
    proc = subprocess.Popen(argv, cwd=REPO, stdout=child, stderr=child, env=env)
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 1024)
        except OSError:  # EIO once bash has exited and the pty is closed
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=10)
    os.close(main)
    return out


def test_demo_headings_are_plain_text_in_a_log():
    assert run_step(tty=False) == b"\n==> Farm up\n"


def test_demo_headings_are_bold_on_a_terminal_unless_no_color():
    assert b"\x1b[1m==> Farm up" in run_step(tty=True)
    assert b"\x1b" not in run_step(tty=True, no_color=True)


def test_demo_prints_headings_only_through_step():
    # a raw escape code anywhere else in the demo would reach logs again
    text = (REPO / "tests" / "demo.sh").read_text()
    assert "\\033" not in text and "\\e[" not in text


@pytest.mark.skipif(not (VENV / "bin" / "ansible").exists(), reason="no virtualenv (make deps)")
def test_ansible_in_the_venv_starts_without_a_deprecation_warning(tmp_path):
    # ansible-core 2.19 imports cryptography's DSA module, deprecated (with a warning at
    # import) in cryptography 51: tests/demo/requirements.txt keeps cryptography below it.
    proc = subprocess.run([str(VENV / "bin" / "ansible"), "localhost", "-m", "ansible.builtin.ping"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # (Python's warnings, not Ansible's "[WARNING]: No inventory was parsed")
    assert not re.search(r"\w+Warning: ", proc.stderr), proc.stderr


def test_state_lives_where_every_user_and_farm_host_can_read_it():
    # not in the checkout: it may be under a 0700 home or under /tmp (issue 23.13)
    for kind in ("farm", "sandbox"):
        path = state_dir(kind)
        assert path.parent == STATE_ROOT and not path.is_relative_to(REPO)
        assert not path.is_relative_to("/tmp") and not path.is_relative_to("/root")
    # one per checkout: two clones never share keys or hosts
    assert state_dir("farm", Path("/tmp/a")) != state_dir("farm", Path("/root/a"))


def test_readme_says_what_make_demo_installs_creates_and_locks():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## What `make demo` does", 1)[1].split("\n## ", 1)[0]
    packages, _reqs = listed("demo")
    missing = [p for p in packages if p not in section]
    assert not missing, f"README's make demo section does not name {missing}"
    for word in ("ansible-core", "REAL_SESSIONS_LOCK", "/var/lib/termserv-sessions", "make deps"):
        assert word in section
    named_users = [u for u in USERS if f"`{u}`" in section]
    assert named_users == list(USERS)


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, re.MULTILINE))


def tracked_texts() -> list[str]:
    names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True,
                           timeout=30).stdout.splitlines()
    return [n for n in names if n == "Makefile" or n.endswith((".md", ".txt", ".sh", ".py", ".yml", ".cfg"))
            or n.startswith(".ci/")]


def test_every_make_target_named_exists():
    # tests/requirements.txt once named a target "venv" that the Makefile never had
    targets = makefile_targets()
    wrong = {}
    for name in tracked_texts():
        path = REPO / name
        if path.is_file():
            named = set(re.findall(r"`make ([a-z][\w-]*)", path.read_text(encoding="utf-8", errors="replace")))
            if named - targets:
                wrong[name] = sorted(named - targets)
    assert not wrong, f"make targets named that the Makefile does not have: {wrong}"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed (make deps)")
def test_the_demo_scripts_pass_shellcheck():
    scripts = ["tests/demo.sh", "tests/install-deps.sh", "tests/demo/from-clones.sh", "tests/demo/step.sh"]
    proc = subprocess.run(["shellcheck", "-x", *scripts], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
