# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""xrdp sessions: connected or disconnected, on a crafted host modelled on a real xrdp host.

The loginctl recording (fixtures/loginctl/systemd-252-xrdp) and the shape of the /proc
entries (the X server's command line, its open descriptors, /proc/PID/net/unix lines) are
what a real xrdp 0.9.21 + xorgxrdp host of the farm showed (docs/design.md, "xrdp:
connected or disconnected"). logind says ``State=active`` for both sessions, connected or
not: only the X server's display socket tells them apart.
"""
from __future__ import annotations

import os
import shutil
import signal
import struct
import typing as t
from pathlib import Path

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import (
    _linux_disconnect,
    _linux_message,
    _linux_sessions,
    _xrdp,
)

from tests.unit.plugins.module_utils.linux_ground import Host

UNIX_HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"
TCP_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
              "rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
# What xorgxrdp 0.9.19 wrote in ~/.xorgxrdp.11.log of the farm (issue 22): the connection
# accepted, then its end when the client was killed.
LOG_BEGAN = ("[   921.557] rdpClientConGotConnection:\n"
             "[   921.557] rdpClientConGotConnection: g_sck_accept ok new_sck 9\n")
LOG_ENDED = ("[   923.717] rdpClientConRecv: g_sck_recv failed(returned 0)\n"
             "[   923.717] rdpClientConDisconnect:\n"
             "[   923.717] rdpRemoveClientConFromDev: removing clientCon 0x5632e9b512f0\n")
# Session c1 (admin, display :10) is connected; session c2 (admin2, display :11) is not.
CONNECTED, DISCONNECTED = "c1", "c2"


def unix_line(inode: int, flags: int, state: int, path: str = "", kind: int = 1) -> str:
    return f"0000000000000000: 00000002 00000000 {flags:08X} {kind:04X} {state:02X} {inode:5d} {path}".rstrip() + "\n"


def tcp6_line(number: int, local: str, remote: str, state: int, inode: int, uid: int = 1002) -> str:
    """A /proc/net/tcp6 line as the farm's xrdp namespace shows it (v4-mapped addresses)."""
    return (f"{number:4d}: {local} {remote} {state:02X} 00000000:00000000 00:00000000 00000000 {uid:5d}"
            f"        0 {inode} 1 0000000000000000 20 4 25 18 -1\n")


MAPPED_LOCALHOST = "0000000000000000FFFF00000100007F"  # ::ffff:127.0.0.1 as /proc prints it


class XrdpHost(Host):
    """A crafted host with xrdp sessions: X servers in session scopes, their sockets and logs."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.logs = root / "home"
        self.logs.mkdir()

    def x_server(self, pid: int, session: str, display: int, uid: int = 1001,
                 sockets: list[tuple[int, int, int, str]] = (), comm: str = "Xorg",
                 log_age: float | None = None, net_unix: str | None = None,
                 log_text: str = "[ 123.456] (II) xorgxrdp\n" + LOG_BEGAN + LOG_ENDED, net_tcp6: str = "") -> Path:
        """An X server of logind session ``session`` holding ``sockets`` (inode, flags, state, path)."""
        self.process(pid, ppid=pid - 1, comm=comm, uid=uid)
        d = self.proc / str(pid)
        (d / "cgroup").write_text(f"0::/user.slice/user-{uid}.slice/session-{session}.scope\n")
        args = [f"/usr/lib/xorg/{comm}", f":{display}", "-auth", ".Xauthority", "-config", "xrdp/xorg.conf",
                "-noreset", "-nolisten", "tcp", "-logfile", ".xorgxrdp.%s.log"]  # as xrdp-sesman passes it
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in args) + b"\0")
        fd = d / "fd"
        fd.mkdir()
        log = self.logs / f"{session}" / f".xorgxrdp.{display}.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text(log_text)
        if log_age is not None:
            os.utime(log, (self.now - log_age, self.now - log_age))
        os.symlink(str(log), fd / "2")
        (d / "net").mkdir()
        lines = UNIX_HEADER
        for number, (inode, flags, state, path) in enumerate(sockets):
            os.symlink(f"socket:[{inode}]", fd / str(10 + number))
            if path != "tcp":  # (inode, 0, 0, "tcp"): a TCP socket, described in net_tcp6
                lines += unix_line(inode, flags, state, path)
        # Sockets of other processes in the same namespace (xrdp's side: no name).
        lines += unix_line(90001, 0, 3) + unix_line(90002, 0, 3)
        (d / "net" / "unix").write_text(lines if net_unix is None else net_unix)
        (d / "net" / "tcp").write_text(TCP_HEADER)
        (d / "net" / "tcp6").write_text(TCP_HEADER + net_tcp6)
        return log

    def member(self, pid: int, session: str, comm: str, uid: int = 1001) -> None:
        self.process(pid, ppid=1, comm=comm, uid=uid)
        (self.proc / str(pid) / "cgroup").write_text(f"0::/user.slice/user-{uid}.slice/session-{session}.scope\n")


def listening(inode: int, display: int, directory: str = "/run/xrdp/sockdir") -> tuple[int, int, int, str]:
    return (inode, _xrdp.SO_ACCEPTCON, 1, f"{directory}/xrdp_display_{display}")


def accepted(inode: int, display: int, directory: str = "/run/xrdp/sockdir") -> tuple[int, int, int, str]:
    return (inode, 0, 3, f"{directory}/xrdp_display_{display}")


@pytest.fixture
def host(tmp_path, fake_loginctl):
    data = fake_loginctl("systemd-252-xrdp")
    ground = XrdpHost(tmp_path / "host")
    ground.loginctl = data
    yield ground
    ground.close()


def sessions(host: Host) -> dict[str, dict]:
    backend, found = _linux_sessions.enumerate_sessions("logind", proc=str(host.proc))
    assert backend == "logind"
    return {s["id"]: s for s in found}


def standard(host: XrdpHost, log_age: float = 95.0) -> None:
    host.x_server(2001, CONNECTED, 10, sockets=[
        listening(501, 10), accepted(502, 10), (503, _xrdp.SO_ACCEPTCON, 1, "/tmp/.X11-unix/X10")])
    host.member(2002, CONNECTED, "sleep")
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_age=log_age,
                  sockets=[listening(601, 11), (603, _xrdp.SO_ACCEPTCON, 1, "/tmp/.X11-unix/X11")])
    host.member(3002, DISCONNECTED, "xrdp-chansrv", uid=1002)


def test_a_session_whose_client_is_gone_is_disconnected_since_its_server_logged_it(host):
    standard(host, log_age=95.0)
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "disconnected"
    # from the log's mtime; whole seconds, never more than the truth
    assert found[DISCONNECTED]["disconnected_seconds"] in (95, 96)
    assert found[CONNECTED]["state"] == "active"
    assert found[CONNECTED]["disconnected_seconds"] is None


def test_an_ssh_session_is_never_looked_at(host):
    standard(host)
    found = sessions(host)
    assert found["2"]["state"] == "active" and found["2"]["disconnected_seconds"] is None


@pytest.mark.parametrize("case", [
    "no_x_server", "two_x_servers", "xvnc", "other_display_socket", "net_unix_unreadable",
    "x_server_of_another_scope", "no_display_argument", "zombie_x_server",
])
def test_nothing_positively_read_leaves_logind_state(host, case):
    """Unknown is not disconnected: the session stays as logind describes it."""
    if case == "no_x_server":
        host.member(3002, DISCONNECTED, "xrdp-chansrv", uid=1002)
    elif case == "two_x_servers":
        host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
        host.x_server(3005, DISCONNECTED, 12, uid=1002, sockets=[listening(602, 12)])
    elif case == "xvnc":
        host.x_server(3001, DISCONNECTED, 11, uid=1002, comm="Xvnc", sockets=[listening(601, 11)])
    elif case == "other_display_socket":
        # The server of :11 listens on another display's name: not a display we can read.
        host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 12)])
    elif case == "net_unix_unreadable":
        host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
        (host.proc / "3001" / "net" / "unix").unlink()
    elif case == "x_server_of_another_scope":
        # Display :11's listening socket, held by an X server outside session 4's scope.
        host.x_server(3001, "9", 11, uid=1002, sockets=[listening(601, 11)])
    elif case == "no_display_argument":
        host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
        (host.proc / "3001" / "cmdline").write_bytes(b"/usr/lib/xorg/Xorg\0-nolisten\0tcp\0")
    elif case == "zombie_x_server":
        host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
        stat = host.proc / "3001" / "stat"
        stat.write_text(stat.read_text().replace(") S ", ") Z ", 1))
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "active"
    assert found[DISCONNECTED]["disconnected_seconds"] is None


def test_a_connection_to_another_socket_of_the_server_is_not_a_client(host):
    """A connected X11 client (/tmp/.X11-unix/X11) or chansrv link is not the RDP client."""
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_age=30, sockets=[
        listening(601, 11), (603, _xrdp.SO_ACCEPTCON, 1, "/tmp/.X11-unix/X11"),
        (604, 0, 3, "/tmp/.X11-unix/X11"), (605, 0, 3, "/run/xrdp/sockdir/xrdp_chansrv_socket_11")])
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "disconnected"


def test_xrdp_0_10_socket_directory(host):
    """xrdp 0.10 keeps its sockets in /run/xrdp/UID/: the name is what identifies them."""
    host.x_server(2001, CONNECTED, 10, sockets=[
        listening(501, 10, "/run/xrdp/1001"), accepted(502, 10, "/run/xrdp/1001")])
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_age=7, sockets=[listening(601, 11, "/run/xrdp/1002")])
    found = sessions(host)
    assert (found[CONNECTED]["state"], found[DISCONNECTED]["state"]) == ("active", "disconnected")


def test_without_a_readable_log_nobody_connected_is_unknown(host):
    """issue 22.4: only the server's own word (its log) says a connection ended."""
    host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
    os.unlink(host.proc / "3001" / "fd" / "2")
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "active"
    assert found[DISCONNECTED]["disconnected_seconds"] is None


@pytest.mark.parametrize("log_text", ["[ 123.456] (II) xorgxrdp\n", LOG_BEGAN, LOG_ENDED + LOG_BEGAN])
def test_xrdp_over_tcp_to_a_server_that_listens_only_on_its_unix_socket_is_not_disconnected(host, log_text):
    """issue 22.4, as the farm's xrdp host with xrdp.ini [Xorg] ip=127.0.0.2 shows it: xrdp
    reaches for TCP 6210, xorgxrdp 0.9.19 listens only on xrdp_display_10, nobody is
    connected to it while the client IS connected to xrdp. Never connected (or reconnected
    since the last end): not a disconnection, the state stays logind's."""
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_text=log_text, sockets=[listening(601, 11)])
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "active"
    assert found[DISCONNECTED]["disconnected_seconds"] is None


def tcp_server(host: XrdpHost, connected: bool, log_text: str = LOG_BEGAN + LOG_ENDED) -> None:
    """Session c2's X server (:11) reached over TCP: it listens on [::]:6211 (0x1843) and,
    connected, holds the accepted end of xrdp's connection from 127.0.0.1:41000 (0xA028)."""
    lines = tcp6_line(0, "00000000000000000000000000000000:1843", "00000000000000000000000000000000:0000", 0x0A, 611)
    sockets = [listening(601, 11), (611, 0, 0, "tcp")]
    if connected:
        lines += tcp6_line(1, f"{MAPPED_LOCALHOST}:1843", f"{MAPPED_LOCALHOST}:A028", 0x01, 612)
        # xrdp's end, in the same namespace: a socket of another process
        lines += tcp6_line(2, f"{MAPPED_LOCALHOST}:A028", f"{MAPPED_LOCALHOST}:1843", 0x01, PEER, uid=103)
        sockets.append((612, 0, 0, "tcp"))
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_age=12, log_text=log_text, sockets=sockets,
                  net_tcp6=lines)


