# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   make demo   a farm of real hosts with real ssh sessions, and the playbooks run against it;
#               installs only what the demo needs (tests/install-deps.sh demo)
#   make deps   everything the test suite needs, into .venv
#   make test   the whole suite (what CI runs)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
REPO := $(CURDIR)
VENV := $(REPO)/.venv
COLLECTIONS := $(REPO)/build/collections
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_DEPRECATION_WARNINGS := 0
export PATH := $(VENV)/bin:$(PATH)
# install-deps.sh and demo.sh use it: `make demo VENV=/other/venv` reuses a virtualenv.
export VENV
PYTEST := tests/run-pytest.sh

.PHONY: deps demo-deps link demo demo-down demo-from-clones farm bench test unit windows integration docs-check sanity lint clean packaging importer ee

deps:
	tests/install-deps.sh

demo-deps:
	tests/install-deps.sh demo

link:
	mkdir -p $(COLLECTIONS)/ansible_collections/termserv
	ln -sfn $(REPO) $(COLLECTIONS)/ansible_collections/termserv/sessions

# Takes the machine-wide real-sessions lock itself (tests/demo.sh says which file).
demo: demo-deps link
	tests/demo.sh

demo-down:
	$(VENV)/bin/python tests/sandbox/sandbox.py down
	tests/demo.sh down

# `make demo` from fresh clones of this checkout's last commit, in a 0700 directory (as
# /root) and under /tmp, each to the end (issue 23.13): tests/demo/from-clones.sh.
demo-from-clones:
	tests/demo/from-clones.sh

unit: deps link
	$(PYTEST) -q tests/unit $(wildcard tests/target) tests/sanity tests/demo tests/playbooks

windows: deps link
	$(PYTEST) -q tests/windows


integration: deps link
	$(PYTEST) -q tests/integration tests/role

# The logoff_all playbook across a farm of namespaced hosts (tests/farm/README.md): ~195 s
# (farm start, check/run/rerun, host lost, serial batches, failing host, the AWX job in the
# EE through ansible-runner, two overlapping runs with a killed controller).
farm: deps link
	$(PYTEST) -q tests/farm

packaging: deps link
	$(PYTEST) -q tests/packaging

# Galaxy's importer on the built tarball: no warning, no error (issue 13.2).
importer: deps link
	tests/sanity/run-importer.sh

# The execution environment AWX runs jobs in, built from the tarball; jobs through
# ansible-runner + podman against real sessions (issue 15), and the job streamed as on an
# execution node (transmit | worker in the EE | process) and as sliced jobs, against the
# farm (issue 26; ~70 s, its own farm). Real sessions: run under the lock.
ee: deps link
	$(PYTEST) -q tests/ee

docs-check: deps link
	$(PYTEST) -q tests/docs

sanity: deps link
	tests/sanity/run-ansible-test.sh

lint: deps link
	tests/sanity/run-lint.sh

# Cheap gates first, so a broken doc or spec fails in seconds, not after the real sessions.
test: deps link
	$(MAKE) --no-print-directory unit docs-check lint importer sanity windows packaging ee integration farm \
		demo-from-clones

clean:
	rm -rf build tests/output tests/windows/build .pytest_cache

docs: deps link
	docs/build-docsite.sh

# Not part of `make test`. Opens real sessions and starts farm hosts (~20 min in all): either
# run it under the machine-wide lock, or let each step take it, which keeps every hold
# short: make bench BENCH_LOCK="flock /work/.real-sessions.lock"
BENCH_LOCK ?=
bench: deps link
	$(VENV)/bin/python -m pip install -q -r bench/requirements.txt
	$(BENCH_LOCK) $(VENV)/bin/python bench/linux_logoff.py
	$(BENCH_LOCK) $(VENV)/bin/python bench/farm_logoff.py
	$(BENCH_LOCK) $(VENV)/bin/python bench/farm_scaling.py
	$(BENCH_LOCK) $(VENV)/bin/python bench/load_logoff.py
	BENCH_LOAD_WAY=pipelining $(BENCH_LOCK) $(VENV)/bin/python bench/load_logoff.py
	$(VENV)/bin/python bench/report.py
