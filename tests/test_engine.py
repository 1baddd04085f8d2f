"""End-to-end behaviour of the gate on the examples, and the JSON report contract."""

from __future__ import annotations

import json
import pickle
from datetime import date

import pytest
from pydantic import ValidationError

import auditor
from auditor.errors import InputError
from auditor.policy import Level, Policy, load_policy
from auditor.render.json import render_json
from auditor.report import DatasetVerdict, Report, Verdict
from auditor.rulebook import Rule
from tests.conftest import EXAMPLES, TODAY, fixture_path


def rules_on(report: Report, dataset: str) -> set[Rule]:
    return {f.rule for f in report.findings_for(dataset) if not f.waived}


def test_clean_mix_passes() -> None:
    report = auditor.gate(EXAMPLES / "clean-commercial.yaml")
    assert report.verdict is Verdict.PASS
    assert all(d.verdict is not DatasetVerdict.BLOCKED for d in report.datasets)
    code = next(d for d in report.datasets if d.id == "permissive-code")
    assert code.license.decisions  # the OR was decided and the choice recorded


def test_video_mix_fails_with_one_reason_per_problem() -> None:
    report = auditor.audit(EXAMPLES / "video-mix.yaml")
    assert report.verdict is Verdict.FAIL
    assert {d.id: d.verdict for d in report.datasets} == {
        "academic-clips": DatasetVerdict.BLOCKED,
        "captioned-clips": DatasetVerdict.BLOCKED,
        "netflix-titles": DatasetVerdict.BLOCKED,
        "recaptioned-clips": DatasetVerdict.BLOCKED,
        "youtube-bulk": DatasetVerdict.BLOCKED,
    }
    # Scraped: what the API would get (tos-review: YouTube licenses no content), and more.
    assert rules_on(report, "youtube-bulk") == {
        Rule.TOS_SCRAPING_PROHIBITED,
        Rule.TOS_REVIEW,
        Rule.LICENSE_UNKNOWN,
    }
    assert {Rule.TOS_SCRAPING_PROHIBITED, Rule.TOS_AI_TRAINING_PROHIBITED} <= rules_on(
        report, "netflix-titles"
    )
    assert {Rule.LICENSE_RESEARCH_ONLY, Rule.TOS_SCRAPING_PROHIBITED} <= rules_on(
        report, "academic-clips"
    )
    assert Rule.LICENSE_NONCOMMERCIAL in rules_on(report, "captioned-clips")
    pointer = next(
        f for f in report.findings_for("academic-clips") if f.rule is Rule.TOS_SCRAPING_PROHIBITED
    )
    assert "pointer dataset" in pointer.message
    # The in-house derivative inherits its parent's restrictions, with the chain.
    inherited = [f for f in report.findings_for("recaptioned-clips") if f.via]
    assert {f.rule for f in inherited} >= {Rule.LICENSE_RESEARCH_ONLY, Rule.TOS_SCRAPING_PROHIBITED}
    assert all(f.via == ("academic-clips",) for f in inherited)
    # One finding per problem: no rule repeats on a dataset for the same origin.
    keys = [(f.dataset, f.rule, f.via) for f in report.findings]
    assert len(keys) == len(set(keys))


def test_scraping_finding_quotes_the_clause_and_points_at_the_line() -> None:
    report = auditor.audit(EXAMPLES / "video-mix.yaml")
    finding = next(
        f for f in report.findings_for("youtube-bulk") if f.rule is Rule.TOS_SCRAPING_PROHIBITED
    )
    assert finding.evidence is not None
    assert "automated means" in (finding.evidence.quote or "")
    assert finding.evidence.source_url
    assert finding.location is not None
    lines = (EXAMPLES / "video-mix.yaml").read_text().splitlines()
    assert lines[(finding.location.line or 0) - 1].strip() == "- url: https://www.youtube.com"


def test_instruct_mix_fails_on_license_and_model_terms() -> None:
    report = auditor.audit(EXAMPLES / "instruct-mix.yaml")
    assert report.verdict is Verdict.FAIL
    for dataset in ("alpaca", "alpaca-cleaned"):
        assert {Rule.LICENSE_NONCOMMERCIAL, Rule.MODEL_OUTPUT_TERMS} <= rules_on(report, dataset)


