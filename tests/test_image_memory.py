"""What one photo upload may cost a worker in memory, measured under gunicorn.

A small file can describe a huge image: an all-black 6,320 x 6,320 PNG is 116 KB and 160 MB of
pixels once decoded. The app is served by one gunicorn worker with four threads (so uploads run
in it at the same time, as in ``make serve``), the worst cases are uploaded four at a time, and
the worker's peak resident memory (``VmHWM`` in ``/proc/<pid>/status``) must stay within the
benchmark's budget per worker (``bench/README.md``: 150 MiB).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from api.config import Settings
from api.migrate import upgrade
from api.models import Role
from api.security import Security
from api.services.auth import open_session
from api.services.regions import load_regions
from tests import factories

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 150 * 1024 * 1024  # bench/README.md: peak memory per worker
SECRET = "image-memory-test-" + "x" * 40


def _encode(image: Image.Image, fmt: str, **save: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _black(mode: str, size: tuple[int, int], fmt: str, **save: Any) -> bytes:
    image = Image.new(mode, size)
    try:
        return _encode(image, fmt, **save)
    finally:
        image.close()


@dataclass
class Served:
    """One gunicorn worker with four threads, and an alumna's business and products in it."""

    base: str
    worker: int
    business_id: str
    products: list[str]
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("image-memory")
    database = f"sqlite:///{tmp / 'images.sqlite3'}"
    upgrade(database)
    engine = create_engine(database)
    with engine.begin() as connection:
        load_regions(connection, echo=lambda _: None)
    with Session(engine) as session:
        factories.bind(session)
        try:
            owner = factories.UserFactory(role=Role.ALUMNA, email=f"{uuid.uuid4().hex}@example.id")
            business = factories.BusinessFactory(owner_id=owner.id)
            products = [factories.ProductFactory(business=business).id for _ in range(3)]
            # Signed in here: a sign-in in the worker would add the password hash's memory.
            token = open_session(
                session, security=Security(Settings(secret_key=SECRET)), user=owner
            ).access_token
            business_id = business.id
            session.commit()
        finally:
            factories.bind(None)
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "BERDAYA_ENV": "production",
        "SECRET_KEY": SECRET,
        "PUBLIC_BASE_URL": "https://berdaya.example.id",
        "RATE_LIMIT_DEFAULT": "",
        "MEDIA_ROOT": str(tmp / "media"),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "wsgi:app"),
            *("-k", "gthread", "--threads", "4", "-w", "1", "--timeout", "120"),
            *("-b", f"127.0.0.1:{port}"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):  # noqa: S310
                    break
            except OSError:
                time.sleep(0.1)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 1, children
        bearer = {"Authorization": f"Bearer {token}"}
        me = urllib.request.Request(base + "/v1/me", headers=bearer)  # noqa: S310
        with urllib.request.urlopen(me, timeout=10) as response:  # noqa: S310
            assert response.status == 200
        yield Served(base, int(children[0]), business_id, products, token)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _request(base: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def _upload(base: str, path: str, data: bytes, token: str) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    return _request(base, path, body, headers)


def _peak(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_the_worst_uploads_four_at_a_time_keep_a_worker_within_its_memory_budget(
    server: Served,
) -> None:
    base, worker, token, products = server.base, server.worker, server.token, server.products
    before = _peak(worker)
    # (what, the file, where it goes, the expected answer)
    cases = [
        # The report's file: 39.9 MP of black in 116 KB; decoding it alone is 160 MB.
        ("black 6320x6320 PNG", _black("RGB", (6320, 6320), "PNG"), None, 413),
        ("black 6320x6320 palette PNG", _black("P", (6320, 6320), "PNG"), None, 413),
        ("black 6000x6000 WebP", _black("RGB", (6000, 6000), "WEBP", lossless=True), None, 413),
        (
            "black 6320x6320 progressive JPEG",
            _black("RGB", (6320, 6320), "JPEG", progressive=True, quality=50),
            None,
            413,
        ),
        ("black 4000x3000 PNG", _black("RGB", (4000, 3000), "PNG"), None, 413),
        # The largest accepted: a 40 MP JPEG (decoded at a quarter), a phone's screenshot as a
        # PNG (3.6 MP), 1.6 MP with transparency, a 1.2 MP WebP.
        ("black 7300x5475 JPEG", _black("RGB", (7300, 5475), "JPEG", quality=50), 0, 201),
        ("black 1290x2796 PNG", _black("RGB", (1290, 2796), "PNG"), 1, 201),
        ("clear 1500x1100 PNG", _black("RGBA", (1500, 1100), "PNG"), 1, 201),
        ("black 1200x1000 WebP", _black("RGB", (1200, 1000), "WEBP", lossless=True), 2, 201),
    ]
    seen = []
    for what, data, product, expected in cases:
        assert len(data) < 5 * 1024 * 1024, what
        path = (
            f"/v1/products/{products[product]}/photos"
            if product is not None
            else f"/v1/businesses/{server.business_id}/photos"
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(_upload, *zip(*[(base, path, data, token)] * 4, strict=True)))
        statuses = [status for status, _ in answers]
        seen.append((what, statuses, _peak(worker) // 2**20))
        assert statuses == [expected] * 4, (what, answers[0])
        if expected == 413:
            problem = json.loads(answers[0][1])
            assert problem["code"] == "image_too_many_pixels", problem
    peak = _peak(worker)
    print(f"worker VmHWM before {before // 2**20} MiB, after {peak // 2**20} MiB: {seen}")
    assert peak <= BUDGET, f"peak {peak // 2**20} MiB > 150 MiB: {seen}"