def test_xrdp_over_tcp_an_accepted_connection_on_the_6200_n_listener_is_connected(host):
    """issue 22.4: the TCP case read positively (X11rdp and xorgxrdp builds that listen on
    6200+N; not reproducible on the farm, whose xorgxrdp 0.9.19 has no TCP listener)."""
    tcp_server(host, connected=True)
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "active" and found[DISCONNECTED]["disconnected_seconds"] is None
    assert found[DISCONNECTED]["_xrdp_display"] == 11  # read: the kind session_disconnect handles


def test_xrdp_over_tcp_a_listener_whose_connection_ended_is_disconnected(host):
    tcp_server(host, connected=False)
    found = sessions(host)
    assert found[DISCONNECTED]["state"] == "disconnected"
    assert found[DISCONNECTED]["disconnected_seconds"] in (12, 13)


def test_an_established_tcp_socket_on_another_port_is_not_a_client(host):
    lines = (tcp6_line(0, "00000000000000000000000000000000:1843", "00000000000000000000000000000000:0000", 0x0A, 611)
             + tcp6_line(1, f"{MAPPED_LOCALHOST}:1844", f"{MAPPED_LOCALHOST}:A028", 0x01, 612))
    host.x_server(3001, DISCONNECTED, 11, uid=1002, log_age=5, net_tcp6=lines,
                  sockets=[listening(601, 11), (611, 0, 0, "tcp"), (612, 0, 0, "tcp")])
    assert sessions(host)[DISCONNECTED]["state"] == "disconnected"