def test_gate_raises_with_the_report() -> None:
    with pytest.raises(auditor.GateFailed) as caught:
        auditor.gate(EXAMPLES / "video-mix.yaml", policy="commercial")
    assert caught.value.report.verdict is Verdict.FAIL
    assert "gate failed under policy 'commercial'" in str(caught.value)


def test_package_api_loads_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import sys, auditor.scan.engine; lazy = 'auditor.readers' not in sys.modules; "
        "g = auditor.gate; print(lazy, 'auditor.readers' in sys.modules, g.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "gate"]
    assert auditor.Report is Report
    assert {"audit", "gate", "GateFailed", "Report"} <= set(dir(auditor))
    assert pickle.loads(pickle.dumps(auditor.gate)) is auditor.gate
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        auditor.nope  # noqa: B018


def test_gate_raises_input_error_on_bad_manifest() -> None:
    with pytest.raises(auditor.InputError) as caught:
        auditor.gate(fixture_path("manifest.unknown-key.yaml"))
    assert caught.value.line == 7


def test_json_report_contract() -> None:
    report = auditor.audit(EXAMPLES / "video-mix.yaml", today=TODAY)
    data = json.loads(render_json(report))
    assert list(data)[:7] == [
        "schema_version",
        "kind",
        "tool_version",
        "policy",
        "fail_on",
        "verdict",
        "datasets",
    ]
    assert data["schema_version"] == "1.3"
    assert data["verdict"] in {"pass", "fail"}
    assert data["policy_relaxes"] == []
    for ds in data["datasets"]:
        assert {"id", "name", "license", "verdict"} <= set(ds)
        assert {"raw", "expression", "status"} <= set(ds["license"])
        assert ds["verdict"] in {"allowed", "review", "blocked"}
        for claim in ds["claims"]:
            assert {"origin", "value", "location", "role", "status", "expression"} <= set(claim)
            assert claim["role"] in {"applied", "hint", "superseded", "silent"}
    assert any(ds["claims"] for ds in data["datasets"])
    for f in data["findings"]:
        assert {"rule", "severity", "dataset", "message", "location", "via", "waived"} <= set(f)
        assert f["severity"] in {"error", "warning", "info"}
        assert isinstance(f["via"], list)
    assert [d["id"] for d in data["datasets"]] == sorted(d["id"] for d in data["datasets"])


def test_same_input_gives_identical_json() -> None:
    first = render_json(auditor.audit(EXAMPLES / "video-mix.yaml", today=TODAY))
    second = render_json(auditor.audit(EXAMPLES / "video-mix.yaml", today=TODAY))
    assert first == second


def test_json_manifest_and_or_choice() -> None:
    report = auditor.audit(fixture_path("manifest.clean.json"))
    code = next(d for d in report.datasets if d.id == "code")
    assert code.license.expression == "CC0-1.0 OR CC-BY-NC-4.0"
    assert code.verdict is DatasetVerdict.ALLOWED
    assert code.license.decisions == ("chose CC0-1.0 over CC-BY-NC-4.0",)
    assert report.datasets[0].location.line == 5


def test_lineage_chain_and_cycle() -> None:
    report = auditor.audit(fixture_path("manifest.lineage.yaml"))
    leaf = [f for f in report.findings_for("leaf") if f.rule is Rule.LICENSE_NONCOMMERCIAL]
    assert len(leaf) == 1
    assert leaf[0].via == ("middle", "root")
    assert "via middle -> root" in leaf[0].message
    assert Rule.LINEAGE_CYCLE in rules_on(report, "loop-a")
    assert Rule.LINEAGE_CYCLE in rules_on(report, "loop-b")
    assert Rule.LINEAGE_CYCLE not in rules_on(report, "leaf")


def test_waivers_apply_expire_and_stay_visible() -> None:
    report = auditor.audit(
        [EXAMPLES / "clean-commercial.yaml", EXAMPLES / "video-mix.yaml"],
        waivers=fixture_path("waivers.valid.yaml"),
        today=TODAY,
    )
    waived = [f for f in report.findings if f.waived]
    assert [(f.dataset, f.rule) for f in waived] == [("wiki-en", Rule.LICENSE_SHARE_ALIKE)]
    assert waived[0].waiver is not None
    assert waived[0].waiver.approved_by == "Jane Counsel"
    # The expired waiver does not apply, and says so.
    nc = [f for f in report.findings_for("captioned-clips") if f.rule is Rule.LICENSE_NONCOMMERCIAL]
    assert nc
    assert not nc[0].waived
    expired = [f for f in report.findings if f.rule is Rule.WAIVER_EXPIRED]
    assert len(expired) == 1
    assert "expired on 2025-01-31" in expired[0].message
    assert {w.dataset: w.status.value for w in report.waivers} == {
        "wiki-en": "applied",
        "captioned-clips": "expired",
        "not-in-any-manifest": "unused",
    }
    wiki = next(d for d in report.datasets if d.id == "wiki-en")
    assert wiki.verdict is DatasetVerdict.ALLOWED
    assert report.totals.waived == 1


