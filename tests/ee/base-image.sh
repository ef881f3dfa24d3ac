#!/usr/bin/env bash
# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A local Debian base image for the test execution environment, because no container
# registry is reachable from CI: debootstrap (minbase) + podman import. The image tag
# carries a hash of its inputs (this script), so a second run finds it and returns in
# well under a second; the rootfs tarball is also kept in $cache so that a wiped podman
# store is refilled without debootstrap. Prints the image name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TERMSERV_EE_CACHE:-$here/../../build/ee}
suite=bookworm
mirror=${TERMSERV_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What ansible-builder and the jobs need from the base: python with pip (builder runs
# pip from the image), ssh for the jobs, the CA bundle for TLS.
include=python3,python3-pip,openssh-client,ca-certificates,sshpass
key=$(sha256sum < "$0" | cut -c1-12)
image=localhost/termserv-ee-base:$key
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

if podman image exists "$image"; then
    echo "$image"; exit 0
fi
mkdir -p "$cache"
tarball=$cache/base-$suite-$key.tar
if [[ ! -s $tarball ]]; then
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >&2
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi
podman import --quiet "$tarball" "$image" >&2
echo "$image"
