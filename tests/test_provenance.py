"""Provenance of every report: what was read (manifests, cards), the knowledge base, the date."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest

import auditor
from auditor.knowledge import rules_digest, rules_dir
from auditor.render.json import render_json
from auditor.report import CardRead, ManifestRead, Report
from tests.conftest import EXAMPLES, TODAY, fixture_path
from tests.hubserver import CARDS, COMMIT, fake_hub

MIX = "lookup/mixes/references.yaml"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_manifest_read_is_recorded_with_its_hash_and_format() -> None:
    clean, video = EXAMPLES / "clean-commercial.yaml", EXAMPLES / "video-mix.yaml"
    report = auditor.audit([video, clean], today=TODAY)
    assert report.provenance is not None
    assert report.provenance.manifests == (
        ManifestRead(path=clean.as_posix(), format="native", sha256=sha256(clean)),
        ManifestRead(path=video.as_posix(), format="native", sha256=sha256(video)),
    )
    assert report.provenance.as_of == TODAY
    assert report.provenance.knowledge_base_sha256 == rules_digest()
    assert report.provenance.cards == ()


def test_the_date_is_the_as_of_date_so_the_bytes_stay_the_same() -> None:
    first = auditor.audit(EXAMPLES / "clean-commercial.yaml", today=date(2027, 1, 2))
    second = auditor.audit(EXAMPLES / "clean-commercial.yaml", today=date(2027, 1, 2))
    assert first.provenance is not None
    assert first.provenance.as_of == date(2027, 1, 2)
    assert render_json(first) == render_json(second)
    assert '"as_of": "2027-01-02"' in render_json(first)


def test_cards_looked_up_are_recorded_with_url_revision_and_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        report = auditor.audit(fixture_path(MIX), today=TODAY)
    assert report.provenance is not None
    cards = {card.reference: card for card in report.provenance.cards}
    hub_card = cards["hf://example-org/nc-instructions"]
    assert hub_card == CardRead(
        reference="hf://example-org/nc-instructions",
        outcome="hub",
        url=f"{hub_server.url}/datasets/example-org/nc-instructions/resolve/{COMMIT}/README.md",
        revision=COMMIT,
        sha256=sha256(CARDS / "example-org" / "nc-instructions" / "README.md"),
    )
    local = fixture_path("lookup/mixes/cards/local-nc/README.md").resolve()
    assert cards["cards/local-nc"] == CardRead(
        reference="cards/local-nc",
        outcome="local",
        url=local.as_uri(),
        revision=None,
        sha256=sha256(local),
    )
    # The same record is on each dataset's look-up; the card read once is listed once.
    from_hub = next(d for d in report.datasets if d.id == "from-hub")
    assert from_hub.lookup is not None
    assert from_hub.lookup.card is not None
    assert from_hub.lookup.card.revision == COMMIT
    assert len(report.provenance.cards) == len({c.url for c in report.provenance.cards})


def test_an_unresolved_reference_records_no_card() -> None:
    report = auditor.audit(fixture_path(MIX), today=TODAY, offline=True)
    assert report.provenance is not None
    assert [c.outcome for c in report.provenance.cards] == ["local"]


def test_the_knowledge_base_digest_follows_every_byte_and_name(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(rules_dir(), copy)
    digest = rules_digest(copy)
    assert digest == rules_digest()
    assert len(digest) == 64
    policy = copy / "policies" / "commercial.yaml"
    policy.write_bytes(policy.read_bytes() + b"\n")
    changed = rules_digest.__wrapped__(copy)
    assert changed != digest
    policy.rename(copy / "policies" / "commercial-renamed.yaml")
    assert rules_digest.__wrapped__(copy) not in {digest, changed}


def test_a_report_of_schema_1_1_still_loads_without_provenance() -> None:
    data = auditor.audit(EXAMPLES / "clean-commercial.yaml", today=TODAY).model_dump(mode="json")
    data["schema_version"] = "1.1"
    del data["provenance"]
    for ds in data["datasets"]:
        for key in ("source", "weight", "derived_from", "generated_by", "creators"):
            del ds[key]
        for key in ("attribution", "collected_from", "pointer"):
            del ds[key]
    old = Report.model_validate(data)
    assert old.provenance is None
    assert old.datasets[0].weight is None
