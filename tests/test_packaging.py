"""The knowledge base ships inside the wheel, and the installed package finds it there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

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
