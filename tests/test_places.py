"""One shape for a place: every region in every response is `{code, name}` (the levels the
caller may see), never a bare code or a "code name" string."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.db import utcnow
from api.models import Role
from api.openapi import spec_document
from tests.conftest import Auth
from tests.factories import BusinessFactory
from tests.worlds import Office, staff

BEKASI = {"code": "32.75", "name": "Kota Bekasi"}
MUSTIKASARI = {"code": "32.75.11.1004", "name": "Mustikasari"}
PLACE_NAME = re.compile(r"^(region|regency|district|village|province)(_codes?)?$|_codes?$")
# A pseudonymised research dataset (flat rows, also CSV) keeps its codes: see README.
FLAT_DATASETS = {"ResearchRow"}


def test_no_response_gives_a_place_as_a_bare_code(app: Flask) -> None:
    """Every property of a response schema that names a place is the one Place schema."""
    document = spec_document(app)
    schemas = document["components"]["schemas"]
    seen: set[str] = set()

    def refs(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    refs(schemas[name])
            for value in node.values():
                refs(value)
        elif isinstance(node, list):
            for value in node:
                refs(value)

    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                refs(operation.get("responses", {}))
    offending = []
    for name in sorted(seen - FLAT_DATASETS):
        for prop, spec in schemas[name].get("properties", {}).items():
            if not PLACE_NAME.search(prop) or prop in ("status_code", "last_status_code"):
                continue
            target = spec.get("items", spec)
            ref = target.get("$ref") or next(
                (s.get("$ref") for s in target.get("allOf", []) + target.get("anyOf", [])), None
            )
            if ref != "#/components/schemas/Place":
                offending.append(f"{name}.{prop}")
    assert offending == []


def test_places_in_needs_cohorts_offers_follow_up_and_stats(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    office = Office(client, auth, db_session)
    assert office.cohort["region"] == BEKASI
    need = client.post(
        f"/v1/businesses/{office.business.id}/needs",
        json={"kind": "training", "title": "Pelatihan foto", "target_value_idr": 500_000},
        headers=office.alumna_h,
    )
    assert need.status_code == 201, need.json
    assert need.json["business"]["regency"] == BEKASI

    quiet = BusinessFactory(last_activity_at=utcnow() - dt.timedelta(days=200))
    listed = client.get("/v1/follow-up", headers=office.admin_h).json["items"]
    assert [item["village"] for item in listed if item["id"] == quiet.id] == [MUSTIKASARI]

    national = staff(auth, db_session, Role.ADMIN)
    rows = client.get("/v1/stats/region", headers=national).json["items"]
    assert [(row["key"], row["label"], row["region"]) for row in rows] == [
        ("32.75", "Kota Bekasi", BEKASI)
    ]
    by_year = client.get("/v1/stats/year", headers=national).json["items"]
    assert [row["region"] for row in by_year] == [None]
