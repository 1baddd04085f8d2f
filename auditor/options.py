"""Command-line options that several commands share, defined once so they read the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.policy import builtin_policies
from auditor.readers import FORMATS

PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        "-p",
        help=f"Built-in policy ({', '.join(builtin_policies())}) or a policy YAML file.",
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file (atomically)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
# The options of the commands that read manifests as `check` does (`notice`, `summary`).
InputFormatOption = Annotated[
    str | None,
    typer.Option("--input-format", help=f"Force the manifest format ({', '.join(FORMATS)})."),
]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Answer Hugging Face look-ups from the cache only (also: HF_HUB_OFFLINE=1).",
    ),
]
CacheDirOption = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Cache of looked-up dataset cards (AUDITOR_CACHE_DIR)."),
]
AllowOutsideRootOption = Annotated[
    bool,
    typer.Option(
        "--allow-outside-root",
        help="Let local dataset references point outside the manifest's folder.",
    ),
]
