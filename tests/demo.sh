#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo`: a sandbox of real ssh sessions on 127.0.0.1, then what an admin would run:
# a report, a check-mode preview, the logoff_all playbook (warn, drain, log off everybody
# but admin, restore logons) and the report again. `make demo-down` ends the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections" ANSIBLE_NOCOLOR=1 ANSIBLE_SHOW_CUSTOM_STATS=1
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 PATH="$PWD/.venv/bin:$PATH"
play=(ansible-playbook -i "localhost," -c local -e ansible_python_interpreter="$PWD/$PY")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Sandbox: private sshd on 127.0.0.1 and real interactive sessions"
$PY tests/sandbox/sandbox.py up >/dev/null
for spec in "admin 1 normal" "admin2 2 normal" "TsuUp 1 normal" "carol 1 slow_exit"; do
    read -r user count behaviour <<<"$spec"
    $PY tests/sandbox/sandbox.py open "$user" --count "$count" --behaviour "$behaviour" >/dev/null
done

step "Who is logged on (playbook termserv.sessions.session_report)"
"${play[@]}" playbooks/session_report.yml

step "Preview in check mode: log off everybody but admin"
"${play[@]}" playbooks/logoff_all.yml --check -e '{"logoff_all_exclude_users": "admin"}'

step "For real: drain, warn, wait 3 s, log off everybody but admin, verify, restore logons"
"${play[@]}" playbooks/logoff_all.yml -e '{"logoff_all_exclude_users": "admin", "logoff_all_drain": true,
    "logoff_all_message": "The sandbox is going down for maintenance in 3 seconds.",
    "logoff_all_grace": "3s", "logoff_all_timeout": "20s"}'

step "What is left"
"${play[@]}" playbooks/session_report.yml

step "Done. The sandbox keeps running for you to play with; 'make demo-down' ends it."
