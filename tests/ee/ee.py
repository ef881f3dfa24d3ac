# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the test execution environment: local Debian base, the collection from its tarball.

What differs from the published definition (docs/ee/execution-environment.yml), and why:
* the base image is built locally (tests/ee/base-image.sh): CI reaches no container registry;
* Debian's system python: ``package_manager_path: /usr/bin/apt-get``, ``skip_pip_install``
  (Debian disables ensurepip) and ``PIP_BREAK_SYSTEM_PACKAGES=1``;
* the build host's CA bundle is copied into every stage: the package registries are
  reached through a TLS-inspecting proxy (harmless where there is none);
* the collection comes from the tarball just built, not from Galaxy;
* podman runs with runc and cgroupfs (tests/ee/containers.conf).

Two layers, so that a changed collection rebuilds in seconds (issue 15 item 2):
* the dependencies image, built by ansible-builder from the definition above WITH the
  tarball (so the collection's meta/execution-environment.yml, requirements-ee.txt and
  bindep.txt are read exactly as AWX's build reads them). Its tag is a hash of the
  definition, of those metadata files and of this file: ansible-builder runs again
  whenever any of them changes, and on a machine that has no such image (CI);
* the job image: the dependencies image plus the tarball of this very checkout,
  installed with ``ansible-galaxy collection install --force --no-deps`` into the same
  path. Its tag adds the collection's file checksums (FILES.json, no timestamps), so an
  unchanged collection reuses it at once and a changed one takes one small layer.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = REPO / ".venv" / "bin"
CONTAINERS_CONF = HERE / "containers.conf"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# The EE's ansible-core: the oldest of the support matrix, what AAP 2.4/2.5 EEs ship.
CORE = os.environ.get("TERMSERV_EE_CORE", "ansible-core>=2.15,<2.16")
PODMAN_BUILD_ARGS = "--runtime /usr/sbin/runc --cgroup-manager cgroupfs"


def podman_env() -> dict[str, str]:
    return dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))


def build_tarball(out: Path) -> Path:
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out),
                    str(REPO)], check=True, capture_output=True)
    [built] = out.glob("termserv-sessions-*.tar.gz")
    return built


def base_image() -> str:
    proc = subprocess.run([str(HERE / "base-image.sh")], capture_output=True, text=True, check=False,
                          env=podman_env())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def definition(base: str, tarball_name: str) -> dict:
    copy_ca = f"COPY _build/certs/{CA_BUNDLE.name} /etc/ssl/certs/{CA_BUNDLE.name}"
    return {
        "version": 3,
        "images": {"base_image": {"name": base}},
        "dependencies": {
            "python_interpreter": {"package_system": "python3", "python_path": "/usr/bin/python3"},
            "ansible_core": {"package_pip": CORE},
            "ansible_runner": {"package_pip": "ansible-runner"},
            "galaxy": {"collections": [{"name": f"collections/{tarball_name}", "type": "file"}]},
        },
        "additional_build_files": [
            {"src": tarball_name, "dest": "collections"},
            {"src": str(CA_BUNDLE), "dest": "certs"},
        ],
        "additional_build_steps": {
            "prepend_base": [copy_ca, "ENV PIP_BREAK_SYSTEM_PACKAGES=1"],
            "prepend_galaxy": [copy_ca],
            "prepend_builder": [copy_ca],
        },
        "options": {"package_manager_path": "/usr/bin/apt-get", "skip_pip_install": True},
    }


EE_METADATA = ("meta/execution-environment.yml", "meta/requirements-ee.txt", "meta/bindep.txt")
COLLECTIONS_PATH = "/usr/share/ansible/collections"


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _exists(image: str) -> bool:
    return subprocess.run(["podman", "image", "exists", image], env=podman_env(), check=False).returncode == 0


def _context(directory: Path, tarball: Path) -> Path:
    """A build context holding the tarball."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(tarball, directory / tarball.name)
    return directory


def _build(argv: list[str], timeout: float, cwd: Path | None = None) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, env=podman_env(), check=False, cwd=cwd,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


def dependencies_image(workdir: Path, tarball: Path) -> str:
    """ansible-builder's image for this definition and these EE metadata files."""
    spec = definition(base_image(), tarball.name)
    metadata = [(REPO / name).read_text(encoding="utf-8") for name in EE_METADATA]
    image = f"localhost/termserv-sessions-ee-deps:{_digest(spec, metadata, (HERE / 'ee.py').read_text())}"
    if _exists(image):
        return image
    ctx = _context(workdir / "ee", tarball)
    (ctx / "execution-environment.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    _build([str(BIN / "ansible-builder"), "build", "-f", str(ctx / "execution-environment.yml"),
            "--context", str(ctx / "context"), "-t", image, "--container-runtime", "podman",
            "--extra-build-cli-args", PODMAN_BUILD_ARGS, "-v", "2"], timeout=1200, cwd=ctx)
    return image


def build(workdir: Path) -> str:
    """Build (or reuse) the test EE with this checkout's collection; return its image name."""
    tarball = build_tarball(workdir / "dist")
    deps = dependencies_image(workdir, tarball)
    with tarfile.open(tarball) as tar:
        files = tar.extractfile("FILES.json")
        assert files is not None
        collection_sum = hashlib.sha256(files.read()).hexdigest()
    image = f"localhost/termserv-sessions-ee:{_digest(deps, collection_sum)}"
    if _exists(image):
        return image
    ctx = _context(workdir / "collection", tarball)
    user = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", deps],
                          capture_output=True, text=True, env=podman_env(), check=True).stdout.strip()
    (ctx / "Containerfile").write_text(
        f"FROM {deps}\n"
        "USER root\n"
        f"COPY {tarball.name} /tmp/{tarball.name}\n"
        f"RUN ansible-galaxy collection install --force --no-deps -p {COLLECTIONS_PATH} /tmp/{tarball.name}"
        f" && rm /tmp/{tarball.name}\n"
        # The image's own user again, as ansible-builder left it (AWX runs jobs as that user).
        + (f"USER {user}\n" if user else ""))
    _build(["podman", "build", *PODMAN_BUILD_ARGS.split(), "-t", image, str(ctx)], timeout=600)
    return image
