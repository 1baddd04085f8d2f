"""Arrow helpers shared by the scan's modules."""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]


def contiguous(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``values`` as one array. A column of a single chunk is that chunk, not a copy
    (``combine_chunks`` copies even then, a cost per row on the hot path)."""
    if not isinstance(values, pa.ChunkedArray):
        return values
    if values.num_chunks == 1:
        return values.chunk(0)
    return values.combine_chunks()


def text_view(table: pa.Table) -> pa.Table:
    """Binary columns (read so that bad UTF-8 is caught) viewed as strings, bytes unchanged: how
    a CSV split writes the rows as they were read."""
    columns = [
        contiguous(c).view(pa.string()) if pa.types.is_binary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def binary_as_text(array: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """A binary array as UTF-8 strings, and which values were not UTF-8 (None: all were); those
    become null. Decoded value by value only when Arrow's whole-array cast refuses."""
    try:
        return array.cast(pa.string()), None
    except pa.ArrowInvalid:
        values: list[str | None] = []
        bad: list[bool] = []
        for item in array.to_pylist():
            try:
                values.append(item.decode("utf-8") if item is not None else None)
                bad.append(False)
            except UnicodeDecodeError:
                values.append(None)
                bad.append(True)
        return pa.array(values, pa.string()), pa.array(bad, pa.bool_())


def encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogates from a lenient decode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class GrowingStrings:
    """Strings appended a batch at a time into buffers that grow by doubling, seen as one Arrow
    ``string`` array without a copy: appending costs what is appended, not what is held (a
    ``concat_arrays`` per batch would copy every string held so far). Nulls are held as empty
    strings."""

    def __init__(self, count: int = 1 << 10, size: int = 1 << 14) -> None:
        self._offsets = np.zeros(count + 1, np.int32)
        self._data = np.zeros(size, np.uint8)
        self._size = 0

    def clear(self) -> None:
        """Hold nothing, keeping the buffers (a cache emptied to be filled again): arrays seen
        before are overwritten as it fills again. Reusing memory already touched spares the
        page faults, and the zeroing, of fresh buffers of that size."""
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, values: pa.Array) -> None:
        n = len(values)
        if not n:
            return
        offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, values.offset * 4)
        start, end = int(offsets[0]), int(offsets[-1])
        used = int(self._offsets[self._size])
        if used + end - start >= 1 << 31:
            raise OverflowError("more than 2 GiB of distinct strings")
        self._data = _room(self._data, used + end - start)
        self._offsets = _room(self._offsets, self._size + n + 1)
        if end > start:
            data = np.frombuffer(values.buffers()[2], np.uint8)
            self._data[used : used + end - start] = data[start:end]
        self._offsets[self._size + 1 : self._size + n + 1] = offsets[1:] - (start - used)
        self._size += n

    def array(self) -> pa.Array:
        """The strings held, as one array over the buffers (valid until the next append)."""
        n = self._size
        offsets = pa.py_buffer(self._offsets[: n + 1])
        data = pa.py_buffer(self._data[: int(self._offsets[n])])
        return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])


class GrowingInts:
    """Integers appended a batch at a time, in a numpy array that grows by doubling."""

    def __init__(self, dtype: type[np.generic], count: int = 1 << 10) -> None:
        self._values = np.zeros(count, dtype)
        self._size = 0

    def clear(self) -> None:
        """Hold nothing, keeping the buffer (see :meth:`GrowingStrings.clear`)."""
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, values: np.ndarray) -> None:
        self._values = _room(self._values, self._size + len(values))
        self._values[self._size : self._size + len(values)] = values
        self._size += len(values)

    def view(self) -> np.ndarray:
        """The values held (a view: valid until the next append)."""
        return self._values[: self._size]


def _room(array: np.ndarray, size: int) -> np.ndarray:
    """``array``, or a copy of it twice as large (or more) if it has fewer than ``size`` items."""
    if size <= len(array):
        return array
    grown = np.zeros(max(size, 2 * len(array)), array.dtype)
    grown[: len(array)] = array
    return grown


