# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the collection tarball, install it into clean virtualenvs, and use the installed copy.

The support matrix (README "Requirements", docs/user-guide.md): the oldest ansible-core that
meta/runtime.yml claims (2.15, Python 3.11: what AAP 2.4/2.5 execution environments ship),
the one the repository develops on (2.19) and the newest on PyPI (2.21, Python 3.13). On
each: session_info, a check-mode and a real logoff of a real session, and the role (check,
then real). The venvs are cached in build/venvs/ (keyed by the requirement).
"""
from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
VENVS = REPO / "build" / "venvs"
MATRIX = [
    ("2.15", "ansible-core>=2.15,<2.16", ["/root/.pyenv/versions/3.11.7/bin/python3.11", "/usr/bin/python3.11"]),
    ("2.19", "ansible-core>=2.19,<2.20", ["/root/.pyenv/versions/3.11.7/bin/python3.11", "/usr/bin/python3.11"]),
    ("2.21", "ansible-core>=2.21,<2.22", ["/root/.pyenv/versions/3.13.0/bin/python3.13", "/usr/bin/python3.13"]),
]
MODULES = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py"))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(REPO / ".venv" / "bin" / "ansible-galaxy"), "collection", "build", "--force",
                    "--output-path", str(out), str(REPO)], check=True, capture_output=True)
    [built] = out.glob("termserv-sessions-*.tar.gz")
    return built


def test_tarball_has_the_collection_and_no_build_output(tarball):
    names = tarfile.open(tarball).getnames()
    for wanted in ("plugins/action/session_logoff.py", "plugins/modules/session_logoff.py",
                   "plugins/modules/win_session_logoff.ps1", "plugins/module_utils/_WtsSession.cs",
                   "roles/logoff_all/meta/argument_specs.yml", "playbooks/logoff_all.yml",
                   "meta/runtime.yml", "docs/design.md", "MANIFEST.json", "FILES.json"):
        assert wanted in names, wanted
    for name in names:
        parts = Path(name).parts
        assert not {"build", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ansible", "bench",
                    ".ci"} & set(parts), name
        assert not name.startswith("tests/windows/build"), name


def python_for(candidates: list[str]) -> str:
    for candidate in candidates:
        if Path(candidate).exists():
            return candidate
    pytest.fail(f"none of {candidates} is installed")


def venv(version: str, requirement: str, pythons: list[str]) -> Path:
    path = VENVS / version
    stamp = path / ".installed"
    if not stamp.exists() or stamp.read_text() != requirement:
        subprocess.run([python_for(pythons), "-m", "venv", "--clear", str(path)], check=True)
        subprocess.run([str(path / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", requirement],
                       check=True)
        stamp.write_text(requirement)
    return path


def requires_ansible() -> str:
    return yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]


def test_matrix_starts_at_what_runtime_yml_claims():
    oldest = min(MATRIX, key=lambda m: tuple(int(x) for x in m[0].split(".")))[0]
    assert requires_ansible() == f">={oldest}.0", "meta/runtime.yml and the tested matrix disagree"


@pytest.mark.parametrize("version, requirement, pythons", MATRIX, ids=[m[0] for m in MATRIX])
def test_installed_copy_works(version, requirement, pythons, tarball, tmp_path, open_sessions, is_alive):
    env_dir = venv(version, requirement, pythons)
    bin_dir = env_dir / "bin"
    collections = tmp_path / "collections"
    subprocess.run([str(bin_dir / "ansible-galaxy"), "collection", "install", "--force", "-p", str(collections), str(tarball)],
                   check=True, capture_output=True)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
               PATH=f"{bin_dir}:{os.environ['PATH']}", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    installed = collections / "ansible_collections" / "termserv" / "sessions"
    assert (installed / "plugins" / "action" / "session_info.py").exists()
    core = subprocess.run([str(bin_dir / "ansible"), "--version"], capture_output=True, text=True, env=env,
                          check=True).stdout
    assert f"core {version}." in core, core
    go = open_sessions("admin2")
    keep = open_sessions("TsuUp")
    out = tmp_path / "out.json"
    play = [{"name": "Installed copy", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "List", "termserv.sessions.session_info": {}, "register": "info"},
        {"name": "Preview", "termserv.sessions.session_logoff": {"users": ["admin2"]},
         "check_mode": True, "register": "preview"},
        {"name": "Log off", "termserv.sessions.session_logoff": {"users": ["admin2"], "timeout": 20},
         "register": "real"},
        {"name": "Save", "ansible.builtin.copy": {"content": "{{ {'info': info, 'preview': preview, 'real': real}"
                                                             " | to_json }}",
                                                  "dest": str(out), "mode": "0600"}}]}]
    book = tmp_path / "play.yml"
    book.write_text(yaml.safe_dump(play))
    proc = subprocess.run([str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           "-e", f"ansible_python_interpreter={bin_dir / 'python'}", str(book)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ansible-core warns on every run when a collection says it does not support it.
    assert "does not support Ansible version" not in proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    assert result["info"]["backend"] in ("utmp", "logind") and "skipped_sessions" in result["info"]
    assert {h.tty for h in go + keep} <= {s["id"] for s in result["info"]["sessions"]}
    assert result["preview"]["changed"] is True and {s["id"] for s in result["preview"]["logged_off"]} == {go[0].tty}
    assert result["real"]["changed"] is True and {s["id"] for s in result["real"]["logged_off"]} == {go[0].tty}
    assert not is_alive(go[0]) and is_alive(keep[0])
    assert str(installed) in subprocess.run(
        [str(bin_dir / "ansible-doc"), "termserv.sessions.session_info"], capture_output=True, text=True,
        env=env, check=True).stdout
    for module in MODULES:
        subprocess.run([str(bin_dir / "ansible-doc"), f"termserv.sessions.{module}"], capture_output=True,
                       env=env, check=True)
    role = subprocess.run([str(bin_dir / "ansible-doc"), "-t", "role", "termserv.sessions.logoff_all"],
                          capture_output=True, text=True, env=env, check=True)
    assert "logoff_all_exclude_users" in role.stdout
    # The role through the collection's playbook: check mode, then a real run.
    role_args = ["-i", "localhost,", "-c", "local", "-e", "target=localhost",
                 "-e", f"ansible_python_interpreter={bin_dir / 'python'}",
                 "-e", "logoff_all_users=TsuUp", "-e", "logoff_all_timeout=20"]
    check = subprocess.run([str(bin_dir / "ansible-playbook"), "termserv.sessions.logoff_all", "--check", *role_args],
                           capture_output=True, text=True, env=env, check=False)
    assert check.returncode == 0 and "Would have logged off 1 session" in check.stdout, check.stdout
    assert is_alive(keep[0])
    real = subprocess.run([str(bin_dir / "ansible-playbook"), "termserv.sessions.logoff_all", *role_args],
                          capture_output=True, text=True, env=env, check=False)
    assert real.returncode == 0 and "Logged off 1 session" in real.stdout, real.stdout
    assert not is_alive(keep[0])


def test_execution_environment_definition_builds_a_context(tmp_path):
    """ansible-builder accepts the EE definition and writes a Containerfile (no engine here to build it)."""
    context = tmp_path / "context"
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-builder"), "create", "-f",
                           str(REPO / "docs" / "ee" / "execution-environment.yml"), "--context", str(context),
                           "--output-filename", "Containerfile"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy" in containerfile and "requirements.yml" in containerfile
    assert (context / "_build" / "requirements.yml").exists()
    # ansible-builder and Galaxy's importer resolve these relative to the collection root.
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    for kind in ("python", "system"):
        assert (REPO / meta["dependencies"][kind]).is_file(), kind


def test_ansible_builder_finds_the_dependencies_in_the_installed_tarball(tarball, tmp_path):
    """Issue 15 item 1: what ansible-builder reads from the collection in an EE build."""
    installed = tmp_path / "collections"
    subprocess.run([str(REPO / ".venv" / "bin" / "ansible-galaxy"), "collection", "install", "--no-deps", "--force",
                    "-p", str(installed), str(tarball)], capture_output=True, check=True)
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-builder"), "introspect", "--sanitize",
                           str(installed)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    found = yaml.safe_load(proc.stdout)
    python = {line.split("#")[0].strip() for line in found["python"]}
    system = {line.split("#")[0].strip() for line in found["system"]}
    assert python == {"pywinrm>=0.4.3", "pypsrp>=0.8.1"}, found
    assert system == {"openssh-client [platform:dpkg]", "openssh-clients [platform:rpm]"}, found
