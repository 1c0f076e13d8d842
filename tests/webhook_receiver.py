"""A webhook receiver on 127.0.0.1 for the tests: records what arrives, answers as told."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Status codes to answer, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    # Seconds to wait before answering the next request (then 0).
    hang_once: float = 0.0
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} deliveries arrived")
                self.arrived.wait(left)
            return list(self.received)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got: Receiver = state["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with got.arrived:
                got.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                got.arrived.notify_all()
                hang, got.hang_once = got.hang_once, 0.0
                status = got.answers.pop(0) if got.answers else 200
            if hang:
                time.sleep(hang)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a sender that gave up waiting (the timeout tests) closed its end

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/berdaya")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