def test_a_closing_session_stays_closing(host):
    page = host.loginctl / "show-session" / f"{DISCONNECTED}.txt"
    page.write_text(page.read_text().replace("State=active", "State=closing"))
    host.x_server(3001, DISCONNECTED, 11, uid=1002, sockets=[listening(601, 11)])
    assert sessions(host)[DISCONNECTED]["state"] == "closing"


def test_parse_net_unix_reads_a_real_table():
    text = (UNIX_HEADER
            + "0000000000000000: 00000002 00000000 00010000 0001 01 27812 /run/xrdp/sockdir/xrdp_display_10\n"
            + "0000000000000000: 00000003 00000000 00000000 0001 03 29377 /run/xrdp/sockdir/xrdp_display_10\n"
            + "0000000000000000: 00000003 00000000 00000000 0001 03 29376\n"
            + "0000000000000000: 00000002 00000000 00010000 0001 01 27800 @/tmp/.X11-unix/X10\n")
    table = _xrdp.parse_net_unix(text)
    assert table[27812].listening and table[27812].path.endswith("xrdp_display_10")
    assert table[29377].state == _xrdp.SS_CONNECTED and not table[29377].listening
    assert table[29376].path == ""
    assert table[27800].path == "@/tmp/.X11-unix/X10"


def test_a_message_to_a_session_that_disconnected_is_not_delivered(host, monkeypatch):
    """The controller skips sessions it saw disconnected; one that disconnected since is
    caught on the host and never counted as delivered."""
    standard(host)
    found = sessions(host)
    monkeypatch.setattr(_linux_message._linux_sessions, "enumerate_sessions",
                        lambda backend, proc, utmp: ("logind", list(found.values())))
    target = {k: found[DISCONNECTED][k] for k in ("id", "user", "logon_time", "pid", "station")}
    [result] = _linux_message.message([target], "hello", "", backend="logind")
    assert result["result"] == "not_delivered"
    assert "disconnected" in result["error"]


