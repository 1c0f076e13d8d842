"""Liveness and readiness for load balancers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import text

from api.http.blueprint import Blueprint
from api.http.context import db

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class HealthSchema(Schema):
    """The probe's answer."""

    status = fields.String(metadata={"example": "ok"}, required=True)


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
def get_health() -> dict[str, Any]:
    """The process is alive (touches nothing else)."""
    return {"status": "ok"}


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def get_readiness() -> dict[str, Any]:
    """The database answers; 503 with Retry-After when it does not."""
    db().execute(text("SELECT 1"))
    return {"status": "ready"}
