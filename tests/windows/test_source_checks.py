# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Windows PowerShell 5.1 will see, checked without it.

* The C# util compiles with mcs as C# 5, and has none of the C# 6 forms mcs lets through.
* Every .ps1 parses (tree-sitter-powershell), and every ``[Type]::Member(...)`` call names a
  public static member of the compiled util with that many arguments.
* Every .ps1 ``$spec`` equals the Python spec (module_utils/_spec.py) and its .yml docs.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tree_sitter_c_sharp
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Parser

import wtsfake  # pylint: disable=import-error
from ansible_collections.termserv.sessions.plugins.module_utils import _spec

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "plugins" / "modules"
PS1 = sorted(MODULES.glob("win_*.ps1"))
UTIL_NS = "ansible_collections.termserv.sessions.plugins.module_utils._WtsSession"
PS = Parser(Language(tree_sitter_powershell.language()))
CS = Parser(Language(tree_sitter_c_sharp.language()))
C6_NODES = {"interpolated_string_expression": "string interpolation $\"\"",
            "conditional_access_expression": "null-conditional ?.",
            "arrow_expression_clause": "expression-bodied member =>"}


def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)


def csharp6_forms(source: bytes) -> list[str]:
    found = []
    for node in walk(CS.parse(source).root_node):
        if node.type in C6_NODES:
            found.append(C6_NODES[node.type])
        elif node.type == "invocation_expression" and node.text.startswith(b"nameof("):
            found.append("nameof")
        elif node.type == "property_declaration":
            accessors = [c for c in walk(node) if c.type == "accessor_declaration"]
            if accessors and all(a.text.strip() == b"get;" for a in accessors):
                found.append("getter-only auto-property")
        elif node.type == "catch_clause" and any(n.type == "await_expression" for n in walk(node)):
            found.append("await in catch")
    return found


def test_util_compiles_as_csharp5_library(tmp_path):
    wtsfake.compile_util([wtsfake.UTIL], tmp_path / "util.dll", target="library")


def test_util_has_no_csharp6_forms():
    source = wtsfake.UTIL.read_bytes()
    assert not CS.parse(source).root_node.has_error
    assert csharp6_forms(source) == []


def test_the_csharp6_lint_catches_each_form():
    snippet = b"""class A { public int P { get; } public int Q => 1;
        void M(string s) { var x = $"{s}"; var y = s?.Length; var z = nameof(s);
        try { } catch { await T(); } } }"""
    assert sorted(set(csharp6_forms(snippet))) == sorted(
        {"getter-only auto-property", "expression-bodied member =>", "string interpolation $\"\"",
         "null-conditional ?.", "nameof", "await in catch"})


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_ps1_parses_and_has_the_module_header(path):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "#!powershell"
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in text
    assert not PS.parse(text.encode()).root_node.has_error


def test_the_parser_reports_broken_powershell():
    assert PS.parse(b"$spec = @{ options = @{ \n").root_node.has_error


def static_calls(path: Path) -> list[tuple[str, str, int]]:
    calls = []
    for node in walk(PS.parse(path.read_bytes()).root_node):
        if node.type != "invokation_expression":
            continue
        kinds = {c.type: c for c in node.children}
        if "type_literal" not in kinds or "member_name" not in kinds:
            continue
        args = kinds.get("argument_list")
        count = 0 if args is None else sum(1 for n in walk(args) if n.type == "argument_expression"
                                           and n.parent.parent == args)
        calls.append((kinds["type_literal"].text.decode().strip("[]"), kinds["member_name"].text.decode(), count))
    return calls


def type_accelerators() -> dict[str, str]:
    """``//TypeAccelerator -Name N -TypeName T`` lines of the util (Ansible's AddType reads them:
    T is the simple name of a compiled type), as {N: full type name}."""
    found = re.findall(r"//\s*TypeAccelerator\s+-Name\s+([\w.]*)\s+-TypeName\s+([\w.]*)",
                       wtsfake.UTIL.read_text(encoding="utf-8"))
    return {name: f"{UTIL_NS}.{type_name}" for name, type_name in found}


def test_the_ps1_files_call_the_util_through_its_type_accelerator():
    accelerators = type_accelerators()
    assert accelerators == {"WtsSession": f"{UTIL_NS}.SessionManager"}
    for path in PS1:
        text = path.read_text(encoding="utf-8")
        assert f"[{UTIL_NS}." not in text, f"{path.name}: use [WtsSession], the util's type accelerator"


