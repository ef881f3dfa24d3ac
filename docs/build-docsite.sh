#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make docs`: an HTML site of the collection's docs with antsibull-docs and Sphinx,
# into build/docsite/build/html.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export PATH=$repo/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$repo/build/collections
dest=$repo/build/docsite
rm -rf "$dest"
mkdir -p "$dest"
antsibull-docs sphinx-init --use-current --dest-dir "$dest" termserv.sessions >/dev/null
python -m pip install -q --disable-pip-version-check -r "$dest/requirements.txt"
# The generated build.sh treats every warning as an error; here the only expected ones
# come from intersphinx, which cannot reach docs.ansible.com (no network): the labels of
# Ansible's own docs are then undefined. Any other warning still fails the build.
(cd "$dest" && sed -i 's/ -W --keep-going$/ --keep-going -w sphinx-warnings.log/' build.sh && ./build.sh)
if grep -v -e "failed to reach any of the inventories" -e "intersphinx inventory" \
        -e "undefined label: '\(common_return_values\|action_plugins\|ansible_configuration_settings\)'" \
        -e "^ *$" -e "^  *http" "$dest/sphinx-warnings.log" | grep -q WARNING; then
    echo "docs: Sphinx warnings:" >&2
    cat "$dest/sphinx-warnings.log" >&2
    exit 1
fi
for page in session_info_module session_logoff_module session_message_module logon_mode_module logoff_all_role; do
    test -s "$dest/build/html/collections/termserv/sessions/$page.html" || { echo "missing page $page" >&2; exit 1; }
done
echo "docs: $dest/build/html/index.html"
