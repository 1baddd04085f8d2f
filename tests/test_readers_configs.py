"""Training configs name datasets by reference only: axolotl, LLaMA-Factory, recipes, text lists."""

from __future__ import annotations

import pytest

from auditor import readers
from auditor.errors import InputError
from tests.conftest import fixture_path


def rows(name: str) -> list[tuple[str, str | None, int | None, float | None]]:
    manifest = readers.read(fixture_path(f"readers/{name}"))
    assert all(d.licenses == () for d in manifest.datasets)
    return [(d.id, d.source, d.location.line, d.weight) for d in manifest.datasets]


def test_real_axolotl_config() -> None:
    assert readers.read(fixture_path("readers/axolotl.pythia-lora.yml")).format == "axolotl"
    assert rows("axolotl.pythia-lora.yml") == [
        ("teknium/GPT4-LLM-Cleaned", "hf://teknium/GPT4-LLM-Cleaned", 7, None)
    ]


def test_axolotl_lists_local_files_uris_and_repeats() -> None:
    assert rows("axolotl.mix.yaml") == [
        ("teknium/OpenHermes-2.5", "hf://teknium/OpenHermes-2.5", 3, None),
        ("allenai/c4", "hf://allenai/c4", 5, None),
        ("data/internal.jsonl", "data/internal.jsonl", 9, None),
        ("s3://acme-training/instruct/v3/", "s3://acme-training/instruct/v3/", 12, None),
        ("teknium/OpenHermes-2.5#2", "hf://teknium/OpenHermes-2.5", 14, None),
        ("./eval/heldout", "./eval/heldout", 18, None),
        ("HuggingFaceFW/fineweb-edu", "hf://HuggingFaceFW/fineweb-edu", 21, None),
    ]
    c4 = readers.read(fixture_path("readers/axolotl.mix.yaml")).datasets[1]
    assert c4.name == "allenai/c4 (en, train[:1%])"


def test_llamafactory_registry() -> None:
    assert readers.read(fixture_path("readers/llamafactory.dataset_info.json")).format == (
        "llamafactory"
    )
    assert rows("llamafactory.dataset_info.json") == [
        ("alpaca_en", "hf://llamafactory/alpaca_en", 2, None),
        ("ultrachat_200k", "hf://HuggingFaceH4/ultrachat_200k", 3, None),
        (
            "belle_ms",
            "https://modelscope.cn/datasets/AI-ModelScope/Belle_open_source_0.5M",
            10,
            None,
        ),
        ("identity", "identity.json", 11, None),
        ("local_script", "hh_rlhf_en", 12, None),
    ]


def test_recipe_mixes_carry_weights() -> None:
    assert rows("mixer.handbook.yaml") == [
        ("HuggingFaceH4/ultrachat_200k", "hf://HuggingFaceH4/ultrachat_200k", 3, 1.0),
        (
            "HuggingFaceH4/ultrafeedback_binarized",
            "hf://HuggingFaceH4/ultrafeedback_binarized",
            4,
            0.5,
        ),
    ]
    assert rows("mixer.open-r1.yaml") == [
        ("open-r1/Mixture-of-Thoughts", "hf://open-r1/Mixture-of-Thoughts", 4, 0.5),
        ("open-r1/Mixture-of-Thoughts#2", "hf://open-r1/Mixture-of-Thoughts", 8, 0.25),
    ]


def test_text_list_of_references() -> None:
    assert readers.read(fixture_path("readers/references.txt")).format == "text-list"
    assert rows("references.txt") == [
        ("teknium/OpenHermes-2.5", "hf://teknium/OpenHermes-2.5", 2, None),
        ("hf://allenai/c4", "hf://allenai/c4", 3, None),
        (
            "https://example.org/data/corpus.tar.gz",
            "https://example.org/data/corpus.tar.gz",
            5,
            None,
        ),
        ("/mnt/data/internal/shards/", "/mnt/data/internal/shards/", 6, None),
        ("teknium/OpenHermes-2.5#2", "hf://teknium/OpenHermes-2.5", 7, None),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("axolotl.no-datasets.yaml", "axolotl.no-datasets.yaml:2: no datasets"),
        ("axolotl.entry-without-path.yaml", ":5: a 'datasets' entry needs a 'path'"),
        ("references.empty.txt", "references.empty.txt:1: no datasets"),
    ],
)
def test_config_without_datasets_is_an_input_error(name: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path(f"readers/{name}"))
    assert expected in str(caught.value)
