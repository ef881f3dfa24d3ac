#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# `make demo-from-clones` (part of `make test`, issue 23.13): `make demo` from fresh clones
# of this checkout's last commit, where a newcomer puts them, each to the end:
#   private  a clone inside a 0700 directory, as a clone in /root (~ of root) is: other
#            users' sshd cannot traverse it to read authorized keys there;
#   tmp      a clone under /tmp, which a systemd farm host replaces with its own.
# Each log must end with the demo's last step, hold no terminal escape codes (its output is
# a file, not a terminal) and no CryptographyDeprecationWarning.
# Nothing is installed twice: the first clone runs `make demo` as a newcomer would (the
# demo's own dependencies: Debian packages already present are skipped, pip takes its
# cache); the second reuses that clone's virtualenv (make demo VENV=...).
# Each `make demo` takes the real-sessions lock itself, for its own run only: do not run
# this under that lock (or pass REAL_SESSIONS_LOCK= when you do).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
start=$(date +%s)

private=$(mktemp -d /var/tmp/termserv-demo-private.XXXXXX)  # mktemp -d makes it 0700
tmp=$(mktemp -d /tmp/termserv-demo-tmp.XXXXXX)
chmod 755 "$tmp"  # only /tmp is in the way here, as for `git clone URL /tmp/x`
clones=("$private/termserv.sessions" "$tmp/termserv.sessions")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local clone state
    for clone in "${clones[@]}"; do
        # The farm's state of this clone (keys, sshd configs) lives outside it by design.
        [[ -d $clone ]] || continue
        state=$(cd "$clone" && python3 -c \
            'from tests.sandbox.sandbox import state_dir; print(state_dir("farm"))') || continue
        [[ $state == /var/lib/termserv-sessions/farm-* ]] && rm -rf "$state"
    done
    rm -rf "$private" "$tmp"
}
trap cleanup EXIT

failed=0
run_demo() {  # CLONE LABEL [make arguments]
    local clone=$1 label=$2 began log
    shift 2
    log=$(dirname "$clone")/demo.log
    began=$(date +%s)
    git clone -q "$src" "$clone"
    echo "demo-from-clones: $label: make demo in $clone $*"
    if ! make -C "$clone" --no-print-directory demo "$@" </dev/null >"$log" 2>&1; then
        echo "demo-from-clones: $label: make demo FAILED; the end of its output:" >&2
        tail -n 40 "$log" >&2
        failed=1
        return
    fi
    local problems=()
    grep -q '^==> Done' "$log" || problems+=("no final '==> Done' step")
    grep -q $'\033' "$log" && problems+=("terminal escape codes in a log")
    grep -q 'CryptographyDeprecationWarning' "$log" && problems+=("CryptographyDeprecationWarning")
    grep -q 'Permission denied' "$log" && problems+=("'Permission denied'")
    if (( ${#problems[@]} )); then
        printf 'demo-from-clones: %s: %s\n' "$label" "${problems[@]}" >&2
        tail -n 40 "$log" >&2
        failed=1
        return
    fi
    local waited
    waited=$(sed -n 's/^demo: got the lock after \([0-9]*\)s$/\1/p' "$log")
    echo "demo-from-clones: $label: passed in $(( $(date +%s) - began ))s (${waited:-0}s of it waiting for the lock)"
}

run_demo "${clones[0]}" "0700 directory"
run_demo "${clones[1]}" "/tmp" VENV="${clones[0]}/.venv"
echo "demo-from-clones: $(( $(date +%s) - start ))s in all"
exit "$failed"
