"""An organisation's API keys for its apps."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db
from api.http.pages import page_response
from api.models import ApiKey
from api.pagination import Page
from api.schemas.common import PageQueryArgsSchema, page_of
from api.schemas.integration import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema
from api.services import api_keys as service

blp = Blueprint(
    "api-keys",
    __name__,
    url_prefix="/v1/organizations/<string:organization_id>/api-keys",
    description=(
        "Keys for apps. A key acts as the member who made it, only for the operations its "
        "scopes allow; send it as `X-API-Key`. Keys cannot manage keys."
    ),
)


@blp.route("", methods=["POST"])
@blp.auth(assisted=False)
@blp.no_idempotency
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, ApiKeyCreatedSchema)
def create_api_key(data: dict[str, Any], organization_id: str) -> ApiKey:
    """Make a key (the organisation's admins). The secret is in this answer only."""
    key, secret = service.create_key(
        db(), actor=current_actor(), organization_id=organization_id, data=data
    )
    setattr(key, "secret", secret)  # noqa: B010  (for this response only; never stored)
    return key


@blp.route("", methods=["GET"])
@blp.auth()
@blp.arguments(PageQueryArgsSchema, location="query")
@blp.response(200, page_of(ApiKeySchema))
def list_api_keys(
    args: dict[str, Any], organization_id: str
) -> tuple[Page[ApiKey], dict[str, str]]:
    """The organisation's keys, newest first, revoked ones too (its admins, platform admins)."""
    return page_response(
        service.list_keys(db(), actor=current_actor(), organization_id=organization_id, **args)
    )


@blp.route("/<string:key_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def revoke_api_key(organization_id: str, key_id: str) -> None:
    """Revoke a key at once; it stays listed as revoked."""
    service.revoke_key(db(), actor=current_actor(), organization_id=organization_id, key_id=key_id)
