"""Every claim about a dataset is weighed: no single field may talk the gate into a pass.

Each test is a way restricted data passed before claims were weighed together (issue: "Weigh all
the evidence"); the manifests are written the way teams write them.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import auditor
from auditor.checks import MAX_INHERITED
from auditor.evidence import ClaimRole
from auditor.report import DatasetReport, DatasetVerdict, Report, Verdict
from auditor.rulebook import Rule
from tests.conftest import TODAY, fixture_path


def audit_yaml(tmp_path: Path, body: str, name: str = "mix.yaml", **options: object) -> Report:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return auditor.audit(path, offline=True, today=TODAY, **options)  # type: ignore[arg-type]


def dataset(report: Report, ident: str) -> DatasetReport:
    return next(d for d in report.datasets if d.id == ident)


def rules_of(report: Report, ident: str, *, own: bool = False) -> set[Rule]:
    return {f.rule for f in report.findings_for(ident) if not f.waived and not (own and f.via)}


def test_a_declared_license_does_not_switch_the_lookup_off(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: believed
        datasets:
          - id: alpaca
            license: MIT
            source: hf://tatsu-lab/alpaca
        """,
    )
    alpaca = dataset(report, "alpaca")
    assert alpaca.verdict is DatasetVerdict.BLOCKED
    assert {Rule.LICENSE_NONCOMMERCIAL, Rule.MODEL_OUTPUT_TERMS, Rule.LICENSE_CONFLICT} <= (
        rules_of(report, "alpaca")
    )
    (conflict,) = [f for f in report.findings_for("alpaca") if f.rule is Rule.LICENSE_CONFLICT]
    # Both places are named: the manifest line and the registry entry's source.
    assert "license says 'MIT'" in conflict.message
    assert "CC-BY-NC-4.0" in conflict.message and "registry" in conflict.message
    origins = {(c.origin.split(" ")[0], c.role) for c in alpaca.claims}
    assert ("license", ClaimRole.APPLIED) in origins
    assert ("registry", ClaimRole.APPLIED) in origins


@pytest.mark.parametrize(
    ("ident", "declared"),
    [("howto100m", "Apache-2.0"), ("kinetics", "CC-BY-4.0"), ("youtube-8m", "CC-BY-4.0")],
)
def test_youtube_sourced_sets_declared_under_a_permissive_license_stay_blocked(
    tmp_path: Path, ident: str, declared: str
) -> None:
    """A code license or an ids-only license written next to a registry name: the registry
    says the data points at YouTube videos, whose terms forbid downloading them."""
    report = audit_yaml(
        tmp_path,
        f"""
        version: 1
        name: video
        datasets:
          - id: {ident}
            license: {declared}
        """,
    )
    assert dataset(report, ident).verdict is DatasetVerdict.BLOCKED
    assert Rule.TOS_SCRAPING_PROHIBITED in rules_of(report, ident)
    assert dataset(report, ident).lookup is not None


def test_a_license_link_is_a_claim_too(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: links
        datasets:
          - id: both
            license: MIT
            license_url: https://creativecommons.org/licenses/by-nc-sa/4.0/
          - id: link-only
            license_url: https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode
          - id: link-to-a-file
            license: MIT
            license_url: https://github.com/example/data/blob/main/LICENSE
        """,
    )
    assert dataset(report, "both").verdict is DatasetVerdict.BLOCKED
    assert {Rule.LICENSE_NONCOMMERCIAL, Rule.LICENSE_CONFLICT} <= rules_of(report, "both")
    assert dataset(report, "link-only").license.expression == "CC-BY-NC-SA-4.0"
    assert Rule.LICENSE_UNKNOWN not in rules_of(report, "link-only")
    # The license link is the license: one the knowledge base cannot read is an unknown part,
    # whatever is declared beside it (the file might say anything).
    linked = dataset(report, "link-to-a-file")
    assert linked.verdict is DatasetVerdict.BLOCKED
    assert Rule.LICENSE_UNKNOWN in rules_of(report, "link-to-a-file")
    assert [c.role for c in linked.claims] == [ClaimRole.APPLIED, ClaimRole.APPLIED]


def test_card_prose_applies_beside_the_card_tag(tmp_path: Path) -> None:
    folder = tmp_path / "card"
    folder.mkdir()
    (folder / "README.md").write_text(
        textwrap.dedent(
            """\
            ---
            license: cc-by-4.0
            ---
            # A dataset

            ## Licensing Information

            The annotations may be used for non-commercial research purposes only.
            """
        ),
        encoding="utf-8",
    )
    report = auditor.audit(folder / "README.md", offline=True, today=TODAY)
    (ds,) = report.datasets
    assert ds.verdict is DatasetVerdict.BLOCKED
    assert Rule.LICENSE_RESEARCH_ONLY in rules_of(report, ds.id)
    assert Rule.LICENSE_CONFLICT in rules_of(report, ds.id)
    assert "CC-BY-4.0" in (ds.license.expression or "")


def test_access_terms_nobody_can_read_are_never_dropped(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: gated
        datasets:
          - id: gated
            license: CC0-1.0
            terms: ["Access is granted to members of the consortium under its data agreement."]
        """,
    )
    assert dataset(report, "gated").verdict is not DatasetVerdict.ALLOWED
    (finding,) = [f for f in report.findings_for("gated") if f.rule is Rule.TERMS_UNRESOLVED]
    assert finding.evidence is not None and "consortium" in (finding.evidence.quote or "")


