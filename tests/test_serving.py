"""gunicorn as configured by gunicorn.conf.py: its own refusals (a request line or headers over
the limits) are problem+json, and production refuses per-worker in-memory rate limits with
several workers unless told to accept them (issue 20, findings 7 and 12)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from api.migrate import upgrade
from api.serving import LIMITS

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = (sys.executable, "-m", "gunicorn", "wsgi:app")
HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(tmp_path: Path, workers: int, **env: str) -> tuple[subprocess.Popen[bytes], int]:
    database = f"sqlite:///{tmp_path / 'serving.sqlite3'}"
    upgrade(database)
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [*GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "20"],
        cwd=ROOT,  # gunicorn reads ./gunicorn.conf.py
        env={
            **os.environ,
            "DATABASE_URL": database,
            "BERDAYA_ENV": "production",
            "SECRET_KEY": "serving-test-" + "x" * 40,
            "MEDIA_ROOT": str(tmp_path / "media"),
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": "https://berdaya.example.id",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    log.close()  # the child has its own
    return process, port


def _raw(port: int, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are; the status line, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, body


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(150):
        assert process.poll() is None, "gunicorn exited"
        try:
            status, _, _ = _raw(
                port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            if " 200 " in status:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    process, port = _start(tmp_path, 1)
    try:
        _wait_ready(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_request_line_over_the_limit_is_a_414_problem(served: int) -> None:
    path = "/v1/products?q=" + "a" * LIMITS["limit_request_line"]
    status, headers, body = _raw(served, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status.startswith("HTTP/1.1 414 ")
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 414 and problem["code"] == "uri_too_long"
    assert str(LIMITS["limit_request_line"]) in problem["detail"]


def test_headers_over_the_limits_are_a_431_problem(served: int) -> None:
    many = "".join(f"X-Extra-{n}: 1\r\n" for n in range(LIMITS["limit_request_fields"] + 1))
    large = "X-Large: " + "b" * LIMITS["limit_request_field_size"] + "\r\n"
    for extra in (many, large):
        status, headers, body = _raw(
            served, f"GET /health HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()
        )
        assert status.startswith("HTTP/1.1 431 "), status
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["code"] == "header_fields_too_large"
    # Within the limits the request is the app's.
    fine = "".join(f"X-Extra-{n}: 1\r\n" for n in range(40))
    status, _, _ = _raw(served, f"GET /health HTTP/1.1\r\nHost: x\r\n{fine}\r\n".encode())
    assert " 200 " in status


def test_production_refuses_in_memory_limits_with_several_workers(tmp_path: Path) -> None:
    process, _ = _start(tmp_path, 2, RATE_LIMIT_STORAGE_URL="memory://")
    try:
        assert process.wait(timeout=60) != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert "RATE_LIMIT_MEMORY_PER_WORKER" in (tmp_path / "gunicorn.log").read_text()


@pytest.mark.parametrize(
    ("workers", "env"),
    [(2, {"RATE_LIMIT_MEMORY_PER_WORKER": "1"}), (1, {}), (2, {"RATE_LIMIT_DEFAULT": ""})],
)
def test_one_worker_or_an_explicit_override_starts(
    tmp_path: Path, workers: int, env: dict[str, str]
) -> None:
    process, port = _start(tmp_path, workers, RATE_LIMIT_STORAGE_URL="memory://", **env)
    try:
        _wait_ready(port, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n"
    return _raw(port, request.encode())


def test_gunicorn_sends_brotli_or_gzip_as_asked_with_etags_that_still_match(served: int) -> None:
    """Issue 26: compression through the served app, over HTTP (api/http/compression.py)."""
    _, plain_headers, plain = _get(served, "/v1/categories")
    assert "content-encoding" not in plain_headers and len(plain) > 1000
    assert "Accept-Encoding" in plain_headers["vary"]
    for coding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        status, headers, body = _get(served, "/v1/categories", Accept_Encoding=coding)
        assert " 200 " in status and headers["content-encoding"] == coding
        assert int(headers["content-length"]) == len(body) < len(plain) / 2
        assert decompress(body) == plain
    category = json.loads(plain)["items"][0]["id"]
    _, headers, _ = _get(served, f"/v1/categories/{category}")
    held = headers["etag"][:-1] + ':br"'  # as a client holding a compressed copy has it
    status, headers, body = _get(
        served, f"/v1/categories/{category}", Accept_Encoding="br", If_None_Match=held
    )
    assert " 304 " in status and headers["etag"] == held and body == b""


def test_workers_are_forked_from_a_frozen_heap_and_collect_their_own() -> None:
    """gunicorn.conf.py, in a process of its own as gunicorn's master reads it: the app is
    built with the collector off, everything the master holds is frozen before each fork (so
    a worker's collections neither copy the shared pages nor walk them), and the worker and
    the master then collect as usual, after a reload (SIGHUP) too."""
    script = """
import gc, runpy
hooks = runpy.run_path("gunicorn.conf.py")
assert not gc.isenabled(), "the app is built without collecting"
hooks["when_ready"](None)
assert gc.isenabled(), "the master collects its own garbage once ready"
before = gc.get_freeze_count()
hooks["pre_fork"](None, None)
assert gc.get_freeze_count() > before, "the master's objects are frozen before a fork"
gc.disable()
hooks["post_fork"](None, None)
assert gc.isenabled(), "a worker collects"
hooks = runpy.run_path("gunicorn.conf.py")  # a SIGHUP reads the file again
hooks["on_reload"](None)
assert gc.isenabled(), "the master collects after a reload too"
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