class StringIndex:
    """A growing map from distinct strings to int32 values, looked up a batch at a time at a cost
    that follows the batch, not the number of strings held.

    Each string is hashed to 64 bits with Arrow kernels and numpy (no Python per value), and the
    hashes are kept in an open-addressing table (linear probing, at most half full), probed for
    a whole batch at once: a round of array operations per probe step, of which there are few.
    A found hash is confirmed by comparing the strings themselves, so two strings that share a
    hash are never mistaken for each other: the later one is simply not held, and looked up (and
    added) in vain, at no cost to correctness. Callers that have hashed the strings already (with
    :func:`string_hashes`) pass the hashes along.
    """

    def __init__(self) -> None:
        self._slots = np.zeros(1 << 10, np.uint64)  # a hash per slot; 0: empty
        self._at = np.zeros(1 << 10, np.int64)  # where the string of each slot's hash is held
        self._strings = GrowingStrings()
        self._values = GrowingInts(np.int32)  # by where the string is held
        self._used = 0  # slots taken

    def clear(self) -> None:
        """Hold nothing, keeping the room this one has (a cache emptied to be filled again,
        without growing step by step, each growth putting every hash again)."""
        self._slots.fill(0)
        self._used = 0
        self._strings.clear()
        self._values.clear()

    def __len__(self) -> int:
        return len(self._strings)

    def keys(self) -> pa.Array:
        """The strings added, in the order they were added."""
        return self._strings.array()

    def get(self, keys: pa.Array, hashes: np.ndarray | None = None) -> pa.Array:
        """The value of each of ``keys`` (strings), null for those not held and for null."""
        if hashes is None:
            hashes = string_hashes(keys)
        found = self._find(keys, _nonzero(hashes))
        held = found >= 0
        if keys.null_count:
            held &= pc.is_valid(keys).to_numpy(zero_copy_only=False)
        values = self._values.view()
        got = values[np.where(held, found, 0)] if len(values) else np.zeros(len(keys), np.int32)
        return pa.array(got.astype(np.int32), pa.int32(), mask=~held)

    def add(self, keys: pa.Array, values: pa.Array, hashes: np.ndarray | None = None) -> None:
        """Hold ``keys`` (distinct non-null strings, none held yet) with their int32 ``values``."""
        if hashes is None:
            hashes = string_hashes(keys)
        hashes = _nonzero(hashes)
        fresh = np.flatnonzero(self._probe(hashes) < 0)  # a hash taken already is not held again
        if 2 * (self._used + len(fresh)) > len(self._slots):
            self._grow(self._used + len(fresh))
        self._insert(hashes[fresh], fresh + len(self._strings))
        self._strings.append(keys)
        self._values.append(values.to_numpy(zero_copy_only=False))

    def _find(self, keys: pa.Array, hashes: np.ndarray) -> np.ndarray:
        """Where each key is held (-1: not held)."""
        slot = self._probe(hashes)
        hit = slot >= 0
        found = np.where(hit, self._at[np.maximum(slot, 0)], -1)
        candidates = np.flatnonzero(hit)
        if len(candidates):
            held = self._strings.array().take(found[candidates])
            same = pc.fill_null(pc.equal(keys.take(candidates), held), False)
            found[candidates[~same.to_numpy(zero_copy_only=False)]] = -1
        return found

    def _probe(self, hashes: np.ndarray) -> np.ndarray:
        """The slot holding each hash (-1: none)."""
        mask = np.uint64(len(self._slots) - 1)
        slot = (hashes & mask).astype(np.int64)
        out = np.full(len(hashes), -1, np.int64)
        todo = np.arange(len(hashes))
        while len(todo):
            at = slot[todo]
            there = self._slots[at]
            hit = there == hashes[todo]
            out[todo[hit]] = at[hit]
            todo = todo[~hit & (there != 0)]  # neither found nor at an empty slot: look further
            slot[todo] = (slot[todo] + 1) & int(mask)
        return out

    def _insert(self, hashes: np.ndarray, at: np.ndarray) -> None:
        """Put distinct hashes, none in the table, in the first free slot of their probe."""
        mask = len(self._slots) - 1
        slot = (hashes & np.uint64(mask)).astype(np.int64)
        todo = np.arange(len(hashes))
        while len(todo):
            where = slot[todo]
            free = np.flatnonzero(self._slots[where] == 0)
            # Of several hashes wanting one free slot, one takes it, the others go on: each
            # writes its number into the slot's place, last to first, and the one whose number
            # stays wins (numpy keeps the last write: the first hash, as a walk in order would;
            # were it another, lookups would still be right, as they confirm the strings).
            claims = where[free]
            self._at[claims[::-1]] = free[::-1]
            taking = free[self._at[claims] == free]
            self._slots[where[taking]] = hashes[todo[taking]]
            self._at[where[taking]] = at[todo[taking]]
            self._used += len(taking)
            waiting = np.ones(len(todo), bool)
            waiting[taking] = False
            todo = todo[waiting]
            slot[todo] = (slot[todo] + 1) & mask

    def _grow(self, needed: int) -> None:
        size = len(self._slots)
        while 2 * needed > size:
            size *= 4  # rarely: each growth puts every hash again
        taken = np.flatnonzero(self._slots)
        hashes, at = self._slots[taken], self._at[taken]
        self._slots = np.zeros(size, np.uint64)
        self._at = np.zeros(size, np.int64)
        self._used = 0
        self._insert(hashes, at)


