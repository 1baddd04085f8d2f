"""Command-line options that ``check`` and ``scan`` share, defined once so they read the same."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from auditor.policy import builtin_policies

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
