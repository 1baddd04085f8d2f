"""Model-output terms: bans, conditions that can be met, open weights and names of people."""

from __future__ import annotations

import auditor
from auditor import readers
from auditor.knowledge import load_knowledge
from auditor.policy import Severity
from auditor.report import DatasetVerdict, Finding, Report
from auditor.rulebook import Rule
from tests.conftest import fixture_path

MODEL_RULES = {Rule.MODEL_OUTPUT_TERMS, Rule.MODEL_OUTPUT_CONDITIONS, Rule.MODEL_OUTPUT_UNKNOWN}


def model_findings(report: Report, dataset: str) -> list[Finding]:
    return [f for f in report.findings_for(dataset) if f.rule in MODEL_RULES]


def the_finding(report: Report, dataset: str) -> Finding:
    (finding,) = model_findings(report, dataset)
    return finding


def verdicts(report: Report) -> dict[str, DatasetVerdict]:
    return {d.id: d.verdict for d in report.datasets}


def test_llama_and_gemma_conditions_warn_with_the_condition_instead_of_blocking() -> None:
    for policy in ("commercial", "research"):
        report = auditor.audit(fixture_path("manifest.output-conditions.yaml"), policy=policy)
        llama = the_finding(report, "llama-distilled")
        assert (llama.rule, llama.severity) == (Rule.MODEL_OUTPUT_CONDITIONS, Severity.WARNING)
        assert (
            'naming: a distributed model trained on it must have a name beginning with "Llama"'
            in (llama.message)
        )
        assert "open weights under the Llama 3.1 Community License Agreement" in llama.message
        assert llama.evidence is not None
        assert "“Llama” at the beginning of any such AI model name" in (llama.evidence.quote or "")
        gemma = the_finding(report, "gemma-distilled")
        assert (gemma.rule, gemma.severity) == (Rule.MODEL_OUTPUT_CONDITIONS, Severity.WARNING)
        assert "pass-through: " in gemma.message
        qwen = the_finding(report, "qwen-72b-distilled")
        assert qwen.rule is Rule.MODEL_OUTPUT_CONDITIONS
        assert "attribution: " in qwen.message and "Built with Qwen" in qwen.message
    report = auditor.audit(fixture_path("manifest.output-conditions.yaml"))
    assert verdicts(report)["llama-distilled"] is not DatasetVerdict.BLOCKED
    assert verdicts(report)["gemma-distilled"] is not DatasetVerdict.BLOCKED


def test_a_ban_still_blocks_a_commercial_gate() -> None:
    report = auditor.audit(fixture_path("manifest.output-conditions.yaml"))
    gpt4 = the_finding(report, "gpt4-distilled")
    assert (gpt4.rule, gpt4.severity) == (Rule.MODEL_OUTPUT_TERMS, Severity.ERROR)
    assert "OpenAI, under its service terms" in gpt4.message
    assert verdicts(report)["gpt4-distilled"] is DatasetVerdict.BLOCKED


def test_open_weights_are_judged_by_their_model_license() -> None:
    report = auditor.audit(fixture_path("manifest.output-open-weights.yaml"))
    # Apache-2.0 checkpoints: no restriction, so nothing to report.
    for dataset in ("grok-1", "qwen-apache", "gpt-oss"):
        assert model_findings(report, dataset) == [], dataset
    # The hosted Grok API is judged by xAI's service terms.
    grok = the_finding(report, "grok-api")
    assert grok.rule is Rule.MODEL_OUTPUT_TERMS
    assert "xAI, under its service terms" in grok.message
    # Research and non-production licenses forbid a commercial use of the output.
    for dataset, license_name in (
        ("qwen-research", "Qwen RESEARCH LICENSE AGREEMENT"),
        ("codestral-22b", "Mistral AI Non-Production License"),
    ):
        finding = the_finding(report, dataset)
        assert finding.rule is Rule.MODEL_OUTPUT_TERMS, dataset
        assert f"open weights under the {license_name}" in finding.message


def test_people_templates_and_rules_are_not_models() -> None:
    report = auditor.audit(fixture_path("manifest.output-not-models.yaml"))
    assert model_findings(report, "people") == []
    assert model_findings(report, "rules") == []
    # A model named beside people is still checked.
    unknown = the_finding(report, "mixed")
    assert unknown.rule is Rule.MODEL_OUTPUT_UNKNOWN
    assert "my-inhouse-model-7b" in unknown.message


def test_the_providers_own_release_is_judged_by_its_license() -> None:
    report = auditor.audit(fixture_path("manifest.output-provider-release.yaml"))
    # Anthropic released HH-RLHF under MIT: its output terms do not bind Anthropic's own release.
    assert model_findings(report, "hh-rlhf") == []
    assert verdicts(report)["hh-rlhf"] is not DatasetVerdict.BLOCKED
    # The provider may be named as it publishes (Meta AI, the meta-llama Hub organisation).
    assert model_findings(report, "llama-by-meta") == []
    # A provider named beside someone else is not the provider's own release: it stays checked.
    (shared,) = model_findings(report, "shared-chats")
    assert shared.rule is Rule.MODEL_OUTPUT_TERMS
    # A creator that is another provider releases nothing of Anthropic's: the ban stands for
    # Claude's output, and OpenAI's own output is exempt.
    (claude,) = model_findings(report, "claude-by-someone-else")
    assert claude.rule is Rule.MODEL_OUTPUT_TERMS
    assert claude.evidence is not None and claude.evidence.trigger == "generated_by: claude-2"


def test_creators_are_read_with_their_lines() -> None:
    manifest = readers.read(fixture_path("manifest.output-provider-release.yaml"))
    hh, llama, *_ = manifest.datasets
    assert [(f.value, f.location.line) for f in hh.creators] == [("Anthropic", 8)]
    assert [(f.value, f.location.line) for f in llama.creators] == [
        ("Meta AI", 12),
        ("meta-llama", 12),
    ]


def test_registry_entries_released_by_a_provider_name_it() -> None:
    kb = load_knowledge()
    entry = kb.known_dataset("hf://Anthropic/hh-rlhf")
    assert entry is not None and entry.creators == ("Anthropic",)
    claude = kb.model_for("claude-2")
    assert claude is not None and kb.released_by_provider(claude, entry.creators)