def test_the_fixture_is_a_copy_of_the_recording():
    """The recording names the xrdp-sesman service for both xrdp sessions (what selects them)."""
    base = Path(__file__).parent / "fixtures" / "loginctl" / "systemd-252-xrdp" / "show-session"
    for sid in (CONNECTED, DISCONNECTED):
        assert "Service=xrdp-sesman" in (base / f"{sid}.txt").read_text()


# ----- session_disconnect: the connection process ------------------------------------------
XRDP_DAEMON, XRDP_PID, XRDP_SOCKET, PEER, RDP_LISTENER = 1600, 1601, 777, 778, 700
RDP_LISTEN_LINE = tcp6_line(0, "00000000000000000000000000000000:0D3D", "00000000000000000000000000000000:0000",
                            0x0A, RDP_LISTENER, uid=103)  # [::]:3389, xrdp's


def xrdp_process(host: XrdpHost, pid: int, ppid: int, comm: str = "xrdp", inodes: t.Iterable[int] = ()) -> None:
    """An xrdp process with its sockets and its namespace's tables (net/unix, net/tcp6)."""
    host.process(pid, ppid=ppid, comm=comm, uid=103)
    d = host.proc / str(pid)
    (d / "fd").mkdir()
    for number, inode in enumerate(inodes):
        os.symlink(f"socket:[{inode}]", d / "fd" / str(11 + number))
    (d / "net").mkdir()
    (d / "net" / "unix").write_text(UNIX_HEADER + unix_line(PEER, 0, 3))
    (d / "net" / "tcp").write_text(TCP_HEADER)
    (d / "net" / "tcp6").write_text(TCP_HEADER + RDP_LISTEN_LINE)