def dpi_file(tmp_path: Path, records: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "collection.json"
    full = {
        key: {
            "Unique Dataset Identifier": key,
            "Dataset Name": key,
            "Collection": "Test",
            "Model Generated": [],
            "Derived from Datasets": [],
            "Text Sources": [],
            **record,
        }
        for key, record in records.items()
    }
    path.write_text(json.dumps(full, indent=1), encoding="utf-8")
    return path


def test_inferred_metadata_never_clears_an_audited_unspecified(tmp_path: Path) -> None:
    path = dpi_file(
        tmp_path,
        {
            "unspecified": {
                "Licenses": [{"License": "Unspecified", "License URL": ""}],
                "Inferred Metadata": {"HF Yaml License": "MIT", "PwC License Name": "Apache 2.0"},
            },
            "twice": {
                "Licenses": [
                    {"License": "MIT License", "License URL": ""},
                    {
                        "License": "MIT License",
                        "License URL": "https://opensource.org/licenses/MIT",
                    },
                ],
            },
            "custom": {
                "Licenses": [
                    {"License": "Apache License 2.0", "License URL": ""},
                    {"License": "Custom", "License URL": "https://example.org/terms"},
                ],
            },
        },
    )
    report = auditor.audit(path, offline=True, today=TODAY)
    unspecified = dataset(report, "unspecified")
    assert unspecified.verdict is DatasetVerdict.BLOCKED
    assert Rule.LICENSE_UNKNOWN in rules_of(report, "unspecified")
    assert "inferred, unaudited evidence" in unspecified.license.evidence
    hints = [c for c in unspecified.claims if c.role is ClaimRole.HINT]
    assert {c.expression for c in hints} == {"MIT", "Apache-2.0"}
    # Identical claims are one claim.
    assert dataset(report, "twice").license.expression == "MIT"
    # A custom license is its URL; one that names no known license is unknown, and blocks.
    assert dataset(report, "custom").verdict is DatasetVerdict.BLOCKED


def spdx3_document(declared: str, concluded: str) -> dict[str, object]:
    def expression(ident: str, text: str) -> dict[str, object]:
        return {
            "type": "simplelicensing_LicenseExpression",
            "spdxId": ident,
            "simplelicensing_licenseExpression": text,
            "creationInfo": "_:creationinfo",
        }

    return {
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
            {
                "type": "CreationInfo",
                "@id": "_:creationinfo",
                "createdBy": ["https://example.org/agent"],
                "specVersion": "3.0.1",
                "created": "2024-01-01T00:00:00Z",
            },
            {
                "type": "dataset_DatasetPackage",
                "spdxId": "https://example.org/data",
                "name": "data",
                "creationInfo": "_:creationinfo",
                "software_primaryPurpose": "data",
                "dataset_datasetType": ["text"],
            },
            expression("https://example.org/declared", declared),
            expression("https://example.org/concluded", concluded),
            {
                "type": "Relationship",
                "spdxId": "https://example.org/rel1",
                "from": "https://example.org/data",
                "to": ["https://example.org/declared"],
                "relationshipType": "hasDeclaredLicense",
                "creationInfo": "_:creationinfo",
            },
            {
                "type": "Relationship",
                "spdxId": "https://example.org/rel2",
                "from": "https://example.org/data",
                "to": ["https://example.org/concluded"],
                "relationshipType": "hasConcludedLicense",
                "creationInfo": "_:creationinfo",
            },
        ],
    }


