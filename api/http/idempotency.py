"""Safe retries: POST with ``Idempotency-Key`` runs once per caller and key.

Phase 1 claims the key in its own short transaction, so a concurrent duplicate sees it and
gets 409. The view then runs; its response is written to the claim in the *same* transaction
as the view's changes, so either both land or neither does. A claim whose request died (the
process was killed) is taken over after its lock expires: its changes never committed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from flask import Response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import utcnow
from api.errors import Conflict, DomainError, ValidationFailed
from api.http.context import current_actor, db, state
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
LOCK = dt.timedelta(seconds=60)
REPLAYED_HEADERS = ("Location", "ETag", "Content-Language")
RETRY = {"Retry-After": "1"}


@dataclass(frozen=True)
class Claim:
    """A key this request holds while its view runs; the token fences out earlier holders."""

    record_id: str
    token: str


def begin() -> Claim | Response | None:
    """Claim the key, or answer at once (replay, 409, 422); None when no key was sent."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise DomainError("invalid_idempotency_key")
    actor = current_actor()
    scope = (actor.api_key.id if actor.api_key else actor.user_id) or "anonymous"
    fingerprint = _fingerprint()
    # End the request session's read transaction: the claim commits on its own connection,
    # and SQLite allows one writer at a time.
    db().commit()
    now = utcnow()
    with state().new_session() as session:
        record = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        )
        if record is not None and record.expires_at <= now:
            session.delete(record)
            session.flush()
            record = None
        if record is None:
            record = _new_record(scope, key, fingerprint, now)
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                raise Conflict("idempotency_key_in_progress", headers=RETRY) from None
            return Claim(record.id, record.claim_token)
        if record.request_hash != fingerprint:
            raise ValidationFailed("idempotency_key_reused")
        if record.completed:
            return _replay(record)
        token = _take_over(session, record, now)
        if token is None:
            raise Conflict("idempotency_key_in_progress", headers=RETRY)
        return Claim(record.id, token)


def _take_over(session: Session, record: IdempotencyRecord, now: dt.datetime) -> str | None:
    """Claim a key whose request died; only one of several concurrent takers wins."""
    if record.locked_until > now:
        return None
    token = secrets.token_hex(16)
    result = session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == record.id,
            IdempotencyRecord.completed.is_(False),
            IdempotencyRecord.claim_token == record.claim_token,
        )
        .values(locked_until=now + LOCK, claim_token=token)
    )
    session.commit()
    return token if getattr(result, "rowcount", 0) else None


def complete(claim: Claim, response: Response) -> None:
    """Store the response with the view's own changes (the caller commits both).

    If another request took the key over meanwhile (this one outlived its lock), the update
    matches nothing and the view's changes are refused, so the key never creates twice.
    """
    result = db().execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == claim.record_id,
            IdempotencyRecord.claim_token == claim.token,
            IdempotencyRecord.completed.is_(False),
        )
        .values(
            completed=True,
            response_status=response.status_code,
            response_body=response.get_data(as_text=True),
            response_headers={
                "Content-Type": response.content_type,
                **{h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers},
            },
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise Conflict("idempotency_key_in_progress", headers=RETRY)


def release(claim: Claim) -> None:
    """The view failed and rolled back: free the key so the client can retry it."""
    with state().new_session() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.id == claim.record_id,
                IdempotencyRecord.claim_token == claim.token,
                IdempotencyRecord.completed.is_(False),
            )
        )
        session.commit()


def prune(session: Session, now: dt.datetime | None = None) -> int:
    """Delete expired keys; returns how many."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _new_record(scope: str, key: str, fingerprint: str, now: dt.datetime) -> IdempotencyRecord:
    ttl = dt.timedelta(hours=state().settings.idempotency_ttl_hours)
    return IdempotencyRecord(
        scope=scope,
        key=key,
        request_hash=fingerprint,
        method=request.method,
        path=request.path[:500],
        locked_until=now + LOCK,
        claim_token=secrets.token_hex(16),
        created_at=now,
        expires_at=now + ttl,
    )


def _replay(record: IdempotencyRecord) -> Response:
    headers = dict(record.response_headers or {})
    content_type = headers.pop("Content-Type", "application/json")
    response = Response(
        record.response_body or "", status=record.response_status, content_type=content_type
    )
    for name, value in headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _fingerprint() -> str:
    """What makes two requests "the same": method, path, query and the body's content.

    JSON is compared by value (key order and spacing aside); multipart by its fields and
    files' contents, not by the boundary a client picks anew on each attempt.
    """
    if request.mimetype == "multipart/form-data":
        body = _multipart_digest()
    else:
        body = request.get_data(cache=True)
        if request.is_json and body:
            with contextlib.suppress(ValueError, RecursionError):
                body = json.dumps(
                    json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
                ).encode()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _multipart_digest() -> bytes:
    digest = hashlib.sha256()
    # Names and values as text, whatever the parser made of odd parts (an empty name is None).
    for name, value in sorted((str(n), str(v)) for n, v in request.form.items(multi=True)):
        digest.update(f"field:{name}={value}\n".encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda item: str(item[0])):
        content = hashlib.sha256()
        stream = upload.stream
        while chunk := stream.read(64 * 1024):
            content.update(chunk)
        stream.seek(0)
        digest.update(f"file:{name}:{upload.filename}:{content.hexdigest()}\n".encode())
    return digest.digest()
