"""Shared fixtures: named fixture files that must exist, the corpus, a fixed date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parent.parent / "examples"
CORPUS = Path(__file__).parent.parent.parent / "shared" / "corpus"
TODAY = date(2026, 11, 25)


def fixture_path(name: str) -> Path:
    """The path of a named fixture file; fails the test if it is missing."""
    path = FIXTURES / name
    if not path.is_file():
        pytest.fail(f"fixture file missing: {path}")
    return path


@pytest.fixture
def corpus() -> Path:
    """The shared corpus of real metadata. CI always has it; its absence is a failure."""
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing at {CORPUS}; corpus tests cannot run")
    return CORPUS


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never reach the internet: Hub look-ups go to a closed local port unless a test
    starts a fake Hub, and the look-up cache is a fresh temporary folder."""
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("AUDITOR_CACHE_DIR", str(tmp_path_factory.mktemp("auditor-cache")))
    # The user's own Hugging Face home (saved token, shared cache) stays out of the tests: an empty
    # one, as huggingface_hub resolved it from HF_HOME when it was imported.
    from huggingface_hub import constants

    home = tmp_path_factory.mktemp("hf-home")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
