# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A drain that covers xrdp (issue 24 item 1): the account lines the collection puts in
xrdp-sesman's PAM file while its nologin file exists, on copies of Debian 12's PAM files.
The farm test (tests/farm/test_xrdp_drain.py) shows real PAM and xrdp obeying them."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.termserv.sessions.plugins.module_utils import _nologin, _xrdp_pam

from test_nologin import read, set_state, write  # pylint: disable=import-error

# Debian 12's files (xrdp 0.9.21.1-1+deb12u3, openssh-server 1:9.2p1, login 1:4.13), as far
# as what pam_nologin's place in them is concerned.
DEBIAN = {
    "xrdp-sesman": "#%PAM-1.0\nauth required pam_env.so readenv=1\n"
                   "auth required pam_env.so readenv=1 envfile=/etc/default/locale\n"
                   "@include common-auth\n@include common-account\n@include common-session\n"
                   "@include common-password\n",
    "sshd": "# PAM configuration for the Secure Shell service\n@include common-auth\n"
            "account    required     pam_nologin.so\n@include common-account\n@include common-session\n",
    "login": "auth       optional   pam_faildelay.so  delay=3000000\n"
             "auth       requisite  pam_nologin.so\n@include common-auth\n@include common-account\n",
    "common-auth": "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\tpam_deny.so\n",
    "common-account": "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so\n"
                      "account\trequisite\tpam_deny.so\n",
    "common-session": "session\trequired\tpam_unix.so\n",
    "common-password": "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n",
}


@pytest.fixture
def paths(tmp_path):
    for sub in ("etc", "run", "etc/pam.d"):
        (tmp_path / sub).mkdir(exist_ok=True)
    for name, text in DEBIAN.items():
        (tmp_path / "etc/pam.d" / name).write_text(text)
    return _nologin.Paths(etc=str(tmp_path / "etc" / "nologin"), run=str(tmp_path / "run" / "nologin"),
                          etc_dir=str(tmp_path / "etc" / "termserv-sessions"),
                          run_dir=str(tmp_path / "run" / "termserv-sessions"))


def sesman(paths) -> str:
    return os.path.join(paths.pam, "xrdp-sesman")


def test_debian_sesman_does_not_call_nologin_but_sshd_and_login_do(paths):
    assert not _xrdp_pam.calls_nologin("xrdp-sesman", paths.pam)
    assert _xrdp_pam.calls_nologin("sshd", paths.pam)
    assert _xrdp_pam.calls_nologin("login", paths.pam)
    found = _xrdp_pam.mechanisms(paths.pam)
    assert {k: v["covered"] for k, v in found.items()} == {"ssh": True, "console": True, "xrdp": False}


def test_includes_and_substacks_are_followed(paths):
    write(os.path.join(paths.pam, "common-account"), b"account required pam_nologin.so\n")
    assert _xrdp_pam.calls_nologin("xrdp-sesman", paths.pam)
    write(os.path.join(paths.pam, "common-account"), b"account required pam_unix.so\n")
    write(sesman(paths), b"auth substack nl\n")
    write(os.path.join(paths.pam, "nl"), b"-auth requisite pam_nologin.so\n")
    assert _xrdp_pam.calls_nologin("xrdp-sesman", paths.pam)
    write(os.path.join(paths.pam, "nl"), b"session requisite pam_nologin.so\n")  # not an account check
    assert not _xrdp_pam.calls_nologin("xrdp-sesman", paths.pam)


@pytest.mark.parametrize("state, reconnect", [("drain", True), ("drain_until_restart", True), ("disabled", False)])
def test_a_drain_puts_our_lines_first_and_release_removes_exactly_them(paths, state, reconnect):
    original = read(sesman(paths))
    os.chmod(sesman(paths), 0o640)
    assert set_state(state, paths) is True
    text = read(sesman(paths)).decode()
    rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert rules[0 if not reconnect else 1].startswith("account requisite pam_nologin.so")
    assert ("pam_exec.so" in rules[0]) is reconnect
    if reconnect:
        # success=1 skips exactly the next rule: it must be pam_nologin
        assert rules[0].startswith("account [success=1 default=ignore] pam_exec.so quiet /")
        assert os.path.exists(os.path.join(paths.etc_dir, "xrdp-reconnect.py"))
    assert text.startswith("#%PAM-1.0\n")
    assert os.stat(sesman(paths)).st_mode & 0o777 == 0o640
    mech = _nologin.facts(paths)["mechanisms"]["xrdp"]
    assert mech["covered"] is True and "termserv.sessions" in mech["how"]
    assert set_state(state, paths) is False  # renewal: the file is not rewritten
    assert set_state("enabled", paths) is True
    assert read(sesman(paths)) == original
    assert not os.path.exists(os.path.join(paths.etc_dir, "xrdp-reconnect.py"))
    assert _nologin.facts(paths)["mechanisms"]["xrdp"]["covered"] is False


def test_switching_to_disabled_drops_the_reconnection_line(paths):
    set_state("drain", paths)
    set_state("disabled", paths)
    assert b"pam_exec" not in read(sesman(paths))
    assert read(sesman(paths)).count(_xrdp_pam.MARKER.encode()) == 1


def test_a_sesman_that_calls_nologin_itself_is_left_alone(paths):
    write(sesman(paths), b"#%PAM-1.0\naccount required pam_nologin.so\n@include common-account\n")
    before = read(sesman(paths))
    set_state("drain", paths)
    assert read(sesman(paths)) == before
    assert "own stack" in _nologin.facts(paths)["mechanisms"]["xrdp"]["how"]
    set_state("enabled", paths)
    assert read(sesman(paths)) == before