def test_spdx_declared_and_concluded(tmp_path: Path) -> None:
    same = tmp_path / "same.spdx3.json"
    same.write_text(json.dumps(spdx3_document("CC-BY-NC-ND-4.0", "CC-BY-NC-ND-4.0")))
    (ds,) = auditor.audit(same, offline=True, today=TODAY).datasets
    assert ds.license.expression == "CC-BY-NC-ND-4.0"

    differ = tmp_path / "differ.spdx3.json"
    differ.write_text(json.dumps(spdx3_document("MIT", "CC-BY-NC-4.0")))
    report = auditor.audit(differ, offline=True, today=TODAY)
    (ds,) = report.datasets
    # The concluded license is the reviewer's conclusion: it applies, the declared one is shown.
    assert ds.license.expression == "CC-BY-NC-4.0"
    roles = {c.origin: c.role for c in ds.claims}
    assert roles == {
        "hasDeclaredLicense": ClaimRole.SUPERSEDED,
        "hasConcludedLicense": ClaimRole.APPLIED,
    }

    # A concluded license that clears a more restrictive declared one is said, for review.
    lifted = tmp_path / "lifted.spdx3.json"
    lifted.write_text(json.dumps(spdx3_document("CC-BY-NC-4.0", "MIT")))
    report = auditor.audit(lifted, offline=True, today=TODAY)
    (ds,) = report.datasets
    assert ds.license.expression == "MIT"
    assert ds.verdict is DatasetVerdict.REVIEW
    (conflict,) = [f for f in report.findings_for(ds.id) if f.rule is Rule.LICENSE_CONFLICT]
    assert "hasDeclaredLicense says 'CC-BY-NC-4.0'" in conflict.message


CYCLE = """
version: 1
name: cycle
datasets:
{entries}
"""
ENTRIES = {
    "a": "  - {id: a, license: MIT, derived_from: [b, nc]}",
    "b": "  - {id: b, license: MIT, derived_from: [a]}",
    "nc": "  - {id: nc, license: CC-BY-NC-4.0}",
    "child": "  - {id: child, license: MIT, derived_from: [b]}",
}


@pytest.mark.parametrize(
    "order",
    [("a", "b", "nc", "child"), ("child", "b", "a", "nc"), ("nc", "child", "a", "b")],
)
def test_lineage_through_a_cycle_does_not_depend_on_manifest_order(
    tmp_path: Path, order: tuple[str, ...]
) -> None:
    body = CYCLE.format(entries="\n".join(ENTRIES[k] for k in order))
    report = audit_yaml(tmp_path, body)
    child = dataset(report, "child")
    assert child.verdict is DatasetVerdict.BLOCKED
    inherited = {(f.rule, f.via) for f in report.findings_for("child") if f.via}
    assert (Rule.LICENSE_NONCOMMERCIAL, ("b", "a", "nc")) in inherited
    assert {Rule.LINEAGE_CYCLE} <= {f.rule for f in report.findings_for("a") if not f.via}


