#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-lint (production profile) on the whole collection root (.ansible-lint,
# .ansible-lint-ignore), antsibull-docs'
# collection docs lint (semantic markup, references) and antsibull-changelog lint.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$PWD/.venv/bin
export PATH=$bin:$PATH ANSIBLE_COLLECTIONS_PATH=$PWD/build/collections NO_COLOR=1

echo "lint: ansible-lint --profile production (the collection root)"
"$bin/ansible-lint" --nocolor --profile production

echo "lint: antsibull-docs lint-collection-docs --plugin-docs"
"$bin/antsibull-docs" lint-collection-docs --plugin-docs --skip-rstcheck .

echo "lint: antsibull-changelog lint"
"$bin/antsibull-changelog" lint
echo "lint: all passed"
