"""Write the example WebDataset shards of ``make demo``: ``examples/shards/0000{0..2}.tar``.

Three small shards laid out as img2dataset and video2dataset write them: per sample a media
placeholder (a few bytes, not a real image or video), a caption ``.txt`` and a ``.json`` with
``url``, ``key``, ``status`` and, where the source gave one, ``license`` (video samples carry
yt-dlp's info dict under ``yt_meta_dict.info``, as video2dataset does). The URLs are made up
(``FAKE`` ids) on real hosts, so that the scan judges real platform terms and licenses: some
samples are allowed, some blocked, one has no metadata. The output is byte-for-byte
reproducible (fixed times and owners); the test suite checks the committed files with
``--check``::

    python scripts/make_example_shards.py [--check]
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "examples" / "shards"
MTIME = 1_764_547_200  # 2025-12-01

# (url, license or None, caption, media extension); None as url: a sample without its .json.
SHARDS: list[list[tuple[str | None, str | None, str, str]]] = [
    [
        (
            "https://upload.wikimedia.org/wikipedia/commons/FAKE-1.jpg",
            "CC-BY-SA-4.0",
            "a bridge",
            "jpg",
        ),
        ("https://live.staticflickr.com/FAKE/2_b.jpg", "cc-by-nc-2.0", "a cat", "jpg"),
        ("https://example.org/photos/3.jpg", "CC0-1.0", "a lighthouse", "jpg"),
        ("https://i.pinimg.com/FAKE/4.jpg", None, "a recipe card", "jpg"),
    ],
    [
        ("https://www.youtube.com/watch?v=FAKE00005", None, "a cooking video", "mp4"),
        ("https://vimeo.com/FAKE6", "CC BY 4.0", "a time-lapse", "mp4"),
        ("https://example.org/photos/7.jpg", "cc-by-4.0", "a harbour", "jpg"),
        (None, None, "a sample whose metadata went missing", "jpg"),
    ],
    [
        ("https://example.org/photos/9.jpg", "Public Domain Mark 1.0", "an old map", "jpg"),
        ("https://example.org/photos/10.jpg", "All rights reserved", "a portrait", "jpg"),
        ("https://upload.wikimedia.org/wikipedia/commons/FAKE-11.jpg", "CC0", "a moth", "jpg"),
    ],
]


def shard_bytes(index: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for offset, (url, license_, caption, media) in enumerate(SHARDS[index]):
            key = f"{index:05d}{offset:04d}"
            members = [(f"{key}.{media}", b"placeholder " + media.encode())]
            members.append((f"{key}.txt", caption.encode()))
            if url is not None:
                meta: dict[str, object] = {"url": url, "key": key, "status": "success"}
                if license_ is not None:
                    meta["license"] = license_
                if media == "mp4":
                    info = {"webpage_url": url, "license": license_, "extractor_key": "Generic"}
                    meta["yt_meta_dict"] = {"info": info}
                members.append((f"{key}.json", json.dumps(meta, indent=4).encode()))
            for name, data in members:
                info_ = tarfile.TarInfo(name)
                info_.size, info_.mtime, info_.mode = len(data), MTIME, 0o644
                info_.uname = info_.gname = "auditor"
                tar.addfile(info_, io.BytesIO(data))
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for index in range(len(SHARDS)):
        path = OUT / f"{index:05d}.tar"
        data = shard_bytes(index)
        if check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
        else:
            path.write_bytes(data)
    for path in stale:
        print(f"{path}: out of date; run python scripts/make_example_shards.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