def test_a_child_of_a_blocked_dataset_is_blocked_whatever_the_reason(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: chain
        datasets:
          - id: parent
            license: MIT
            source: hf://example-org/not-in-any-cache
          - id: orphan
            license: MIT
            derived_from: [hf://example-org/also-missing]
          - id: child
            license: MIT
            derived_from: [parent]
          - id: grandchild
            license: MIT
            derived_from: [orphan]
        """,
    )
    assert dataset(report, "child").verdict is DatasetVerdict.BLOCKED
    assert Rule.REFERENCE_UNRESOLVED in rules_of(report, "child")
    assert dataset(report, "grandchild").verdict is DatasetVerdict.BLOCKED
    assert Rule.LINEAGE_UNRESOLVED in rules_of(report, "grandchild")


# --- the property: no restrictive, unknown or conflicting claim is ever allowed --------------

PERMISSIVE_VALUES = ("MIT", "apache-2.0", "CC0-1.0", "cc-by-4.0", "BSD-3-Clause", "Unlicense")
RESTRICTIVE_VALUES = (
    "cc-by-nc-4.0",
    "CC BY-NC-SA 3.0",
    "cc-by-nc-nd-4.0",
    "Research use only",
    "LicenseRef-Research-Only-Terms",
    "unknown",
    "Unspecified",
    "no license",
    "Foo Community Data License 2.1",
    "LicenseRef-our-own-terms",
    "https://creativecommons.org/licenses/by-nc/4.0/",
)
PERMISSIVE_LINKS = (
    "https://creativecommons.org/licenses/by/4.0/",
    "https://opensource.org/licenses/MIT",
)
RESTRICTIVE_LINKS = (
    "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode",
    "https://creativecommons.org/licenses/by-nc-nd/3.0/",
)
RESTRICTIVE_PROSE = (
    "The data may be used for non-commercial research purposes only.",
    "Released under CC BY-NC 4.0.",
    "Not for commercial use.",
)
RESTRICTIVE_TERMS = (
    "You agree to use this dataset for non-commercial research purposes only.",
    "Access is granted only under the consortium's data use agreement.",
)


@st.composite
def claim_sets(draw: st.DrawFn) -> tuple[dict[str, object], bool]:
    """A card's metadata with a random set of claims, and whether any claim restricts."""
    values = draw(
        st.lists(st.sampled_from(PERMISSIVE_VALUES + RESTRICTIVE_VALUES), min_size=0, max_size=3)
    )
    link = draw(st.none() | st.sampled_from(PERMISSIVE_LINKS + RESTRICTIVE_LINKS))
    prose = draw(st.none() | st.sampled_from(RESTRICTIVE_PROSE))
    terms = draw(st.none() | st.sampled_from(RESTRICTIVE_TERMS))
    restrictive = (
        (not values and link is None)  # no license at all: all rights reserved
        or any(v in RESTRICTIVE_VALUES for v in values)
        or link in RESTRICTIVE_LINKS
        or prose is not None
        or terms is not None
    )
    meta: dict[str, object] = {"license": values} if values else {}
    if link is not None:
        meta["license_link"] = link
    if terms is not None:
        meta["extra_gated_prompt"] = terms
    meta["_prose"] = prose
    return meta, restrictive


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=claim_sets())
def test_no_restrictive_or_unknown_claim_is_ever_allowed(
    case: tuple[dict[str, object], bool], tmp_path_factory: pytest.TempPathFactory
) -> None:
    meta, restrictive = case
    prose = meta.pop("_prose")
    folder = tmp_path_factory.mktemp("card")
    body = "# A dataset\n"
    if prose is not None:
        body += f"\n## Licensing Information\n\n{prose}\n"
    front = json.dumps(meta) if meta else "{pretty_name: x}"
    (folder / "README.md").write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    report = auditor.audit(folder / "README.md", offline=True, today=TODAY)
    (ds,) = report.datasets
    if restrictive:
        assert ds.verdict is not DatasetVerdict.ALLOWED, (meta, prose)


@pytest.mark.parametrize(
    ("front", "expected", "verdict"),
    [
        # "other" points at license_name, which resolves: the named license applies.
        ("license: other\nlicense_name: CC BY-NC 4.0", "CC-BY-NC-4.0", DatasetVerdict.BLOCKED),
        # (Apache-2.0 and MIT require attribution; these cards name nobody to credit: review.)
        ("license: other\nlicense_name: Apache License 2.0", "Apache-2.0", DatasetVerdict.REVIEW),
        # "other" beside known tags, with nothing to point at: a license not given, unknown.
        ("license: [cc-by-4.0, other]", None, DatasetVerdict.BLOCKED),
        # The author says the license is unknown; prose saying MIT does not overrule that.
        ("license: unknown\nlicense_name: MIT", None, DatasetVerdict.BLOCKED),
        # Repeats are one claim, and written ANDs are flattened.
        ("license: [mit, MIT, Mit]", "MIT", DatasetVerdict.REVIEW),
    ],
)
def test_placeholders_pointers_and_repeats(
    tmp_path: Path, front: str, expected: str | None, verdict: DatasetVerdict
) -> None:
    (tmp_path / "README.md").write_text(f"---\n{front}\n---\n# data\n", encoding="utf-8")
    (ds,) = auditor.audit(tmp_path / "README.md", offline=True, today=TODAY).datasets
    assert ds.license.expression == expected
    assert ds.verdict is verdict


def test_restrictions_read_in_partly_unreadable_terms_still_apply(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: gated
        datasets:
          - id: gated
            license: CC-BY-4.0
            terms: ["CC-BY-NC-4.0 AND"]
        """,
    )
    rules = rules_of(report, "gated")
    assert {Rule.TERMS_UNRESOLVED, Rule.GATED_TERMS_CONFLICT} <= rules
    assert dataset(report, "gated").verdict is DatasetVerdict.BLOCKED


def test_the_registry_is_consulted_whatever_the_source(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: sources
        datasets:
          - {id: howto100m, source: "s3://bucket/howto100m/", license: Apache-2.0}
          - id: kinetics
            source: https://github.com/cvdfoundation/kinetics-dataset
            license: CC-BY-4.0
          - id: api-claimed
            name: HowTo100M
            license: Apache-2.0
            collected_from: [{domain: youtube.com, method: api}]
        """,
    )
    for ident in ("howto100m", "kinetics", "api-claimed"):
        assert dataset(report, ident).verdict is DatasetVerdict.BLOCKED, ident
    # The registry says the videos come from YouTube, method not stated (the ids are fetched
    # by whoever uses them): that claim stands beside the manifest's "api".
    assert Rule.TOS_SCRAPING_PROHIBITED in rules_of(report, "api-claimed")


def test_a_local_copy_of_a_registry_dataset_keeps_the_registry_claims(tmp_path: Path) -> None:
    card = tmp_path / "tatsu-lab" / "alpaca"
    card.mkdir(parents=True)
    (card / "README.md").write_text("---\nlicense: mit\n---\n# alpaca\n", encoding="utf-8")
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: shadow
        datasets:
          - {id: local, source: tatsu-lab/alpaca}
        """,
    )
    assert dataset(report, "local").verdict is DatasetVerdict.BLOCKED
    assert {Rule.LICENSE_NONCOMMERCIAL, Rule.LICENSE_CONFLICT} <= rules_of(report, "local")


def test_a_description_that_states_terms_is_read(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: described
        datasets:
          - id: stated
            license: MIT
            description: Released for non-commercial research purposes only.
          - id: plain
            license: MIT
            creator: Example Lab
            description: Instruction pairs in English, deduplicated.
        """,
    )
    assert dataset(report, "stated").verdict is DatasetVerdict.BLOCKED
    assert dataset(report, "plain").verdict is DatasetVerdict.ALLOWED


