# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a notice's outcome on a host means for the task (issue 24 item 2).

PRIVATE to the termserv.sessions collection: no compatibility promise.

A Linux target reports facts per session: how it tried (``via``: ``terminal`` or
``notification``), and for a desktop the bus it used (``bus``, null when it found none),
the notification server's id (``notification_id``) or the D-Bus error it got
(``dbus_error``). Here they become what the user reads (applied by ``_flow._split_results``, for
session_message and for session_logoff's notice): a notice is delivered only when a
terminal took the text or a notification server returned an id; a notice not delivered
gets a reason that says why.
"""
from __future__ import annotations

import typing as t

from ansible_collections.termserv.sessions.plugins.plugin_utils import _selection as sel

NO_SESSION_BUS = "no_session_bus"
NO_NOTIFICATION_SERVER = "no_notification_server"
NOTIFICATION_FAILED = "notification_failed"
REASONS = (NO_SESSION_BUS, NO_NOTIFICATION_SERVER, NOTIFICATION_FAILED)
VIA_NOTIFICATION = "notification"
# The bus saying nobody owns org.freedesktop.Notifications and nobody could be started for
# it: no notification server in this session (dbus-daemon: ServiceUnknown; activation
# through a service file or systemd that failed: Spawn.*, systemd1.*).
_NO_SERVER = ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner")
_NO_SERVER_PREFIXES = ("org.freedesktop.DBus.Error.Spawn.", "org.freedesktop.systemd1.")


def delivered(res: t.Mapping[str, t.Any]) -> bool:
    """The target's result is a delivery: a terminal write, or a notification with its id."""
    if res.get("result") != "delivered":
        return False
    if res.get("via") != VIA_NOTIFICATION:
        return True
    number = res.get("notification_id")
    return isinstance(number, int) and not isinstance(number, bool)


def reason(res: t.Mapping[str, t.Any]) -> str:
    """Why a notice was not delivered; ``disconnected`` for anything but a desktop's notice."""
    if res.get("via") != VIA_NOTIFICATION:
        return sel.DISCONNECTED
    if not res.get("bus"):
        return NO_SESSION_BUS
    error = str(res.get("dbus_error") or "")
    if error in _NO_SERVER or error.startswith(_NO_SERVER_PREFIXES):
        return NO_NOTIFICATION_SERVER
    return NOTIFICATION_FAILED


def how(res: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """What a delivered item says about how it was shown (``via``, ``notification_id``)."""
    return {key: res[key] for key in ("via", "notification_id") if res.get(key) is not None}
