# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of termserv.sessions.logon_mode.

Validate, read the host's mode and holds, decide on the controller (_holds.py), then let
the target apply the decision only if nobody changed the holds in between (the target
compares the store's generation; on a conflict we read and decide again).
"""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _args, _drain_coverage, _holds
from ansible_collections.termserv.sessions.plugins.plugin_utils import _windows_logon_mode as _wlm
from ansible_collections.termserv.sessions.plugins.plugin_utils._action import SessionAction
from ansible_collections.termserv.sessions.plugins.plugin_utils._durations import DurationError, parse_duration

ATTEMPTS = 5


class ActionModule(SessionAction):
    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        params = _args.validate("logon_mode", self._task.args)
        try:
            expires_in = parse_duration(params["expires_in"], "expires_in")
        except DurationError as exc:
            raise _args.OptionError(str(exc)) from None
        if expires_in <= 0:
            raise _args.OptionError(f"expires_in: {params['expires_in']!r} must be more than 0 seconds")
        if params["force"] and params["state"] != "enabled":
            raise _args.OptionError("force: only with state=enabled (it releases every hold)")
        holder = params["holder"] or _holds.default_holder(task_vars, _holds.controller_run_id())
        request = _holds.Request(state=params["state"], holder=holder, expires_in=expires_in,
                                 force=params["force"], holder_given=bool(params["holder"]))
        run = self.run_target(windows, task_vars)
        # The targets take only what they use (_spec.INTERNAL_SPECS): the Linux one writes the
        # nologin text and may replace a foreign nologin file only with force.
        user = {} if windows else {"msg": params["msg"], "force": params["force"]}
        for _attempt in range(ATTEMPTS):
            facts = run("logon_mode", dict(user, _phase="read"))
            if facts.get("failed"):
                facts.pop("invocation", None)
                return facts
            overridden = restarted = False
            if windows:
                current, foreign = _wlm.state_of(facts.get("before") or {}), False
                store = _wlm.parse_holds(facts.get("holds"))
                overridden, restarted = _wlm.overridden(facts), bool(facts.get("restarted"))
            else:
                current, foreign, store = facts["state"], bool(facts["foreign"]), facts.get("store")
            try:
                decision = _holds.decide(store, request, now=int(facts["now"]), current=current,
                                         foreign=foreign, overridden=overridden, restarted=restarted)
            except _holds.HoldError as exc:
                return {"failed": True, "msg": f"logon_mode: {exc}; release it with force: true"}
            result = self._result(decision, facts, holder, windows)
            if self._task.check_mode or (decision.set_state is None and not decision.write_store):
                would_hook = self._task.check_mode and decision.set_state in _drain_coverage.REFUSING
                return _covering(result, facts, windows, would_hook)
            # Each target returns the generation its apply phase compares (Windows: the
            # registry's Generation value, which a damaged or hand-edited JSON store does
            # not show), so that is what goes back.
            apply_args = dict(user, _phase="apply", _generation=int(facts["generation"]), _store=decision.store,
                              _write_store=decision.write_store, _set_state=decision.set_state,
                              _wake_at=decision.wake_at)
            if windows:
                # The registry keeps the store as text; the .ps1 never parses it.
                apply_args["_store"] = None if decision.store is None else _json(decision.store)
                apply_args["_expected"] = _wlm.target_table()
                if decision.store is not None:
                    original = decision.store["original"]["state"]
                    apply_args["_restore_switch"] = _wlm.SWITCH[original]
                    # For the release task, which restores after a restart too (issue 25 item 2).
                    apply_args["_expected"]["after_restart"] = {"switch": _wlm.SWITCH[_wlm.after_restart(original)]}
            done = run("logon_mode", apply_args)
            done.pop("invocation", None)
            if done.get("failed"):
                return done
            if done.get("conflict"):
                continue  # another run wrote the holds between our read and write: decide again
            result["changed"] = bool(decision.changed or done.get("changed"))
            result["switch"] = done.get("switch")
            if windows and decision.set_state is not None:
                error = _wlm.check_after(decision.set_state, done)
                if error:
                    result.update(failed=True, msg=error)
                result["state"] = _wlm.state_of(done.get("after") or {})
            elif not windows:
                result["state"] = done.get("state", result["state"])
                if self._task.diff:
                    result["diff"]["after"]["msg"] = done.get("msg")
            return _covering(result, done if "mechanisms" in done else facts, windows)
        return {"failed": True, "msg": f"logon_mode: the holds on the host kept changing under "
                                       f"{ATTEMPTS} attempts; another run is busy with them"}

    def _result(self, decision: _holds.Decision, facts: t.Mapping[str, t.Any], holder: str,
                windows: bool) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {
            "changed": decision.changed,
            "previous_state": decision.previous_state,
            "previous_msg": None if windows else facts.get("msg"),
            "state": decision.state,
            "holder": holder,
            "switch": None,
            **_holds.summary(decision),
        }
        now = int(facts["now"])
        notes = _holds.describe(result["other_holds"], now)
        if decision.released_expired:
            notes.insert(0, f"released {len(decision.released_expired)} expired hold(s): "
                            + ", ".join(h.holder for h in decision.released_expired))
        if decision.overridden:
            notes.insert(0, f"someone else changed the logon mode to {decision.previous_state} while it was held; "
                            "dropped the hold(s) of " + ", ".join(h.holder for h in decision.overridden)
                            + " and left their mode as it is")
        if decision.covered:
            notes.append(f"logons were already refused ({decision.previous_state}) by someone else; "
                         "left exactly as it was")
        result["notes"] = notes
        if self._task.diff:
            before: dict[str, t.Any] = {"state": decision.previous_state}
            after: dict[str, t.Any] = {"state": decision.state}
            if not windows:
                before["msg"] = facts.get("msg")
                after["msg"] = facts.get("msg")
            result["diff"] = {"before": before, "after": after}
        return result


def _covering(result: dict[str, t.Any], facts: t.Mapping[str, t.Any], windows: bool,
              would_hook: bool = False) -> dict[str, t.Any]:
    """Linux: which logon paths the host's drain covers, and a warning for each it does not
    while logons are meant to be refused (check mode: as the drain it would write would)."""
    if not windows:
        result["mechanisms"] = facts.get("mechanisms") or {}
        warned = _drain_coverage.warnings(result["state"], result["mechanisms"], would_hook)
        if warned:
            result["warnings"] = list(result.get("warnings") or []) + warned
    return result


def _json(value: t.Any) -> str:
    import json  # pylint: disable=import-outside-toplevel
    return json.dumps(value, sort_keys=True)
