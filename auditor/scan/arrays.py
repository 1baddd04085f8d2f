"""Arrow helpers shared by the scan's modules."""

from __future__ import annotations

import pyarrow as pa  # type: ignore[import-untyped]


def contiguous(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one array. A column of a single chunk is that chunk, not a copy
    (``combine_chunks`` copies even then, a cost per row on the hot path)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    if values.num_chunks == 1:
        return values.chunk(0)
    return values.combine_chunks()
