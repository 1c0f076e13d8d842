"""Liveness and readiness for load balancers."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import text

from api.dependencies import check_all
from api.http.blueprint import Blueprint
from api.http.context import db

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class HealthSchema(Schema):
    """The probe's answer."""

    status = fields.String(metadata={"example": "ok"}, required=True)
    dependencies = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "`/ready` only: `ok` or `unreachable` for each dependency besides"
            " the database (`rate_limits`, `jobs`: Redis, when configured). The API keeps"
            " serving without them (status `degraded`).",
            "example": {"rate_limits": "ok"},
        },
    )


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
def get_health() -> dict[str, Any]:
    """The process is alive (touches nothing else)."""
    return {"status": "ok"}


@blp.route("/ready", methods=["GET"])
@blp.response(200, HealthSchema)
@blp.alt_response(503, response="SERVICE_UNAVAILABLE")
def get_readiness() -> dict[str, Any]:
    """The database answers; 503 with Retry-After when it does not. A Redis that does not
    answer (rate limits, webhook jobs) makes it `degraded`, still 200: the API serves on
    (limits counted per process, jobs queued later), and every server shares that Redis."""
    db().execute(text("SELECT 1"))
    dependencies = check_all(current_app)
    ready = all(answer == "ok" for answer in dependencies.values())
    return {"status": "ready" if ready else "degraded", "dependencies": dependencies}
