#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Install what the tests or the demo need on a fresh Debian machine (as root):
#   tests/install-deps.sh        the test suite (`make deps`): Debian packages from
#                                tests/demo/apt-packages.txt, tests/apt-packages.txt and
#                                tests/windows/apt-packages.txt; a virtualenv from
#                                tests/requirements.txt (which includes the demo's) and
#                                tests/windows/requirements.txt
#   tests/install-deps.sh demo   only what `make demo` needs: tests/demo/apt-packages.txt
#                                and tests/demo/requirements.txt (ansible-core); no podman,
#                                xrdp, mono, gcc, linters
#   ... --list                   print the package lists and requirement files, install nothing
# The virtualenv is $VENV (default .venv). Safe to run again: it only installs what is
# missing; a virtualenv made for the whole suite serves the demo too.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=all
list_only=
for arg in "$@"; do
    case $arg in
        demo|all) mode=$arg ;;
        --list) list_only=1 ;;
        *) echo "install-deps: unknown argument '$arg' (expected: demo, all, --list)" >&2; exit 2 ;;
    esac
done
VENV=${VENV:-.venv}
lists=(tests/demo/apt-packages.txt)
reqs=(tests/demo/requirements.txt)
if [[ $mode == all ]]; then
    lists+=(tests/apt-packages.txt tests/windows/apt-packages.txt)
    reqs+=(tests/requirements.txt tests/windows/requirements.txt)
fi
existing=()
for f in "${reqs[@]}"; do [[ -f $f ]] && existing+=("$f"); done
reqs=("${existing[@]}")
if [[ -n $list_only ]]; then
    echo "apt-lists: ${lists[*]}"
    echo "requirements: ${reqs[*]}"
    for list in "${lists[@]}"; do
        [[ -f $list ]] && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"
    done
    exit 0
fi

packages=()
for list in "${lists[@]}"; do
    [[ -f $list ]] || continue
    while read -r pkg _; do
        [[ -z $pkg || $pkg == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || packages+=("$pkg")
    done < "$list"
done
if (( ${#packages[@]} )); then
    echo "install-deps: apt-get install ${packages[*]}"
    # No package may start a daemon on this machine (xrdp and xrdp-sesman would listen on
    # 3389/3350 here; the farm runs them only inside its xrdp hosts): a policy-rc.d that
    # denies every start (exit 101) for the length of the install; one that was there is
    # put back afterwards, byte for byte.
    policy=/usr/sbin/policy-rc.d
    saved=$(mktemp)
    had_policy=
    if [[ -e $policy ]]; then cp -p "$policy" "$saved"; had_policy=1; fi
    restore_policy() {
        if [[ -n $had_policy ]]; then cp -p "$saved" "$policy"; else rm -f "$policy"; fi
        rm -f "$saved"
    }
    trap restore_policy EXIT
    printf '#!/bin/sh\n# termserv.sessions tests/install-deps.sh: no daemon starts during the install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    restore_policy
    trap - EXIT
    # The packages enable their units for the next boot: a systemd host of the farm (an
    # overlay of this /, on this machine's network) would start xrdp on 0.0.0.0:3389. The
    # farm masks them on its hosts; they stay disabled on the machine itself too.
    for unit in xrdp.service xrdp-sesman.service; do
        if [[ -e /lib/systemd/system/$unit ]] && command -v systemctl >/dev/null; then
            systemctl --root=/ --quiet disable "$unit" 2>/dev/null || true
        fi
    done
    # Proof that nothing of xrdp listens on the machine itself (3389 xrdp, 3350 sesman).
    if command -v ss >/dev/null && ss -Hltn '( sport = :3389 or sport = :3350 )' | grep -q .; then
        echo "install-deps: something listens on 3389/3350 on this machine after the install:" >&2
        ss -ltnp '( sport = :3389 or sport = :3350 )' >&2
        exit 1
    fi
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
# One stamp per mode; the whole suite's (.installed, which others wait for) serves the demo.
stamps=("$VENV/.installed")
[[ $mode == demo ]] && stamps+=("$VENV/.installed-demo")
for stamp in "${stamps[@]}"; do
    if [[ -f $stamp ]] && [[ -z $(find "${reqs[@]}" -newer "$stamp" 2>/dev/null) ]]; then
        exit 0
    fi
done
[[ -x $VENV/bin/python ]] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
args=()
for r in "${reqs[@]}"; do args+=(-r "$r"); done
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}"
touch "${stamps[-1]}"
