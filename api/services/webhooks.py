"""Webhooks: an organisation's subscriptions, the fan-out of events, and delivery.

Deliveries are rows written in the same transaction as their events, so none is lost; a
worker takes one by a conditional update that gives it a lease (a worker that dies lets the
lease run out and another takes the delivery again), posts the event signed the Standard
Webhooks way (``webhook-id`` is the event's id, so receivers deduplicate by it), and records the
attempt. Failures are retried with exponential backoff for WEBHOOK_RETRY_HOURS; a subscription
that has failed for WEBHOOK_DISABLE_AFTER_HOURS without one success is disabled, and its
organisation's admins are told.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api import netguard
from api.config import Settings
from api.db import on_commit, utcnow
from api.errors import NotFound, ValidationFailed
from api.ids import new_id
from api.models import (
    DeliveryStatus,
    Event,
    MemberRole,
    Membership,
    Organization,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from api.pagination import Page, paginate, sort_options
from api.services import events, organizations
from api.services.authz import Actor, can

SECRET_PREFIX = "whsec_"
USER_AGENT = "Berdaya-Webhooks/1"
MAX_BACKOFF = dt.timedelta(hours=6)
SORTS = sort_options(Webhook, created_at=["created_at"])
DELIVERY_SORTS = sort_options(WebhookDelivery, created_at=["created_at"])

# Told the ids of new deliveries after their transaction commits (the app's dispatcher).
_wake: list[Callable[[list[str]], None]] = []


def on_new_deliveries(listener: Callable[[list[str]], None]) -> None:
    _wake.clear()
    _wake.append(listener)


# -- secrets and signatures --------------------------------------------------------------------


def _cipher(settings: Settings) -> Fernet:
    key = hashlib.sha256(b"berdaya webhook secrets\0" + settings.secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_of(webhook: Webhook, settings: Settings) -> str:
    return _cipher(settings).decrypt(webhook.secret_encrypted.encode()).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# -- subscriptions -------------------------------------------------------------------------------


def _check_url(url: str, settings: Settings) -> str:
    try:
        netguard.resolve(url, netguard.networks(settings.webhook_allow_networks))
    except netguard.Refused as refused:
        raise ValidationFailed(errors={"url": [str(refused)]}) from None
    return url


def _refuse_other_keys(actor: Actor, organization_id: str) -> None:
    """A key reaches its own organisation's webhooks only (others look like nothing)."""
    if actor.api_key is not None and actor.api_key.organization_id != organization_id:
        raise NotFound()


def _organization(session: Session, actor: Actor, organization_id: str) -> Organization:
    """An organisation whose webhooks the caller manages: its admins, or its own key."""
    _refuse_other_keys(actor, organization_id)
    return organizations.get_organization(
        session, actor=actor, organization_id=organization_id, action="manage_keys"
    )


def create_webhook(
    session: Session, *, actor: Actor, settings: Settings, data: Mapping[str, Any]
) -> tuple[Webhook, str]:
    organization = _organization(session, actor, data["organization_id"])
    user = actor.require_user()
    secret = new_secret()
    webhook = Webhook(
        organization_id=organization.id,
        organization=organization,
        created_by_id=user.id,
        url=_check_url(data["url"], settings),
        description=data.get("description", ""),
        event_types=sorted(set(data["event_types"])),
        secret_encrypted=_cipher(settings).encrypt(secret.encode()).decode(),
    )
    session.add(webhook)
    session.flush()
    _record(session, webhook, "created", actor)
    return webhook, secret


