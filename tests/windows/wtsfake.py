# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build and run the Windows proof: fake wtsapi32 (gcc), the C# util + driver (mcs), Mono.

The JSON session table (tests/windows/README.md) is turned into the flat file the C fake
reads, with ISO times converted to FILETIME.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
UTIL = REPO / "plugins" / "module_utils" / "_WtsSession.cs"
BUILD = HERE / "build"
STATES = ["active", "connected", "connect_query", "shadow", "disconnected",
          "idle", "listen", "reset", "down", "init"]
EPOCH_AS_FILETIME = 116444736000000000  # 1970-01-01 in 100 ns ticks since 1601-01-01
MCS_FLAGS = ["-langversion:5", "-define:WINDOWS", "-define:AMD64", "-warnaserror+", "-nowarn:219"]


def filetime(iso: str | int | None) -> int:
    """ISO 8601 UTC as FILETIME; an int is served as it is (to replay out-of-range values)."""
    if isinstance(iso, int):
        return iso
    if not iso:
        return 0
    stamp = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return EPOCH_AS_FILETIME + int(stamp.timestamp()) * 10_000_000


def flatten(table: dict[str, t.Any]) -> str:
    """The JSON table as the fake's flat text (one tab-separated line per session)."""
    def clean(value: t.Any) -> str:
        return str(value if value is not None else "").replace("\t", " ").replace("\n", " ")

    gone = table.get("stdout_gone_after_enums")
    fail = table.get("enum_failures") or {}
    lines = [f"{filetime(table['now'])} {table.get('console_session_id', 1)} {table.get('own_session_id', 0)}"
             f" {-1 if gone is None else gone}"
             f" {fail.get('from', 0)} {fail.get('count', 0)} {fail.get('error', 1722)}"
             f" {table.get('disconnected_message_error', 0)}"]
    for s in table["sessions"]:
        address = s.get("client_address") or ""
        reuse = s.get("reuse_as")
        lines.append("\t".join(clean(v) for v in (
            s["id"], STATES.index(s.get("state", "active")), s.get("station", ""), s.get("user", ""),
            s.get("domain", ""), s.get("client", ""), (23 if ":" in address else 2) if address else 0, address,
            filetime(s.get("logon_time")), filetime(s.get("last_input_time")),
            filetime(s.get("disconnect_time")), s.get("logoff_delay_ms", 0), s.get("logoff_error", 0),
            int(bool(s.get("never_ends", False))), s.get("query_error", 0), s.get("message_error", 0),
            s.get("vanish_on", ""),
            STATES.index(reuse.get("state", "active")) if reuse else "",
            reuse.get("user", "") if reuse else "", reuse.get("domain", "") if reuse else "",
            filetime(reuse.get("logon_time")) if reuse else 0,
            s.get("disconnect_delay_ms", 0), s.get("disconnect_error", 0),
            ";".join(f"{p['pid']}/{p['name']}/{p.get('user', '')}" for p in s.get("processes", [])),
            int(bool(s.get("logon_zero_while_closing", False))))))
    return "\n".join(lines) + "\n"


def build(util: Path = UTIL, out: Path = BUILD) -> Path:
    """Compile the fake and the driver into ``out`` when their sources are newer; return the exe."""
    out.mkdir(parents=True, exist_ok=True)
    lib = out / "libwtsapi32.so"
    source = HERE / "fake" / "fake_wtsapi32.c"
    if not lib.exists() or lib.stat().st_mtime < source.stat().st_mtime:
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", "-o", str(lib),
                        str(source)], check=True)
        kernel = out / "libkernel32.so"
        if kernel.is_symlink() or kernel.exists():
            kernel.unlink()
        kernel.symlink_to("libwtsapi32.so")  # the few kernel32 functions live in the same fake
        advapi = out / "libadvapi32.so"
        if advapi.is_symlink() or advapi.exists():
            advapi.unlink()
        advapi.symlink_to("libwtsapi32.so")  # and LookupAccountSidW
        ntdll = out / "libntdll.so"
        if ntdll.is_symlink() or ntdll.exists():
            ntdll.unlink()
        ntdll.symlink_to("libwtsapi32.so")  # and NtQueryInformationFile (the lifeline)
    exe = out / "driver.exe"
    sources = [util, HERE / "Driver.cs"]
    if not exe.exists() or any(exe.stat().st_mtime < s.stat().st_mtime for s in sources):
        compile_util(sources, exe, ["-r:System.Web.Extensions.dll"])
    return exe


def compile_util(sources: list[Path], output: Path, extra: list[str] | None = None,
                 target: str = "exe") -> subprocess.CompletedProcess:
    proc = subprocess.run(["mcs", *MCS_FLAGS, f"-target:{target}", f"-out:{output}", *(extra or []),
                           *map(str, sources)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"mcs failed:\n{proc.stdout}{proc.stderr}")
    return proc


def run_driver(table_path: Path, args: list[str], exe: Path | None = None,
               extra_env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    exe = exe or build()
    table = json.loads(Path(table_path).read_text(encoding="utf-8"))
    with tempfile.NamedTemporaryFile("w", suffix=".flat", delete=False, encoding="utf-8") as flat:
        flat.write(flatten(table))
    env = dict(os.environ, FAKE_WTS_FLAT=flat.name, MONO_ENV_OPTIONS="",
               LD_LIBRARY_PATH=f"{exe.parent}:{os.environ.get('LD_LIBRARY_PATH', '')}")
    env.update(extra_env or {})
    try:
        return subprocess.run(["mono", str(exe), *args], capture_output=True, text=True, env=env,
                              timeout=timeout, check=False)
    finally:
        os.unlink(flat.name)


def main(argv: list[str]) -> int:
    table = os.environ.get("FAKE_WTS_TABLE")
    if not table:
        print("wts-driver: set FAKE_WTS_TABLE to a JSON session table (tests/windows/README.md)",
              file=sys.stderr)
        return 2
    proc = run_driver(Path(table), argv)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