def test_terms_with_an_unread_limit_are_for_a_person(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: gated
        datasets:
          - id: gated
            license: MIT
            terms: ["Only members of the consortium may download the data."]
        """,
    )
    assert Rule.TERMS_UNRESOLVED in rules_of(report, "gated")
    assert dataset(report, "gated").verdict is DatasetVerdict.BLOCKED


def test_a_long_lineage_lists_the_nearest_upstream_findings_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    depth = 200
    entries = ["  - {id: d0, license: CC-BY-NC-4.0}"] + [
        f"  - {{id: d{i}, license: CC-BY-NC-4.0, derived_from: [d{i - 1}]}}"
        for i in range(1, depth)
    ]
    report = audit_yaml(tmp_path, "version: 1\nname: chain\ndatasets:\n" + "\n".join(entries))
    leaf = f"d{depth - 1}"
    inherited = [
        f for f in report.findings_for(leaf) if f.via and f.rule is Rule.LICENSE_NONCOMMERCIAL
    ]
    # Nearest first, bounded per rule; the farthest are counted in the last message.
    assert len(inherited) == MAX_INHERITED
    assert sorted(len(f.via) for f in inherited) == list(range(1, MAX_INHERITED + 1))
    assert any(f"and {depth - 1 - MAX_INHERITED} more upstream" in f.message for f in inherited)
    # The whole report stays linear in the depth, not quadratic.
    assert len(report.findings) < depth * 60
    assert dataset(report, leaf).verdict is DatasetVerdict.BLOCKED


def test_lineage_deeper_than_the_limit_is_a_blocking_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("auditor.checks.MAX_LINEAGE_DEPTH", 5)
    entries = ["  - {id: d0, license: CC-BY-NC-4.0}"] + [
        f"  - {{id: d{i}, license: MIT, derived_from: [d{i - 1}]}}" for i in range(1, 12)
    ]
    report = audit_yaml(tmp_path, "version: 1\nname: chain\ndatasets:\n" + "\n".join(entries))
    # d11 cannot see d0 (11 levels up): it is not followed, and that blocks, never passes.
    own = {(f.rule, f.via) for f in report.findings_for("d11")}
    assert (Rule.LINEAGE_UNRESOLVED, ()) in own
    assert dataset(report, "d11").verdict is DatasetVerdict.BLOCKED
    assert not [f for f in report.findings_for("d11") if f.rule is Rule.LICENSE_NONCOMMERCIAL]
    # Within the limit the restriction is inherited as ever.
    assert Rule.LICENSE_NONCOMMERCIAL in rules_of(report, "d5")


@pytest.mark.parametrize(
    "section",
    [
        "## License",
        "## Terms of Use",
        "## Licensing Information 📜",
        "**Licensing Information**",
        "License\n-------",
        "## Licensing Information\n\n#### Images",
    ],
)
def test_a_cards_terms_are_read_under_any_title_about_them(tmp_path: Path, section: str) -> None:
    (tmp_path / "README.md").write_text(
        f"---\nlicense: mit\n---\n# t\n\n{section}\n\n"
        "This dataset is for non-commercial research purposes only.\n",
        encoding="utf-8",
    )
    (ds,) = auditor.audit(tmp_path / "README.md", offline=True, today=TODAY).datasets
    assert ds.verdict is DatasetVerdict.BLOCKED, section


@pytest.mark.parametrize(
    "value",
    [
        "MIT (non-comm.)",
        "CC-BY 4.0 (nicht kommerziell)",
        "CC BY 4.0, uso no comercial",
        "MIT; 仅限非商业用途",
        "Apache-2.0 (研究用途のみ)",
        "CC BY 4.0 (non_commercial)",
        "CC BY 4.0 (not-for-profit)",
        "MIT (research)",
        "MIT (no AI training)",
        "MIT + additional terms",
    ],
)
def test_a_limit_in_words_the_knowledge_base_cannot_read_never_passes(
    tmp_path: Path, value: str
) -> None:
    """Found by a second review as a new user: abbreviations, misspellings, other languages."""
    body = f'version: 1\nname: t\ndatasets:\n  - id: d\n    license: "{value}"\n    creator: X\n'
    report = audit_yaml(tmp_path, body)
    assert dataset(report, "d").verdict is not DatasetVerdict.ALLOWED
    assert report.verdict is Verdict.FAIL


def test_a_stricter_unaudited_hint_is_a_conflict_for_review(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: t
        datasets:
          - {id: a, name: "ImageNet 1k", license: MIT, creator: X}
        """,
    )
    assert Rule.LICENSE_CONFLICT in rules_of(report, "a")
    assert dataset(report, "a").verdict is not DatasetVerdict.ALLOWED


