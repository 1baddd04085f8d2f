"""The knowledge base: complete where the gate needs it, and every entry sourced."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor.errors import InputError
from auditor.hosts import normalize
from auditor.knowledge import (
    Channel,
    Clause,
    CommercialUse,
    ConditionKind,
    Covers,
    ModelFamily,
    OutputTermsKind,
    load_knowledge,
    rules_dir,
)
from auditor.policy import FAIL_CLOSED, Level, builtin_policies, load_policy
from auditor.rulebook import SCAN_ONLY, Rule

KB = load_knowledge()

REQUIRED = [
    *(
        f"CC-{v}-{n}"
        for v in ("BY", "BY-SA", "BY-ND", "BY-NC", "BY-NC-SA", "BY-NC-ND")
        for n in ("1.0", "2.0", "2.5", "3.0", "4.0")
    ),
    "CC0-1.0",
    "PDDL-1.0",
    "ODC-By-1.0",
    "ODbL-1.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "C-UDA-1.0",
    "O-UDA-1.0",
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "GPL-2.0-only",
    "GPL-3.0-only",
    "LGPL-2.1-only",
    "LGPL-3.0-only",
    "AGPL-3.0-only",
    "MPL-2.0",
    "EPL-2.0",
    "Unlicense",
]


@pytest.mark.parametrize("license_id", REQUIRED)
def test_required_license_is_known(license_id: str) -> None:
    assert license_id in KB.licenses


def test_every_entry_cites_a_source() -> None:
    for lic in KB.licenses.values():
        assert lic.source.url.startswith(("http://", "https://")), lic.id
        assert lic.source.version, lic.id
    for platform in KB.platforms:
        assert platform.source.url and platform.source.version, platform.id
        assert all(c.quote for c in platform.clauses), platform.id
    for model in KB.models:
        assert model.source.url and model.source.version and model.quote, model.id
        assert all(c.quote and c.summary for c in model.conditions), model.id


def test_creative_commons_semantics() -> None:
    for lic in KB.licenses.values():
        if not lic.id.startswith("CC-BY"):
            continue
        assert lic.terms.attribution, lic.id
        assert (lic.terms.commercial_use is CommercialUse.PROHIBITED) == ("-NC" in lic.id), lic.id
        assert lic.terms.no_derivatives == ("-ND" in lic.id), lic.id
        assert lic.terms.share_alike == ("-SA" in lic.id), lic.id


def test_platform_matching() -> None:
    for host in ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"):
        platform = KB.platform_for(host)
        assert platform is not None
        assert platform.id == "youtube"
    assert KB.platform_for("notyoutube.com") is None
    assert KB.platform_for("youtube.com.evil.example") is None


@pytest.mark.parametrize(
    ("host", "platform_id", "clause"),
    [
        ("images.pexels.com", "pexels", Clause.NO_ML_TRAINING),
        ("live.staticflickr.com", "flickr", Clause.NO_AUTOMATED_ACCESS),
        ("www.shutterstock.com", "shutterstock", Clause.NO_DOWNLOAD),
    ],
)
def test_stock_media_sites(host: str, platform_id: str, clause: Clause) -> None:
    platform = KB.platform_for(host)
    assert platform is not None
    assert platform.id == platform_id
    assert platform.clause(clause) is not None


def test_platform_domains_are_written_as_hosts_are_read() -> None:
    for platform in KB.platforms:
        assert all(normalize(domain) == domain for domain in platform.domains), platform.id


def test_open_licenses_say_what_they_cover() -> None:
    covers = {
        (p.id, c.covers) for p in KB.platforms for c in p.clauses if c.kind is Clause.OPEN_LICENSE
    }
    # arXiv's CC0 is for the metadata; Common Crawl grants nothing in the pages it crawled.
    assert ("arxiv", Covers.METADATA) in covers and ("arxiv", Covers.CONTENT) not in covers
    assert ("common-crawl", Covers.CONTENT) not in covers
    for platform in KB.platforms:
        for clause in platform.clauses:
            if "metadata" in clause.quote.lower():
                assert clause.covers is Covers.METADATA, platform.id


def test_a_clause_covers_one_of_a_closed_set(tmp_path: Path) -> None:
    for folder in ("licenses", "platforms", "models"):
        (tmp_path / folder).mkdir()
    (tmp_path / "platforms" / "p.yaml").write_text(
        "platforms:\n  - id: p\n    name: P\n    domains: [p.example]\n"
        "    terms_url: https://p.example/terms\n"
        "    source: {url: https://p.example/terms, version: '1'}\n"
        "    clauses:\n      - kind: open-license\n        quote: q\n        covers: everything\n"
    )
    with pytest.raises(InputError) as caught:
        load_knowledge(tmp_path)
    assert caught.value.line == 10
    assert "covers" in caught.value.message


def test_model_matching() -> None:
    for name in ("gpt-4", "gpt-3.5-turbo", "text-davinci-003", "gpt-4o"):
        model = KB.model_for(name)
        assert model is not None
        assert model.provider == "OpenAI"
    assert KB.model_for("human annotators") is None


@pytest.mark.parametrize("model", KB.models, ids=lambda m: m.id)
def test_model_examples_match_their_own_entry_and_no_other(model: ModelFamily) -> None:
    for name in model.examples:
        assert [m.id for m in KB.models if m.matcher.fullmatch(name)] == [model.id], name
        assert not KB.not_a_model(name), name


def test_open_weights_and_hosted_services_are_told_apart() -> None:
    expected = {
        "xai-org/grok-1": ("xai-grok-1", Channel.OPEN_WEIGHTS, OutputTermsKind.NONE),
        "grok-2": ("xai-grok", Channel.SERVICE, OutputTermsKind.BAN),
        "grok-beta": ("xai-grok", Channel.SERVICE, OutputTermsKind.BAN),
        "Qwen/Qwen2.5-7B-Instruct": ("qwen2.5-apache", Channel.OPEN_WEIGHTS, OutputTermsKind.NONE),
        "Qwen2.5-72B-Instruct": ("qwen2.5-72b", Channel.OPEN_WEIGHTS, OutputTermsKind.CONDITIONS),
        "Qwen Chat": ("qwen-chat", Channel.SERVICE, OutputTermsKind.BAN),
        "gpt-oss-20b": ("openai-gpt-oss", Channel.OPEN_WEIGHTS, OutputTermsKind.NONE),
        "gpt-4o": ("openai", Channel.SERVICE, OutputTermsKind.BAN),
        "Mixtral-8x7B-Instruct-v0.1": (
            "mistral-apache",
            Channel.OPEN_WEIGHTS,
            OutputTermsKind.NONE,
        ),
        "Codestral-22B-v0.1": ("mistral-codestral-22b", Channel.OPEN_WEIGHTS, OutputTermsKind.BAN),
        "mistral-large-latest": ("mistral-service", Channel.SERVICE, OutputTermsKind.NONE),
        "gemma-2-9b-it": ("google-gemma", Channel.OPEN_WEIGHTS, OutputTermsKind.CONDITIONS),
        "gemini-1.5-pro": ("google-gemini-api", Channel.SERVICE, OutputTermsKind.BAN),
        "Llama-3.1-8B-Instruct": ("llama-3.1", Channel.OPEN_WEIGHTS, OutputTermsKind.CONDITIONS),
        "Llama-2-7b-chat-hf": ("llama-2", Channel.OPEN_WEIGHTS, OutputTermsKind.BAN),
    }
    for name, (model_id, channel, terms) in expected.items():
        model = KB.model_for(name)
        assert model is not None, name
        assert (model.id, model.channel, model.terms) == (model_id, channel, terms), name
    # Names that could be either, or whose terms were not sourced, stay unknown.
    for name in (
        "Qwen",
        "qwen2.5",
        "qwen-max",
        "xai-org/grok-2",
        "Mistral-Large-Instruct-2407",
        "gemma-4-27b",
        "text-bison",
        "OpenAI GPT-1",
    ):
        assert KB.model_for(name) is None, name


@pytest.mark.parametrize(
    ("name", "model_id", "terms"),
    [
        ("EleutherAI/gpt-j-6B", "eleutherai-gpt-j", OutputTermsKind.NONE),
        ("pythia-12b-deduped", "eleutherai-pythia", OutputTermsKind.NONE),
        ("tiiuae/falcon-40b-instruct", "tii-falcon-apache", OutputTermsKind.NONE),
        ("Qwen/Qwen3-32B", "qwen3-apache", OutputTermsKind.NONE),
        ("lmsys/vicuna-7b-v1.5-16k", "llama-2", OutputTermsKind.BAN),
        ("alpaca-7b", "stanford-alpaca", OutputTermsKind.BAN),
        ("runwayml/stable-diffusion-v1-5", "stable-diffusion-v1", OutputTermsKind.CONDITIONS),
        ("Salesforce/blip-image-captioning-large", "salesforce-blip", OutputTermsKind.NONE),
        ("openai/whisper-large-v3", "openai-whisper", OutputTermsKind.NONE),
        ("google-t5/t5-base", "google-t5", OutputTermsKind.NONE),
        ("facebook/bart-large-cnn", "fairseq", OutputTermsKind.NONE),
        ("gpt2-xl", "openai-gpt-2", OutputTermsKind.NONE),
    ],
)
def test_open_models_named_in_data_cards(name: str, model_id: str, terms: OutputTermsKind) -> None:
    model = KB.model_for(name)
    assert model is not None, name
    assert (model.id, model.terms) == (model_id, terms)


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        # Repackagers' namespaces and format or quantisation suffixes do not change the model.
        ("TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "mistral-apache"),
        ("TheBloke/vicuna-13B-v1.5-GPTQ", "llama-2"),
        ("mlx-community/Meta-Llama-3-8B-Instruct-4bit", "llama-3"),
        ("unsloth/Qwen3-8B-GGUF", "qwen3-apache"),
        ("bartowski/falcon-7b-instruct-Q4_K_M", "tii-falcon-apache"),
        ("mistral-7b-instruct-v0.2.Q4_K_M", "mistral-apache"),
    ],
)
def test_generator_names_in_published_forms(name: str, model_id: str) -> None:
    model = KB.model_for(name)
    assert model is not None, name
    assert model.id == model_id


@pytest.mark.parametrize(
    "name",
    [
        # Lookalikes: named after a model they are not.
        "gpt4all-j",
        "nomic-ai/gpt4all-13b-snoozy",
        "gpt4-x-alpaca",
        "OpenAI CLIP",
        "alpaca-lora-7b",
        # Versions whose terms were not sourced stay unknown.
        "vicuna-13b-v1.3",
        "Vicuna",
        "falcon-180b",
        "blip2-opt-2.7b",
        "bigscience/mt0-xxl",
        "openai/clip-vit-large-patch14",
        "stabilityai/stable-diffusion-xl-base-0.9",
        "Stable Diffusion",
        # A namespace that publishes fine-tunes is not a repackager.
        "someone/Mistral-7B-Instruct-v0.2-finetuned",
    ],
)
def test_lookalikes_and_unsourced_versions_match_no_model(name: str) -> None:
    assert KB.model_for(name) is None, name


def test_conditions_name_their_kind() -> None:
    kinds = {m.id: {c.kind for c in m.conditions} for m in KB.models if m.conditions}
    assert kinds["llama-3.1"] == {ConditionKind.NAMING}
    assert kinds["google-gemma"] == {ConditionKind.PASS_THROUGH}
    assert kinds["qwen2.5-72b"] == {ConditionKind.ATTRIBUTION}
    for model in KB.models:
        if model.channel is Channel.OPEN_WEIGHTS:
            assert model.license, model.id


@pytest.mark.parametrize(
    "name",
    [
        "human",
        "humans",
        "crowdsourced",
        "crowd-sourced",
        "annotators",
        "expert-written",
        "templates",
        "rule-based",
        "Human  Annotators",
        "MTurk workers",
        "SVM",
        "NBC",
        "Naive Bayes classifier",
        "k-means clustering",
    ],
)
def test_people_templates_and_rules_are_not_models(name: str) -> None:
    assert KB.not_a_model(name)
    assert KB.model_for(name) is None


def test_not_a_model_needs_the_whole_value() -> None:
    for name in ("human and gpt-4", "gpt-4", "humanoid-7b", "templates from gpt-4", "svm-gpt"):
        assert not KB.not_a_model(name), name


def test_every_model_names_a_known_provider() -> None:
    assert {m.provider for m in KB.models} <= set(KB.providers)
    anthropic = KB.model_for("claude-2")
    assert anthropic is not None
    assert KB.released_by_provider(anthropic, ["ANTHROPIC", "Anthropic, PBC"])
    assert not KB.released_by_provider(anthropic, ["Anthropic Fan Club"])
    assert not KB.released_by_provider(anthropic, ["Anthropic", "ShareGPT"])
    assert not KB.released_by_provider(anthropic, [])


def test_conditions_must_fit_the_shape_of_the_terms(tmp_path: Path) -> None:
    base = tmp_path
    for folder in ("licenses", "platforms", "models"):
        (base / folder).mkdir()
    (base / "models" / "x.yaml").write_text(
        "providers: [{name: X}]\n"
        "models:\n"
        "  - {id: x, provider: X, name: X, channel: service, patterns: [x], examples: [x],\n"
        "     terms: conditions, clause: c, quote: q,\n"
        "     source: {url: 'https://x.example', version: '1'}}\n"
    )
    with pytest.raises(InputError) as caught:
        load_knowledge(base)
    assert "need at least one entry in 'conditions'" in caught.value.message


def test_builtin_policies_cover_every_rule() -> None:
    assert {"commercial", "research"} <= set(builtin_policies())
    for name in builtin_policies():
        policy = load_policy(name)
        assert set(policy.severities) == set(Rule)
    commercial = load_policy("commercial")
    assert commercial.severity(Rule.LICENSE_UNKNOWN) is not None
    assert commercial.severities[Rule.LICENSE_UNKNOWN].value == "error"


def test_builtin_policies_declare_the_fail_closed_rules_they_relax() -> None:
    assert {
        Rule.LICENSE_UNKNOWN,
        Rule.REFERENCE_UNRESOLVED,
        Rule.LINEAGE_UNRESOLVED,
        Rule.LINEAGE_CYCLE,
        Rule.TERMS_UNRESOLVED,
        Rule.COLLECTION_UNRESOLVED,
        Rule.MODEL_OUTPUT_UNKNOWN,
        Rule.MODEL_GENERATOR_UNNAMED,
    } == FAIL_CLOSED
    assert load_policy("commercial").relaxes == ()
    assert load_policy("research").relaxes == (
        Rule.LINEAGE_UNRESOLVED,
        Rule.MODEL_GENERATOR_UNNAMED,
        Rule.MODEL_OUTPUT_UNKNOWN,
    )


def test_builtin_policy_files_name_every_rule() -> None:
    for name in builtin_policies():
        named = yaml.safe_load((rules_dir() / "policies" / f"{name}.yaml").read_text())
        assert set(named["severities"]) == {rule.value for rule in Rule}


def test_a_policy_file_written_before_the_optout_rules_still_loads(tmp_path: Path) -> None:
    older = {rule.value: "warning" for rule in Rule if rule not in SCAN_ONLY}
    relaxes = sorted(rule.value for rule in FAIL_CLOSED)  # now declared where they are lowered
    path = tmp_path / "older.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "older", "description": "d", "relaxes": relaxes, "severities": older}
        )
    )
    policy = load_policy(str(path))
    assert {policy.severities[rule] for rule in SCAN_ONLY} == {Level.ERROR}
    assert policy.severities[Rule.LICENSE_UNKNOWN] is Level.WARNING


def test_rules_dir_is_the_checkout_rules() -> None:
    assert (rules_dir() / "policies" / "commercial.yaml").is_file()


def test_a_typo_in_rules_fails_with_path_and_line(tmp_path: Path) -> None:
    (tmp_path / "licenses").mkdir()
    (tmp_path / "platforms").mkdir()
    (tmp_path / "models").mkdir()
    (tmp_path / "licenses" / "x.yaml").write_text(
        "licenses:\n  - id: X-1.0\n    name: X\n    terms: {commercial_use: allowed}\n"
        "    source: {url: https://x.example, version: '1'}\n    aliasses: [x]\n"
    )
    with pytest.raises(InputError) as caught:
        load_knowledge(tmp_path)
    assert caught.value.line == 6
    assert "aliasses" in caught.value.message


def test_placeholders_are_data_with_one_meaning_each() -> None:
    from pydantic import ValidationError

    from auditor.knowledge import Placeholders, load_knowledge

    phrases = load_knowledge().expression_phrases
    assert phrases is not None
    held = phrases.placeholders
    # Read from rules/licenses/expressions.yaml, case-folded with spaces collapsed.
    assert "no license" in held.no_license
    assert "noassertion" in held.no_statement
    assert "see license" in held.pointers
    with pytest.raises(ValidationError, match="two meanings"):
        Placeholders(no_license=("Other",), no_statement=(), pointers=("other",))


def test_platform_for_finds_the_first_listed_platform_of_a_host_or_parent_domain() -> None:
    kb = load_knowledge()

    def first_listed(host: str) -> str | None:  # the definition, one platform after another
        host = host.lower().rstrip(".")
        for platform in kb.platforms:
            if any(host == d or host.endswith("." + d) for d in platform.domains):
                return platform.id
        return None

    hosts = [h for p in kb.platforms for d in p.domains for h in (d, f"a.b.{d}", f"x{d}")]
    hosts += [f"{d}.evil.example" for p in kb.platforms for d in p.domains]
    hosts += ["WWW.YOUTUBE.COM.", "localhost", "", "com", "co.uk"]
    assert any(first_listed(h) for h in hosts)
    for host in hosts:
        found = kb.platform_for(host)
        assert (found.id if found else None) == first_listed(host), host
    other = kb.model_copy(update={"platforms": kb.platforms[1:]})  # a copy, other platforms
    first = kb.platforms[0].domains[0]
    assert other.platform_for(first) is None or other.platform_for(first) != kb.platforms[0]