def get_webhook(
    session: Session, *, actor: Actor, webhook_id: str, action: str = "view"
) -> Webhook:
    """Its organisation's admins (or its key) manage it; platform admins may look."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound()
    _refuse_other_keys(actor, webhook.organization_id)
    manages = can(actor, "manage_keys", webhook.organization)
    if not manages and not (action == "view" and actor.is_admin):
        raise NotFound()
    return webhook


def list_webhooks(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    cursor: str | None = None,
    organization_id: str | None = None,
) -> Page[Webhook]:
    stmt = select(Webhook)
    if actor.api_key is not None:
        stmt = stmt.where(Webhook.organization_id == actor.api_key.organization_id)
    elif not actor.is_admin:
        managed = select(Membership.organization_id).where(
            Membership.user_id == actor.require_user().id, Membership.role == MemberRole.ADMIN
        )
        stmt = stmt.where(Webhook.organization_id.in_(managed))
    if organization_id:
        stmt = stmt.where(Webhook.organization_id == organization_id)
    return paginate(
        session,
        stmt,
        model=Webhook,
        sort="-created_at",
        options=SORTS,
        limit=limit,
        cursor=cursor,
    )


def update_webhook(
    session: Session,
    *,
    actor: Actor,
    webhook: Webhook,
    settings: Settings,
    changes: Mapping[str, Any],
) -> Webhook:
    values = dict(changes)
    if "url" in values:
        webhook.url = _check_url(values.pop("url"), settings)
    if "event_types" in values:
        webhook.event_types = sorted(set(values.pop("event_types")))
    if "description" in values:
        webhook.description = values.pop("description")
    if "active" in values:
        active = values.pop("active")
        if active and webhook.disabled_at is not None:
            webhook.disabled_at, webhook.disabled_reason, webhook.failing_since = None, None, None
            _record(session, webhook, "enabled", actor)
        elif not active and webhook.disabled_at is None:
            webhook.disabled_at, webhook.disabled_reason = utcnow(), "disabled by its owner"
            _record(session, webhook, "disabled", actor)
    session.flush()
    return webhook


def delete_webhook(session: Session, *, actor: Actor, webhook_id: str) -> None:
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id, action="edit")
    _record(session, webhook, "deleted", actor, tombstone=True)
    session.delete(webhook)
    session.flush()


def list_deliveries(
    session: Session,
    *,
    actor: Actor,
    webhook_id: str,
    limit: int,
    cursor: str | None = None,
    status: DeliveryStatus | None = None,
) -> Page[WebhookDelivery]:
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return paginate(
        session,
        stmt,
        model=WebhookDelivery,
        sort="-created_at",
        options=DELIVERY_SORTS,
        limit=limit,
        cursor=cursor,
    )


def redeliver(
    session: Session, *, actor: Actor, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery (same event id for deduplication)."""
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id, action="edit")
    original = session.get(WebhookDelivery, delivery_id)
    if original is None or original.webhook_id != webhook.id:
        raise NotFound()
    now = utcnow()
    again = WebhookDelivery(
        webhook_id=webhook.id,
        event_seq=original.event_seq,
        event=original.event,
        redelivery_of_id=original.id,
        next_attempt_at=now,
        created_at=now,
        attempts=[],
    )
    session.add(again)
    session.flush()
    _announce(session, [again.id])
    return again


def _record(
    session: Session, webhook: Webhook, what: str, actor: Actor | None, **extra: Any
) -> None:
    # Nobody did it (the webhook was disabled by its failures): its admins are told.
    admins = (
        session.scalars(
            select(Membership.user_id).where(
                Membership.organization_id == webhook.organization_id,
                Membership.role == MemberRole.ADMIN,
            )
        ).all()
        if actor is None
        else ()
    )
    events.record(
        session,
        type=f"webhook.{what}",
        subject=webhook,
        actor=actor,
        data={"url": webhook.url, "reason": webhook.disabled_reason}
        if what == "disabled"
        else {"url": webhook.url},
        notify=admins,
        audience=(webhook.organization_id,),
        **extra,
    )


# -- fan-out -------------------------------------------------------------------------------------


# The subscriptions, read under the events' lock: one created, changed, disabled or deleted by a
# transaction that committed before this one's events took their seq is seen as it is now.
_ACTIVE = select(
    Webhook.id, Webhook.event_types, Webhook.organization_id, Webhook.created_by_id
).where(Webhook.disabled_at.is_(None))


def _fan_out(session: Session, written: events.Written) -> events.Then:
    """One delivery per event and subscribed, active webhook that may see it, decided and
    written under the events' lock (its rows name the event's ``seq``)."""

    def write() -> None:
        connection = session.connection()
        now = utcnow()
        made: list[dict[str, Any]] = [
            {
                "id": new_id(WebhookDelivery.id_prefix),
                "webhook_id": hook.id,
                "event_seq": event.seq,
                "next_attempt_at": now,
                "created_at": now,
            }
            for hook in connection.execute(_ACTIVE)
            for event, audience in written
            if events.matches(hook.event_types, event.type)
            and events.sees(
                event, audience, events.app_principals(hook.organization_id, hook.created_by_id)
            )
        ]
        if made:
            connection.execute(insert(WebhookDelivery), made)
            _announce(session, [delivery["id"] for delivery in made])

    return write


def _announce(session: Session, ids: list[str]) -> None:
    def wake() -> None:
        for listener in _wake:
            listener(ids)

    on_commit(session, wake)


events.on_written(_fan_out)


# -- delivery ------------------------------------------------------------------------------------


def backoff(settings: Settings, attempt: int) -> dt.timedelta:
    """Exponential, from WEBHOOK_RETRY_BASE_SECONDS, at most 6 hours, with +-20% jitter."""
    seconds = settings.webhook_retry_base_seconds * 2 ** max(attempt - 1, 0)
    seconds = min(seconds, MAX_BACKOFF.total_seconds())
    return dt.timedelta(seconds=seconds * random.uniform(0.8, 1.2))  # noqa: S311


