# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sequence of session_disconnect: enumerate, select, screen, disconnect, report.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Like the flows in _flow.py it talks to the host only through ``run_target(name, args)``
(``session_info``, ``session_disconnect``). Which sessions can be disconnected at all is
decided here, before check mode stops, so that a preview says the same as the real run:

- Windows: every selected session (``WTSDisconnectSession``; the sessions live on).
- Linux: xrdp sessions whose connection the host could read (the target marks them with
  the private key ``_xrdp_display``): the target ends xrdp's per-connection process, the
  session lives on, disconnected. Every other Linux session (ssh, tty, an xrdp session
  whose link is unknown) is skipped with reason ``cannot_disconnect``: it has no
  connection to end without ending the session. The target re-checks and answers
  ``cannot_disconnect`` too when it cannot identify the connection process positively.
"""
from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _args, _report
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._flow import (
    NotAdminError,
    RunTarget,
    Stop,
    TargetError,
    _audit_args,
    _audit_warning,
    _enumerate,
    _never,
)

MODULE = "session_disconnect"

# Skip reasons of session_disconnect, besides the selection's (see _selection.py).
CANNOT_DISCONNECT = "cannot_disconnect"
ALREADY_DISCONNECTED = sel.DISCONNECTED  # "disconnected": nothing to do, not a change
ENDED_BEFORE_DISCONNECT = "ended_before_disconnect"
REASONS = (CANNOT_DISCONNECT, ALREADY_DISCONNECTED, ENDED_BEFORE_DISCONNECT, sel.IDENTITY_CHANGED)

LINUX_UNSUPPORTED = ("Linux: only xrdp sessions can be disconnected (an ssh or terminal session has "
                     "no client connection to end without ending the session); the session was left alone")


@dataclasses.dataclass(frozen=True)
class DisconnectOptions:
    selection: sel.Selection
    timeout: int = 60
    audit: bool = True


def options(args: t.Mapping[str, t.Any]) -> DisconnectOptions:
    """Validate session_disconnect's options; an OptionError names the bad option."""
    params = _args.validate(MODULE, args)
    timeout = _args._duration(params, "timeout")
    if timeout < 1:
        raise _args.OptionError(f"timeout: {params['timeout']!r} must be at least 1 second")
    return DisconnectOptions(selection=_args.selection(params), timeout=timeout,
                             audit=bool(params["audit"]))


def cannot_disconnect(session: sel.Session, windows: bool) -> str | None:
    """Why ``session`` cannot be disconnected on this host, or None when it can."""
    if windows or session.get("_xrdp_display") is not None:
        return None
    return f"session {session.get('id')} ({session.get('station') or 'no station'}): {LINUX_UNSUPPORTED}"


def screen(chosen: t.Iterable[sel.Session], windows: bool) -> tuple[list[sel.Session], list[dict]]:
    """Split the selected sessions into those to disconnect and those skipped (with reason)."""
    targets: list[sel.Session] = []
    skipped: list[dict] = []
    for session in chosen:
        if session.get("state") == "disconnected":
            # Only reachable with states: [disconnected, ...]: there is nothing to do.
            skipped.append(_report.skipped(sel.Decision(
                session, ALREADY_DISCONNECTED, f"session {session.get('id')} is already disconnected")))
            continue
        why = cannot_disconnect(session, windows)
        if why is not None:
            skipped.append(_report.skipped(sel.Decision(session, CANNOT_DISCONNECT, why)))
        else:
            targets.append(session)
    return targets, skipped


def split_results(targets: list[sel.Session], results: t.Iterable[dict]) -> tuple[list, list, list]:
    """Sort the target's per-session results into disconnected / skipped / errors."""
    by_id = {str(r.get("id")): r for r in results}
    done: list = []
    skipped: list = []
    errors: list = []
    for session in targets:
        res = by_id.get(str(session["id"]))
        if res is None:
            errors.append(_report.errored(session, "the host returned no result for this session"))
            continue
        outcome = res.get("result")
        if outcome == "disconnected" and res.get("already"):
            # Disconnected between the enumeration and the call: not this task's change.
            skipped.append(_report.skipped(sel.Decision(
                session, ALREADY_DISCONNECTED, "the session was already disconnected when it was reached")))
        elif outcome == "disconnected":
            item = _report.public(session)
            item["state"] = "disconnected"
            if "elapsed" in res:
                item["elapsed"] = res["elapsed"]
            done.append(item)
        elif outcome == "cannot_disconnect":
            skipped.append(_report.skipped(sel.Decision(
                session, CANNOT_DISCONNECT, res.get("error") or "the host cannot disconnect this session")))
        elif outcome == "gone":
            skipped.append(_report.skipped(sel.Decision(
                session, ENDED_BEFORE_DISCONNECT, "the session ended before it was reached")))
        elif outcome == "identity_changed":
            skipped.append(_report.skipped(sel.Decision(
                session, sel.IDENTITY_CHANGED, "the id now belongs to another logon; it was not touched")))
        elif outcome == "timeout":
            errors.append(_report.errored(
                session, res.get("error") or "the session was not disconnected when the timeout ran out",
                res.get("error_code")))
        else:  # abandoned, error, anything unknown: never counted as done
            errors.append(_report.errored(
                session, res.get("error") or f"unexpected result {outcome!r}", res.get("error_code")))
    return done, skipped, errors


def _after(before: list[sel.Session], done: list[dict]) -> list[sel.Session]:
    """The session table as it is once ``done`` are disconnected (they live on)."""
    after = []
    for session in before:
        if any(sel.same_logon(session, d) for d in done):
            session = dict(session, state="disconnected")
        after.append(session)
    return after


def disconnect(opts: DisconnectOptions, run_target: RunTarget, windows: bool, check_mode: bool,
               stop: Stop = _never, audit: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    """enumerate → select → screen → [check mode: stop] → disconnect → report."""
    sessions, own, raw = _enumerate(run_target, bool(opts.selection.exclude_processes))
    decisions = sel.select(sessions, opts.selection, own, windows)
    skipped = [_report.skipped(d) for d in decisions if not d.selected]
    targets, screened = screen([d.session for d in decisions if d.selected], windows)
    skipped.extend(screened)
    result: dict[str, t.Any] = {"disconnected": [], "skipped_sessions": skipped, "errors": []}
    warnings: list[str] = []

    if check_mode:
        result["disconnected"] = [dict(_report.public(s), state="disconnected") for s in targets]
    elif targets:
        if raw.get("is_admin") is False:
            raise NotAdminError(
                "disconnecting other users' sessions needs administrator rights on the host; "
                "run the task with become: true (nothing was changed)")
        stop("disconnecting the selected sessions")
        res = run_target(MODULE, {"_targets": [sel.identity(s) for s in targets],
                                  "_timeout": float(opts.timeout), **_audit_args(audit)})
        if res.get("failed"):
            raise TargetError(f"could not disconnect: {res.get('msg', res)}")
        _audit_warning(res, warnings)
        done, more_skipped, errors = split_results(targets, res.get("results", []))
        result["disconnected"] = done
        result["skipped_sessions"].extend(more_skipped)
        result["errors"] = errors

    result["changed"] = bool(result["disconnected"])
    result["msg"] = _report.summary("disconnected", len(result["disconnected"]),
                                    len(result["skipped_sessions"]), len(result["errors"]), check_mode)
    result["diff"] = _report.diff(sessions, _after(sessions, result["disconnected"]))
    if warnings:
        result["warnings"] = warnings
    if result["errors"]:
        result["failed"] = True
    return result
