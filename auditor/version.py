"""The tool version, reported in every JSON report."""

__version__ = "0.1.0"