def lease(settings: Settings) -> dt.timedelta:
    return dt.timedelta(seconds=settings.webhook_timeout_seconds + 10)


def due(sessions: sessionmaker[Session], *, limit: int = 200) -> list[str]:
    """Deliveries whose next attempt is due and that no live worker holds."""
    now = utcnow()
    with sessions() as session:
        return list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                    WebhookDelivery.next_attempt_at <= now,
                    or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit)
            )
        )


def event_body(event: Event) -> bytes:
    from api.schemas.integration import EventSchema

    return json.dumps(EventSchema().dump(event), separators=(",", ":")).encode()


def deliver(sessions: sessionmaker[Session], settings: Settings, delivery_id: str) -> str:
    """Make one attempt if the delivery is due and free; ``succeeded``, ``retry``, ``failed``
    or ``skipped`` (not due, finished, or another worker holds it)."""
    now = utcnow()
    with sessions() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
            )
            .values(
                lease_until=now + lease(settings),
                attempt_count=WebhookDelivery.attempt_count + 1,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return "skipped"
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        webhook = session.get(Webhook, delivery.webhook_id)
        assert webhook is not None
        for _ in range(delivery.attempt_count - 1 - len(delivery.attempts)):
            # An earlier attempt whose worker stopped before it could say how it went.
            delivery.attempts.append(
                WebhookAttempt(attempted_at=now, error="interrupted: the worker stopped")
            )
        if webhook.disabled_at is not None:
            delivery.status, delivery.finished_at = DeliveryStatus.FAILED, now
            delivery.last_error, delivery.lease_until = "webhook disabled", None
            session.commit()
            return "failed"
        body = event_body(delivery.event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": delivery.event.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret_of(webhook, settings), delivery.event.id, timestamp, body
            ),
            "Berdaya-Delivery": delivery.id,
            "Berdaya-Event-Type": delivery.event.type,
        }
        # No transaction stays open while the receiver takes its time.
        session.commit()
        answer = netguard.post(
            webhook.url,
            body,
            headers,
            timeout=settings.webhook_timeout_seconds,
            allowed=netguard.networks(settings.webhook_allow_networks),
            ca_file=settings.webhook_ca_file or None,
        )
        return _settle(session, settings, delivery, webhook, answer)


def _settle(
    session: Session,
    settings: Settings,
    delivery: WebhookDelivery,
    webhook: Webhook,
    answer: netguard.Answer,
) -> str:
    now = utcnow()
    delivery.attempts.append(
        WebhookAttempt(
            attempted_at=now,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
    )
    delivery.last_status_code, delivery.last_error = answer.status_code, answer.error
    delivery.lease_until = None
    ok = answer.status_code is not None and 200 <= answer.status_code < 300
    if ok:
        delivery.status, delivery.finished_at = DeliveryStatus.SUCCEEDED, now
        session.execute(
            update(Webhook)
            .where(Webhook.id == webhook.id, Webhook.failing_since.is_not(None))
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return "succeeded"
    if answer.error is None:
        delivery.last_error = f"answered {answer.status_code}"
    retry_at = now + backoff(settings, delivery.attempt_count)
    window_ends = delivery.created_at + dt.timedelta(hours=settings.webhook_retry_hours)
    outcome = "retry"
    if retry_at > window_ends:
        delivery.status, delivery.finished_at, outcome = DeliveryStatus.FAILED, now, "failed"
    else:
        delivery.next_attempt_at = retry_at
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook.id, Webhook.failing_since.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(webhook)
    limit = dt.timedelta(hours=settings.webhook_disable_after_hours)
    if (
        webhook.disabled_at is None
        and webhook.failing_since is not None
        and webhook.failing_since <= now - limit
    ):
        disabled = session.execute(
            update(Webhook)
            .where(Webhook.id == webhook.id, Webhook.disabled_at.is_(None))
            .values(
                disabled_at=now,
                disabled_reason=(
                    f"every attempt failed for {settings.webhook_disable_after_hours} hours"
                ),
            )
            .execution_options(synchronize_session=False)
        )
        if disabled.rowcount:  # type: ignore[attr-defined]
            session.refresh(webhook)
            _record(session, webhook, "disabled", None)
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.webhook_id == webhook.id,
                    WebhookDelivery.status == DeliveryStatus.PENDING,
                )
                .values(
                    status=DeliveryStatus.FAILED, finished_at=now, last_error="webhook disabled"
                )
                .execution_options(synchronize_session=False)
            )
            delivery.status = DeliveryStatus.FAILED
            outcome = "failed"
    session.commit()
    return outcome
