#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pytest from the project's venv. Exit code 5 ("no tests collected") is an error here:
# every suite we call has tests, so collecting none means a suite silently vanished.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
.venv/bin/python -m pytest "$@"
rc=$?
if (( rc == 5 )); then
    echo "run-pytest: no tests were collected from: $*" >&2
fi
exit $rc
