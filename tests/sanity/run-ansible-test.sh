#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-test sanity on a copy of the collection in an ansible_collections/ tree.
# ansible-test's sanity venvs fetch a get-pip bootstrap from a host this machine cannot
# reach; a stand-in that uses ensurepip is written where ansible-test looks for it.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
venv=$repo/.venv
work=$repo/build/sanity/ansible_collections/termserv/sessions
rm -rf "$repo/build/sanity"
mkdir -p "$work"
git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$work/" 2>/dev/null || true
cd "$work"
git init -q && git add -A >/dev/null  # ansible-test reads the file list from git

# The stand-in for the get-pip script, under every name this ansible-core may ask for.
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
for name in $("$venv/bin/python" - <<'PY'
import pathlib, re, ansible_test
root = pathlib.Path(ansible_test.__file__).parent
names = set()
for path in root.rglob("*.py"):
    names.update(re.findall(r"get_pip_[0-9_]+\.py", path.read_text(errors="ignore")))
print(" ".join(sorted(names)) or "get_pip_24_2.py")
PY
); do
    printf 'import ensurepip\nensurepip.bootstrap(upgrade=True)\n' > "$cache/$name"
done

# pslint needs pwsh, which no registry here provides; the .ps1 modules are parsed and
# their $spec checked by tests/windows instead (see tests/sanity/ignore-*.txt).
"$venv/bin/ansible-test" sanity --python 3.11 --color no --skip-test pslint "$@"
