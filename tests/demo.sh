#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo`: a small farm of real hosts on this machine (two without systemd, one with
# systemd-logind; tests/farm/README.md), real ssh sessions on each, then what an admin
# would run across the farm: a report, a check-mode preview, the logoff_all playbook (drain,
# warn, log off everybody but admin, restore logons) and the report again.
# The farm is brought down at the end; DEMO_KEEP=1 keeps it (then `make demo-down`, which
# runs `tests/demo.sh down`).
#
# It takes the machine-wide real-sessions lock for its whole run, so that it never shares
# the farm's addresses with another demo or a test run: $REAL_SESSIONS_LOCK, by default
# /work/.real-sessions.lock where that file exists (the project's machines), else
# /run/lock/termserv-sessions.lock. Already holding it (flock FILE make demo)? Pass
# REAL_SESSIONS_LOCK= (empty) so that the demo does not wait for itself.
#
# The farm keeps what its hosts read (keys, sshd configs) in /var/lib/termserv-sessions/,
# one directory per checkout (tests/sandbox/sandbox.py state_dir): never in the checkout,
# which may be under a 0700 home or under /tmp, which a systemd host replaces with its own.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python
# Keys and configs the farm writes are read by other users' sshd: world-readable.
umask 022
TERMSERV_FARM_DIR=${TERMSERV_FARM_DIR:-$("$PY" -c 'from tests.sandbox.sandbox import state_dir; print(state_dir("farm"))')}
export TERMSERV_FARM_DIR
FARM=(env "$PY" tests/farm/farm.py)

if [[ ${1:-} == down ]]; then
    "${FARM[@]}" down
    exit
fi

default_lock=/run/lock/termserv-sessions.lock
[[ -e /work/.real-sessions.lock ]] && default_lock=/work/.real-sessions.lock
lock=${REAL_SESSIONS_LOCK-$default_lock}
if [[ -n $lock ]]; then
    exec 9>>"$lock"
    if ! flock -n 9; then
        echo "demo: waiting for the real-sessions lock $lock (another demo or test run holds it)"
        waited=$SECONDS
        flock 9
        echo "demo: got the lock after $(( SECONDS - waited ))s"
    fi
fi

export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections" ANSIBLE_NOCOLOR=1 ANSIBLE_SHOW_CUSTOM_STATS=1
venv_bin=$(cd "$VENV" && pwd)/bin
export ANSIBLE_HOST_KEY_CHECKING=0 PATH="$venv_bin:$PATH"
if [[ "${DEMO_KEEP:-0}" != 1 ]]; then
    trap '"${FARM[@]}" down >/dev/null' EXIT
fi

# shellcheck source=tests/demo/step.sh
source tests/demo/step.sh

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
