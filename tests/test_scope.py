"""Admin scope: admins act on their regions only; out of scope looks like not found."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.models import BusinessStatus, Role
from tests.conftest import Auth
from tests.factories import BusinessFactory, ProductFactory
from tests.helpers import assert_problem
from tests.worlds import staff

BEKASI_VILLAGE = "32.75.11.1004"
BOGOR_VILLAGE = "32.71.01.1001"


def test_a_city_admin_sees_and_acts_on_her_city_only(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    bekasi = BusinessFactory(village_code=BEKASI_VILLAGE, status=BusinessStatus.DRAFT)
    bogor = BusinessFactory(village_code=BOGOR_VILLAGE, status=BusinessStatus.DRAFT)
    bekasi_admin = staff(auth, db_session, Role.ADMIN, "32.75")
    province_admin = staff(auth, db_session, Role.ADMIN, "32")
    national_admin = staff(auth, db_session, Role.ADMIN)
    bogor_admin = staff(auth, db_session, Role.ADMIN, "32.71")

    assert client.get(f"/v1/businesses/{bekasi.id}", headers=bekasi_admin).status_code == 200
    assert_problem(client.get(f"/v1/businesses/{bogor.id}", headers=bekasi_admin), 404)
    assert_problem(client.get(f"/v1/businesses/{bekasi.id}", headers=bogor_admin), 404)
    for headers in (province_admin, national_admin):
        assert client.get(f"/v1/businesses/{bekasi.id}", headers=headers).status_code == 200
        assert client.get(f"/v1/businesses/{bogor.id}", headers=headers).status_code == 200

    # Acting: the private part and edits follow the same scope.
    shown = client.get(f"/v1/businesses/{bekasi.id}", headers=bekasi_admin).json
    assert shown["private"] is not None
    bekasi.status = BusinessStatus.ACTIVE
    db_session.flush()
    public = client.get(f"/v1/businesses/{bekasi.id}", headers=bogor_admin).json
    assert public["private"] is None  # visible to all once active, but not hers to act on
    assert_problem(client.post(f"/v1/businesses/{bekasi.id}/pause", headers=bogor_admin), 403)
    assert client.post(f"/v1/businesses/{bekasi.id}/pause", headers=bekasi_admin).status_code == 200


def test_out_of_scope_products_and_orders_look_not_found(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    draft = ProductFactory(business=BusinessFactory(village_code=BEKASI_VILLAGE))
    draft.status = draft.status.DRAFT
    db_session.flush()
    bogor_admin = staff(auth, db_session, Role.ADMIN, "32.71")
    bekasi_admin = staff(auth, db_session, Role.ADMIN, "32.75")
    assert_problem(client.get(f"/v1/products/{draft.id}", headers=bogor_admin), 404)
    assert client.get(f"/v1/products/{draft.id}", headers=bekasi_admin).status_code == 200


def test_a_facilitator_without_regions_is_scoped_to_nothing(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    draft = BusinessFactory(village_code=BEKASI_VILLAGE, status=BusinessStatus.DRAFT)
    facilitator = staff(auth, db_session, Role.FACILITATOR)
    assert_problem(client.get(f"/v1/businesses/{draft.id}", headers=facilitator), 404)
