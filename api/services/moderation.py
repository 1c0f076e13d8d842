"""Moderation: reports on listings (businesses, products), reviews and users; the admins' queue;
hiding and restoring with a reason. Every admin action is audited (api.services.events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.catalogue import changes as catalogue_changes
from api.db import utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.models import (
    AuthSession,
    Business,
    OneTimeCode,
    Product,
    Report,
    ReportStatus,
    ReportTarget,
    Review,
    Role,
    User,
)
from api.pagination import Page, paginate, sort_options
from api.services import auth, businesses, events, products, regions
from api.services import reviews as review_service
from api.services.authz import Actor

SORTS = sort_options(Report, created_at=["created_at"])


def _target(
    session: Session, actor: Actor, kind: ReportTarget, target_id: str
) -> tuple[Any, str | None]:
    """The reported thing, as the reporter may see it, and the region of its business."""
    if kind == ReportTarget.BUSINESS:
        business = businesses.get_business(session, actor=actor, business_id=target_id)
        return business, business.village_code
    if kind == ReportTarget.PRODUCT:
        product = products.get_product(session, actor=actor, product_id=target_id)
        return product, product.business.village_code
    if kind == ReportTarget.REVIEW:
        review = review_service.get_review(session, actor=actor, review_id=target_id)
        owner = session.get(Business, review.business_id)
        return review, owner.village_code if owner else None
    user = session.get(User, target_id)
    if user is None or user.role == Role.ADMIN:
        raise NotFound()
    return user, None


def report(
    session: Session, *, actor: Actor, target_type: ReportTarget, target_id: str, reason: str
) -> Report:
    """Anyone signed in reports something she can see, once."""
    reporter = actor.require_user()
    target, region = _target(session, actor, target_type, target_id)
    if target_type == ReportTarget.USER and target.id == reporter.id:
        raise ValidationFailed(errors={"target_id": ["You cannot report yourself."]})
    entry = Report(
        target_type=target_type,
        target_id=target.id,
        region_code=region,
        reporter_id=reporter.id,
        reason=reason,
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise Conflict("already_reported") from None
    if target_type == ReportTarget.REVIEW:
        session.execute(
            update(Review)
            .where(Review.id == target.id)
            .values(report_count=Review.report_count + 1)
        )
    events.record(
        session,
        type="report.made",
        subject=entry,
        actor=actor,
        data={"target_type": target_type.value, "target_id": target.id},
    )
    return entry


def _in_scope(actor: Actor, entry: Report) -> bool:
    # Reports on users (no region) are for admins who work everywhere.
    return actor.is_admin and (actor.regions is None or actor.covers(entry.region_code))


def queue(
    session: Session,
    *,
    actor: Actor,
    status: Sequence[ReportStatus] | None = None,
    target_type: ReportTarget | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[Report]:
    """Reports in the admin's regions, oldest first (open ones by default)."""
    stmt = select(Report).where(Report.status.in_(status or [ReportStatus.OPEN]))
    if target_type:
        stmt = stmt.where(Report.target_type == target_type)
    if actor.regions is not None:
        stmt = stmt.where(regions.within_any(Report.region_code, actor.regions))
    return paginate(
        session, stmt, model=Report, sort="created_at", options=SORTS, limit=limit, cursor=cursor
    )


def resolve(session: Session, *, actor: Actor, report_id: str, action: str, reason: str) -> Report:
    """hide (the target leaves public view), restore (it comes back) or dismiss (no change).
    Every open report on the same target is resolved with it."""
    entry = session.get(Report, report_id)
    if entry is None or not _in_scope(actor, entry):
        raise NotFound()
    if action == "dismiss" and entry.status != ReportStatus.OPEN:
        raise Conflict("report_resolved", params={"status": entry.status.value})
    if action != "dismiss":
        _set_hidden(session, actor, entry, hidden=action == "hide", reason=reason)
    status = {"hide": ReportStatus.HIDDEN, "restore": ReportStatus.RESTORED}.get(
        action, ReportStatus.DISMISSED
    )
    rows = [entry]
    if action != "dismiss":
        same_target = select(Report).where(
            Report.target_type == entry.target_type,
            Report.target_id == entry.target_id,
            Report.status == ReportStatus.OPEN,
        )
        rows += [r for r in session.scalars(same_target) if r.id != entry.id]
    now = utcnow()
    for row in rows:
        row.status, row.resolved_by_id, row.resolved_at = status, actor.user_id, now
        row.resolution_reason = reason
    session.flush()
    events.record(
        session,
        type=f"report.{status.value}",
        subject=entry,
        actor=actor,
        data={
            "target_type": entry.target_type.value,
            "target_id": entry.target_id,
            "reason": reason,
        },
    )
    return entry


def _set_hidden(
    session: Session, actor: Actor, entry: Report, *, hidden: bool, reason: str
) -> None:
    now = utcnow() if hidden else None
    kind, key = entry.target_type, entry.target_id
    if kind == ReportTarget.REVIEW:
        review_service.set_hidden(session, actor=actor, review_id=key, hidden=hidden, reason=reason)
        return
    model: Any = {ReportTarget.BUSINESS: Business, ReportTarget.PRODUCT: Product}.get(kind)
    if model is not None:
        target = session.get(model, key)
        if target is None:
            raise NotFound()
        seen = catalogue_changes.snapshot(target)
        target.hidden_at, target.hidden_reason = now, reason if hidden else None
        session.flush()
        catalogue_changes.announce(session, target, seen, actor=actor)
    else:
        user = session.get(User, key)
        if user is None:
            raise NotFound()
        if actor.regions is not None:
            raise Forbidden("out_of_scope")
        user.suspended_at, user.suspended_reason = now, reason if hidden else None
        if hidden:
            # Signed out everywhere, and no code sent before (a reset, a sign-in code, one
            # handed by her facilitator) outlives the suspension to work once it is lifted.
            auth.revoke_sessions(session, AuthSession.user_id == user.id, reason="suspended")
            session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    session.flush()