def test_every_static_call_into_the_util_exists(driver_exe, tmp_path):
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"now": "2026-11-24T12:00:00Z", "sessions": []}))
    members = json.loads(wtsfake.run_driver(table, ["members"], exe=driver_exe).stdout)["members"]
    exported = {(f"{UTIL_NS}.{t}", m, n) for t, m, n in members}
    accelerators = type_accelerators()
    calls = [(accelerators.get(c[0], c[0]), c[1], c[2]) for p in PS1 for c in static_calls(p)]
    calls = [c for c in calls if c[0].startswith(UTIL_NS)]
    assert calls, "no call into the util found: the check would be vacuous"
    for call in calls:
        assert call in exported, f"{call} is not a public static member of the compiled util"


def ps_spec(path: Path) -> dict[str, dict]:
    """The options of a .ps1 ``$spec`` (one option a line, as our modules write them)."""
    text = path.read_text(encoding="utf-8")
    block = text[text.index("$spec = @{"):text.index("supports_check_mode")]
    options = {}
    for name, body in re.findall(r"^\s+(\w+) = @\{ (.*) \}$", block, re.M):
        if name == "options":
            continue
        entry = {}
        for key, value in re.findall(r"(\w+) = ([^;]+)", body):
            value = value.strip()
            if value.startswith("@("):
                entry[key] = [v.strip().strip('"') for v in value[2:-1].split(",") if v.strip()]
            elif value in ("$true", "$false"):
                entry[key] = value == "$true"
            elif value.startswith('"'):
                entry[key] = value.strip('"')
            else:
                entry[key] = ast.literal_eval(value)
        options[name] = entry
    return options


def expected_spec(stem: str) -> dict[str, dict]:
    """The spec a Windows target must declare: its internal options in module_utils/_spec.py,
    without the Linux-only ones, and nothing else (issue 13.5)."""
    return _spec.target_spec(stem[len("win_"):], windows=True)


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_ps1_spec_equals_the_python_target_spec(path):
    assert ps_spec(path) == expected_spec(path.stem)


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_a_windows_target_takes_no_user_facing_option(path):
    module = path.stem[len("win_"):]
    assert not set(ps_spec(path)) & (set(_spec.USER_SPECS[module]) - set(_spec.INTERNAL_SPECS[module]))


# The three lines of _TargetOptions.cs's header comment, around Ansible.Basic's Create.
GLUE = (r'^\$refused = if \(\$complex_args\) \{ \[TargetOptions\]::Refused\(\$complex_args, \$spec\) \} else \{ @\(\) \}\n'
        r'\$module = \[Ansible\.Basic\.AnsibleModule\]::Create\(\$args, \$spec\)\n'
        r'if \(\$refused\) \{ \$module\.FailJson\(\[TargetOptions\]::Refusal\("(\w+)", \$refused\)\) \}\n')


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_each_ps1_refuses_other_options_naming_its_user_facing_module(path):
    """What test_spec_ansible_basic.py runs on Mono is exactly what each .ps1 does."""
    text = path.read_text(encoding="utf-8")
    assert "#AnsibleRequires -CSharpUtil ..module_utils._TargetOptions" in text
    found = re.findall(GLUE, text, re.M)
    assert found == [path.stem[len("win_"):]], path.name
    assert text.count("::Create(") == 1
    # Nothing before Create may need a C# util: validate-modules loads none, and has no
    # $complex_args, so the if keeps [TargetOptions] out of its way.
    before = text[:text.index("$refused = ")]
    assert "[WtsSession]" not in before and "[TargetOptions]" not in before


def test_the_refusal_util_is_csharp5_with_its_type_accelerator(tmp_path):
    util = MODULES.parent / "module_utils" / "_TargetOptions.cs"
    source = util.read_bytes()
    assert not CS.parse(source).root_node.has_error
    assert csharp6_forms(source) == []
    assert re.findall(r"//\s*TypeAccelerator\s+-Name\s+(\w+)\s+-TypeName\s+(\w+)", source.decode()) == [
        ("TargetOptions", "TargetOptions")]
    wtsfake.compile_util([util], tmp_path / "targetoptions.dll", target="library")


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_ps1_spec_equals_its_documentation(path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / "build" / "collections"))
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "--json",
                           f"termserv.sessions.{path.stem}"], capture_output=True, text=True, env=env, check=True)
    documented = json.loads(proc.stdout)[f"termserv.sessions.{path.stem}"]["doc"]["options"]
    spec = ps_spec(path)
    assert set(documented) == set(spec)
    for name, entry in spec.items():
        assert documented[name].get("type", "str") == entry.get("type", "str"), name
        assert documented[name].get("default") == entry.get("default"), name
        assert documented[name].get("choices") == entry.get("choices"), name
        assert bool(documented[name].get("required")) == bool(entry.get("required")), name
    assert yaml.safe_load((path.with_suffix(".yml")).read_text())["DOCUMENTATION"]["module"] == path.stem
