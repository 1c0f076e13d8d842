"""Small payloads for prepaid data on weak signal (issue 26): compact list items by default,
`view=full`, `fields=` on every read and list, compression by Accept-Encoding with ETags that
stay right, and photo uploads a phone can resize and retry."""

from __future__ import annotations

import gzip
import uuid
from typing import Any

import brotli
import orjson
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.http import compression
from api.http.compression import MIN_SIZE, KeptCompressed
from api.models import ProductStatus, Role, User
from api.openapi import spec_document
from api.schemas.products import ProductSchema
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, count_compressions, image_bytes, upload

SUMMARY_KEYS = {
    "id",
    "name",
    "price_idr",
    "unit",
    "availability",
    "status",
    "thumbnail_url",
    "business",
    "rating",
    "href",
}


@pytest.fixture
def listed(client: FlaskClient, auth: Auth, db_session: Session) -> dict[str, Any]:
    """A published product with a photo, and its whole public document."""
    product = ProductFactory(description="Legit " * 300, tags=["kue", "lebaran"])
    owner = auth.headers(db_session.get(User, product.business.owner_id))
    added = upload(client, f"/v1/products/{product.id}/photos", image_bytes(), owner)
    assert added.status_code == 201, added.json
    document = client.get(f"/v1/products/{product.id}").json
    return {"product": product, "document": document, "owner": owner}


# -- 1. compact list items -------------------------------------------------------------------


