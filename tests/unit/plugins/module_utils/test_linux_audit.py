# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Linux audit records, read back from a journald / syslog socket bound in a tmp dir."""
from __future__ import annotations

import socket
import struct

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_audit

AUDIT = {"requester": "AWX job 123", "run_id": "r-42"}


def parse_native(data: bytes) -> dict[str, str]:
    """journald's native protocol, both the text and the binary field form."""
    fields = {}
    while data:
        line, _newline, data = data.partition(b"\n")
        if b"=" in line:
            key, _equals, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
        else:
            size = struct.unpack("<Q", data[:8])[0]
            fields[line.decode()] = data[8:8 + size].decode()
            data = data[8 + size + 1:]
    return fields


@pytest.fixture
def sockets(tmp_path):
    made = []

    def bind(name: str) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(tmp_path / name))
        sock.settimeout(2)
        made.append(sock)
        return sock

    yield bind
    for sock in made:
        sock.close()


def test_journald_gets_structured_fields(tmp_path, sockets):
    journal = sockets("journal")
    auditor = _linux_audit.Auditor(AUDIT, journal=str(tmp_path / "journal"),
                                   syslog=str(tmp_path / "nolog"))
    results = [{"id": "pts/3", "result": "logged_off", "forced": True},
               {"id": "pts/4", "result": "gone"}]
    targets = [{"id": "pts/3", "user": "bob\nfake=1"}, {"id": "pts/4", "user": "eve"}]
    _linux_audit.from_results(auditor, "logoff", targets, results, {"logged_off"})
    first = parse_native(journal.recv(65536))
    second = parse_native(journal.recv(65536))
    assert first["SYSLOG_IDENTIFIER"] == "termserv.sessions"
    assert (first["TERMSERV_USER"], first["TERMSERV_SESSION"], first["TERMSERV_ACTION"],
            first["TERMSERV_FORCED"], first["TERMSERV_REQUESTER"], first["TERMSERV_RUN_ID"]) == (
        "bob\nfake=1", "pts/3", "logoff", "1", "AWX job 123", "r-42")
    assert second["TERMSERV_ACTION"] == "forced_escalation"
    journal.settimeout(0.2)
    with pytest.raises(socket.timeout):
        journal.recv(65536)  # nothing for the session that was gone
    assert auditor.warning is None


def test_syslog_when_there_is_no_journald(tmp_path, sockets):
    log = sockets("log")
    auditor = _linux_audit.Auditor(AUDIT, journal=str(tmp_path / "none"), syslog=str(tmp_path / "log"))
    auditor.record("notice", "bob", "pts/3")
    line = log.recv(65536).decode()
    assert line.startswith("<85>") and "termserv.sessions[" in line and "AWX job 123" in line


def test_no_audit_writes_nothing_and_a_host_without_syslog_warns(tmp_path):
    silent = _linux_audit.Auditor(None, journal=str(tmp_path / "a"), syslog=str(tmp_path / "b"))
    silent.record("logoff", "bob", "pts/3")
    assert silent.warning is None
    auditor = _linux_audit.Auditor(AUDIT, journal=str(tmp_path / "a"), syslog=str(tmp_path / "b"))
    auditor.record("logoff", "bob", "pts/3")
    assert auditor.warning and "no journald" in auditor.warning