def test_a_croissant_copyright_notice_that_states_terms_is_read() -> None:
    """croissant.squad_v2.json (mlcommons/croissant, Apache-2.0) with a copyrightNotice added."""
    report = auditor.audit(
        fixture_path("readers/croissant.copyright-notice.json"), offline=True, today=TODAY
    )
    assert Rule.LICENSE_NONCOMMERCIAL in rules_of(report, "squad_v2", own=True)
    assert dataset(report, "squad_v2").verdict is DatasetVerdict.BLOCKED


@pytest.mark.parametrize(
    ("card", "verdict"),
    [
        # Upstreams the registry now resolves, each from its publisher or DPI's audit.
        ("ambig_qa", DatasetVerdict.REVIEW),  # natural_questions: CC-BY-SA-3.0
        ("common_language", DatasetVerdict.ALLOWED),  # common_voice: CC0-1.0
        ("mkqa", DatasetVerdict.REVIEW),
        ("mwsc", DatasetVerdict.ALLOWED),  # winograd_wsc: CC-BY-4.0
        ("nq_open", DatasetVerdict.REVIEW),
        # No license on the card; the DPI audit of the dataset gives one.
        ("quarel", DatasetVerdict.ALLOWED),
        ("sem_eval_2010_task_8", DatasetVerdict.ALLOWED),
        ("wiqa", DatasetVerdict.ALLOWED),
        # XQuAD: CC-BY-SA-4.0 from its publisher's README (google-deepmind/xquad).
        ("xquad_r", DatasetVerdict.REVIEW),
        # C-UDA-1.0 read again: its 2.2 and 5.5 leave trained models unrestricted, so no
        # share-alike or use-restricted warning.
        ("code_x_glue_cc_clone_detection_poj104", DatasetVerdict.ALLOWED),
        ("code_x_glue_cc_cloze_testing_all", DatasetVerdict.ALLOWED),
        ("code_x_glue_cc_cloze_testing_maxmin", DatasetVerdict.ALLOWED),
        ("code_x_glue_cc_code_completion_line", DatasetVerdict.ALLOWED),
        ("code_x_glue_cc_code_to_code_trans", DatasetVerdict.ALLOWED),
        ("code_x_glue_cc_defect_detection", DatasetVerdict.ALLOWED),
        ("code_x_glue_ct_code_to_text", DatasetVerdict.ALLOWED),
        ("code_x_glue_tc_text_to_code", DatasetVerdict.ALLOWED),
        ("code_x_glue_tt_text_to_text", DatasetVerdict.ALLOWED),
    ],
)
def test_corpus_cards_that_became_more_permissive_rest_on_audited_evidence(
    corpus: Path, card: str, verdict: DatasetVerdict
) -> None:
    """Every card of the corpus whose verdict this work made more permissive, read again: the
    evidence that cleared it is the registry's, audited (never an unaudited hint)."""
    report = auditor.audit(corpus / "hf-cards" / card / "README.md", offline=True, today=TODAY)
    ds = dataset(report, card)
    assert ds.verdict is verdict
    assert Rule.LINEAGE_UNRESOLVED not in rules_of(report, card)
    applied = [c for c in ds.claims if c.role is ClaimRole.APPLIED]
    assert applied, "a license that applies, from a claim that is not a hint"


