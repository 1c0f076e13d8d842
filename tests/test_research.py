"""Research export: only under a data-use agreement; nothing that names or locates a woman."""

from __future__ import annotations

import csv
import io
import json

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import OrganizationKind, Role
from tests.conftest import Auth
from tests.factories import BusinessFactory, OrganizationFactory, member_of
from tests.helpers import assert_problem


def test_only_universities_under_agreement_read_an_anonymised_export(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    owner, _ = auth.as_role(Role.ALUMNA, name="Canary Siti Kanaria", phone="+6281299887766")
    business = BusinessFactory(
        owner_id=owner.id,
        name="Canary Kue Kanaria",
        address="Jl. Canary No. 7",
        whatsapp="+6281299887766",
    )
    university = OrganizationFactory(kind=OrganizationKind.UNIVERSITY, verified_at=utcnow())
    researcher, researcher_h = auth.as_role(Role.MENTOR)
    member_of(university, researcher)
    _, admin_h = auth.as_role(Role.ADMIN)
    url = "/v1/research/businesses"
    assert_problem(client.get(url, headers=researcher_h), 403, "no_data_use_agreement")
    assert_problem(client.get(url), 401)

    signed = client.put(f"/v1/organizations/{university.id}/data-use-agreement", headers=admin_h)
    assert signed.status_code == 200 and signed.json["data_use_agreement_at"]
    first = client.get(url, headers=researcher_h)
    assert first.status_code == 200, first.json
    text = first.get_data(as_text=True)
    for secret in (
        "Canary",
        "Kanaria",
        "881299887766",
        "99887766",
        owner.id,
        business.id,
        business.village_code,
        owner.email,
    ):
        assert secret not in text, secret
    row = next(r for r in first.json["items"] if r["district_code"] == business.district_code)
    assert set(row) == set(first.json["columns"])
    again = client.get(url, headers=researcher_h).json
    assert [r["business"] for r in again["items"]] == [r["business"] for r in first.json["items"]]
    as_csv = client.get(url + "?format=csv", headers=researcher_h)
    table = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert table[0] == first.json["columns"] and "Canary" not in json.dumps(table)

    ended = client.delete(f"/v1/organizations/{university.id}/data-use-agreement", headers=admin_h)
    assert ended.json["data_use_agreement_at"] is None
    assert_problem(client.get(url, headers=researcher_h), 403)
    company = OrganizationFactory(verified_at=utcnow())
    assert_problem(
        client.put(f"/v1/organizations/{company.id}/data-use-agreement", headers=admin_h), 409
    )
