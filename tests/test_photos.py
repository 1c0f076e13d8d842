"""Photos: content sniffing, limits, bombs, metadata stripped, WebP sizes, order, delete."""

from __future__ import annotations

import io
import os
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import images
from api.models import Photo, ProductStatus, Role
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, black_image, image_bytes, media_file, upload


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    gps = {1: "S", 2: (6.0, 15.0, 30.0), 3: "E", 4: (107.0, 0.0, 15.0)}
    exif[0x8825] = gps  # GPSInfo
    return image_bytes("JPEG", exif=exif.tobytes())


def test_a_photo_is_stored_as_webp_in_three_sizes_without_metadata(
    client: FlaskClient, auth: Auth
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    original = jpeg_with_gps()
    assert b"CanaryCam" in original
    response = upload(
        client, f"/v1/products/{product.id}/photos", original, headers, name="foto.png"
    )
    assert response.status_code == 201, response.json
    photo = response.json
    assert (photo["width"], photo["height"], photo["position"]) == (1600, 1200, 0)
    assert set(photo["urls"]) == {"160", "480", "1080"}
    for size, url in photo["urls"].items():
        data = media_file(client, url)
        with Image.open(io.BytesIO(data)) as stored:
            assert stored.format == "WEBP"
            assert max(stored.size) == int(size)
            assert not stored.getexif() and "exif" not in stored.info
        assert b"CanaryCam" not in data
    shown = client.get(f"/v1/products/{product.id}").json["photos"]
    assert [p["id"] for p in shown] == [photo["id"]]


def test_png_and_webp_are_accepted(client: FlaskClient, auth: Auth) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    business = BusinessFactory(owner_id=owner.id)
    for fmt in ("PNG", "WEBP"):
        response = upload(
            client, f"/v1/businesses/{business.id}/photos", image_bytes(fmt, (300, 200)), headers
        )
        assert response.status_code == 201, response.json
    listed = client.get(f"/v1/businesses/{business.id}/photos").json
    assert [p["position"] for p in listed["items"]] == [0, 1] and listed["next_cursor"] is None
    assert len(client.get(f"/v1/businesses/{business.id}").json["photos"]) == 2


def test_what_is_not_a_photo_is_415_and_writes_nothing(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    url = f"/v1/products/{product.id}/photos"
    fakes = [
        (b"just some text pretending", "foto.jpg"),
        (image_bytes("GIF", (50, 50)), "foto.jpg"),
        (image_bytes("JPEG")[:500], "foto.jpg"),  # truncated
        (b"%PDF-1.4 not an image", "foto.webp"),
    ]
    for data, name in fakes:
        assert_problem(upload(client, url, data, headers, name=name), 415)
    assert db_session.scalar(select(func.count()).select_from(Photo)) == 0


def test_oversize_bombs_and_the_ninth_photo_are_refused(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    url = f"/v1/products/{product.id}/photos"
    noise = io.BytesIO()
    Image.frombytes("RGB", (1800, 1200), os.urandom(1800 * 1200 * 3)).save(noise, format="PNG")
    assert len(noise.getvalue()) > 5 * 1024 * 1024
    assert_problem(upload(client, url, noise.getvalue(), headers), 413)
    bomb = image_bytes("PNG", (10_000, 5_000))  # 50 megapixels of one colour: a few KB
    assert len(bomb) < 200_000
    assert_problem(upload(client, url, bomb, headers), 413, "image_too_large")
    small = image_bytes("JPEG", (200, 200))
    for _ in range(8):
        assert upload(client, url, small, headers).status_code == 201
    assert_problem(upload(client, url, small, headers), 409, "too_many_photos")
    assert db_session.scalar(select(func.count()).select_from(Photo)) == 8


def test_order_and_delete(client: FlaskClient, auth: Auth, app_media: Path) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    url = f"/v1/products/{product.id}/photos"
    ids = [
        upload(client, url, image_bytes("JPEG", (100, 100)), headers).json["id"] for _ in range(3)
    ]
    reordered = client.put(
        f"{url}/order", json={"photo_ids": [ids[2], ids[0], ids[1]]}, headers=headers
    )
    assert [p["id"] for p in reordered.json["items"]] == [ids[2], ids[0], ids[1]]
    assert [p["id"] for p in client.get(url).json["items"]] == [ids[2], ids[0], ids[1]]
    assert (
        "photo_ids"
        in assert_problem(
            client.put(f"{url}/order", json={"photo_ids": ids[:2]}, headers=headers), 422
        )["errors"]
    )
    assert client.delete(f"{url}/{ids[0]}", headers=headers).status_code == 204
    remaining = client.get(url).json["items"]
    assert [(p["id"], p["position"]) for p in remaining] == [(ids[2], 0), (ids[1], 1)]
    assert not (app_media / "photos" / ids[0]).exists() or not any(
        (app_media / "photos" / ids[0]).iterdir()
    )
    assert_problem(client.delete(f"{url}/{ids[0]}", headers=headers), 404)


def test_only_the_owner_changes_photos(client: FlaskClient, auth: Auth) -> None:
    product = ProductFactory()
    url = f"/v1/products/{product.id}/photos"
    _, stranger = auth.as_role(Role.ALUMNA)
    assert_problem(upload(client, url, image_bytes(), stranger), 403)
    assert_problem(upload(client, url, image_bytes(), {}), 401)
    hidden = ProductFactory(status=ProductStatus.DRAFT)
    assert_problem(client.get(f"/v1/products/{hidden.id}/photos"), 404)
    assert_problem(upload(client, f"/v1/products/{hidden.id}/photos", image_bytes(), stranger), 404)


def test_a_retried_upload_with_a_new_boundary_replays(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    keyed = {**headers, "Idempotency-Key": "upload-1"}
    data = image_bytes("JPEG", (120, 90))
    first = upload(client, f"/v1/products/{product.id}/photos", data, keyed)
    again = upload(client, f"/v1/products/{product.id}/photos", data, keyed)  # new boundary
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert db_session.scalar(select(func.count()).select_from(Photo)) == 1
    other = upload(client, f"/v1/products/{product.id}/photos", image_bytes("PNG", (10, 10)), keyed)
    assert_problem(other, 422, "idempotency_key_reused")


def test_images_that_would_cost_too_much_memory_are_413_on_every_upload_path(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    """Under the 40 MP cap but over the memory one upload may use: refused before decoding
    (review photos and evidence: tests/test_reviews.py, tests/test_sponsorship.py)."""
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    black = black_image("RGB", (6320, 6320), "PNG")  # the report's 39.9 MP in about 116 KB
    assert len(black) < 200_000
    for url in (
        f"/v1/products/{product.id}/photos",
        f"/v1/businesses/{product.business_id}/photos",
    ):
        assert_problem(upload(client, url, black, headers), 413, "image_too_many_pixels")
    for data in (
        black_image("P", (5000, 5000), "PNG"),
        black_image("RGB", (3000, 3000), "WEBP", lossless=True),
        black_image("RGB", (4000, 4000), "JPEG", progressive=True),
    ):
        assert_problem(
            upload(client, f"/v1/products/{product.id}/photos", data, headers),
            413,
            "image_too_many_pixels",
        )
    assert db_session.scalar(select(func.count()).select_from(Photo)) == 0


def test_a_40_megapixel_jpeg_is_decoded_at_reduced_size_and_kept_upright(
    client: FlaskClient, auth: Auth, app_media: Path
) -> None:
    owner, headers = auth.as_role(Role.ALUMNA)
    product = ProductFactory(business=BusinessFactory(owner_id=owner.id))
    big = black_image("RGB", (7300, 5475), "JPEG", quality=50)
    with Image.open(io.BytesIO(big)) as opened:
        opened.draft("RGB", (1080, 810))
        assert opened.size == (1825, 1369)  # what is decoded: a quarter each way
        assert images.decode_cost(opened, (7300, 5475)) <= images.DECODE_BUDGET
    made = upload(client, f"/v1/products/{product.id}/photos", big, headers)
    assert made.status_code == 201, made.json
    assert (made.json["width"], made.json["height"]) == (7300, 5475)
    with Image.open(io.BytesIO(media_file(client, made.json["urls"]["1080"]))) as stored:
        assert stored.size == (1080, 810)

    # A phone's portrait photo, stored sideways with EXIF orientation 6: kept upright.
    sideways = Image.new("RGB", (1600, 1200), (200, 120, 40))
    exif = sideways.getexif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", exif=exif.tobytes())
    turned = upload(client, f"/v1/products/{product.id}/photos", buffer.getvalue(), headers)
    assert turned.status_code == 201, turned.json
    assert (turned.json["width"], turned.json["height"]) == (1200, 1600)
    with Image.open(io.BytesIO(media_file(client, turned.json["urls"]["480"]))) as stored:
        assert stored.size == (360, 480)
