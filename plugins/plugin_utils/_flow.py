# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sequence of each user-facing module: enumerate, select, notify, wait, log off.

PRIVATE to the termserv.sessions collection: no compatibility promise.

The flows talk to the host only through ``run_target(name, args)``, which runs the
target module ``name`` (``session_info``, ``session_message``, ``session_logoff``) on
the host and returns its result, and wait only through ``sleep(seconds)``. The action
plugins pass the real ones; the unit tests pass recorders.
"""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _notice, _report
from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import (
    InfoOptions,
    LogoffOptions,
    MessageOptions,
)

RunTarget = t.Callable[[str, t.Dict[str, t.Any]], t.Dict[str, t.Any]]
Sleep = t.Callable[[float], None]
# ``stop(step)`` raises (a TargetError) when the controller is gone; called before every
# step that changes something on the host (issue 17). The default never stops.
Stop = t.Callable[[str], None]


def _never(step: str) -> None:
    del step


class TargetError(Exception):
    """A target module failed as a whole (not one session): nothing more can be done."""


class NotAdminError(TargetError):
    pass


def _enumerate(run_target: RunTarget, processes: bool = False) -> tuple[list[sel.Session], set[str], dict]:
    # _processes only when a decision or the report needs it: listing every process of
    # every session costs time on a busy host (and older targets do not take the option).
    result = run_target("session_info", {"_processes": True} if processes else {})
    if result.get("failed"):
        raise TargetError(str(result.get("msg") or f"could not enumerate sessions: {result}"))
    sessions = list(result.get("sessions", []))
    own = {str(i) for i in result.get("own_session_ids", [])}
    return sessions, own, result


def escalation(timeout: int) -> dict[str, float]:
    """When to escalate HUP to TERM and TERM to KILL (Linux), within ``timeout``.

    A third of the timeout each, but never more than 10 s before TERM and 20 s before
    KILL: a session that ignores HUP for 10 s is not going to leave by itself.
    """
    return {
        "_timeout": float(timeout),
        "_term_after": min(timeout / 3.0, 10.0),
        "_kill_after": min(timeout * 2.0 / 3.0, 20.0),
    }


def _audit_args(audit: dict[str, t.Any] | None) -> dict[str, t.Any]:
    return {"_audit": audit} if audit else {}


def _audit_warning(result: dict[str, t.Any], warnings: list[str]) -> None:
    """A target that could not write its audit record did the action and says so."""
    if result.get("audit_warning"):
        warnings.append(f"audit record: {result['audit_warning']}")


def info(opts: InfoOptions, run_target: RunTarget, windows: bool) -> dict[str, t.Any]:
    selection = opts.selection
    sessions, own, raw = _enumerate(run_target, bool(selection.exclude_processes) or opts.include_processes)
    decisions = sel.select(sessions, selection, own, windows)
    return {
        "changed": False,
        "sessions": [_report.public(d.session, opts.include_processes) for d in decisions if d.selected],
        "skipped_sessions": [_report.skipped(d) for d in decisions if not d.selected],
        "backend": raw.get("backend"),
    }


def _split_results(targets: list[sel.Session], results: t.Iterable[dict],
                   done_result: str) -> tuple[list, list, list]:
    """Sort per-session target results into done / skipped / errors."""
    by_id = {str(r.get("id")): r for r in results}
    done, skipped, errors = [], [], []
    for session in targets:
        res = by_id.get(str(session["id"]))
        if res is None:
            errors.append(_report.errored(session, "the host returned no result for this session"))
            continue
        outcome = res.get("result")
        if outcome == "delivered" and done_result == "delivered" and not _notice.delivered(res):
            # A desktop notice counts only with the notification server's id (issue 24.2).
            skipped.append(_report.skipped(sel.Decision(
                session, _notice.NOTIFICATION_FAILED, "the notification server returned no id")))
        elif outcome == done_result:
            item = _report.public(session)
            for extra in ("forced", "elapsed", "verified"):
                if extra in res:
                    item[extra] = res[extra]
            item.update(_notice.how(res) if done_result == "delivered" else {})
            done.append(item)
        elif outcome == "gone":
            skipped.append(_report.skipped(sel.Decision(
                session, sel.ENDED_BEFORE_LOGOFF, "the session ended before it was reached")))
        elif outcome == "not_delivered":
            skipped.append(_report.skipped(sel.Decision(
                session, _notice.reason(res),
                res.get("error") or "no desktop or terminal to show the message on")))
        elif outcome == "identity_changed":
            skipped.append(_report.skipped(sel.Decision(
                session, sel.IDENTITY_CHANGED,
                "the id now belongs to another logon; it was not touched")))
        elif outcome == "timeout":
            errors.append(_report.errored(
                session, res.get("error") or "the session was still there when the timeout ran out",
                res.get("error_code")))
        else:
            errors.append(_report.errored(
                session, res.get("error") or f"unexpected result {outcome!r}", res.get("error_code")))
    return done, skipped, errors


def _showable(chosen: list[sel.Session]) -> tuple[list[sel.Session], list[dict]]:
    """Split off disconnected sessions: no desktop or terminal shows a message there."""
    shown, skipped = [], []
    for session in chosen:
        if session.get("state") == "disconnected":
            skipped.append(_report.skipped(sel.Decision(
                session, sel.DISCONNECTED,
                f"session {session.get('id')} is disconnected: no desktop or terminal to show the message on")))
        else:
            shown.append(session)
    return shown, skipped


def message(opts: MessageOptions, run_target: RunTarget, windows: bool,
            check_mode: bool, stop: Stop = _never,
            audit: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    sessions, own, _raw = _enumerate(run_target, bool(opts.selection.exclude_processes))
    decisions = sel.select(sessions, opts.selection, own, windows)
    chosen, not_shown = _showable([d.session for d in decisions if d.selected])
    skipped = [_report.skipped(d) for d in decisions if not d.selected] + not_shown
    delivered: list = []
    errors: list = []
    warnings: list[str] = []
    if chosen and not check_mode:
        stop("sending the message")
        result = run_target("session_message", {
            "_targets": [sel.identity(s) for s in chosen], "msg": opts.msg, "title": opts.title,
            **_audit_args(audit)})
        if result.get("failed"):
            raise TargetError(f"could not send the message: {result.get('msg', result)}")
        _audit_warning(result, warnings)
        delivered, more_skipped, errors = _split_results(chosen, result.get("results", []), "delivered")
        skipped.extend(more_skipped)
    elif chosen:
        delivered = [_report.public(s) for s in chosen]
    result = {
        "changed": bool(delivered),
        "delivered": delivered,
        "skipped_sessions": skipped,
        "errors": errors,
        "msg": _report.summary("notified", len(delivered), len(skipped), len(errors), check_mode),
    }
    if warnings:
        result["warnings"] = warnings
    if errors:  # as session_logoff: every session was tried, then the task fails
        result["failed"] = True
    return result


def _regrace(first: list[sel.Session], decisions: list[sel.Decision],
             notified: bool) -> tuple[list[sel.Session], list[dict]]:
    """After grace: keep a session only if it is the same logon and still selected."""
    firsts = {str(s["id"]): s for s in first}
    now_by_id = {str(d.session.get("id")): d for d in decisions}
    targets, skipped = [], []
    for sid, old in firsts.items():
        now = now_by_id.get(sid)
        if now is None or not sel.same_logon(old, now.session):
            skipped.append(_report.skipped(sel.Decision(
                old, sel.ENDED_DURING_GRACE, "the session ended during the grace period")))
        elif not now.selected:
            skipped.append(_report.skipped(now))
        else:
            targets.append(now.session)
    for sid, now in now_by_id.items():
        if sid in firsts and sel.same_logon(firsts[sid], now.session):
            continue
        if now.selected and notified:
            # Logged on during grace: never warned, so never logged off in this run.
            skipped.append(_report.skipped(sel.Decision(
                now.session, sel.NOT_NOTIFIED, "logged on during the grace period; not warned")))
        elif now.selected:
            targets.append(now.session)
        else:
            skipped.append(_report.skipped(now))
    return targets, skipped


def logoff(opts: LogoffOptions, run_target: RunTarget, sleep: Sleep, windows: bool,
           check_mode: bool, stop: Stop = _never,
           audit: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    """enumerate → select → [check mode: stop] → notify → grace → enumerate → log off.

    ``audit`` ({requester, run_id}, or None for no record) goes to every target that acts.
    """
    processes = bool(opts.selection.exclude_processes)
    sessions, own, raw = _enumerate(run_target, processes)
    if not check_mode and raw.get("is_admin") is False:
        raise NotAdminError(
            "logging off other users' sessions needs administrator/root rights on the host; "
            "run the task with become: true (nothing was changed)")
    decisions = sel.select(sessions, opts.selection, own, windows)
    chosen = [d.session for d in decisions if d.selected]
    skipped = [_report.skipped(d) for d in decisions if not d.selected]
    result: dict[str, t.Any] = {"logged_off": [], "skipped_sessions": skipped, "errors": [], "notified": []}
    before = list(sessions)

    if check_mode or not chosen:
        result["logged_off"] = [_report.public(s) for s in chosen] if check_mode else []
        after = [s for s in before if not any(sel.same_logon(s, c) for c in chosen)]
        return _finish(result, before, after, check_mode)

    warnings: list[str] = []
    notified = False
    # A disconnected session gets no notice (nothing shows it) but is still logged off.
    showable, _not_shown = _showable(chosen)
    if opts.notify_msg and showable:
        stop("sending the notice")
        sent = run_target("session_message", {
            "_targets": [sel.identity(s) for s in showable],
            "msg": opts.notify_msg, "title": opts.notify_title, **_audit_args(audit)})
        if sent.get("failed"):
            warnings.append(f"the notice could not be sent: {sent.get('msg')}")
        else:
            _audit_warning(sent, warnings)
            delivered, not_shown, failed = _split_results(showable, sent.get("results", []), "delivered")
            result["notified"] = delivered
            warnings.extend(f"notice to session {f['id']} failed: {f['error']}" for f in failed)
            # A desktop that got nothing is still logged off after grace: say so (issue 24.2).
            warnings.extend(f"notice to session {s['id']} not shown: {s['reason']}: {s['detail']}"
                            for s in not_shown if s["reason"] in _notice.REASONS)
    if opts.notify_msg:
        notified = True
    if notified or opts.grace > 0:
        if opts.grace > 0:
            sleep(opts.grace)
        stop("enumerating the sessions again after the grace period")
        # With exclude_processes the processes are listed again: a session that started
        # such a program during grace is kept.
        sessions, own, _raw = _enumerate(run_target, processes)
        again = sel.select(sessions, opts.selection, own, windows)
        chosen, late_skips = _regrace(chosen, again, notified)
        # Sessions skipped at the first look keep their first reason; report each once.
        seen = {str(s["id"]) for s in late_skips}
        result["skipped_sessions"] = [s for s in skipped if str(s["id"]) not in seen] + late_skips
        before = list(sessions)

    if chosen:
        stop("logging off the selected sessions")
        args: dict[str, t.Any] = {"_targets": [sel.identity(s) for s in chosen], **_audit_args(audit)}
        args.update(escalation(opts.timeout))
        if windows:  # WTSLogoffSession has no escalation: Windows takes only the timeout
            del args["_term_after"], args["_kill_after"]
        if not opts.wait:
            args["_timeout"] = 0.0  # log off (HUP) and return; no escalation either
        res = run_target("session_logoff", args)
        if res.get("failed"):
            raise TargetError(f"could not log off: {res.get('msg', res)}")
        _audit_warning(res, warnings)
        results = res.get("results", [])
        if not opts.wait:
            # Asked not to wait: a session still there is "logoff requested", not an error.
            results = [dict(r, result="logged_off", verified=False) if r.get("result") == "timeout"
                       else r for r in results]
        done, more_skipped, errors = _split_results(chosen, results, "logged_off")
        result["logged_off"] = done
        result["skipped_sessions"].extend(more_skipped)
        result["errors"] = errors
    after = [s for s in before if not any(sel.same_logon(s, d) for d in result["logged_off"])]
    if warnings:
        result["warnings"] = warnings
    return _finish(result, before, after, check_mode)


def _finish(result: dict[str, t.Any], before: list, after: list, check_mode: bool) -> dict[str, t.Any]:
    result["changed"] = bool(result["logged_off"])
    result["msg"] = _report.summary("logged off", len(result["logged_off"]), len(result["skipped_sessions"]),
                                    len(result["errors"]), check_mode)
    result["diff"] = _report.diff(before, after)
    if result["errors"]:
        result["failed"] = True
    return result