@pytest.mark.parametrize(
    ("collection", "record", "verdict", "upstream"),
    [
        # Upstreams the registry now knows from their publishers: TREC CAsT (MIT, its LICENSE),
        # Anthropic's HH-RLHF (MIT, its card), OpenAssistant's oasst1 (Apache-2.0, its card).
        ("Flan Collection (Dialog).json", "fc-dialog-qrecc", DatasetVerdict.REVIEW, "CAsT"),
        ("Indic-Instruct.json", "indic-instruct-hh-rlhf", DatasetVerdict.ALLOWED, "Anthropic-HHH"),
        ("Indic-Instruct.json", "indic-instruct-oasst1", DatasetVerdict.ALLOWED, "OpenAssistant"),
    ],
)
def test_dpi_records_that_became_more_permissive_rest_on_their_upstreams_licenses(
    corpus: Path, collection: str, record: str, verdict: DatasetVerdict, upstream: str
) -> None:
    """Every DPI record this work made more permissive (was blocked for an unresolved upstream),
    read again: the upstream now resolves to a sourced registry entry, and nothing unresolved
    remains."""
    report = auditor.audit(corpus / "dpi" / "text" / collection, offline=True, today=TODAY)
    ds = dataset(report, record)
    assert ds.verdict is verdict
    found = rules_of(report, record)
    assert Rule.LINEAGE_UNRESOLVED not in found and Rule.LICENSE_UNKNOWN not in found
    (up,) = (d for d in report.datasets if d.id == upstream)
    assert up.license.expression is not None, up.license
    assert up.verdict is not DatasetVerdict.BLOCKED


def test_licenses_listed_in_one_field_are_parts_not_a_conflict(tmp_path: Path) -> None:
    card = tmp_path / "parts" / "README.md"
    card.parent.mkdir()
    card.write_text("---\nlicense:\n- mit\n- gpl-3.0\npretty_name: parts\n---\n# parts\n", "utf-8")
    listed = auditor.audit([card], offline=True)
    rules = {f.rule for f in listed.findings}
    assert Rule.LICENSE_SHARE_ALIKE in rules and Rule.LICENSE_CONFLICT not in rules
    # The same two licenses from two fields disagree: a person settles which is right.
    two_fields = audit_yaml(
        tmp_path,
        """
        version: 1
        name: fields
        datasets:
          - id: fields
            license: MIT
            license_url: https://www.gnu.org/licenses/gpl-3.0.html
        """,
    )
    assert {Rule.LICENSE_SHARE_ALIKE, Rule.LICENSE_CONFLICT} <= rules_of(two_fields, "fields")
