"""A stand-in for a messaging provider on 127.0.0.1 for the tests: records each request and
answers as told (status and JSON body), so the providers' request shapes can be checked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Provider:
    url: str
    requests: list[Request] = field(default_factory=list)
    # (status, body) to answer, in order; then ``default``.
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    default: tuple[int, dict[str, Any]] = (200, {})
    counter: int = 0


@contextmanager
def provider_server() -> Iterator[Provider]:
    state: dict[str, Provider] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got = state["provider"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                got.requests.append(
                    Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                got.counter += 1
                status, answer = got.answers.pop(0) if got.answers else got.default
                text = json.dumps(answer).replace("{n}", str(got.counter)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["provider"] = Provider(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["provider"]
    finally:
        server.shutdown()
        server.server_close()
