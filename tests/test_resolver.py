"""License resolution: every shape a license takes resolves with the right status and evidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditor.cli import app
from auditor.explanation import explain
from auditor.knowledge import CommercialUse, load_knowledge
from auditor.licensing import AllOf, Resolution, Status, commercial_use, leaves
from auditor.resolver import (
    Resolver,
    normalize_name,
    normalize_url,
    resolver_for,
    word_order_key,
)
from tests.conftest import fixture_path


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return resolver_for(load_knowledge())


@pytest.mark.parametrize("raw", ["cc", "CC BY-NC", "Creative Commons", "CC-BY-SA"])
def test_family_names_are_ambiguous_and_judged_by_worst_case(resolver: Resolver, raw: str) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.AMBIGUOUS
    assert result.expression is None
    assert len(result.candidates) >= 2
    assert result.tree is not None
    worst = commercial_use(leaves(result.tree))
    if raw != "CC-BY-SA":
        assert worst is CommercialUse.PROHIBITED


def test_unknown_is_never_permissive(resolver: Resolver) -> None:
    for raw in (None, "", "unknown", "other", "whatever this is"):
        result = resolver.resolve(raw)
        chosen = leaves(result.tree) if result.tree else ()
        assert commercial_use(chosen) is CommercialUse.UNKNOWN


def test_results_are_memoised(resolver: Resolver) -> None:
    assert resolver.resolve("CC BY 4.0") is resolver.resolve("CC BY 4.0")


def test_normalisers() -> None:
    assert normalize_name("The MIT Licence (MIT)") == normalize_name("mit license mit")
    assert normalize_name("CC BY-NC 4.0") == normalize_name("cc-by-nc-4.0")
    assert normalize_name("Apache License, Version 2.0") == normalize_name("Apache 2")
    assert normalize_url("HTTPS://www.creativecommons.org/licenses/by/4.0/deed.de") == (
        "creativecommons.org/licenses/by/4.0"
    )


def test_unversioned_creative_commons_url_is_ambiguous(resolver: Resolver) -> None:
    result = resolver.resolve("https://creativecommons.org/licenses/by-nc/")
    assert result.status is Status.AMBIGUOUS
    assert result.candidates
    assert all("-NC-" in c for c in result.candidates)


def test_prose_mentions_are_heuristic_never_exact(resolver: Resolver) -> None:
    text = "This work is licensed under a Creative Commons Attribution-NonCommercial 4.0 License."
    result = resolver.resolve(text)
    assert result.status is Status.TEXT
    assert result.expression == "CC-BY-NC-4.0"
    assert "heuristic" in result.evidence
    # "commercial and non-commercial use" is not a non-commercial restriction.
    permissive = resolver.resolve("Free for commercial and non-commercial use under CC BY 4.0.")
    assert permissive.expression == "CC-BY-4.0"
    # "MIT" the institute is not the MIT License in prose that speaks of no license.
    assert resolver.resolve("Collected by researchers at MIT and Stanford in 2019.").tree is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("PolyForm-Noncommercial-1.0.0", Status.EXACT),
        ("PolyForm Noncommercial License 1.0.0", Status.ALIAS),
        ("https://polyformproject.org/licenses/noncommercial/1.0.0/", Status.URL),
    ],
)
def test_polyform_noncommercial_is_known_and_prohibits_commercial_use(
    resolver: Resolver, raw: str, status: Status
) -> None:
    result = resolver.resolve(raw)
    assert result.status is status, result.evidence
    assert result.expression == "PolyForm-Noncommercial-1.0.0"
    assert explain(raw).commercial_use is CommercialUse.PROHIBITED


@pytest.mark.parametrize(
    ("raw", "expression", "use"),
    [
        ("PolyForm Small Business License 1.0.0", "PolyForm-Small-Business-1.0.0", "prohibited"),
        ("PolyForm Shield 1.0.0", "LicenseRef-PolyForm-Shield-1.0.0", "restricted"),
        (
            "https://polyformproject.org/licenses/perimeter/1.0.0/",
            "LicenseRef-PolyForm-Perimeter-1.0.1",
            "restricted",
        ),
        ("PolyForm Internal Use License", "LicenseRef-PolyForm-Internal-Use-1.0.0", "restricted"),
        ("PolyForm-Free-Trial-1.0.0", "LicenseRef-PolyForm-Free-Trial-1.0.0", "prohibited"),
        ("PolyForm Strict License 1.0.0", "LicenseRef-PolyForm-Strict-1.0.0", "prohibited"),
    ],
)
def test_every_polyform_license_by_its_own_terms(
    resolver: Resolver, raw: str, expression: str, use: str
) -> None:
    assert resolver.resolve(raw).expression == expression
    assert explain(raw).commercial_use is CommercialUse(use)


@pytest.mark.parametrize(
    ("raw", "expression", "use"),
    [
        # Custom licenses the Data Provenance Initiative cites by URL, read from the dataset's text.
        ("https://github.com/raingo/TGIF-Release", "LicenseRef-TGIF-Research", "prohibited"),
        ("https://github.com/fperazzi/davis/blob/main/LICENSE", "LicenseRef-DAVIS-2016", "allowed"),
        ("OANC", "LicenseRef-OANC", "allowed"),
        ("Microsoft Data Licensing Agreement", "LicenseRef-MSR-Data-License", "prohibited"),
    ],
)
def test_dataset_licenses_from_their_own_text(
    resolver: Resolver, raw: str, expression: str, use: str
) -> None:
    assert resolver.resolve(raw).expression == expression
    assert explain(raw).commercial_use is CommercialUse(use)


@pytest.mark.parametrize(
    "raw",
    [
        # Their own text could not be read: they stay unknown rather than take a guessed reading.
        "https://huggingface.co/datasets/HuggingFaceM4/charades#licensing-information",
        "https://ai.meta.com/datasets/casual-conversations-v2-downloads/",
    ],
)
def test_dataset_licenses_not_sourced_stay_unknown(resolver: Resolver, raw: str) -> None:
    assert resolver.resolve(raw).status is Status.UNKNOWN


def test_a_bracket_the_url_opened_stays_in_it() -> None:
    assert normalize_url("https://example.org/wiki/Licence_(data)") == (
        "example.org/wiki/licence_(data)"
    )


def test_a_scheme_less_url_in_prose_is_read_as_a_url(resolver: Resolver) -> None:
    result = resolver.resolve("Licensed under creativecommons.org/licenses/by-nc/4.0 for research.")
    assert result.expression == "CC-BY-NC-4.0"


def test_public_domain_is_read_only_as_a_whole_value(resolver: Resolver) -> None:
    # In prose the words around it can say the opposite.
    assert resolver.resolve("This dataset is not in the public domain.").tree is None


def test_a_family_with_its_member_in_remarks_is_that_member(resolver: Resolver) -> None:
    result = resolver.resolve("Creative Commons (CC BY 4.0)")
    assert result.expression == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("raw", "use", "candidates"),
    [
        # Vimeo's codes, as yt-dlp writes them: no version, so the family.
        ("by-sa", CommercialUse.ALLOWED, "-SA-"),
        ("by-nc", CommercialUse.PROHIBITED, "-NC-"),
        ("by-nc-nd", CommercialUse.PROHIBITED, "-NC-ND-"),
        # Flickr's license names, as yt-dlp maps Flickr's license ids.
        ("Attribution-ShareAlike", CommercialUse.ALLOWED, "-SA-"),
        ("Attribution-NonCommercial", CommercialUse.PROHIBITED, "-NC-"),
    ],
)
def test_platform_license_codes(
    resolver: Resolver, raw: str, use: CommercialUse, candidates: str
) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.AMBIGUOUS
    assert all(candidates in c for c in result.candidates)
    assert explain(raw).commercial_use is use


def test_platform_codes_are_read_only_as_a_whole_value(resolver: Resolver) -> None:
    result = resolver.resolve("Funded by NC State University; released under CC BY 4.0.")
    assert result.expression == "CC-BY-4.0"


def test_youtube_licenses(resolver: Resolver) -> None:
    cc = resolver.resolve("Creative Commons Attribution license (reuse allowed)")
    assert cc.expression == "CC-BY-3.0"
    standard = resolver.resolve("Standard YouTube License")
    assert standard.expression == "LicenseRef-YouTube-Standard-License"
    assert explain("Standard YouTube License").commercial_use is CommercialUse.PROHIBITED


@pytest.mark.parametrize(
    ("raw", "family"),
    [
        ("Community Data License Agreement", "cdla"),
        ("CDLA Permissive", "cdla-permissive"),
        ("OpenRAIL-M", "openrail"),
    ],
)
def test_unversioned_data_license_names_are_their_family(
    resolver: Resolver, raw: str, family: str
) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.AMBIGUOUS
    assert isinstance(result.tree, AllOf)
    assert result.tree.label == family


def test_every_license_named_in_prose_applies(resolver: Resolver) -> None:
    result = resolver.resolve("changed license from LGPL to PolyForm Noncommercial")
    assert result.status is Status.TEXT
    assert result.tree is not None
    assert "PolyForm-Noncommercial-1.0.0" in {leaf.key for leaf in leaves(result.tree)}
    assert explain(result.raw or "").commercial_use is CommercialUse.PROHIBITED


@pytest.mark.parametrize(
    ("raw", "expression"),
    [
        ("Creative Commons Attribution-No Derivatives-NonCommercial 1.0", "CC-BY-NC-ND-1.0"),
        ("Creative Commons Attribution-NoDerivs-Non-Commercial 1.0 Generic", "CC-BY-NC-ND-1.0"),
        ("CC BY-NoDerivatives-NC 4.0", "CC-BY-NC-ND-4.0"),
        (
            "Creative Commons NonCommercial-Attribution-Share Alike 4.0 International",
            "CC-BY-NC-SA-4.0",
        ),
        ("Creative Commons 4.0 BY-SA", "CC-BY-SA-4.0"),
        ("CC ShareAlike-Attribution 3.0 IGO", "CC-BY-SA-3.0-IGO"),
    ],
)
def test_creative_commons_elements_in_any_order_and_spelling(
    resolver: Resolver, raw: str, expression: str
) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.ALIAS, result.evidence
    assert result.expression == expression


def test_creative_commons_elements_without_a_version_name_the_family(resolver: Resolver) -> None:
    result = resolver.resolve("Creative Commons NoDerivs-NonCommercial-Attribution")
    assert result.status is Status.AMBIGUOUS
    assert len(result.candidates) >= 2
    assert all(c.startswith("CC-BY-NC-ND-") for c in result.candidates)


def test_word_order_is_read_only_in_creative_commons_names(resolver: Resolver) -> None:
    assert word_order_key(normalize_name("CC BY-NC-ND 2.5")) == word_order_key(
        normalize_name("Creative Commons NoDerivs Attribution NonCommercial 2.5")
    )
    # Version numbers keep their order; names without "cc" are read as written unless made of the
    # long element words alone (as Creative Commons titles its deeds), so prose such as
    # "multiplied by 4" is not the Attribution 4.0 license.
    assert word_order_key(normalize_name("CC BY 2.5")) != word_order_key(
        normalize_name("CC BY 5.2")
    )
    assert word_order_key(normalize_name("Attribution-NoDerivs 4.0")) == word_order_key(
        normalize_name("CC BY-ND 4.0")
    )
    assert word_order_key(normalize_name("by 4")) is None
    assert word_order_key(normalize_name("Attribution Assurance License")) is None
    assert resolver.resolve("the values were multiplied by 4 under this license").tree is None


# --- Conservative reading: the words beside a license restrict it ---------------------------------

NONCOMMERCIAL = "LicenseRef-NonCommercial-Terms"
RESEARCH_ONLY = "LicenseRef-Research-Only-Terms"
NO_DERIVATIVES = "LicenseRef-NoDerivatives-Terms"
RESTRICTIONS = {NONCOMMERCIAL, RESEARCH_ONLY, NO_DERIVATIVES}


def keys_of(result: Resolution) -> set[str]:
    return {leaf.key for leaf in leaves(result.tree)} if result.tree is not None else set()


@pytest.mark.parametrize(
    ("raw", "license_id", "restriction"),
    [
        ("MIT (non-commercial use only)", "MIT", NONCOMMERCIAL),
        ("Apache 2.0 (for research purposes only)", "Apache-2.0", RESEARCH_ONLY),
        ("The MIT License (for academic use only)", "MIT", RESEARCH_ONLY),
        ("CC BY 4.0 (not for commercial use)", "CC-BY-4.0", NONCOMMERCIAL),
        ("MIT (no derivatives)", "MIT", NO_DERIVATIVES),
        ("MIT with non-commercial use only", "MIT", NONCOMMERCIAL),
        ("Apache 2.0 with research only restriction", "Apache-2.0", RESEARCH_ONLY),
    ],
)
def test_a_restriction_beside_a_license_applies(
    resolver: Resolver, raw: str, license_id: str, restriction: str
) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.TEXT, result.evidence
    assert keys_of(result) == {license_id, restriction}
    assert result.expression == f"{license_id} AND {restriction}"
    assert "the rest of the text adds" in result.evidence
    explained = explain(raw)
    if restriction == NO_DERIVATIVES:
        assert any(lic.no_derivatives for lic in explained.licenses)
    else:
        assert explained.commercial_use is CommercialUse.PROHIBITED


def test_every_license_in_an_except_clause_applies(resolver: Resolver) -> None:
    result = resolver.resolve("CC BY 4.0 (except images: CC BY-NC)")
    assert result.status is Status.TEXT
    assert "CC-BY-4.0" in keys_of(result)
    assert result.candidates
    assert all("-NC-" in candidate for candidate in result.candidates)
    assert explain("CC BY 4.0 (except images: CC BY-NC)").commercial_use is (
        CommercialUse.PROHIBITED
    )


@pytest.mark.parametrize(
    "raw",
    [
        "cc-by-4.0 non-commercial",
        "CC BY 4.0 Non Commercial",
        "MIT License, non-commercial",
        "Apache-2.0 noncommercial",
        "MIT OR CC BY 4.0 with non-commercial use",
    ],
)
def test_trailing_non_commercial_wording_applies(resolver: Resolver, raw: str) -> None:
    result = resolver.resolve(raw)
    assert result.status is not Status.EXACT
    assert explain(raw).commercial_use is CommercialUse.PROHIBITED


@pytest.mark.parametrize(
    ("raw", "status", "expression"),
    [
        ("The MIT License (MIT)", Status.ALIAS, "MIT"),
        ("Open Database License (ODbL) v1.0", Status.ALIAS, "ODbL-1.0"),
        ("Creative Commons Attribution 4.0 International (CC BY 4.0)", Status.ALIAS, "CC-BY-4.0"),
        ("[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)", Status.ALIAS, "CC-BY-4.0"),
        ("CC BY-NC-SA 4.0", Status.ALIAS, "CC-BY-NC-SA-4.0"),
        ("Apache License 2.0", Status.ALIAS, "Apache-2.0"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            Status.EXACT,
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
        ("MIT (for commercial or non-commercial purposes)", Status.ALIAS, "MIT"),
        ("CC BY 4.0 (no restrictions on commercial use)", Status.ALIAS, "CC-BY-4.0"),
    ],
)
def test_remarks_that_add_nothing_leave_a_clean_value_as_it_was(
    resolver: Resolver, raw: str, status: Status, expression: str
) -> None:
    result = resolver.resolve(raw)
    assert result.status is status, result.evidence
    assert result.expression == expression
    assert "the rest of the text" not in result.evidence


@pytest.mark.parametrize(
    "raw",
    [
        "Free for commercial and non-commercial use under CC BY 4.0.",
        "CC BY 4.0, for commercial or non-commercial purposes",
        "MIT (no restrictions on commercial use)",
        "Apache-2.0 (commercial/non-commercial use permitted)",
        "Apache-2.0 (commercial & non-commercial use)",
        "Non-commercial and commercial use are both permitted under the MIT License",
        "CC BY 4.0 (commercial, non-commercial and research use)",
        "Released under CC BY 4.0 for commercial or non commercial use",
    ],
)
def test_permissive_wording_is_not_read_as_a_restriction(resolver: Resolver, raw: str) -> None:
    assert not keys_of(resolver.resolve(raw)) & RESTRICTIONS
    assert explain(raw).commercial_use is CommercialUse.ALLOWED


@pytest.mark.parametrize(
    ("text", "restriction"),
    [
        ("MIT license; non-commercial", NONCOMMERCIAL),
        ("released under the MIT license for noncommercial purposes", NONCOMMERCIAL),
        ("MIT license, not for commercial use", NONCOMMERCIAL),
        ("MIT License. You agree not to use the dataset for commercial purposes.", NONCOMMERCIAL),
        ("MIT License; the data may not be used for any commercial purpose", NONCOMMERCIAL),
        ("MIT license, commercial use is strictly prohibited", NONCOMMERCIAL),
        ("MIT license, for research purposes only", RESEARCH_ONLY),
        ("MIT license, solely for academic research", RESEARCH_ONLY),
        ("MIT license, no derivatives", NO_DERIVATIVES),
        ("MIT license, NoDerivs", NO_DERIVATIVES),
        ("MIT license, no derivative works", NO_DERIVATIVES),
        ("MIT license; modifications are not permitted", NO_DERIVATIVES),
    ],
)
def test_restriction_phrases(resolver: Resolver, text: str, restriction: str) -> None:
    assert keys_of(resolver.resolve(text)) == {"MIT", restriction}


def test_a_restriction_a_named_license_carries_already_is_not_repeated(
    resolver: Resolver,
) -> None:
    result = resolver.resolve("This work is licensed under CC BY-NC 4.0 for non-commercial use.")
    assert result.expression == "CC-BY-NC-4.0"
    result = resolver.resolve("CC BY-ND 4.0: no derivatives")
    assert result.expression == "CC-BY-ND-4.0"
    # Research-only says more than non-commercial: only the former is kept.
    result = resolver.resolve("For non-commercial research purposes only.")
    assert result.expression == RESEARCH_ONLY


def test_a_restriction_without_a_license_grants_nothing(resolver: Resolver) -> None:
    result = resolver.resolve("No derivatives")
    assert result.status is Status.UNKNOWN
    assert NO_DERIVATIVES in keys_of(result)
    assert explain("No derivatives").commercial_use is CommercialUse.UNKNOWN


@pytest.mark.parametrize(
    "raw",
    [
        "MIT AND",
        "Apache-2.0 OR",
        "AND MIT",
        "(MIT OR",
        "MIT WITH",
        "mit and",
        "MIT AND AND Apache-2.0",
        "MIT AND (Apache-2.0",
        "Apache-2.0 OR)",
    ],
)
def test_an_incomplete_expression_is_unknown(resolver: Resolver, raw: str) -> None:
    result = resolver.resolve(raw)
    assert result.status is Status.UNKNOWN, result.evidence
    assert result.expression is None
    assert "incomplete license expression" in result.evidence
    assert result.tree is not None
    assert any(leaf.license is None for leaf in leaves(result.tree))
    assert explain(raw).commercial_use is CommercialUse.UNKNOWN


def test_an_incomplete_expression_keeps_the_restrictions_it_names(resolver: Resolver) -> None:
    assert "CC-BY-NC-4.0" in keys_of(resolver.resolve("CC-BY-NC-4.0 AND"))
    assert explain("CC-BY-NC-4.0 AND").commercial_use is CommercialUse.PROHIBITED
    # Prose may begin with "With"; only an upper-case operator there makes an expression.
    assert resolver.resolve("With attribution: CC BY 4.0").expression == "CC-BY-4.0"


PERMISSIVE_IDS = ("MIT", "Apache-2.0", "CC-BY-4.0", "CC0-1.0")
RESTRICTIVE_WORDING = (
    "non-commercial use only",
    "noncommercial",
    "Non-Commercial",
    "not for commercial use",
    "no commercial use",
    "commercial use is prohibited",
    "for research purposes only",
    "research only",
    "academic use only",
    "for non-commercial research purposes only",
    "solely for academic research",
    "strictly for research",
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PERMISSIVE_IDS),
    st.text(max_size=40),
    st.sampled_from(RESTRICTIVE_WORDING),
    st.text(max_size=40),
)
def test_a_restriction_in_remarks_never_passes_as_commercial(
    license_id: str, before: str, wording: str, after: str
) -> None:
    raw = f"{license_id} ({before}; {wording}; {after})"
    assert explain(raw).commercial_use is not CommercialUse.ALLOWED, raw


@pytest.mark.parametrize(
    "raw", ["MIT WITH foo", "CC-BY-4.0 WITH NC", "Apache-2.0 WITH Commons-Clause"]
)
def test_an_exception_that_is_not_on_the_spdx_list_is_an_unknown_addition(raw: str) -> None:
    assert explain(raw).commercial_use is CommercialUse.UNKNOWN
    assert explain("GPL-2.0-or-later WITH Classpath-exception-2.0").commercial_use is (
        CommercialUse.ALLOWED
    )


@pytest.mark.parametrize(
    "raw",
    [
        "MIT (educational use only)",
        "MIT (personal use only)",
        "MIT (research use)",
        "MIT (internal use only)",
        "MIT (evaluation only)",
        "MIT (do not use for training)",
        "MIT (NC)",
        "MIT (non-profit only)",
        "MIT (except for commercial use)",
        "MIT (commercial use requires written permission)",
        "MIT but commercial use forbidden",
        "MIT except commercial",
        "MIT; contact us for commercial use",
        "MIT for research purposes",
        "MIT-NC",
        "CC BY 4.0 + NC",
        "Apache 2.0 + Commons Clause",
        "Apache 2.0 for research",
        "MIT / research",
        "Commercial use of this dataset is forbidden.",
        "You may not use this dataset commercially.",
        "Commercial usage is not allowed.",
    ],
)
def test_words_that_limit_the_use_are_never_dropped(raw: str) -> None:
    """Found by a review as a new user would write them: a limit that no known phrase reads
    is an unknown restriction beside the license, so the value never passes as permissive."""
    assert explain(raw).commercial_use is not CommercialUse.ALLOWED


@pytest.mark.parametrize(
    "raw",
    [
        "The MIT License (MIT)",
        "Apache License, Version 2.0",
        'Licensed under the Apache License, Version 2.0 (the "License"); you may not use this '
        "file except in compliance with the License.",
        "CC BY 4.0 except where otherwise noted",
        "Free for commercial and research use under CC BY 4.0",
        "CC BY 4.0 (free for commercial or research purposes)",
        "CC BY-ND 2.0 KR",
        "Free for research and commercial use under MIT License",
    ],
)
def test_notice_wording_is_not_a_limit(raw: str) -> None:
    result = explain(raw)
    assert "LicenseRef-Unread-Restriction" not in (result.expression or "")


def test_a_license_denied_or_withheld_beside_its_name_is_blocked_end_to_end() -> None:
    """A manifest whose values name CC0 but deny it or keep the rights fails the commercial gate
    (new-user review, defect 1): the license alone would say more than the value."""
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["check", str(fixture_path("manifest.withheld-license.yaml")), "--offline", "-f", "json"],
    )
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    verdicts = {d["id"]: d["verdict"] for d in report["datasets"]}
    assert verdicts == {"denied": "blocked", "reserved": "blocked"}
    for dataset in report["datasets"]:
        assert "LicenseRef-Unread-Restriction" in dataset["license"]["expression"]
