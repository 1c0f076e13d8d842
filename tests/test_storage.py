"""Photo storage: S3-compatible object storage by configuration; files follow the transaction.

The S3 tests talk HTTP to moto's standalone S3 server, started here in a thread: no MinIO or
other S3 server can be installed on the CI machine. Point ``TEST_S3_ENDPOINT_URL`` (with
``TEST_S3_BUCKET`` and the usual ``AWS_*`` credentials) at a real one to run them against it.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api import create_app
from api.config import ConfigError
from api.models import Disbursement, Role, User
from api.services import photos as photo_service
from api.services.authz import Actor
from api.state import get_state
from api.storage import FileMissing, LocalStorage, S3Storage
from tests.conftest import TEST_SETTINGS, Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, image_bytes, upload

CDN = "https://cdn.example.org/"


@dataclass
class S3Server:
    endpoint_url: str
    bucket: str
    private_bucket: str

    def storage(self) -> S3Storage:
        return S3Storage(
            bucket=self.bucket,
            public_url=f"{self.endpoint_url}/{self.bucket}/",
            endpoint_url=self.endpoint_url,
            region="us-east-1",
            private_bucket=self.private_bucket,
        )


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    real = os.environ.get("TEST_S3_ENDPOINT_URL")
    if real:
        yield S3Server(
            real.rstrip("/"), os.environ["TEST_S3_BUCKET"], os.environ["TEST_S3_PRIVATE_BUCKET"]
        )
        return
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="berdaya-test", AWS_SECRET_ACCESS_KEY="berdaya-test")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = S3Server(f"http://127.0.0.1:{port}", "berdaya-photos", "berdaya-private")
        client = s3.storage().client
        client.create_bucket(Bucket=s3.bucket)
        client.create_bucket(Bucket=s3.private_bucket)  # no policy: only the app's key reads
        # What the operator does (README): anyone may read, only the app's key may write.
        client.put_bucket_policy(Bucket=s3.bucket, Policy=json.dumps(public_read(s3.bucket)))
        yield s3
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def public_read(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def fetch(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http to the test server)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


@pytest.fixture
def s3_storage(app: Flask, s3_server: S3Server) -> Iterator[S3Storage]:
    state = get_state(app)
    local, state.storage = state.storage, s3_server.storage()
    try:
        yield state.storage  # type: ignore[misc]
    finally:
        state.storage = local


def test_photos_go_to_the_bucket_and_clients_fetch_them_from_there(
    client: FlaskClient, auth: Auth, s3_storage: S3Storage
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    url = f"/v1/products/{product.id}/photos"
    response = upload(client, url, image_bytes("JPEG", (900, 600)), headers)
    assert response.status_code == 201, response.json
    urls = response.json["urls"]
    for address in urls.values():
        assert address.startswith(s3_storage.public_url)
        status, received, body = fetch(address)
        assert status == 200 and body[8:12] == b"WEBP"
        assert received["Content-Type"] == "image/webp"
        assert received["Cache-Control"] == "public, max-age=31536000, immutable"

    assert client.delete(f"{url}/{response.json['id']}", headers=headers).status_code == 204
    assert all(fetch(address)[0] == 404 for address in urls.values())


def test_the_app_uses_s3_when_configured_and_serves_no_local_media(
    database_url: str, s3_server: S3Server, tmp_path: Path
) -> None:
    app = create_app(
        {
            **TEST_SETTINGS,
            "database_url": database_url,
            "media_root": str(tmp_path),
            "storage_backend": "s3",
            "s3_bucket": s3_server.bucket,
            "s3_endpoint_url": s3_server.endpoint_url,
            "s3_public_url": "https://photos.example.org/",
            "s3_private_bucket": s3_server.private_bucket,
        }
    )
    storage = get_state(app).storage
    assert isinstance(storage, S3Storage)
    assert storage.url("photos/x/160.webp") == "https://photos.example.org/photos/x/160.webp"
    (tmp_path / "secret.txt").write_text("not served")
    assert app.test_client().get("/media/secret.txt").status_code == 404
    get_state(app).engine.dispose()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"storage_backend": "ftp"}, "STORAGE_BACKEND"),
        ({"storage_backend": "s3", "s3_public_url": "https://cdn.example.org/"}, "S3_BUCKET"),
        ({"storage_backend": "s3", "s3_bucket": "b"}, "S3_PUBLIC_URL"),
        ({"storage_backend": "s3", "s3_bucket": "b", "s3_public_url": "cdn"}, "S3_PUBLIC_URL"),
        ({"storage_backend": "s3", "s3_bucket": "b", "s3_public_url": CDN}, "S3_PRIVATE_BUCKET"),
        (
            {
                "storage_backend": "s3",
                "s3_bucket": "b",
                "s3_public_url": CDN,
                "s3_private_bucket": "b",
            },
            "S3_PRIVATE_BUCKET",
        ),
        ({"media_root": "/srv/media", "private_root": "/srv/media/private"}, "PRIVATE_ROOT"),
    ],
)
def test_incomplete_storage_settings_are_refused(
    settings: dict[str, Any], message: str, database_url: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app({**TEST_SETTINGS, "database_url": database_url, **settings})


def test_evidence_goes_to_the_private_bucket_and_a_replaced_file_is_deleted(
    client: FlaskClient, auth: Auth, s3_storage: S3Storage, db_session: Session
) -> None:
    from tests.worlds import Csr, put_evidence

    csr = Csr(auth)
    sid = csr.propose(client).json["id"]
    csr.act(client, sid, "accept", csr.alumna_h)
    did = csr.disburse(client, sid, 500_000).json["id"]
    url = f"/v1/sponsorships/{sid}/disbursements/{did}/evidence"
    pdf = b"%PDF-1.4\n% bukti\n%%EOF\n"
    assert put_evidence(client, url, pdf, csr.partner_h).status_code == 200
    disbursement = db_session.get(Disbursement, did)
    assert disbursement is not None
    key = f"evidence/{did}/{disbursement.evidence_token}/evidence.pdf"

    # Nothing in the public bucket (its public URL is a 404); the private bucket holds it,
    # with no public caching, and the API hands it to the parties.
    assert fetch(f"{s3_storage.public_url}{key}")[0] == 404
    private = s3_storage.private
    stored = private.client.get_object(Bucket=private.bucket, Key=key)
    assert stored["Body"].read() == pdf and stored["CacheControl"] == "private, no-store"
    served = client.get(url, headers=csr.alumna_h)
    assert served.status_code == 200 and served.get_data() == pdf
    served.close()
    assert_problem(client.get(url, headers=auth.as_role(Role.PARTNER)[1]), 404)

    assert put_evidence(client, url, image_bytes(), csr.partner_h).status_code == 200
    listed = private.client.list_objects_v2(Bucket=private.bucket, Prefix=f"evidence/{did}/")
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert key not in keys and len(keys) == 3 and all(k.endswith(".webp") for k in keys)


def _files(storage: LocalStorage) -> list[Path]:
    return list(storage.root.rglob("*.webp"))


def test_a_rolled_back_upload_leaves_no_files(db_session: Session, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    business = BusinessFactory()
    db_session.commit()
    actor = Actor(db_session.get(User, business.owner_id))
    photo_service.add_photo(
        db_session, actor=actor, storage=storage, data=image_bytes(), business_id=business.id
    )
    assert len(_files(storage)) == 3
    db_session.rollback()
    assert _files(storage) == []


def test_files_of_a_deleted_photo_go_only_when_the_deletion_commits(
    db_session: Session, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    business = BusinessFactory()
    actor = Actor(db_session.get(User, business.owner_id))
    photo = photo_service.add_photo(
        db_session, actor=actor, storage=storage, data=image_bytes(), business_id=business.id
    )
    db_session.commit()
    photo_service.delete_photo(
        db_session, actor=actor, storage=storage, photo_id=photo.id, business_id=business.id
    )
    db_session.rollback()
    assert len(_files(storage)) == 3
    photo_service.delete_photo(
        db_session, actor=actor, storage=storage, photo_id=photo.id, business_id=business.id
    )
    assert len(_files(storage)) == 3
    db_session.commit()
    assert _files(storage) == []


def test_a_missing_file_is_said_so_by_either_storage(s3_server: S3Server, tmp_path: Path) -> None:
    """What reads a file it may not have drawn yet (a certificate's PDF) tells a missing file
    from a failure, on disk and on S3 alike."""
    for storage in (LocalStorage(tmp_path / "media"), s3_server.storage()):
        with pytest.raises(FileMissing):
            storage.private.get("certificates/tce_none/0000.pdf")
        storage.private.put("certificates/tce_one/0001.pdf", b"%PDF-1.4", "application/pdf")
        assert storage.private.get("certificates/tce_one/0001.pdf") == b"%PDF-1.4"
