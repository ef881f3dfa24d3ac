#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo`: a small farm of real hosts on this machine (two without systemd, one with
# systemd-logind; tests/farm/README.md), real ssh sessions on each, then what an admin
# would run across the farm: a report, a check-mode preview, the logoff_all playbook (drain,
# warn, log off everybody but admin, restore logons) and the report again.
# The farm is brought down at the end; DEMO_KEEP=1 keeps it (then `make demo-down`).
# Run it under the machine-wide lock: flock /work/.real-sessions.lock make demo
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
FARM=(env "$PY" tests/farm/farm.py)
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections" ANSIBLE_NOCOLOR=1 ANSIBLE_SHOW_CUSTOM_STATS=1
export ANSIBLE_HOST_KEY_CHECKING=0 PATH="$PWD/.venv/bin:$PATH"
if [[ "${DEMO_KEEP:-0}" != 1 ]]; then
    trap '"${FARM[@]}" down >/dev/null' EXIT
fi

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Farm: utmp11, utmp12 (sshd only, utmp) and systemd13 (systemd + logind) on 127.0.0.11-13"
"${FARM[@]}" up --utmp 2 --systemd 1
INVENTORY=$("${FARM[@]}" inventory | tr -d '"')
play=(ansible-playbook -i "$INVENTORY" -f 3 -e target=farm)
for host in utmp11 utmp12 systemd13; do
    for spec in "admin 1 normal" "admin2 2 normal" "carol 1 slow_exit"; do
        read -r user count behaviour <<<"$spec"
        "${FARM[@]}" open "$host" "$user" --count "$count" --behaviour "$behaviour" >/dev/null
    done
done

step "Who is logged on, on every host (playbook termserv.sessions.session_report)"
"${play[@]}" playbooks/session_report.yml

step "Preview in check mode: log off everybody but admin, everywhere"
"${play[@]}" playbooks/logoff_all.yml --check -e '{"logoff_all_exclude_users": "admin"}'

step "For real: drain, warn, wait 3 s, log off everybody but admin, verify, restore logons"
"${play[@]}" playbooks/logoff_all.yml -e '{"logoff_all_exclude_users": "admin", "logoff_all_drain": true,
    "logoff_all_message": "This host is going down for maintenance in 3 seconds.",
    "logoff_all_grace": "3s", "logoff_all_timeout": "20s"}'

step "What is left"
"${play[@]}" playbooks/session_report.yml

if [[ "${DEMO_KEEP:-0}" == 1 ]]; then
    step "Done. The farm keeps running (inventory: $INVENTORY); 'make demo-down' ends it."
else
    step "Done. Bringing the farm down (DEMO_KEEP=1 keeps it)."
fi
