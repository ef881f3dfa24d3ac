#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Galaxy's own importer (galaxy-importer, the code Galaxy and Automation Hub run on upload)
# on the tarball `ansible-galaxy collection build` makes. Its ansible-test part is off (it
# needs containers and ansible-test runs in `make sanity`); its ansible-lint part is on.
# Fails on any WARNING or ERROR line. The importer lives in its own venv (build/venvs/
# importer): it pins its own ansible-lint/ansible-core ranges.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
venv=$repo/build/venvs/importer
req="galaxy-importer"
if [[ ! -x $venv/bin/python ]] || [[ $(cat "$venv/.installed" 2>/dev/null) != "$req" ]]; then
    python3 -m venv --clear "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$req" 2>&1 | grep -v "^WARNING: Location" || true
    echo "$req" > "$venv/.installed"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$repo/.venv/bin/ansible-galaxy" collection build --force --output-path "$work/dist" "$repo" >/dev/null
cat > "$work/importer.cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
CFG
cd "$work"  # the importer writes importer_result.json into the working directory
PATH=$venv/bin:$PATH GALAXY_IMPORTER_CONFIG=$work/importer.cfg \
    "$venv/bin/python" -m galaxy_importer.main "$work"/dist/termserv-sessions-*.tar.gz > "$work/log" 2>&1 || {
    cat "$work/log"; echo "importer: failed"; exit 1; }
if grep -E "^(WARNING|ERROR)|WARNING:|ERROR:" "$work/log"; then
    echo "importer: the lines above are warnings or errors Galaxy would show"; exit 1
fi
grep -q "Importer processing completed successfully" "$work/log" || { cat "$work/log"; exit 1; }
echo "importer: $(head -1 "$work/log"): no warning, no error"