def connected_host(host: XrdpHost, holders: t.Sequence[tuple[int, str]] = ((XRDP_PID, "xrdp"),)) -> None:
    """Session c1 connected through socket 502 of its X server; ``holders`` hold its peer.
    They are children of the xrdp daemon (fork=true), which holds the RDP listener."""
    standard(host)
    xrdp_process(host, XRDP_DAEMON, ppid=1, inodes=[RDP_LISTENER])
    for pid, comm in holders:
        xrdp_process(host, pid, XRDP_DAEMON, comm, inodes=[PEER])


class EndsTheConnection:
    """A signal to xrdp's process ends it, and with it the X server's connected socket."""

    def __init__(self, host: XrdpHost) -> None:
        self.host = host
        self.sent: list[tuple[int, int, int]] = []

    def send(self, pid: int, start: int, sig: int) -> int:
        self.sent.append((pid, start, sig))
        if pid == XRDP_PID and start == self.host.starttime(XRDP_PID):
            shutil.rmtree(self.host.proc / str(pid) / "fd")
            shutil.rmtree(self.host.proc / str(pid) / "net")
            self.host.end(pid)
            os.unlink(self.host.proc / "2001" / "fd" / "11")  # accepted(502, 10)
        return 0


@pytest.fixture
def peers(monkeypatch):
    """The kernel's answer to "peer of socket N" (sock_diag), as a dict."""
    answers = {502: PEER}
    monkeypatch.setattr(_xrdp, "peer_inode", lambda server, inode, proc=None: answers.get(inode))
    return answers


def identity(session: dict) -> dict:
    return {k: session[k] for k in ("id", "user", "logon_time", "pid", "station")}


def test_disconnect_ends_the_identified_connection_process_only(host, peers):
    connected_host(host)
    found = sessions(host)
    start = host.starttime(XRDP_PID)
    signaller = EndsTheConnection(host)
    results = _linux_disconnect.disconnect([identity(found[CONNECTED]), identity(found["2"]),
                                            identity(found[DISCONNECTED])], 5.0, "logind",
                                           str(host.proc), signaller)
    by_id = {r["id"]: r for r in results}
    assert signaller.sent == [(XRDP_PID, start, signal.SIGTERM)]  # by (pid, start time)
    assert by_id[CONNECTED]["result"] == "disconnected" and not by_id[CONNECTED].get("already")
    assert by_id["2"]["result"] == "cannot_disconnect"  # ssh: no connection to end
    assert by_id[DISCONNECTED]["result"] == "disconnected" and by_id[DISCONNECTED]["already"] is True
    assert sessions(host)[CONNECTED]["state"] == "disconnected"


@pytest.mark.parametrize("case", ["no_peer", "two_holders", "holder_is_not_xrdp", "nobody_holds_it",
                                  "holder_is_the_daemon", "holder_listens", "parent_is_not_xrdp",
                                  "holder_tables_unreadable"])
