# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Holds on a host's logon mode: who drained it, since when, until when, and what to restore.

PRIVATE to the termserv.sessions collection: no compatibility promise.

Every decision about holds is made here, on the controller, for Linux and Windows alike;
the targets only read and write the hold store (a JSON document next to /etc/nologin, or a
registry value next to the drain values) and set the mode they are told to set.

The store: ``{"version": 1, "generation": N, "original": {"state": S}, "holds": [...]}``,
each hold ``{"holder", "state", "since", "until"}`` in whole seconds of the HOST's clock
(the host's dead man's switch compares them with its own clock). ``generation`` grows
with every write; a target writes only when the generation it finds is the one the
controller read (compare and swap), so two overlapping runs cannot lose a hold.

Rules (docs/design.md, "Logon holds"):

* A run that refuses logons takes (or refreshes) its own hold. The first hold records the
  mode the host had before it (``original``).
* A host that already refuses logons with no hold of ours (an admin's /etc/nologin, a
  drain set by hand) is "covered": nothing is changed and no hold is taken, so nothing of
  ours can later undo what someone else set.
* Releasing (state enabled) removes only the releasing holder's hold. The host returns to
  ``original`` only when the last hold is gone; while others hold it, it stays refused.
* Every hold expires. Expired holds are dropped by whichever run finds them (and reported
  as ``released_expired``); the host's own switch fires at the last hold's ``until`` and
  restores ``original`` if the store is still the generation it was armed for.
* ``force`` with state enabled drops every hold and enables logons at once.
* An original ``drain_until_restart`` lasts until the host restarts: after a restart
  (Windows: a volatile registry key written with the store is gone) the original is
  ``enabled``, and is stored so.
