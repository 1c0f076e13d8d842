"""The third-party contract: a Python client generated from openapi/openapi.json with
openapi-python-client runs a partner's scenario against the running server, with an API key:
search products, read a business, follow the events feed."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import MemberRole, ProductStatus, Role, User
from tests.conftest import Auth
from tests.factories import OrganizationFactory, ProductFactory, member_of

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="module")
def berdaya_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated from the committed spec (as a partner would)."""
    where = tmp_path_factory.mktemp("client")
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n")
    generated = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(ROOT / "openapi" / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(where / "berdaya_client"),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # every operation generated
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("berdaya_client")
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m.split(".")[0] == "berdaya_client"]:
            del sys.modules[name]


def test_a_partner_app_follows_the_catalogue_through_the_generated_client(
    berdaya_client: ModuleType,
    live_server: str,
    client: FlaskClient,
    auth: Auth,
    db_session: Session,
) -> None:
    api: Any = importlib.import_module("berdaya_client.api")
    search = importlib.import_module("berdaya_client.api.products.search_products")
    get_business = importlib.import_module("berdaya_client.api.businesses.get_business")
    list_events = importlib.import_module("berdaya_client.api.events.list_events")
    models = importlib.import_module("berdaya_client.models")
    assert api is not None

    company = OrganizationFactory(verified_at=utcnow())
    admin, admin_h = auth.as_role(Role.PARTNER)
    member_of(company, admin, MemberRole.ADMIN)
    key = client.post(
        f"/v1/organizations/{company.id}/api-keys",
        json={"name": "Katalog mitra", "scopes": ["catalogue:read", "events:read"]},
        headers=admin_h,
    ).json["secret"]
    app_client = berdaya_client.AuthenticatedClient(
        base_url=live_server, token=key, prefix="", auth_header_name="X-API-Key"
    )

    start = list_events.sync(client=app_client, limit=1000)
    while start.has_more:
        start = list_events.sync(client=app_client, after=start.next_after, limit=1000)

    product = ProductFactory(status=ProductStatus.DRAFT, name="Rengginang ketan hitam")
    owner = db_session.get(User, product.business.owner_id)
    assert owner is not None
    published = client.post(f"/v1/products/{product.id}/publish", headers=auth.headers(owner))
    assert published.status_code == 200

    found = search.sync(client=app_client, q="rengginang")
    assert isinstance(found, models.ProductSummaryChangesPage)
    assert [p.id for p in found.items] == [product.id]
    assert isinstance(found.items[0], models.ProductSummary)  # compact rows by default
    assert found.items[0].price_idr == product.price_idr
    whole = search.sync(client=app_client, q="rengginang", view=models.SearchProductsView.FULL)
    assert isinstance(whole, models.ProductSummaryChangesPage)
    assert isinstance(whole.items[0], models.Product) and whole.items[0].tags == []

    business = get_business.sync(client=app_client, business_id=found.items[0].business.id)
    assert isinstance(business, models.Business) and business.id == product.business_id

    missing = get_business.sync_detailed(client=app_client, business_id="bus_nothing")
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
    assert missing.parsed.code == "not_found"

    news = list_events.sync(client=app_client, after=start.next_after)
    assert isinstance(news, models.EventPage)
    assert [(e.type_, e.subject.id) for e in news.items] == [("product.published", product.id)]
    assert news.items[0].tombstone is False and news.has_more is False
    quiet = list_events.sync(client=app_client, after=news.next_after)
    assert quiet.items == [] and quiet.next_after == news.next_after

    anonymous = berdaya_client.Client(base_url=live_server)
    refused = list_events.sync_detailed(client=anonymous)
    assert refused.status_code == 401
