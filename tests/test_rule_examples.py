"""Every license recognition example in ``rules/licenses/examples/`` resolves as it says.

The examples are data beside the rules (see that folder's README): one parametrised test, one
case per example, named by its file and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.explanation import explain
from auditor.knowledge import CommercialUse, load_knowledge
from auditor.licensing import Status
from auditor.resolver import resolver_for

FOLDER = Path(__file__).resolve().parent.parent / "rules" / "licenses" / "examples"
RANK = {
    CommercialUse.ALLOWED: 0,
    CommercialUse.RESTRICTED: 1,
    CommercialUse.UNKNOWN: 2,
    CommercialUse.PROHIBITED: 2,
}


class Example(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: Annotated[str, Field(min_length=1)]
    expression: str | None = Field(default="<unset>")
    status: Status | None = None
    commercial_use: CommercialUse | None = None
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _expects_something(self) -> Example:
        if self.expression == "<unset>" and self.status is None and self.commercial_use is None:
            raise ValueError(f"example {self.text!r} states no expectation")
        return self


class ExampleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    examples: tuple[Example, ...]


def _load() -> list[tuple[str, Example]]:
    files = sorted(FOLDER.glob("*.yaml"))
    if not files:
        pytest.fail(f"no example files in {FOLDER}")
    out: list[tuple[str, Example]] = []
    for path in files:
        data = ExampleFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        out.extend((path.name, example) for example in data.examples)
    return out


EXAMPLES = _load()
RESOLVER = resolver_for(load_knowledge())


def test_examples_are_many_and_distinct() -> None:
    texts = [e.text for _, e in EXAMPLES]
    assert len(texts) >= 100
    assert len(set(texts)) == len(texts), [t for t in set(texts) if texts.count(t) > 1]


@pytest.mark.parametrize(
    "example", [e for _, e in EXAMPLES], ids=[f"{f}:{e.text[:60]}" for f, e in EXAMPLES]
)
def test_example(example: Example) -> None:
    resolved = RESOLVER.resolve(example.text)
    if example.expression != "<unset>":
        assert resolved.expression == example.expression, resolved.evidence
    if example.status is not None:
        assert resolved.status is example.status, resolved.evidence
    if example.commercial_use is not None:
        got = explain(example.text).commercial_use
        assert RANK[got] >= RANK[example.commercial_use], (got, resolved.evidence)
        assert got is example.commercial_use, (got, resolved.evidence)
