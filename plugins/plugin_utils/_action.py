# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Base class of the collection's action plugins.

PRIVATE to the termserv.sessions collection: no compatibility promise.

It does what all of them share: refuse bad options before touching the host, pick the
Linux or Windows target module, run it, and turn failures into clean task results.
Subclasses implement ``run_flow()`` only.

The options are checked once, by ``_args.validate`` at the start of ``run_flow()``, against
the user spec of module_utils/_spec.py. There is deliberately no ``_VALID_ARGS``: ActionBase
would refuse an unknown option first with a bare "Invalid options for ...", and the clearer
message (the supported options, what an internal option is) would never be reached.
"""
from __future__ import annotations

import time
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.termserv.sessions.plugins.plugin_utils import _report
from ansible_collections.termserv.sessions.plugins.plugin_utils._args import OptionError
from ansible_collections.termserv.sessions.plugins.plugin_utils._controller import (
    ParentWatch,
    audit_record,
    identity,
)
from ansible_collections.termserv.sessions.plugins.plugin_utils._flow import TargetError

display = Display()

COLLECTION = "termserv.sessions"


def is_windows(connection: t.Any) -> bool:
    """True when the host speaks PowerShell (WinRM, PSRP, or SSH with a PowerShell shell)."""
    return bool(getattr(getattr(connection, "_shell", None), "_IS_WINDOWS", False))


class SessionAction(ActionBase):
    """Validate, dispatch to the right target module, report."""

    TRANSFERS_FILES = False
    _requires_connection = True
    # The ansible-playbook main process that started this task (issue 17); set in run().
    _watch: ParentWatch | None = None

    def run_flow(self, windows: bool, task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        raise NotImplementedError

    def target_module(self, name: str, windows: bool) -> str:
        """The target module of ``name``: linux_NAME or win_NAME, which take only internal
        options (module_utils/_spec.py INTERNAL_SPECS); NAME itself is the documentation."""
        return f"{COLLECTION}.{'win_' if windows else 'linux_'}{name}"

    def run_target(self, windows: bool, task_vars: dict[str, t.Any]) -> t.Callable[[str, dict], dict]:
        """A ``run_target(name, args)`` for the flows in _flow.py."""
        host = task_vars.get("inventory_hostname")

        def run(name: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
            module = self.target_module(name, windows)
            if name in ("session_info", "session_logoff") and not windows:
                # Issue 11 item 9: when the controller runs on the host it manages (ssh by
                # name, become via run0/machinectl), the target protects the controller's
                # own session too: the enumeration lists it as own (the controller's lock)
                # and the logoff refuses it (the target's lock). Never a Windows host:
                # Ansible controllers are POSIX.
                args = dict(args, _controller=identity())
            watch = self._watch or ParentWatch()
            watch.check(f"running {module}")
            display.vvv(f"{COLLECTION}: running {module}", host=host)
            try:
                # While the module runs, a watchdog ends the connection's processes if the
                # controller dies, so that the target's lifeline stops it.
                with watch.watchdog():
                    result = self._execute_module(module_name=module, module_args=args,
                                                  task_vars=task_vars)
            finally:
                # Whatever the module returned or raised: nobody is listening any more.
                watch.check(f"anything after {module}")
            for warning in result.get("warnings", []) or []:
                display.warning(_report.host_warning(f"{module}: {_report.warning_text(warning)}", host, windows))
            return result

        return run

    def sleep(self, seconds: float) -> None:
        """Wait out grace in small steps, stopping as soon as the controller is gone."""
        if self._watch is None:
            time.sleep(seconds)
        else:
            self._watch.sleep(seconds, "the end of the grace period")

    def audit(self, wanted: bool, task_vars: dict[str, t.Any]) -> dict[str, str] | None:
        """``_audit`` for the targets, or None: audit off, or check mode (records nothing)."""
        if not wanted or self._task.check_mode:
            return None
        return audit_record(task_vars, self._watch)

    def stop(self, step: str) -> None:
        """The flows' ``stop``: raise ControllerGone before ``step`` when the controller is gone."""
        if self._watch is not None:
            self._watch.check(step)

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        self._watch = ParentWatch()
        windows = is_windows(self._connection)
        try:
            result.update(self.run_flow(windows, task_vars))
            if result.get("warnings"):
                host = task_vars.get("inventory_hostname")
                result["warnings"] = [_report.host_warning(w, host, windows) for w in result["warnings"]]
        except OptionError as exc:
            raise AnsibleActionFail(str(exc)) from None
        except TargetError as exc:
            result.update(failed=True, msg=str(exc))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result.setdefault("changed", False)
        return result
