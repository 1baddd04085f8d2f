"""The record-level input formats ``auditor scan`` reads (kept apart so the CLI can name them
without importing pyarrow)."""

from __future__ import annotations

from enum import StrEnum


class InputFormat(StrEnum):
    PARQUET = "parquet"
    JSONL = "jsonl"
    CSV = "csv"
    YTDLP_INFO = "yt-dlp-info"
    YTDLP_ARCHIVE = "yt-dlp-archive"
    # Keyed samples (auditor/scan/samples.py): what a training job reads.
    WEBDATASET = "webdataset"
    HF_DISK = "hf-disk"
    MDS = "mds"
