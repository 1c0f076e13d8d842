"""Reviews: only buyers of completed orders, once per product; replies, reports, moderation,
exact averages, photos."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.models import Business, Product, Review, Role
from api.schemas.photos import PhotoSchema
from tests.conftest import Auth
from tests.helpers import (
    Shop,
    assert_problem,
    black_image,
    completed_order,
    image_bytes,
    media_file,
)


@pytest.fixture
def shop(auth: Auth) -> Shop:
    return Shop(auth)


def review(client: FlaskClient, shop: Shop, order_id: str, product: Product, rating: int) -> dict:
    response = client.post(
        f"/v1/orders/{order_id}/reviews",
        json={"product_id": product.id, "rating": rating, "text": "Enak, lembut."},
        headers=shop.buyer_headers,
    )
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def test_the_buyer_of_a_completed_order_reviews_each_product_once(
    client: FlaskClient, shop: Shop
) -> None:
    order_id = completed_order(client, shop, (shop.cake, 1), (shop.snack, 2))
    first = review(client, shop, order_id, shop.cake, 4)
    names = shop.buyer.name.split()
    assert first["author_name"] == f"{names[0]} {names[-1][0]}." and first["reply"] is None
    assert shop.buyer.name not in str(first)  # her full name is not the public's
    review(client, shop, order_id, shop.snack, 5)
    again = client.post(
        f"/v1/orders/{order_id}/reviews",
        json={"product_id": shop.cake.id, "rating": 1},
        headers=shop.buyer_headers,
    )
    assert_problem(again, 409, "already_reviewed")
    product = client.get(f"/v1/products/{shop.cake.id}").json
    assert product["rating"] == {"average": 4.0, "count": 1}
    business = client.get(f"/v1/businesses/{shop.business.id}").json
    assert business["rating"] == {"average": 4.5, "count": 2}
    listed = client.get(f"/v1/businesses/{shop.business.id}/reviews").json["items"]
    assert [r["rating"] for r in listed] == [5, 4]
    seller_notes = client.get("/v1/me/notifications", headers=shop.seller_headers).json["items"]
    assert seller_notes[0]["type"] == "review.created"


def test_who_may_review_what(client: FlaskClient, shop: Shop, auth: Auth) -> None:
    open_order = shop.order(client, (shop.cake, 1)).json["id"]
    body = {"product_id": shop.cake.id, "rating": 5}
    url = f"/v1/orders/{open_order}/reviews"
    assert_problem(
        client.post(url, json=body, headers=shop.buyer_headers), 409, "order_not_completed"
    )
    done = completed_order(client, shop)
    url = f"/v1/orders/{done}/reviews"
    assert_problem(client.post(url, json=body, headers=shop.seller_headers), 403)
    _, stranger = auth.as_role(Role.BUYER)
    assert_problem(client.post(url, json=body, headers=stranger), 404)
    not_in_order = {"product_id": shop.snack.id, "rating": 5}
    problem = assert_problem(client.post(url, json=not_in_order, headers=shop.buyer_headers), 422)
    assert "product_id" in problem["errors"]
    for rating in (0, 6, 4.5, "5"):
        bad = {"product_id": shop.cake.id, "rating": rating}
        problem = assert_problem(client.post(url, json=bad, headers=shop.buyer_headers), 422)
        assert "rating" in problem["errors"]


def test_the_seller_replies_once(client: FlaskClient, shop: Shop, auth: Auth) -> None:
    order_id = completed_order(client, shop)
    review_id = review(client, shop, order_id, shop.cake, 3)["id"]
    url = f"/v1/reviews/{review_id}/reply"
    assert_problem(client.post(url, json={"text": "Terima kasih"}, headers=shop.buyer_headers), 403)
    replied = client.post(url, json={"text": "Terima kasih, Bu!"}, headers=shop.seller_headers)
    assert replied.status_code == 200 and replied.json["reply"] == "Terima kasih, Bu!"
    again = client.post(url, json={"text": "Lagi"}, headers=shop.seller_headers)
    assert_problem(again, 409, "already_replied")
    buyer_notes = client.get("/v1/me/notifications", headers=shop.buyer_headers).json["items"]
    assert buyer_notes[0]["type"] == "review.replied"


def test_reports_and_moderation_keep_the_averages_exact(
    client: FlaskClient, shop: Shop, auth: Auth, db_session: Session
) -> None:
    ratings = [5, 1, 4, 2, 5]
    ids = [review(client, shop, completed_order(client, shop), shop.cake, r)["id"] for r in ratings]
    _, reporter = auth.as_role(Role.BUYER)
    url = f"/v1/reviews/{ids[1]}/reports"
    assert (
        client.post(url, json={"reason": "Bukan pembeli asli"}, headers=reporter).status_code == 201
    )
    assert_problem(
        client.post(url, json={"reason": "lagi dong"}, headers=reporter), 409, "already_reported"
    )
    assert_problem(client.post(url, json={"reason": "anonim"}), 401)
    assert db_session.get(Review, ids[1]).report_count == 1  # type: ignore[union-attr]

    _, admin = auth.as_role(Role.ADMIN)
    queued = client.get("/v1/moderation/reports?target_type=review", headers=admin).json["items"]
    assert [(r["target_type"], r["target_id"]) for r in queued] == [("review", ids[1])]
    hide = f"/v1/reviews/{ids[1]}/hide"
    assert_problem(client.post(hide, json={"reason": "Spam"}, headers=reporter), 403)
    for _ in range(2):  # hiding twice changes the averages once
        hidden = client.post(hide, json={"reason": "Ulasan palsu"}, headers=admin)
        assert hidden.status_code == 200 and hidden.json["hidden"] is True
    public = client.get(f"/v1/products/{shop.cake.id}/reviews").json["items"]
    assert ids[1] not in [r["id"] for r in public] and len(public) == 4
    assert_problem(client.get(f"/v1/reviews/{ids[1]}"), 404)
    assert client.get(f"/v1/reviews/{ids[1]}", headers=shop.buyer_headers).status_code == 200

    def stored(model: type, key: str) -> tuple[int, int]:
        db_session.expire_all()
        row = db_session.get(model, key)
        return row.rating_count, row.rating_sum  # type: ignore[attr-defined]

    def truth(column: object, key: str) -> tuple[int, int]:
        count, total = db_session.execute(
            select(func.count(), func.coalesce(func.sum(Review.rating), 0)).where(
                column == key, Review.hidden.is_(False)
            )
        ).one()
        return count, total

    assert stored(Product, shop.cake.id) == truth(Review.product_id, shop.cake.id) == (4, 16)
    assert stored(Business, shop.business.id) == truth(Review.business_id, shop.business.id)
    assert client.get(f"/v1/products/{shop.cake.id}").json["rating"] == {"average": 4.0, "count": 4}
    client.post(f"/v1/reviews/{ids[1]}/unhide", headers=admin)
    client.post(f"/v1/reviews/{ids[1]}/unhide", headers=admin)
    assert stored(Product, shop.cake.id) == truth(Review.product_id, shop.cake.id) == (5, 17)
    assert client.get(f"/v1/products/{shop.cake.id}").json["rating"] == {"average": 3.4, "count": 5}


def test_a_review_photo_is_processed_and_replaceable(
    client: FlaskClient, shop: Shop, auth: Auth
) -> None:
    review_id = review(client, shop, completed_order(client, shop), shop.cake, 5)["id"]
    url = f"/v1/reviews/{review_id}/photo"

    def put(headers: dict[str, str], data: bytes) -> TestResponse:
        return client.put(
            url,
            data={"file": (io.BytesIO(data), "foto.jpg")},
            headers=headers,
            content_type="multipart/form-data",
        )

    assert_problem(put(shop.seller_headers, image_bytes()), 403)
    assert_problem(put(shop.buyer_headers, b"not an image"), 415)
    huge = black_image("RGB", (6320, 6320), "PNG")  # 116 KB, 160 MB decoded
    assert_problem(put(shop.buyer_headers, huge), 413, "image_too_many_pixels")
    first = put(shop.buyer_headers, image_bytes("PNG", (800, 600)))
    assert first.status_code == 200, first.json
    urls = first.json["photo_urls"]
    with Image.open(io.BytesIO(media_file(client, urls["480"]))) as stored:
        assert stored.format == "WEBP" and stored.size == (480, 360)
    # The same shape as a product's photos: id, position, width, height, urls by width.
    [photo] = first.json["photos"]
    assert set(photo) == set(PhotoSchema().fields) == {"id", "position", "width", "height", "urls"}
    assert (photo["position"], photo["width"], photo["height"], photo["urls"]) == (
        0,
        800,
        600,
        urls,
    )
    second = put(shop.buyer_headers, image_bytes("JPEG", (300, 300)))
    assert second.json["photo_urls"]["160"] != urls["160"]
    assert [(p["width"], p["height"]) for p in second.json["photos"]] == [(300, 300)]
    listed = client.get(f"/v1/businesses/{shop.business.id}/reviews").json["items"]
    assert listed[0]["photos"] == second.json["photos"]
    assert client.get(urls["160"]).status_code == 404  # the replaced files are gone
    assert client.delete(url, headers=shop.buyer_headers).status_code == 204
    gone = client.get(f"/v1/reviews/{review_id}").json
    assert gone["photo_urls"] is None and gone["photos"] == []
    assert_problem(client.delete(url, headers=shop.buyer_headers), 404)