def _nonzero(hashes: np.ndarray) -> np.ndarray:
    """Hashes with 0 (an empty slot) taken as 1: a shared hash only costs a confirmation."""
    hashes[hashes == 0] = 1
    return hashes


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_WIDTHS = (16, 32, 64)  # ASCII strings up to this many bytes are hashed a word at a time


def string_hashes(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string of ``values`` (``string``; a null's is meaningless).

    ASCII strings of up to 64 bytes (nearly every host name) are padded with zero bytes to a
    fixed width by an Arrow kernel, so that their bytes form a matrix of 64-bit words, hashed a
    column at a time; the others byte by byte (:func:`_long_hashes`). The length is hashed too,
    so padding never makes two strings alike."""
    n = len(values)
    out = np.zeros(n, np.uint64)
    if not n:
        return out
    lengths = pc.fill_null(pc.binary_length(values), 0).to_numpy(zero_copy_only=False)
    ascii = pc.fill_null(pc.string_is_ascii(values), False).to_numpy(zero_copy_only=False)
    todo = np.ones(n, bool)
    lower = -1
    for width in _WIDTHS:
        pick = ascii & (lengths > lower) & (lengths <= width)
        lower = width
        if not pick.any():
            continue
        todo &= ~pick
        at = np.flatnonzero(pick)
        part = values if len(at) == n else values.take(at)
        padded = pc.utf8_rpad(part, width=width, padding="\x00")
        words = np.frombuffer(padded.buffers()[2], np.uint64, len(at) * width // 8)
        h = lengths[at].astype(np.uint64) * _MULTIPLIER
        for column in words.reshape(len(at), width // 8).T:
            h = (h ^ column) * _MULTIPLIER
        out[at] = h
    rest = np.flatnonzero(todo)
    if len(rest):
        out[rest] = _long_hashes(values.take(rest))
    return _mixed(out)


def _mixed(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every bit of the result depends on every bit of ``h``."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = h ^ (h >> np.uint64(31))
    return mixed


def _long_hashes(values: pa.Array) -> np.ndarray:
    """A polynomial over the bytes of each string, in place on the array's buffers."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, values.offset * 4)
    offsets = offsets.astype(np.int64)
    data = values.buffers()[2]
    raw = (
        np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
        if data is not None
        else np.zeros(0, np.uint8)
    )
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    powers = np.cumprod(np.full(max(int(lengths.max()), 1), _MULTIPLIER, np.uint64))
    # Integer arrays wrap around silently (modulo 2**64), as the hash wants.
    position = np.arange(len(raw)) - np.repeat(starts, lengths)
    terms = (raw.astype(np.uint64) + np.uint64(1)) * powers[position]
    sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)])
    h: np.ndarray = sums[starts + lengths] - sums[starts] + lengths.astype(np.uint64)
    return h