* A host whose mode someone else changed while we held it (``overridden``: Windows, where
  an admin's ``change logon`` or Server Manager writes the same registry values) is theirs:
  our holds are dropped, reported as ``overridden``, and the mode is never put back over
  theirs; the request is then decided as on a host without holds of ours.
"""
from __future__ import annotations

import dataclasses
import getpass
import os
import socket
import typing as t

VERSION = 1
RANK = {"enabled": 0, "drain_until_restart": 1, "drain": 2, "disabled": 3}
REFUSING = ("drain_until_restart", "drain", "disabled")


class HoldError(ValueError):
    """A store or request that cannot be decided on; the message says why."""


@dataclasses.dataclass(frozen=True)
class Hold:
    holder: str
    state: str
    since: int
    until: int

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Request:
    state: str
    holder: str
    expires_in: int
    force: bool = False
    # False when the holder is the action plugin's default: a plain "state: enabled" then
    # still enables a host that nobody of ours holds (the behaviour before holds).
    holder_given: bool = True


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the target must do, and what the task reports."""

    previous_state: str
    state: str                      # the mode after the task
    set_state: str | None           # the mode to set; None: leave the mode as it is
    restore_original: bool          # set_state is the original mode (last hold released)
    store: dict[str, t.Any] | None  # the store to write; None: remove it
    write_store: bool               # False: the store is left exactly as it is
    holds: list[Hold]               # live holds after the task
    others: list[Hold]              # live holds of other holders
    released: list[Hold]            # holds this task released (its own, or all with force)
    released_expired: list[Hold]
    covered: bool                   # refused already by someone else: nothing done
    wake_at: int | None             # when the host's switch must fire (last hold's until)
    changed: bool
    # our holds dropped because someone else changed the mode while they were on it
    overridden: list[Hold] = dataclasses.field(default_factory=list)


def default_holder(task_vars: t.Mapping[str, t.Any], run_id: str) -> str:
    """``AWX job N`` when the run is an AWX/AAP job, else ``user@controller run RUN_ID``."""
    for name in ("awx_job_id", "tower_job_id"):
        job = task_vars.get(name)
        if job not in (None, ""):
            return f"AWX job {job}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry (containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} run {run_id}"


def controller_run_id(pid: int | None = None) -> str:
    """The ansible-playbook process that runs this task: its pid and start time.

    Action plugins run in a worker forked from the main process, so the parent is the
    run; its start time tells a later run that reuses the pid apart.
    """
    pid = os.getppid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            start = handle.read().rsplit(")", 1)[1].split()[19]
        return f"{pid}.{start}"
    except (OSError, IndexError):
        return str(pid)


def parse_store(raw: t.Any) -> dict[str, t.Any] | None:
    """A store read from a host, checked; None when there is none."""
    if raw in (None, "", {}):
        return None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        raise HoldError(f"unknown hold store on the host: {raw!r}")
    try:
        holds = [Hold(str(h["holder"]), str(h["state"]), int(h["since"]), int(h["until"]))
                 for h in raw.get("holds", [])]
        original = str(raw["original"]["state"])
        generation = int(raw["generation"])
    except (KeyError, TypeError, ValueError) as exc:
        raise HoldError(f"damaged hold store on the host ({exc}): {raw!r}") from None
    if original not in RANK or any(h.state not in REFUSING for h in holds):
        raise HoldError(f"damaged hold store on the host (unknown state): {raw!r}")
    return {"version": VERSION, "generation": generation, "original": {"state": original},
            "holds": [h.as_dict() for h in holds]}


def _holds(store: dict[str, t.Any] | None) -> list[Hold]:
    return [Hold(**h) for h in (store or {}).get("holds", [])]


def strongest(holds: t.Iterable[Hold]) -> str:
    return max((h.state for h in holds), key=RANK.__getitem__, default="enabled")


def decide(store: t.Any, request: Request, *, now: int, current: str, foreign: bool,
           overridden: bool = False, restarted: bool = False) -> Decision:
    """Decide what a logon_mode task does on a host.

    ``store``: what the host has (None or a parsed store); ``current``: the mode the host
    is in; ``foreign``: the host refuses logons by something that is not ours (Linux: a
    nologin file whose bytes are not the ones we wrote). Windows passes foreign=False and
    "covered" is then decided by comparing modes. ``overridden``: the host's mode is not
    the one we last set (Windows compares the registry values we recorded). ``restarted``:
    the host has restarted since the store was written; an original "drain until restart"
    did not outlive that restart, so the original is then "enabled".
    """
    if request.state not in RANK:
        raise HoldError(f"state: unknown logon mode {request.state!r}")
    if request.expires_in <= 0 and request.state in REFUSING:
        raise HoldError(f"expires_in: must be more than 0 seconds, got {request.expires_in}")
    damaged = False
    try:
        store = parse_store(store)
    except HoldError:
        if not (request.force and request.state == "enabled"):
            raise
        # force clears a damaged store too: it must be removed from the host, or every
        # later run would refuse it again.
        store, damaged = None, True
    generation = store["generation"] if store else 0
    found = dict(store) if store else None
    dropped: list[Hold] = []
    if overridden and store:
        # Someone else set the mode while we held it: theirs now. Forget our holds (and the
        # original we would have restored) and decide as on a host without holds of ours.
        dropped, store = _holds(store), None
    all_holds = _holds(store)
    expired = [h for h in all_holds if h.until <= now]
    live = [h for h in all_holds if h.until > now]
    original = store["original"]["state"] if store else current
    if restarted and original == "drain_until_restart":
        original = "enabled"
    others = [h for h in live if h.holder != request.holder]
    mine = [h for h in live if h.holder == request.holder]

    def result(*, holds: list[Hold], set_state: str | None, restore: bool = False,
               released: list[Hold] | None = None, covered: bool = False,
               others_: list[Hold] | None = None) -> Decision:
        after = set_state if set_state is not None else current
        if holds:
            new_store: dict[str, t.Any] | None = {
                "version": VERSION, "generation": generation + 1,
                "original": {"state": original}, "holds": [h.as_dict() for h in holds]}
        else:
            new_store = None
        # A refreshed expiry is written but is not a change the user asked to see.
        held_before = sorted((h.holder, h.state) for h in all_holds)
        held_after = sorted((h.holder, h.state) for h in holds)
        write = damaged or new_store != found
        changed = (damaged or bool(dropped) or (set_state is not None and set_state != current)
                   or held_before != held_after)
        return Decision(previous_state=current, state=after, set_state=set_state,
                        restore_original=restore, store=new_store, write_store=write,
                        holds=holds, others=others if others_ is None else others_,
                        released=released or [], released_expired=expired, covered=covered,
                        wake_at=max((h.until for h in holds), default=None), changed=changed,
                        overridden=dropped)

    if request.state == "enabled":
        if request.force:
            return result(holds=[], set_state="enabled", released=live, others_=[])
        if others:
            # Others still hold the host: keep it refused, at least as strongly as they asked.
            want = strongest(others)
            return result(holds=others, set_state=want if want != current and current != "enabled" else None,
                          released=mine)
        if store:
            # The last hold (ours, or only expired ones) is gone: back to the original mode.
            return result(holds=[], set_state=original, restore=True, released=mine)
        if current != "enabled" and (request.holder_given or dropped):
            # Nothing of ours holds the host: someone else's drain is not ours to lift (nor
            # the mode someone set over our holds, whoever releases them).
            return result(holds=[], set_state=None, covered=True)
        return result(holds=[], set_state="enabled")

    if not store and current != "enabled" and (foreign or RANK[current] >= RANK[request.state]):
        # Refused already by someone else at least as strongly: take no hold, change nothing.
        return result(holds=[], set_state=None, covered=True)
    since = mine[0].since if mine else now
    hold = Hold(request.holder, request.state, since, now + request.expires_in)
    holds = others + [hold]
    want = strongest(holds)
    # The target sets the mode even when it looks the same: on Linux the text may differ.
    return result(holds=holds, set_state=want)


def summary(decision: Decision) -> dict[str, t.Any]:
    """The task result's part about holds."""
    return {
        "holds": [h.as_dict() for h in decision.holds],
        "other_holds": [h.as_dict() for h in decision.others],
        "released": [h.as_dict() for h in decision.released],
        "released_expired": [h.as_dict() for h in decision.released_expired],
        "covered": decision.covered,
        "overridden": [h.as_dict() for h in decision.overridden],
    }


def describe(holds: t.Iterable[t.Mapping[str, t.Any]], now: int) -> list[str]:
    """One line per hold for previews and messages: who, since and until when."""
    lines = []
    for hold in holds:
        lines.append(f"{hold['holder']} holds {hold['state']} since {int(now - hold['since'])}s ago, "
                     f"expires in {max(0, int(hold['until'] - now))}s")
    return lines
