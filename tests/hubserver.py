"""A fake Hugging Face Hub on 127.0.0.1 serving fixture dataset cards, for tests.

Serves ``/datasets/<owner>/<name>/resolve/<revision>/README.md`` from tests/fixtures/hub; a repo
named ``gated`` answers 403 unless the request carries ``Authorization: Bearer hf_test``. Records
every request so tests can check what the client sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CARDS = Path(__file__).parent / "fixtures" / "hub"
TOKEN = "hf_test"


@dataclass
class FakeHub:
    url: str
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)


@contextmanager
def fake_hub() -> Iterator[FakeHub]:
    state = FakeHub(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization")))

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            # datasets/<owner>/<name>/resolve/<revision>/README.md
            if len(parts) != 6 or parts[0] != "datasets" or parts[3] != "resolve":
                return self._send(404, b"")
            owner, name = parts[1], parts[2]
            if name == "gated" and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._send(403, b"gated")
            card = CARDS / owner / name / parts[5]
            if name == "gated":
                card = CARDS / "example-org" / "nc-instructions" / "README.md"
            if not card.is_file():
                return self._send(404, b"")
            return self._send(200, card.read_bytes())

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Repo-Commit", "0" * 40)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
