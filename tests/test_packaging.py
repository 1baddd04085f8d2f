"""The knowledge base ships inside the wheel, and the installed package finds it there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parent.parent


def test_wheel_contains_rules_and_runs_from_them(tmp_path: Path) -> None:
    wheel = Path(next(iter(WheelBuilder(str(ROOT)).build(directory=str(tmp_path)))))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    for rules_file in ROOT.glob("rules/**/*.yaml"):
        assert f"auditor/{rules_file.relative_to(ROOT).as_posix()}" in names
    # Run from the unpacked wheel, away from the checkout: rules must come from inside it.
    code = (
        "import auditor.knowledge as k; d = k.rules_dir(); "
        "print(d); assert 'site' in str(d); print(len(k.load_knowledge().licenses))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 100


# The modules only `auditor scan` needs: the optional `scan` extra (pyproject.toml).
SCAN_MODULES = ("pyarrow", "numpy", "publicsuffixlist", "protego")
# Runs the CLI as if the scan extra were not installed: importing any of its modules fails.
WITHOUT_SCAN = (
    "import sys\n"
    f"for name in {SCAN_MODULES!r}: sys.modules[name] = None\n"
    "from auditor.cli import main\n"
    "sys.argv = ['auditor', *sys.argv[1:]]\n"
    "main()\n"
)


def _without_scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_SCAN, *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "", "HF_HUB_OFFLINE": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_gate_installs_without_the_scan_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    assert names.isdisjoint({"pyarrow", "numpy", "publicsuffixlist", "protego", "ray"})
    scan = {
        re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in project["optional-dependencies"]["scan"]
    }
    assert set(SCAN_MODULES) <= scan
    assert "ray" not in " ".join(project["optional-dependencies"]["dev"])


def test_check_runs_without_the_scan_extra() -> None:
    result = _without_scan("check", "examples/clean-commercial.yaml", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "pass"


def test_scan_without_its_extra_says_so_in_one_line() -> None:
    result = _without_scan("scan", "tests/fixtures/scan/mixed.csv")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: auditor scan needs: pip install 'auditor[scan]' (pyarrow is missing)\n"
    )


def test_the_action_pins_every_dependency_it_installs() -> None:
    action = (ROOT / "action.yml").read_text()
    assert '--constraint "$GITHUB_ACTION_PATH/action-constraints.txt"' in action
    pins: dict[str, Version] = {}
    for line in (ROOT / "action-constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dependency in map(Requirement, project["dependencies"]):
        pinned = pins.get(canonicalize_name(dependency.name))
        assert pinned is not None, f"{dependency.name} is not pinned"
        assert dependency.specifier.contains(pinned), f"{dependency} excludes the pin {pinned}"