def test_a_search_page_is_compact_by_default_and_whole_with_view_full(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    document = listed["document"]
    compact = client.get("/v1/products", query_string={"business": document["business"]["id"]})
    assert compact.status_code == 200, compact.json
    [item] = compact.json["items"]
    assert set(item) == SUMMARY_KEYS
    assert item["name"] == document["name"] and item["price_idr"] == document["price_idr"]
    assert item["thumbnail_url"] == document["photos"][0]["urls"]["160"]
    assert item["business"] == {
        "id": document["business"]["id"],
        "name": document["business"]["name"],
        "district": document["business"]["district"],
    }
    assert item["rating"] == document["rating"]
    assert client.get(item["href"]).json == document  # the link leads to the whole document
    full = client.get(
        "/v1/products", query_string={"business": document["business"]["id"], "view": "full"}
    )
    assert full.json["items"] == [document]
    assert len(compact.data) * 4 < len(full.data)


def test_every_heavy_list_is_compact_by_default(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    business_id = listed["document"]["business"]["id"]
    for path, link in (
        (f"/v1/businesses/{business_id}/products", "/v1/products/"),
        ("/v1/businesses", "/v1/businesses/"),
    ):
        compact = client.get(path).json["items"]
        whole = client.get(path, query_string={"view": "full"}).json["items"]
        assert compact and len(compact) == len(whole)
        for small, big in zip(compact, whole, strict=True):
            assert small["href"] == link + big["id"] and "description" not in small
            assert "description" in big and "href" not in big
            assert small["name"] == big["name"]


def test_the_owner_s_compact_list_shows_drafts_with_their_status(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    product = listed["product"]
    draft = ProductFactory(business=product.business, status=ProductStatus.DRAFT)
    path = f"/v1/businesses/{product.business_id}/products"
    items = client.get(path, headers=listed["owner"]).json["items"]
    assert {(i["id"], i["status"]) for i in items} == {
        (product.id, "published"),
        (draft.id, "draft"),
    }


def test_an_unknown_view_is_a_422_naming_it(client: FlaskClient) -> None:
    problem = assert_problem(client.get("/v1/products?view=tiny"), 422)
    assert set(problem["errors"]) == {"view"}


def test_mentoring_requests_keep_their_own_view(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.ALUMNA)
    assert client.get("/v1/mentoring-requests?view=mine", headers=headers).status_code == 200


# -- 2. sparse fields ------------------------------------------------------------------------


def test_fields_pick_from_a_read_with_dotted_paths_and_the_etag_is_of_what_was_sent(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    path = f"/v1/products/{listed['product'].id}"
    whole = client.get(path)
    sparse = client.get(path, query_string={"fields": "name,price_idr,business.name,photos.id"})
    assert sparse.status_code == 200
    document = listed["document"]
    assert sparse.json == {
        "name": document["name"],
        "price_idr": document["price_idr"],
        "business": {"name": document["business"]["name"]},
        "photos": [{"id": document["photos"][0]["id"]}],
    }
    assert sparse.headers["ETag"] != whole.headers["ETag"]
    again = client.get(
        path,
        query_string={"fields": "name,price_idr,business.name,photos.id"},
        headers={"If-None-Match": sparse.headers["ETag"]},
    )
    assert again.status_code == 304 and again.headers["ETag"] == sparse.headers["ETag"]
    # A parent and its child: the whole parent.
    both = client.get(path, query_string={"fields": "business,business.name"}).json
    assert both == {"business": document["business"]}
    # Below a free-form object (photo URLs by width).
    urls = client.get(path, query_string={"fields": "photos.urls.160"}).json
    assert urls == {"photos": [{"urls": {"160": document["photos"][0]["urls"]["160"]}}]}


def test_the_owner_gets_fields_of_her_own_view(client: FlaskClient, listed: dict[str, Any]) -> None:
    path = f"/v1/products/{listed['product'].id}"
    mine = client.get(path, query_string={"fields": "stats,name"}, headers=listed["owner"])
    assert set(mine.json) == {"stats", "name"} and mine.json["stats"] is not None
    assert mine.headers["ETag"] != client.get(path, headers=listed["owner"]).headers["ETag"]


def test_fields_on_lists_pick_from_each_item_of_the_view_in_force(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    business_id = listed["document"]["business"]["id"]
    compact = client.get("/v1/products", query_string={"business": business_id, "fields": "href"})
    assert compact.json == {
        "items": [{"href": f"/v1/products/{listed['product'].id}"}],
        "next_cursor": None,
    }
    # `description` is not in a compact item: only with view=full.
    problem = assert_problem(
        client.get("/v1/products", query_string={"fields": "description"}), 422
    )
    assert problem["errors"] == {"fields": ["Unknown field: description."]}
    whole = client.get(
        "/v1/products",
        query_string={"business": business_id, "view": "full", "fields": "tags,category.slug"},
    )
    assert whole.json["items"] == [
        {"tags": ["kue", "lebaran"], "category": {"slug": listed["document"]["category"]["slug"]}}
    ]
    # The ORM path (a list without Encoded items) and a list without a compact view.
    businesses = client.get("/v1/businesses", query_string={"fields": "name,district.name"})
    assert all(set(b) == {"name", "district"} for b in businesses.json["items"])
    categories = client.get("/v1/categories", query_string={"fields": "slug"}).json["items"]
    assert categories and all(set(c) == {"slug"} for c in categories)


@pytest.mark.parametrize(
    "fields",
    ["nope", "name,nope", "business.nope", "price_idr.amount", "name..id", ",", "x" * 1001],
)
def test_unknown_or_malformed_fields_are_a_422_naming_them(
    client: FlaskClient, listed: dict[str, Any], fields: str
) -> None:
    problem = assert_problem(
        client.get(f"/v1/products/{listed['product'].id}", query_string={"fields": fields}), 422
    )
    assert set(problem["errors"]) == {"fields"}
    if fields in ("nope", "name,nope", "business.nope"):
        assert problem["errors"]["fields"] == [f"Unknown field: {fields.split(',')[-1]}."]


def test_fields_are_validated_in_the_caller_s_language(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    path = f"/v1/products/{listed['product'].id}?fields=nope"
    problem = assert_problem(client.get(path, headers={"Accept-Language": "id"}), 422)
    assert problem["errors"]["fields"] == ["Kolom tidak dikenal: nope."]


def test_every_read_and_list_documents_fields_once(app: Flask) -> None:
    spec = spec_document(app)
    assert "fields" in spec["components"]["parameters"]
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if not get or "application/json" not in get["responses"].get("200", {}).get("content", {}):
            continue
        refs = [p.get("$ref") for p in get.get("parameters", [])]
        assert "#/components/parameters/fields" in refs, path
    search = spec["paths"]["/v1/products"]["get"]
    assert {"$ref": "#/components/parameters/view"} in search["parameters"]
    # Its pages are changes pages too (``updated_since``): compact items or whole ones.
    page = spec["components"]["schemas"]["ProductSummaryChangesPage"]
    assert page["properties"]["items"]["items"]["oneOf"] == [
        {"$ref": "#/components/schemas/ProductSummary"},
        {"$ref": "#/components/schemas/Product"},
    ]
    assert {"deleted", "updated_until"} <= set(page["properties"])


# -- 3. compression --------------------------------------------------------------------------


def _decoded(response: Any) -> bytes:
    coding = response.headers.get("Content-Encoding")
    if coding == "br":
        return bytes(brotli.decompress(response.data))
    if coding == "gzip":
        return gzip.decompress(response.data)
    return bytes(response.data)


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_json_is_compressed_by_accept_encoding_and_says_vary(
    client: FlaskClient, listed: dict[str, Any], coding: str
) -> None:
    path = "/v1/products?view=full"
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    packed = client.get(path, headers={"Accept-Encoding": f"{coding}, identity"})
    assert packed.headers["Content-Encoding"] == coding
    assert (
        "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    )
    assert "Authorization" in packed.headers["Vary"]  # the app's own Vary is kept
    assert _decoded(packed) == plain.data
    assert len(packed.data) < len(plain.data) / 3


def test_small_answers_and_images_are_not_compressed(
    client: FlaskClient, listed: dict[str, Any]
) -> None:
    br = {"Accept-Encoding": "br, gzip"}
    small = client.get(f"/v1/products/{listed['product'].id}?fields=id", headers=br)
    assert len(small.data) < MIN_SIZE and "Content-Encoding" not in small.headers
    photo = client.get(listed["document"]["photos"][0]["urls"]["1080"], headers=br)
    try:
        assert photo.status_code == 200 and "Content-Encoding" not in photo.headers
        assert photo.mimetype.startswith("image/")
    finally:
        photo.close()


def test_etags_stay_right_with_compression(client: FlaskClient, listed: dict[str, Any]) -> None:
    path = f"/v1/products/{listed['product'].id}"
    identity = client.get(path).headers["ETag"]
    packed = client.get(path, headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    # Its own strong tag (RFC 9110, 8.8.3): not the identity representation's.
    assert packed.headers["ETag"] == identity[:-1] + ':br"'
    for held in (packed.headers["ETag"], identity):
        again = client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": held})
        assert again.status_code == 304 and again.data == b""
        assert again.headers["ETag"] == held
    # The compressed tag is as current as the identity one for a change (same state).
    changed = client.patch(
        path,
        json={"price_idr": 1234},
        headers={**listed["owner"], "If-Match": packed.headers["ETag"], "Accept-Encoding": "br"},
    )
    assert changed.status_code == 200, _decoded(changed)
    stale = client.patch(
        path,
        json={"price_idr": 4321},
        headers={**listed["owner"], "If-Match": packed.headers["ETag"]},
    )
    assert_problem(stale, 412)


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_a_document_is_compressed_once_and_a_change_is_never_sent_from_what_was_kept(
    client: FlaskClient, listed: dict[str, Any], coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Phones ask for compression on every read: a document sent as it was encoded (a cached
    public one, a page of them) is compressed once per process; what is kept is found by the
    hash of the exact bytes, so a changed document is compressed anew, never sent stale."""
    compressed = count_compressions(monkeypatch)
    path = f"/v1/products/{listed['product'].id}"
    packed = {"Accept-Encoding": coding}
    first, second = client.get(path, headers=packed), client.get(path, headers=packed)
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == coding
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    plain = client.get(path)
    assert _decoded(second) == plain.data
    assert len(compressed) == 1  # the second read sent what the first compressed
    changed = client.patch(
        path,
        json={"price_idr": 7777},
        headers={**listed["owner"], "If-Match": plain.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.json
    after = client.get(path, headers=packed)
    assert orjson.loads(_decoded(after))["price_idr"] == 7777
    assert len(compressed) == 2
    # an answer built for its caller (not sent as encoded before) is compressed each time
    for _ in range(2):
        mine = client.get(path, headers={**listed["owner"], **packed})
        assert mine.headers["Content-Encoding"] == coding
    assert len(compressed) == 4


def test_what_is_kept_compressed_stays_within_its_budget() -> None:
    kept = KeptCompressed(budget=16 * 1000)
    for i in range(100):
        kept.set(f"gzip;{i}", bytes(700))
    assert kept.size <= 16 * 1000 and kept.get("gzip;99") == bytes(700)
    assert kept.get("gzip;0") is None  # the least recently sent went first
    assert kept.get("gzip;85") is not None  # ... and a read makes an entry recent again
    for i in range(100, 110):
        kept.set(f"gzip;{i}", bytes(700))
    assert kept.get("gzip;85") is not None and kept.get("gzip;86") is None
    size, count = kept.size, len(kept._items)
    kept.set("gzip;", b"x" * 10)  # no key: an answer not to be kept
    assert (kept.size, len(kept._items)) == (size, count)
    kept.set("gzip;huge", bytes(900))  # with its key and overhead, over a sixteenth: not kept
    assert kept.get("gzip;huge") is None


def test_one_coding_is_never_sent_for_another(client: FlaskClient, listed: dict[str, Any]) -> None:
    path = f"/v1/products/{listed['product'].id}"
    plain = client.get(path).data
    for coding in ("br", "gzip", "br", "gzip"):
        packed = client.get(path, headers={"Accept-Encoding": coding})
        assert packed.headers["Content-Encoding"] == coding
        assert _decoded(packed) == plain


def test_a_key_kept_for_one_answer_never_names_the_next_one_s_body() -> None:
    """Requests made inside one app context share ``g`` (scripts, tests): what marks an
    answer for keeping must be the request's own, or a 201 after a kept 200 was sent the
    200's body (found by a review)."""
    app = Flask(__name__)
    compression.install(app)

    @app.get("/document")
    def document() -> Response:
        compression.kept_compressed()
        return Response(b'{"doc":"' + b"A" * 900 + b'"}', mimetype="application/json")

    @app.post("/made")
    def made() -> Response:
        return Response(b'{"made":"' + b"B" * 900 + b'"}', 201, mimetype="application/json")

    client = app.test_client()
    gzip_only = {"Accept-Encoding": "gzip"}
    with app.app_context():
        assert gzip.decompress(client.get("/document", headers=gzip_only).data).startswith(
            b'{"doc"'
        )
        made = client.post("/made", headers=gzip_only)
        assert made.status_code == 201 and made.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(made.data).startswith(b'{"made"')
        again = client.get("/document", headers=gzip_only)
        assert gzip.decompress(again.data).startswith(b'{"doc"')


def test_a_streamed_export_still_streams_compressed(client: FlaskClient, auth: Auth) -> None:
    _, headers = auth.as_role(Role.ADMIN)
    for _ in range(3):
        BusinessFactory()
    response = client.get(
        "/v1/research/businesses",
        query_string={"format": "csv"},
        headers={**headers, "Accept-Encoding": "gzip"},
        buffered=False,
    )
    if response.status_code != 200 or not response.is_streamed:
        pytest.skip("no streamed CSV export for this caller")
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(response.response)).count(b"\n") >= 1


# -- 6. uploads on bad connections -----------------------------------------------------------


def test_a_photo_resized_on_the_phone_is_the_whole_original_and_a_retry_is_safe(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    product = ProductFactory()
    owner = auth.headers(db_session.get(User, product.business.owner_id))
    small = image_bytes(size=(320, 240), quality=70)
    assert len(small) < 10_000
    headers = {**owner, "Idempotency-Key": str(uuid.uuid4())}
    first = upload(client, f"/v1/products/{product.id}/photos", small, headers)
    assert first.status_code == 201, first.json
    assert (first.json["width"], first.json["height"]) == (320, 240)
    # The connection dropped before the answer came: the same request again.
    retry = upload(client, f"/v1/products/{product.id}/photos", small, headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["id"] == first.json["id"]
    photos = client.get(f"/v1/products/{product.id}/photos", headers=owner).json["items"]
    assert [p["id"] for p in photos] == [first.json["id"]]
    tiny = upload(client, f"/v1/products/{product.id}/photos", image_bytes(size=(1, 1)), owner)
    assert tiny.status_code == 201


def test_the_spec_states_the_upload_maximum(app: Flask) -> None:
    spec = spec_document(app)
    body = spec["paths"]["/v1/products/{product_id}/photos"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"]["x-max-bytes"] == 5 * 1024 * 1024


def test_product_schema_is_the_full_item(listed: dict[str, Any]) -> None:
    assert set(listed["document"]) == set(ProductSchema().fields)


def test_needs_are_compact_by_default(client: FlaskClient, auth: Auth, db_session: Session) -> None:
    business = BusinessFactory()
    owner = auth.headers(db_session.get(User, business.owner_id))
    made = client.post(
        f"/v1/businesses/{business.id}/needs",
        json={
            "kind": "equipment",
            "title": "Oven baru",
            "description": "Oven " * 300,
            "target_value_idr": 3_500_000,
            "deadline": "2027-06-30",
        },
        headers=owner,
    )
    assert made.status_code == 201, made.json
    query = {"business": business.id}
    [small] = client.get("/v1/needs", query_string=query).json["items"]
    [whole] = client.get("/v1/needs", query_string={**query, "view": "full"}).json["items"]
    assert whole == made.json and "description" not in small
    assert small["href"] == f"/v1/needs/{whole['id']}" and small["title"] == "Oven baru"
    assert small["business"] == {
        "id": business.id,
        "name": whole["business"]["name"],
        "regency": whole["business"]["regency"],
    }
    assert (small["target_value_idr"], small["status"]) == (3_500_000, whole["status"])
