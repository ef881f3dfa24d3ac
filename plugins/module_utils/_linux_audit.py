# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit trail on a Linux host: one record per action, who asked and why (issue 12.3).

PRIVATE to the termserv.sessions collection: no compatibility promise.

journald's native protocol when /run/systemd/journal/socket exists (structured fields a
`journalctl TERMSERV_USER=bob` can find), else a syslog datagram to /dev/log. Both with
the identifier ``termserv.sessions`` and facility authpriv (who logged whom off is an
authorization matter). Writing goes straight to the sockets, not through the ``syslog``
module, whose failures are silent: a record that could not be written must say so
(``audit_warning``), and the action is still done.
"""
from __future__ import annotations

import os
import socket
import struct
import time
import typing as t

IDENT = "termserv.sessions"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
SYSLOG_SOCKET = "/dev/log"
FACILITY_AUTHPRIV = 10
PRIORITY_NOTICE = 5


def _field(name: str, value: str) -> bytes:
    # The binary form of the native protocol: safe for values holding newlines.
    data = value.encode("utf-8", "replace")
    return name.encode("ascii") + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"


def _send(path: str, payload: bytes) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, path)


class Auditor:
    """Writes records for one module run; collects what could not be written."""

    def __init__(self, audit: t.Mapping[str, t.Any] | None,
                 journal: str = JOURNAL_SOCKET, syslog: str = SYSLOG_SOCKET) -> None:
        self.audit = dict(audit) if audit else None
        self.journal = journal
        self.syslog = syslog
        self.failures: list[str] = []

    @property
    def warning(self) -> str | None:
        if not self.failures:
            return None
        return "audit record(s) not written: " + "; ".join(sorted(set(self.failures)))

    def record(self, action: str, user: str, session: str, reason: str = "",
               forced: bool = False) -> None:
        if self.audit is None:
            return
        requester = str(self.audit.get("requester") or "")
        run_id = str(self.audit.get("run_id") or "")
        message = (f"{action} session {session} of user {user!r}"
                   f"{' (forced)' if forced else ''}{f', reason {reason}' if reason else ''};"
                   f" requested by {requester or 'unknown'} (run {run_id or '-'})")
        try:
            if os.path.exists(self.journal):
                fields = {
                    "MESSAGE": message, "SYSLOG_IDENTIFIER": IDENT,
                    "SYSLOG_FACILITY": str(FACILITY_AUTHPRIV), "PRIORITY": str(PRIORITY_NOTICE),
                    "TERMSERV_USER": user, "TERMSERV_SESSION": session,
                    "TERMSERV_ACTION": action, "TERMSERV_REASON": reason,
                    "TERMSERV_FORCED": "1" if forced else "0",
                    "TERMSERV_REQUESTER": requester, "TERMSERV_RUN_ID": run_id,
                }
                _send(self.journal, b"".join(_field(k, v) for k, v in fields.items()))
            elif os.path.exists(self.syslog):
                stamp = time.strftime("%b %d %H:%M:%S", time.localtime())
                pri = FACILITY_AUTHPRIV * 8 + PRIORITY_NOTICE
                line = f"<{pri}>{stamp} {IDENT}[{os.getpid()}]: {message}"
                _send(self.syslog, line.encode("utf-8", "replace"))
            else:
                self.failures.append(f"no journald ({self.journal}) and no syslog ({self.syslog}) on this host")
        except OSError as exc:
            self.failures.append(f"{exc.strerror or exc}")


def from_results(auditor: Auditor, action: str, targets: t.Iterable[t.Mapping[str, t.Any]],
                 results: t.Iterable[t.Mapping[str, t.Any]], done: t.Collection[str]) -> None:
    """One record per session whose result is in ``done``; forced logoffs get a second one."""
    by_id = {str(tg.get("id")): tg for tg in targets}
    for result in results:
        if result.get("result") not in done:
            continue
        target = by_id.get(str(result.get("id")), {})
        user = str(target.get("user") or "")
        reason = str(target.get("reason") or "")
        auditor.record(action, user, str(result.get("id")), reason, bool(result.get("forced")))
        if result.get("forced"):
            auditor.record("forced_escalation", user, str(result.get("id")), reason, True)


def audit_and_exit(module: t.Any, action: str, results: list[dict[str, t.Any]], done: t.Collection[str],
                   audited: list[dict[str, t.Any]] | None = None) -> t.NoReturn:
    """The end of every Linux target that acts: audit, then return ``results``.

    ``audited`` (default: all of ``results``) are the results this run caused; the task
    changed something when one of them is in ``done``. An audit that could not be written
    is a warning in the result: the action itself was done.
    """
    audited = results if audited is None else audited
    auditor = Auditor(module.params.get("_audit"))
    from_results(auditor, action, module.params["_targets"], audited, done)
    extra = {"audit_warning": auditor.warning} if auditor.warning else {}
    module.exit_json(changed=any(r.get("result") in done for r in audited), results=results, **extra)
    raise AssertionError("exit_json returned")  # pragma: no cover - it exits
