"""Writing files the tool produces (reports, split rows, the look-up cache) atomically and safely.

A file is written to a temporary file in the target's folder and renamed over the target, so a
reader never sees half a file and an interrupted run leaves no partial file behind. The temporary
file is created with the mode any new file gets (``0666`` less the umask, usually ``0644``), not
the owner-only ``0600`` of :func:`tempfile.mkstemp`: a report or a split file is read by other
users, such as the training job's. The target's folder must exist; it is never created here.

Before anything is written, :func:`check_outputs` refuses an output path that names one of the
run's inputs (by path, symlink or hard link) or another output, or whose folder is missing.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path

from auditor.errors import InputError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def write_atomically(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write ``text`` (UTF-8 bytes as they are, or text's pieces in turn) to ``path`` through a
    temporary file in the same folder, then rename."""
    handle, tmp = create_beside(path)
    try:
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as raw:
                raw.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                out.writelines([text] if isinstance(text, str) else text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file in ``path``'s folder: its open descriptor and its path.

    Created exclusively (never an existing file or a symlink) with mode ``0666``, so the umask
    decides the final permissions exactly as for any file the user creates.
    """
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def check_outputs(
    outputs: Mapping[str, Path | None],
    inputs: Iterable[Path | None],
    *,
    new_folders: bool = False,
) -> None:
    """Refuse output paths that cannot be written without harm, before any work is done.

    ``outputs`` maps each option (``--output``) to its path or None. An output that is one of
    ``inputs`` (the same file by resolved path, or by device and inode: a symlink or a hard link),
    the same file as another output, a folder, or in a folder that does not exist (unless
    ``new_folders``: the caller creates it) is an :class:`InputError`. Inputs that do not exist
    are skipped: they fail on their own.
    """
    existing = [p for p in inputs if p is not None and p.exists()]
    seen: list[tuple[str, Path]] = []
    for option, path in outputs.items():
        if path is None:
            continue
        folder = path.parent
        if folder.exists() and not folder.is_dir():
            raise InputError(path, f"{option}: {folder} is not a folder")
        if not folder.exists() and not new_folders:
            raise InputError(
                path, f"{option}: the folder {folder} does not exist; it is not created"
            )
        if path.is_dir():
            raise InputError(path, f"{option}: is a folder, not a file")
        for given in existing:
            if same_file(path, given):
                raise InputError(path, f"{option}: would overwrite the input {given}")
        for other_option, other in seen:
            if same_file(path, other):
                raise InputError(path, f"{option}: is also the path of {other_option}")
        seen.append((option, path))


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same resolved path, or the same device and
    inode (a hard link, or a symlink the resolution could not see through)."""
    try:
        if a.resolve() == b.resolve():
            return True
        first, second = a.stat(), b.stat()
    except (OSError, RuntimeError):  # a missing file, a symlink loop (RuntimeError before 3.13)
        return False
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)