def test_a_waiver_can_pass_the_gate() -> None:
    without = auditor.audit(EXAMPLES / "clean-commercial.yaml", fail_on="warning")
    assert without.verdict is Verdict.FAIL
    with_waiver = auditor.audit(
        EXAMPLES / "clean-commercial.yaml",
        fail_on="warning",
        waivers=fixture_path("waivers.valid.yaml"),
        today=TODAY,
    )
    assert with_waiver.verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("waivers", "waived"),
    [
        # No upstream: the mix's own finding only, not what two other licensors' terms impose.
        ("waivers.lineage-own.yaml", {("mix", ())}),
        # One upstream: that licensor's finding only.
        ("waivers.lineage-captions.yaml", {("mix", ("captions",))}),
        # "*": every inherited finding, written out; still not the mix's own.
        ("waivers.lineage-any.yaml", {("mix", ("captions",)), ("mix", ("images",))}),
        # On the upstream itself: its own finding, not the copies its descendants inherit.
        ("waivers.lineage-origin.yaml", {("captions", ())}),
    ],
)
def test_a_waiver_covers_only_the_lineage_it_names(
    waivers: str, waived: set[tuple[str, tuple[str, ...]]]
) -> None:
    report = auditor.audit(
        fixture_path("manifest.two-licensors.yaml"), waivers=fixture_path(waivers), today=TODAY
    )
    assert {(f.dataset, f.via) for f in report.findings if f.waived} == waived
    assert report.verdict is Verdict.FAIL
    assert [w.status.value for w in report.waivers] == ["applied"]


def test_an_expired_upstream_waiver_says_which_upstream() -> None:
    report = auditor.audit(
        fixture_path("manifest.two-licensors.yaml"),
        waivers=fixture_path("waivers.lineage-captions.yaml"),
        today=date(2100, 1, 1),
    )
    expired = [f for f in report.findings if f.rule is Rule.WAIVER_EXPIRED]
    assert [(f.dataset, f.message.split(" expired")[0]) for f in expired] == [
        ("mix", "waiver for license-noncommercial (inherited from captions)")
    ]
    assert not [f for f in report.findings if f.waived]


def test_custom_policy_extends_a_builtin() -> None:
    report = auditor.audit(
        EXAMPLES / "clean-commercial.yaml", policy=str(fixture_path("policy.custom.yaml"))
    )
    assert report.policy == "strict-share-alike"
    assert report.verdict is Verdict.FAIL
    assert Rule.LICENSE_ATTRIBUTION not in {f.rule for f in report.findings}


def test_a_policy_object_cannot_take_a_builtin_name_or_hide_a_relaxation() -> None:
    commercial = load_policy("commercial")
    manifest = fixture_path("manifest.unknown-license.yaml")
    assert auditor.audit(manifest, policy=commercial).policy == "commercial"
    severities = {**commercial.severities, Rule.LICENSE_NONCOMMERCIAL: Level.OFF}
    lookalike = Policy(name="Commercial", description="d", severities=severities)
    with pytest.raises(InputError, match="differs from the built-in policy 'commercial'"):
        auditor.audit(manifest, policy=lookalike)
    lenient = {**commercial.severities, Rule.LICENSE_UNKNOWN: Level.WARNING}
    with pytest.raises(ValidationError, match=r"must declare relaxes=\['license-unknown'\]"):
        Policy(name="mine", description="d", severities=lenient)
    declared = Policy(
        name="mine", description="d", severities=lenient, relaxes=(Rule.LICENSE_UNKNOWN,)
    )
    report = auditor.audit(manifest, policy=declared)
    assert report.verdict is Verdict.PASS
    assert report.policy_relaxes == (Rule.LICENSE_UNKNOWN,)
