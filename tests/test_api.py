"""The Python API: Hub references, dicts and models beside paths; options checked as by the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import auditor
from auditor.api import HUB_REFERENCES
from auditor.errors import InputError
from auditor.manifest import Manifest
from tests.conftest import EXAMPLES, TODAY
from tests.hubserver import COMMIT, FakeHub, fake_hub


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with fake_hub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_gate_takes_hub_references_as_a_training_script_has_them(hub: FakeHub) -> None:
    passed = auditor.gate(["hf://example-org/permissive-text", "Anthropic/helpful"], today=TODAY)
    assert [(d.id, d.manifest) for d in passed.datasets] == [
        ("Anthropic/helpful", HUB_REFERENCES),
        ("example-org/permissive-text", HUB_REFERENCES),
    ]
    assert passed.provenance is not None
    assert {c.revision for c in passed.provenance.cards} == {COMMIT}
    with pytest.raises(auditor.GateFailed) as failed:
        auditor.gate(["hf://example-org/permissive-text", "example-org/nc-instructions"])
    blocked = {d.id: d.verdict.value for d in failed.value.report.datasets}
    assert blocked == {
        "example-org/permissive-text": "allowed",
        "example-org/nc-instructions": "blocked",
    }
    assert "example-org/nc-instructions: license-noncommercial" in str(failed.value)


def test_a_pinned_revision_and_a_hub_url_are_references(hub: FakeHub) -> None:
    report = auditor.audit(
        [
            "hf://example-org/permissive-text@v1.0",
            "https://huggingface.co/datasets/Anthropic/helpful",
        ]
    )
    ids = {d.id: d.license.expression for d in report.datasets}
    assert ids == {"example-org/permissive-text@v1.0": "CC-BY-NC-4.0", "Anthropic/helpful": "MIT"}


def test_dicts_models_and_paths_mix(hub: FakeHub) -> None:
    data = {
        "version": 1,
        "name": "sft",
        "datasets": [{"id": "mine", "license": "CC-BY-4.0"}],
    }
    model = Manifest.model_validate(
        {"version": 1, "name": "more", "datasets": [{"id": "theirs", "license": "CC-BY-NC-4.0"}]}
    )
    report = auditor.audit(
        [data, EXAMPLES / "clean-commercial.yaml", model, "example-org/permissive-text"]
    )
    manifests = {d.manifest for d in report.datasets}
    clean = (EXAMPLES / "clean-commercial.yaml").as_posix()
    assert manifests == {"<manifest 1>", "<manifest 2>", HUB_REFERENCES, clean}
    verdicts = {d.id: d.verdict.value for d in report.datasets}
    assert verdicts["mine"] != "blocked"
    assert verdicts["theirs"] == "blocked"
    theirs = next(f for f in report.findings if f.dataset == "theirs")
    assert theirs.location is not None and theirs.location.path == "<manifest 2>"
    assert theirs.location.line is not None
    # The JSON report records what was read, inline manifests included.
    assert report.provenance is not None
    assert {m.path for m in report.provenance.manifests} >= {"<manifest 1>", "<manifest 2>"}


def test_a_local_folder_named_like_a_hub_id_is_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mix.yaml").write_text(
        "version: 1\nname: local\ndatasets:\n  - id: a\n    license: MIT\n"
    )
    report = auditor.audit("data/mix.yaml")
    assert [d.manifest for d in report.datasets] == ["data/mix.yaml"]
    with pytest.raises(InputError, match="no such file"):
        auditor.audit("data/missing.yaml")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fail_on": "info"}, "fail_on: must be 'error' or 'warning', not 'info'"),
        ({"fail_on": "fatal"}, "fail_on: must be 'error' or 'warning', not 'fatal'"),
        ({"fmt": "yaml"}, "fmt: unknown format 'yaml'"),
    ],
)
def test_options_are_checked_as_the_cli_checks_them(options: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as refused:
        auditor.audit(EXAMPLES / "clean-commercial.yaml", **options)  # type: ignore[arg-type]
    assert str(refused.value).startswith(message)


def test_what_cannot_be_audited_is_refused() -> None:
    with pytest.raises(InputError, match="nothing to audit"):
        auditor.audit([])
    with pytest.raises(InputError, match="cannot audit int: pass a path, a Hub reference"):
        auditor.audit([3])  # type: ignore[list-item]
    for value in (b"hf://x/y", bytearray(b"x.yaml")):
        with pytest.raises(InputError, match=f"cannot audit {type(value).__name__}: pass a path"):
            auditor.audit(value)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="cannot audit float: pass a path"):
        auditor.audit(1.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="<manifest 1>:"):
        auditor.audit({"version": 1, "name": "x", "datasets": []})