def test_disconnect_signals_nothing_not_positively_identified(host, peers, case):
    holders: t.Sequence[tuple[int, str]] = ((XRDP_PID, "xrdp"),)
    if case == "no_peer":
        peers.clear()
    elif case == "two_holders":
        holders = ((XRDP_PID, "xrdp"), (XRDP_PID + 1, "xrdp"))
    elif case == "holder_is_not_xrdp":
        holders = ((XRDP_PID, "sshd"),)
    elif case in ("nobody_holds_it", "holder_is_the_daemon"):
        holders = ()
    connected_host(host, holders)
    if case == "holder_is_the_daemon":
        # xrdp.ini fork=false (issue 22.4): the daemon's threads serve every client; it
        # holds the peer itself. Signalling it would drop all clients and stop xrdp.
        os.symlink(f"socket:[{PEER}]", host.proc / str(XRDP_DAEMON) / "fd" / "20")
    elif case == "holder_listens":
        os.symlink(f"socket:[{RDP_LISTENER}]", host.proc / str(XRDP_PID) / "fd" / "20")
    elif case == "parent_is_not_xrdp":
        stat = host.proc / str(XRDP_DAEMON) / "comm"
        stat.write_text("sshd\n")
        page = host.proc / str(XRDP_DAEMON) / "stat"
        page.write_text(page.read_text().replace("(xrdp)", "(sshd)", 1))
    elif case == "holder_tables_unreadable":
        (host.proc / str(XRDP_PID) / "net" / "tcp6").unlink()
        (host.proc / str(XRDP_PID) / "net" / "tcp").unlink()
    found = sessions(host)
    signaller = EndsTheConnection(host)
    [result] = _linux_disconnect.disconnect([identity(found[CONNECTED])], 5.0, "logind", str(host.proc), signaller)
    assert result["result"] == "cannot_disconnect"
    assert signaller.sent == []


def test_parse_peer_reads_a_sock_diag_answer():
    body = struct.pack("=BBBBIII", 1, 1, 1, 0, 502, 0, 0) + struct.pack("=HHI", 8, _xrdp.UNIX_DIAG_PEER, 778)
    answer = struct.pack("=IHHII", 16 + len(body), _xrdp.SOCK_DIAG_BY_FAMILY, 0, 1, 0) + body
    assert _xrdp.parse_peer(answer, 502) == 778
    assert _xrdp.parse_peer(answer, 503) is None  # an answer about another socket
    error = struct.pack("=IHHII", 36, _xrdp.NLMSG_ERROR, 0, 1, 0) + struct.pack("=i", -2) + b"\0" * 16
    assert _xrdp.parse_peer(error, 502) is None
    assert _xrdp.parse_peer(b"", 502) is None


class GoneController:
    """The controller died (issue 17): nothing more may be signalled."""

    reason = "process 1 of the module's ancestry has ended"

    def gone(self) -> bool:
        return True


def test_disconnect_signals_nothing_once_the_controller_is_gone(host, peers):
    connected_host(host)
    found = sessions(host)
    signaller = EndsTheConnection(host)
    [result] = _linux_disconnect.disconnect([identity(found[CONNECTED])], 5.0, "logind", str(host.proc), signaller,
                                            lifeline=GoneController())
    assert result["result"] == "abandoned" and signaller.sent == []
    assert sessions(host)[CONNECTED]["state"] == "active"


def test_disconnect_over_tcp_ends_the_process_holding_the_other_end(host):
    """issue 22.4: over TCP the peer is the socket whose ends mirror the server's (same
    namespace table), no sock_diag needed."""
    tcp_server(host, connected=True)
    xrdp_process(host, XRDP_DAEMON, ppid=1, inodes=[RDP_LISTENER])
    xrdp_process(host, XRDP_PID, XRDP_DAEMON, inodes=[PEER])
    found = sessions(host)
    sent: list[tuple[int, int, int]] = []

    class Ends:
        def send(self, pid: int, start: int, sig: int) -> int:
            sent.append((pid, start, sig))
            page = host.proc / "3001" / "net" / "tcp6"
            page.write_text("".join(line for line in page.read_text().splitlines(True) if " 01 " not in line))
            return 0

    [result] = _linux_disconnect.disconnect([identity(found[DISCONNECTED])], 5.0, "logind", str(host.proc), Ends())
    assert sent == [(XRDP_PID, host.starttime(XRDP_PID), signal.SIGTERM)]
    assert result["result"] == "disconnected"