def test_no_xrdp_no_lines_and_no_xrdp_entry(paths):
    os.unlink(sesman(paths))
    set_state("drain", paths)
    assert not os.path.exists(sesman(paths))
    assert "xrdp" not in _nologin.facts(paths)["mechanisms"]


def test_a_foreign_nologin_gets_no_lines_and_says_xrdp_is_not_covered(paths):
    write(paths.etc, b"admin's maintenance\n")
    before = read(sesman(paths))
    set_state("drain", paths)  # covered: nothing of ours is written
    assert read(sesman(paths)) == before
    assert _nologin.facts(paths)["mechanisms"]["xrdp"]["covered"] is False


def test_the_hosts_switch_removes_the_lines_with_the_file(paths):
    set_state("drain", paths, expires_in=1)
    store_path = os.path.join(paths.etc_dir, "holds.json")
    generation = _nologin.facts(paths)["generation"]
    script = os.path.join(paths.etc_dir, "release.py")
    write(script, _nologin.RELEASE_SOURCE.encode())
    import time  # pylint: disable=import-outside-toplevel
    time.sleep(1.1)
    # The standalone script, as the timer runs it: no collection on its path.
    proc = subprocess.run([sys.executable, "-I", script, store_path, paths.lock, str(generation)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert not os.path.exists(paths.etc)
    assert _xrdp_pam.MARKER.encode() not in read(sesman(paths))
    assert read(sesman(paths)) == DEBIAN["xrdp-sesman"].encode()


def test_reconnect_helper_finds_only_a_user_with_an_xrdp_session():
    namespace: dict = {}
    exec(compile(_xrdp_pam.RECONNECT_SOURCE, "helper", "exec"), namespace)  # pylint: disable=exec-used
    # Nobody here runs under xrdp-sesman; an unknown user is never let through.
    assert namespace["has_xrdp_session"]("root") is False
    assert namespace["has_xrdp_session"]("no-such-user-xyz") is False
    assert namespace["has_xrdp_session"](None) is False


def test_pam_words_cannot_be_broken_by_the_interpreter_path(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/opt/my python/bin/python3")
    assert _nologin._python() == "/usr/bin/python3"  # pylint: disable=protected-access


def test_a_program_a_user_named_xrdp_sesman_does_not_open_the_drain(tmp_path):
    """Review finding: the helper trusted the parent's comm, which whoever starts a program
    chooses. A user's own copy of sh named xrdp-sesman, with a child, must not count as an
    xrdp session: the parent must be root's and its executable the installed sesman."""
    helper: dict = {}
    exec(compile(_xrdp_pam.RECONNECT_SOURCE, "helper", "exec"), helper)  # pylint: disable=exec-used
    fake = tmp_path / "xrdp-sesman"
    fake.write_bytes(read("/bin/sh"))
    fake.chmod(0o755)
    tmp_path.chmod(0o755)
    out: list[str] = []
    proc = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",  # pylint: disable=consider-using-with
                             str(fake), "-c", "sleep 30; :"])
    try:
        for _attempt in range(100):  # until the child sleep runs under the fake sesman
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True,
                                 text=True, check=False).stdout.split()
            if out:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert out, "the fake sesman's child did not start"
        with open(f"/proc/{proc.pid}/comm", encoding="ascii") as handle:
            assert handle.read().strip() == "xrdp-sesman"  # what the old helper trusted
        assert helper["has_xrdp_session"]("nobody") is False
    finally:
        for pid in out:  # the sleep we started through the fake sesman, by PID
            try:
                os.kill(int(pid), 9)
            except ProcessLookupError:
                pass
        proc.kill()
        proc.wait(timeout=10)


def test_a_pam_file_with_a_latin1_comment_round_trips_byte_for_byte(paths):
    """Review finding: a strict UTF-8 read of the PAM file raised after the nologin file was
    written, leaving it with no store (no release could remove it)."""
    original = DEBIAN["xrdp-sesman"].encode() + "# ge\xe4ndert\n".encode("latin-1")
    write(sesman(paths), original)
    assert set_state("drain", paths) is True
    assert _xrdp_pam.hooked(paths.pam)
    assert set_state("enabled", paths) is True
    assert read(sesman(paths)) == original
    assert not os.path.exists(paths.etc)


def test_a_pam_file_that_cannot_take_our_lines_leaves_a_drain_that_can_be_released(paths, tmp_path):
    """A symlinked xrdp-sesman file is not ours to replace: the drain is taken, xrdp is
    reported uncovered, and the release removes the nologin file (it has its store)."""
    real = tmp_path / "vendor-xrdp-sesman"
    real.write_text(DEBIAN["xrdp-sesman"])
    os.unlink(sesman(paths))
    os.symlink(real, sesman(paths))
    assert set_state("drain", paths) is True
    assert os.path.exists(paths.etc)
    assert os.path.islink(sesman(paths)) and real.read_text() == DEBIAN["xrdp-sesman"]
    assert _nologin.facts(paths)["mechanisms"]["xrdp"]["covered"] is False
    assert set_state("enabled", paths) is True
    assert not os.path.exists(paths.etc)


def test_our_line_with_a_trailing_blank_is_still_removed(paths):
    set_state("drain", paths)
    text = read(sesman(paths)).decode().replace(_xrdp_pam.MARKER + "\n", _xrdp_pam.MARKER + "  \n")
    write(sesman(paths), text.encode())
    assert set_state("enabled", paths) is True
    assert _xrdp_pam.MARKER.encode() not in read(sesman(paths))
