"""A fake Hugging Face Hub on 127.0.0.1 serving fixture dataset cards, for tests.

Serves ``/datasets/<owner>/<name>/resolve/<revision>/README.md`` from tests/fixtures/hub, and the
dataset API ``/api/datasets/<owner>/<name>[/revision/<revision>]`` with the commit (``sha``), the
``gated`` flag and, for gated repos, the card's metadata (``cardData``). Revisions: ``main`` is
commit ``COMMIT``; tag ``v1.0`` is commit ``COMMIT_V1``, at which permissive-text's card was the
nc-instructions card (its license changed later); any other revision is 404.

Gated repos answer 403 for the README unless the request carries ``Authorization: Bearer
hf_test``: ``gated`` (manual approval, the nc-instructions card, whose metadata has no gate text)
and ``gated-terms`` (automatic approval, a card whose ``extra_gated_prompt`` says non-commercial).
A ``private`` repo answers 401 to both without that token. Records every request so tests can
check what the client sent.

A few repo names behave like a hostile or broken server, for the client's limits:

- ``drip``: sends its headers, then the card one byte every ``drip_interval`` seconds;
- ``drip-headers``: sends its status line, then its headers one byte at a time, as slowly;
- ``huge``: a body of ``huge_size`` bytes with its Content-Length; ``huge-unsized`` the same with
  no length (the body ends when the connection closes);
- ``bomb``: a small gzip body (``Content-Encoding: gzip``) that inflates to ``huge_size`` bytes;
- ``gzipped``: the nc-instructions card, gzip-encoded, as a CDN sends it;
- ``brotli``: an encoding the client did not ask for; ``corrupt`` and ``truncated``: broken gzip;
- ``moved``: a redirect to nc-instructions; ``loop``: a redirect to itself.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

CARDS = Path(__file__).parent / "fixtures" / "hub"
TOKEN = "hf_test"
COMMIT = "0" * 40
COMMIT_V1 = "1" * 40
REVISIONS = {"main": COMMIT, COMMIT: COMMIT, "v1.0": COMMIT_V1, COMMIT_V1: COMMIT_V1}
GATED = {"gated": "manual", "gated-terms": "auto"}


@dataclass
class FakeHub:
    url: str
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    drip_interval: float = 0.2
    huge_size: int = 4 * 1024 * 1024


# Repos whose README answers like a hostile or broken server; the API answers for them as usual.
_HOSTILE = {
    "drip",
    "drip-headers",
    "huge",
    "huge-unsized",
    "bomb",
    "gzipped",
    "brotli",
    "corrupt",
    "truncated",
    "moved",
    "loop",
}


def _card(owner: str, name: str, commit: str | None) -> Path | None:
    """The README a repo has at ``commit``, None when it has none."""
    if name in ("gated", "private") or (name == "permissive-text" and commit == COMMIT_V1):
        return CARDS / "example-org" / "nc-instructions" / "README.md"
    card = CARDS / owner / name / "README.md"
    return card if card.is_file() else None


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    state = FakeHub(url="")
    nc_card = (CARDS / "example-org" / "nc-instructions" / "README.md").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization")))

        def do_GET(self) -> None:
            self.close_connection = True
            parts = self.path.split("?")[0].strip("/").split("/")
            if parts[:2] == ["api", "datasets"]:
                return self._api(parts[2:])
            # datasets/<owner>/<name>/resolve/<revision>/README.md
            if len(parts) != 6 or parts[0] != "datasets" or parts[3] != "resolve":
                return self._send(404, b"")
            owner, name = parts[1], parts[2]
            try:
                match name:
                    case "drip":
                        return self._drip_body(nc_card)
                    case "drip-headers":
                        return self._drip_headers(nc_card)
                    case "huge" | "huge-unsized":
                        return self._huge(sized=name == "huge")
                    case "bomb":
                        body = gzip.compress(b"x" * state.huge_size, compresslevel=9)
                        return self._send(200, body, {"Content-Encoding": "gzip"})
                    case "gzipped":
                        return self._send(200, gzip.compress(nc_card), {"Content-Encoding": "gzip"})
                    case "brotli":
                        return self._send(200, nc_card, {"Content-Encoding": "br"})
                    case "corrupt" | "truncated":
                        packed = gzip.compress(nc_card)
                        body = packed[:20] if name == "truncated" else b"\x1f\x8b" + b"?" * 30
                        return self._send(200, body, {"Content-Encoding": "gzip"})
                    case "moved" | "loop":
                        target = "nc-instructions" if name == "moved" else "loop"
                        where = f"/datasets/{owner}/{target}/resolve/main/README.md"
                        return self._send(307, b"x" * 1024, {"Location": where})
            except OSError:
                return None  # the client hung up, as it should on a hostile answer
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                if name in GATED:
                    return self._send(403, b"gated")
                if name == "private":
                    return self._send(401, b"private")
            commit = REVISIONS.get(parts[4])
            card = _card(owner, name, commit)
            if commit is None or card is None:
                return self._send(404, b"")
            return self._send(200, card.read_bytes(), {"X-Repo-Commit": commit})

        def _api(self, parts: list[str]) -> None:
            """``<owner>/<name>`` or ``<owner>/<name>/revision/<revision>``."""
            revision = parts[3] if len(parts) == 4 and parts[2] == "revision" else "main"
            commit = REVISIONS.get(revision)
            if len(parts) not in (2, 4) or commit is None:
                return self._send(404, b'{"error": "Revision Not Found"}')
            owner, name = parts[0], parts[1]
            if name == "private" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(401, b'{"error": "Invalid credentials"}')
            card = _card(owner, name, commit)
            if card is None and name not in _HOSTILE:
                return self._send(404, b'{"error": "Repository Not Found"}')
            info: dict[str, object] = {
                "id": f"{owner}/{name}",
                "sha": commit,
                "gated": GATED.get(name, False),
            }
            if name in GATED and card is not None:
                info["cardData"] = yaml.safe_load(card.read_text().split("---")[1])
            return self._send(200, json.dumps(info).encode())

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for key, value in ({"X-Repo-Commit": COMMIT} | (headers or {})).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _drip_body(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                time.sleep(state.drip_interval)

        def _drip_headers(self, body: bytes) -> None:
            padding = "p" * 200
            head = f"HTTP/1.1 200 OK\r\nX-Padding: {padding}\r\nContent-Length: {len(body)}\r\n\r\n"
            for byte in head.encode():
                self.wfile.write(bytes([byte]))
                time.sleep(state.drip_interval)
            self.wfile.write(body)

        def _huge(self, *, sized: bool) -> None:
            self.send_response(200)
            if sized:
                self.send_header("Content-Length", str(state.huge_size))
            self.end_headers()
            block = b"a" * 65536
            for _ in range(state.huge_size // len(block)):
                self.wfile.write(block)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval: shutting the server down at the end of a test takes no half second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
