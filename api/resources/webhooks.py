"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.http.pages import page_response
from api.models import Webhook, WebhookDelivery
from api.pagination import Page
from api.schemas.common import page_of
from api.schemas.integration import (
    DeliveryQueryArgsSchema,
    DeliverySchema,
    WebhookCreatedSchema,
    WebhookCreateSchema,
    WebhookPatchSchema,
    WebhookQueryArgsSchema,
    WebhookSchema,
)
from api.services import webhooks as service

blp = Blueprint(
    "webhooks",
    __name__,
    scope="webhooks",
    url_prefix="/v1/webhooks",
    description=(
        "Events POSTed to your https address as they happen. Each request is signed the "
        "[Standard Webhooks](https://www.standardwebhooks.com/) way: `webhook-id` (the event's "
        "id: deduplicate by it), `webhook-timestamp` (Unix seconds) and `webhook-signature` "
        "(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` keyed with the secret's base64 part). "
        "Answer 2xx within 10 seconds; anything else is retried with exponential backoff for "
        "24 hours. A webhook that fails for 72 hours is disabled and its organisation's admins "
        'are told; `PATCH {"active": true}` enables it again. Private, loopback and link-local '
        "addresses are refused."
    ),
)


@blp.route("", methods=["POST"])
@blp.auth(assisted=False)
@blp.no_idempotency
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema)
def create_webhook(data: dict[str, Any]) -> Webhook:
    """Subscribe an address to event types (the organisation's admins, or its key). The
    signing secret is in this answer only."""
    webhook, secret = service.create_webhook(
        db(), actor=current_actor(), settings=state().settings, data=data
    )
    setattr(webhook, "secret", secret)  # noqa: B010  (for this response only)
    return webhook


@blp.route("", methods=["GET"])
@blp.auth()
@blp.arguments(WebhookQueryArgsSchema, location="query")
@blp.response(200, page_of(WebhookSchema))
def list_webhooks(args: dict[str, Any]) -> tuple[Page[Webhook], dict[str, str]]:
    """The webhooks of the organisations you administer (a key: its organisation's)."""
    return page_response(service.list_webhooks(db(), actor=current_actor(), **args))


@blp.route("/<string:webhook_id>", methods=["GET"])
@blp.auth()
@blp.etag
@blp.response(200, WebhookSchema)
def get_webhook(webhook_id: str) -> Webhook:
    """Read a webhook."""
    return service.get_webhook(db(), actor=current_actor(), webhook_id=webhook_id)


@blp.route("/<string:webhook_id>", methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(WebhookPatchSchema)
@blp.response(200, WebhookSchema)
def update_webhook(changes: dict[str, Any], webhook_id: str) -> Webhook:
    """Change the address or the types, or enable / disable it (send If-Match)."""
    webhook = service.get_webhook(db(), actor=current_actor(), webhook_id=webhook_id, action="edit")
    blp.check_etag(webhook, WebhookSchema)
    return service.update_webhook(
        db(), actor=current_actor(), webhook=webhook, settings=state().settings, changes=changes
    )


@blp.route("/<string:webhook_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
def delete_webhook(webhook_id: str) -> None:
    """Delete a webhook and its delivery log; nothing more is sent."""
    service.delete_webhook(db(), actor=current_actor(), webhook_id=webhook_id)


@blp.route("/<string:webhook_id>/deliveries", methods=["GET"])
@blp.auth()
@blp.arguments(DeliveryQueryArgsSchema, location="query")
@blp.response(200, page_of(DeliverySchema))
def list_webhook_deliveries(
    args: dict[str, Any], webhook_id: str
) -> tuple[Page[WebhookDelivery], dict[str, str]]:
    """The delivery log, newest first: each attempt's response code or error."""
    return page_response(
        service.list_deliveries(db(), actor=current_actor(), webhook_id=webhook_id, **args)
    )


@blp.route("/<string:webhook_id>/deliveries/<string:delivery_id>/redeliver", methods=["POST"])
@blp.auth()
@blp.response(202, DeliverySchema)
def redeliver_webhook_delivery(webhook_id: str, delivery_id: str) -> WebhookDelivery:
    """Send the delivery's event again now, as a new delivery with the same `webhook-id`."""
    return service.redeliver(
        db(), actor=current_actor(), webhook_id=webhook_id, delivery_id=delivery_id
    )
