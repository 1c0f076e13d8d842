"""Categories: the seeded bilingual taxonomy, and admins adding to it."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Category, Role
from api.services.categories import with_descendants
from tests.conftest import Auth
from tests.helpers import assert_problem

SEEDED = {
    "snacks-cakes",
    "catering",
    "beverages",
    "frozen-food",
    "sewing-tailoring",
    "hijab-fashion",
    "crafts",
    "beauty",
    "household-goods",
    "services",
}


def test_the_taxonomy_is_seeded_in_both_languages(client: FlaskClient) -> None:
    top = client.get("/v1/categories?top_level=true&limit=100").json["items"]
    assert {c["slug"] for c in top} == SEEDED
    snacks = next(c for c in top if c["slug"] == "snacks-cakes")
    assert (snacks["name_id"], snacks["name_en"], snacks["name"]) == (
        "Kue dan camilan",
        "Snacks and cakes",
        "Snacks and cakes",
    )
    indonesian = client.get(f"/v1/categories/{snacks['id']}", headers={"Accept-Language": "id"})
    assert indonesian.json["name"] == "Kue dan camilan"
    children = client.get(f"/v1/categories?parent={snacks['id']}").json["items"]
    assert {c["slug"] for c in children} == {"traditional-cakes", "chips-crackers"}


def test_descendants_include_every_level(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    snacks = db_session.scalar(select(Category).where(Category.slug == "snacks-cakes"))
    cakes = db_session.scalar(select(Category).where(Category.slug == "traditional-cakes"))
    assert snacks is not None and cakes is not None
    _, admin = auth.as_role(Role.ADMIN)
    deeper = client.post(
        "/v1/categories",
        json={"slug": "klepon", "name_id": "Klepon", "name_en": "Klepon", "parent_id": cakes.id},
        headers=admin,
    )
    assert deeper.status_code == 201, deeper.json
    ids = with_descendants(db_session, snacks.id)
    assert {snacks.id, cakes.id, deeper.json["id"]} <= set(ids)
    assert len(ids) == 4


def test_only_admins_add_categories_and_bad_input_is_refused(
    client: FlaskClient, auth: Auth
) -> None:
    body = {"slug": "herbal-drinks", "name_id": "Jamu", "name_en": "Herbal drinks"}
    _, alumna = auth.as_role(Role.ALUMNA)
    assert_problem(client.post("/v1/categories", json=body, headers=alumna), 403)
    assert_problem(client.post("/v1/categories", json=body), 401)
    _, admin = auth.as_role(Role.ADMIN)
    for bad, field in (
        ({**body, "slug": "Herbal Drinks"}, "slug"),
        ({**body, "name_en": ""}, "name_en"),
        ({**body, "parent_id": "cat_nope"}, "parent_id"),
        ({**body, "id": "cat_x"}, "id"),
    ):
        assert (
            field
            in assert_problem(client.post("/v1/categories", json=bad, headers=admin), 422)["errors"]
        )
    assert client.post("/v1/categories", json=body, headers=admin).status_code == 201
    assert_problem(client.post("/v1/categories", json=body, headers=admin), 409, "already_exists")
    assert_problem(client.get("/v1/categories/cat_nope"), 404)
