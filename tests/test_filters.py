"""Filters that name a stored thing: a category by id or slug, a region that exists; anything
unknown is a 422 naming the parameter on every list, never an empty 200."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.models import Role
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem, category_id

# Every list with a category or region filter.
CATEGORY_LISTS = ["/v1/products", "/v1/businesses", "/v1/needs", "/v1/categories"]
REGION_LISTS = [
    "/v1/products",
    "/v1/businesses",
    "/v1/needs",
    "/v1/mentoring-offers",
    "/v1/cohorts",
    "/v1/follow-up",
    "/v1/stats/region",
    "/v1/regions",
]


def _with(path: str, param: str, value: str) -> str:
    return f"{path}?{param}={value}"


@pytest.mark.parametrize("path", CATEGORY_LISTS)
@pytest.mark.parametrize("value", ["cat_nope", "no-such-category"])
def test_an_unknown_category_is_a_422_naming_the_parameter(
    client: FlaskClient, auth: Auth, path: str, value: str
) -> None:
    _, admin = auth.as_role(Role.ADMIN)
    param = "parent" if path.startswith("/v1/categories") else "category"
    refused = assert_problem(client.get(_with(path, param, value), headers=admin), 422)
    assert refused["errors"] == {param: ["Unknown category."]}


# Every list with a filter naming a business, program, cohort or organisation by id.
ID_FILTERS = [
    ("/v1/products", "business", "Unknown business."),
    ("/v1/needs", "business", "Unknown business."),
    ("/v1/orders", "business", "Unknown business."),
    ("/v1/needs", "cohort", "Unknown cohort."),
    ("/v1/graduate-claims", "cohort", "Unknown cohort."),
    ("/v1/cohorts", "program", "Unknown program."),
    ("/v1/stats/program", "program", "Unknown program."),
    ("/v1/mentoring-offers", "organization", "Unknown organisation."),
]


@pytest.mark.parametrize(("path", "param", "message"), ID_FILTERS)
def test_an_unknown_id_in_a_filter_is_a_422_naming_the_parameter(
    client: FlaskClient, auth: Auth, path: str, param: str, message: str
) -> None:
    _, admin = auth.as_role(Role.ADMIN)
    refused = assert_problem(client.get(_with(path, param, "xyz_nope"), headers=admin), 422)
    assert refused["errors"] == {param: [message]}


@pytest.mark.parametrize("path", REGION_LISTS)
def test_an_unknown_region_is_a_422_naming_the_parameter(
    client: FlaskClient, auth: Auth, path: str
) -> None:
    _, admin = auth.as_role(Role.ADMIN)
    param = "parent" if path == "/v1/regions" else "region"
    for value, message in (("32.99", "Unknown region code."), ("Bekasi", "Not a region code.")):
        refused = assert_problem(client.get(_with(path, param, value), headers=admin), 422)
        assert refused["errors"] == {param: [message]}
    assert client.get(_with(path, param, "32.75"), headers=admin).status_code == 200


def test_a_category_is_found_by_its_slug_as_by_its_id(
    client: FlaskClient, db_session: Session
) -> None:
    cakes = category_id(db_session, "traditional-cakes")
    business = BusinessFactory(category_id=cakes)
    product = ProductFactory(business=business, category_id=cakes)
    ProductFactory(category_id=category_id(db_session, "sewing-tailoring"))
    by_slug = client.get("/v1/products?category=traditional-cakes")
    by_id = client.get(f"/v1/products?category={cakes}")
    assert by_slug.status_code == 200, by_slug.json
    assert [p["id"] for p in by_slug.json["items"]] == [product.id]
    assert by_slug.json["items"] == by_id.json["items"]
    parent = client.get("/v1/products?category=snacks-cakes")  # a parent: its children too
    assert product.id in [p["id"] for p in parent.json["items"]]
    businesses = client.get("/v1/businesses?category=traditional-cakes").json["items"]
    assert [b["id"] for b in businesses] == [business.id]