# ----- idle: the X server's own (issue 22.6) ---------------------------------------------
def with_authority(host: XrdpHost, pid: int, uid: int, display: int) -> bytes:
    """The server's working directory (its user's home) with the ~/.Xauthority sesman wrote."""
    home = host.root / f"home-{pid}"
    home.mkdir()
    cookie = bytes(range(16))
    (home / ".Xauthority").write_bytes(struct.pack(">H", 256) + b"".join(
        struct.pack(">H", len(f)) + f for f in (b"xrdp11", str(display).encode(), b"MIT-MAGIC-COOKIE-1", cookie)))
    os.chown(home / ".Xauthority", uid, uid)
    os.symlink(str(home), host.proc / str(pid) / "cwd")
    return cookie


@pytest.fixture
def asked(monkeypatch):
    """What the X server would be asked (path, cookie, pid) and would answer (ms)."""
    calls: list[tuple[str, bytes, int | None]] = []
    answer = {"ms": 754_900}

    def idle_ms(path: str, cookie: bytes, server_pid: int | None = None, timeout: float = 1.0) -> int | None:
        calls.append((path, cookie, server_pid))
        return answer["ms"]

    monkeypatch.setattr(_xrdp._x11, "idle_ms", idle_ms)
    return calls, answer


def test_an_xrdp_sessions_idle_time_is_its_x_servers(host, asked):
    calls, _answer = asked
    standard(host)
    cookie = with_authority(host, 3001, 1002, 11)
    found = sessions(host)
    assert found[DISCONNECTED]["idle_seconds"] == 754  # whole seconds, floor
    # its own socket, in its own mount namespace; its own cookie; only to that process
    assert calls == [(f"{host.proc}/3001/root/tmp/.X11-unix/X11", cookie, 3001)]


@pytest.mark.parametrize("case", ["no_auth_file", "auth_of_another_user", "no_x11_socket", "server_silent"])
def test_an_idle_time_not_read_is_loginds(host, asked, case):
    calls, answer = asked
    standard(host)
    if case != "no_auth_file":
        with_authority(host, 3001, 1003 if case == "auth_of_another_user" else 1002, 11)
    if case == "no_x11_socket":
        page = host.proc / "3001" / "net" / "unix"
        page.write_text(page.read_text().replace("/tmp/.X11-unix/X11", "@/tmp/.X11-unix/X11"))
    if case == "server_silent":
        answer["ms"] = None
    found = sessions(host)
    assert found[DISCONNECTED]["idle_seconds"] == _logind_idle(host, DISCONNECTED)
    assert (calls != []) == (case == "server_silent")  # no cookie, no socket of its own: not asked


def _logind_idle(host: XrdpHost, sid: str) -> t.Any:
    """What the logind backend alone reports for ``sid`` (no xrdp reading)."""
    import unittest.mock
    with unittest.mock.patch.object(_xrdp, "session_link", lambda members, proc=None: None):
        return sessions(host)[sid]["idle_seconds"]


def test_disconnect_does_not_call_an_unknown_state_disconnected(host, peers):
    """After the signal, a server that listens with nobody connected but never logged the
    end is not proof of a disconnection: the result is a timeout, not ``disconnected``."""
    connected_host(host)
    (host.logs / CONNECTED / ".xorgxrdp.10.log").write_text(LOG_BEGAN)
    found = sessions(host)
    [result] = _linux_disconnect.disconnect([identity(found[CONNECTED])], 0.3, "logind", str(host.proc),
                                            EndsTheConnection(host))
    assert result["result"] == "timeout"
