"""Courses: published by members of a verified university, CSR company or government office;
modules in order with their attachments; alumnae enrol and mark modules done.

Lifecycle: draft -> published (with at least one module) -> archived. Only published courses
are listed and shown to everyone; drafts and archived ones to the publisher's members and
platform admins, and an archived one still to the alumnae enrolled in it. Modules may be
added, changed and reordered until the course is archived. Attachments are judged by their
content: a PDF is kept as it is, an image is re-encoded into the photo renditions, audio must
be short (``api.documents``); each states its size in bytes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import documents, images
from api.db import advisory_lock, on_commit, utcnow
from api.errors import Conflict, Forbidden, NotFound, UnsupportedMediaType, ValidationFailed
from api.models import (
    AttachmentKind,
    Course,
    CourseAttachment,
    CourseEnrolment,
    CourseLevel,
    CourseModule,
    CourseStatus,
    Membership,
    ModuleProgress,
    Organization,
    OrganizationKind,
    Role,
    Topic,
)
from api.pagination import Page, paginate, sort_options
from api.services import changes, events, photos
from api.services.authz import Actor, authorize, can
from api.services.lifecycle import Lifecycle
from api.services.shown import Shown
from api.storage import Storage

MAX_MODULES = 50
MAX_ATTACHMENTS = 10
# Who may publish: members of a verified organisation of one of these kinds.
PUBLISHERS = (
    OrganizationKind.UNIVERSITY,
    OrganizationKind.CSR_COMPANY,
    OrganizationKind.GOVERNMENT_OFFICE,
)
SORTS = sort_options(Course, created_at=["created_at"], title=["title"])
ENROLMENT_SORTS = sort_options(CourseEnrolment, enrolled_at=["enrolled_at"])

DRAFT, PUBLISHED, ARCHIVED = CourseStatus.DRAFT, CourseStatus.PUBLISHED, CourseStatus.ARCHIVED
LIFECYCLE: Lifecycle[CourseStatus] = Lifecycle(
    {
        "publish": (frozenset({DRAFT}), PUBLISHED),
        "archive": (frozenset({DRAFT, PUBLISHED}), ARCHIVED),
    }
)


# -- who ---------------------------------------------------------------------------------------


def enrolment_of(session: Session, course_id: str, user_id: str | None) -> CourseEnrolment | None:
    if user_id is None:
        return None
    return session.scalar(
        select(CourseEnrolment).where(
            CourseEnrolment.course_id == course_id, CourseEnrolment.user_id == user_id
        )
    )


def _publisher_for(session: Session, actor: Actor, organization_id: str) -> Organization:
    """The verified organisation the actor publishes for, or 403."""
    user = actor.require_user()
    organization = session.scalar(
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(
            Organization.id == organization_id,
            Membership.user_id == user.id,
            Organization.kind.in_(PUBLISHERS),
            Organization.verified_at.is_not(None),
        )
    )
    if organization is None:
        raise Forbidden("not_a_verified_publisher")
    return organization


# -- courses -----------------------------------------------------------------------------------


def create_course(session: Session, *, actor: Actor, data: Mapping[str, Any]) -> Course:
    """A member of a verified publisher starts a course; it is a draft until published."""
    values = dict(data)
    organization = _publisher_for(session, actor, values.pop("organization_id"))
    course = Course(**values, organization_id=organization.id, created_by_id=actor.user_id)
    course.organization = organization
    session.add(course)
    session.flush()
    _event(session, "course.created", course, actor)
    return course


def get_course(session: Session, *, actor: Actor, course_id: str, action: str = "view") -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound()
    return authorize(actor, action, course)


def update_course(
    session: Session, *, actor: Actor, course: Course, changes: Mapping[str, Any]
) -> Course:
    _check_editable(course)
    for name, value in changes.items():
        setattr(course, name, value)
    session.flush()
    _event(session, "course.updated", course, actor)
    return course


def act(session: Session, *, actor: Actor, course_id: str, action: str) -> Course:
    """Publish or archive (the publisher's members and platform admins)."""
    course = get_course(session, actor=actor, course_id=course_id, action="edit")
    if action == "publish" and course.status == DRAFT and not course.modules:
        raise Conflict("course_has_no_modules")
    LIFECYCLE.apply(course, action)
    now = utcnow()
    if action == "publish":
        course.published_at = now
    else:
        course.archived_at = now
    session.flush()
    _event(session, f"course.{course.status.value}", course, actor)
    return course


def list_courses(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    topic: Topic | None = None,
    level: CourseLevel | None = None,
    language: str | None = None,
    publisher: str | None = None,
    status: CourseStatus = PUBLISHED,
    limit: int,
    cursor: str | None = None,
    sort: str = "-created_at",
    updated_since: dt.datetime | None = None,
) -> Page[Course]:
    """Published courses, filtered; drafts and archived ones of the caller's organisations.
    With ``updated_since``, those that changed, and tombstones for those that left the list."""
    stmt = select(Course).where(Course.status == status)
    if status != PUBLISHED:
        mine = select(Membership.organization_id).where(Membership.user_id == actor.user_id)
        stmt = stmt.where(Course.organization_id.in_(mine))
    if q:
        words = q.lower()
        stmt = stmt.where(
            or_(
                func.lower(Course.title).contains(words, autoescape=True),
                func.lower(Course.summary).contains(words, autoescape=True),
            )
        )
    if topic:
        stmt = stmt.where(Course.topic == topic)
    if level:
        stmt = stmt.where(Course.level == level)
    if language:
        stmt = stmt.where(Course.language == language)
    # The publisher is a filter no write changes: other courses' changes stay out of a sync.
    stable = Course.organization_id == publisher if publisher else None
    if stable is not None:
        stmt = stmt.where(stable)
    return changes.paginate_changes(
        session,
        stmt,
        model=Course,
        since=updated_since,
        user_id=actor.user_id,
        scope=stable,
        sort=sort,
        options=SORTS,
        limit=limit,
        cursor=cursor,
    )


def enrolment_counts(session: Session, course_ids: Sequence[str]) -> dict[str, int]:
    if not course_ids:
        return {}
    rows = session.execute(
        select(CourseEnrolment.course_id, func.count())
        .where(CourseEnrolment.course_id.in_(course_ids))
        .group_by(CourseEnrolment.course_id)
    )
    return {course_id: int(n) for course_id, n in rows}


def progress(course: Course, enrolment: CourseEnrolment | None) -> dict[str, Any] | None:
    """Her progress: modules done of the course's modules now, and the percentage."""
    if enrolment is None:
        return None
    module_ids = {m.id for m in course.modules}
    done = sorted(p.module_id for p in enrolment.done if p.module_id in module_ids)
    total = len(module_ids)
    return {
        "enrolled_at": enrolment.enrolled_at,
        "completed_at": enrolment.completed_at,
        "modules_done": len(done),
        "modules_total": total,
        "percent": (100 * len(done)) // total if total else 0,
        "done_module_ids": done,
    }


def shown(session: Session, actor: Actor, course: Course) -> Shown[Course]:
    """The course as this caller sees it: its enrolment count, her progress, what she may do."""
    counts = enrolment_counts(session, [course.id])
    return _shown(session, actor, course, counts, enrolment_of(session, course.id, actor.user_id))


def shown_page(session: Session, actor: Actor, page: Page[Course]) -> Page[Shown[Course]]:
    ids = [c.id for c in page.items]
    counts = enrolment_counts(session, ids)
    mine: dict[str, CourseEnrolment] = {}
    if actor.user_id is not None and ids:
        mine = {
            e.course_id: e
            for e in session.scalars(
                select(CourseEnrolment).where(
                    CourseEnrolment.user_id == actor.user_id, CourseEnrolment.course_id.in_(ids)
                )
            )
        }
    items = [_shown(session, actor, c, counts, mine.get(c.id)) for c in page.items]
    return changes.with_items(page, items)


def _shown(
    session: Session,
    actor: Actor,
    course: Course,
    counts: Mapping[str, int],
    enrolment: CourseEnrolment | None,
) -> Shown[Course]:
    actions: list[str] = []
    if can(actor, "edit", course):
        actions = LIFECYCLE.allowed(course.status)
    if course.status == PUBLISHED and actor.role == Role.ALUMNA:
        actions.append("mark_done" if enrolment else "enrol")
    return Shown(
        course,
        allowed_actions=actions,
        enrolment_count=counts.get(course.id, 0),
        my_progress=progress(course, enrolment),
    )


def _check_editable(course: Course) -> None:
    if course.status == ARCHIVED:
        raise Conflict("course_archived")


def _event(session: Session, type: str, course: Course, actor: Actor | None, **data: Any) -> None:
    # A course ever published is (or was) public: everyone's feed hears of it; a draft, and a
    # draft archived without ever being published, only its publisher's.
    events.record(
        session,
        type=type,
        subject=course,
        actor=actor,
        data={"status": course.status.value, "title": course.title, **data},
        audience=(course.organization_id,),
        public=course.published_at is not None,
        tombstone=course.status == ARCHIVED,
    )


# -- modules -----------------------------------------------------------------------------------


def get_module(
    session: Session, *, actor: Actor, course_id: str, module_id: str, action: str = "view"
) -> tuple[Course, CourseModule]:
    course = get_course(session, actor=actor, course_id=course_id, action=action)
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        raise NotFound()
    return course, module


def add_module(
    session: Session, *, actor: Actor, course_id: str, data: Mapping[str, Any]
) -> CourseModule:
    """Add a module at the end."""
    course = get_course(session, actor=actor, course_id=course_id, action="edit")
    _check_editable(course)
    advisory_lock(session, f"course-modules:{course.id}")
    if len(course.modules) >= MAX_MODULES:
        raise Conflict("too_many_modules", params={"limit": MAX_MODULES})
    position = max((m.position for m in course.modules), default=-1) + 1
    module = CourseModule(**data, course_id=course.id, position=position)
    course.modules.append(module)
    session.flush()
    _event(session, "course.updated", course, actor, module_id=module.id)
    return module


def update_module(
    session: Session, *, actor: Actor, course: Course, module: CourseModule, changes: Any
) -> CourseModule:
    _check_editable(course)
    for name, value in changes.items():
        setattr(module, name, value)
    session.flush()
    _event(session, "course.updated", course, actor, module_id=module.id)
    return module


def delete_module(
    session: Session, *, actor: Actor, storage: Storage, course_id: str, module_id: str
) -> None:
    """Delete a module and its files; the others close the gap."""
    course, module = get_module(
        session, actor=actor, course_id=course_id, module_id=module_id, action="edit"
    )
    _check_editable(course)
    for attachment in module.attachments:
        _delete_files(session, storage, attachment)
    course.modules.remove(module)
    for position, other in enumerate(course.modules):
        other.position = position
    session.flush()
    _event(session, "course.updated", course, actor, module_id=module_id)


def reorder_modules(
    session: Session, *, actor: Actor, course_id: str, module_ids: Sequence[str]
) -> Course:
    """Put the modules in the given order; the list must name each module exactly once."""
    course = get_course(session, actor=actor, course_id=course_id, action="edit")
    _check_editable(course)
    modules = {m.id: m for m in course.modules}
    if sorted(module_ids) != sorted(modules):
        raise ValidationFailed(errors={"module_ids": ["List every module exactly once."]})
    for position, module_id in enumerate(module_ids):
        modules[module_id].position = position
    course.modules.sort(key=lambda m: m.position)
    session.flush()
    _event(session, "course.updated", course, actor)
    return course


# -- attachments -------------------------------------------------------------------------------


def attachment_prefix(attachment: CourseAttachment) -> str:
    return f"courses/{attachment.course_id}/{attachment.id}/{attachment.token}"


def attachment_key(attachment: CourseAttachment, size: int | None = None) -> str:
    """Where a file of the attachment is: an image's rendition of ``size``, or the file."""
    prefix = attachment_prefix(attachment)
    if attachment.kind == AttachmentKind.IMAGE:
        return images.image_key(prefix, size or images.SIZES[-1])
    extension = "pdf" if attachment.kind == AttachmentKind.PDF else "audio"
    return f"{prefix}/file.{extension}"


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    course_id: str,
    module_id: str,
    data: bytes,
    title: str = "",
) -> CourseAttachment:
    """Judge the file by its content, store it (an image in the photo renditions) and attach it
    at the end of the module."""
    course, module = get_module(
        session, actor=actor, course_id=course_id, module_id=module_id, action="edit"
    )
    _check_editable(course)
    advisory_lock(session, f"course-attachments:{module.id}")
    if len(module.attachments) >= MAX_ATTACHMENTS:
        raise Conflict("too_many_attachments", params={"limit": MAX_ATTACHMENTS})
    attachment = CourseAttachment(
        module_id=module.id,
        course_id=course.id,
        position=max((a.position for a in module.attachments), default=-1) + 1,
        title=title,
        token=secrets.token_hex(8),
        size_bytes=len(data),
        sizes={},
    )
    _store(session, storage, attachment, data)
    module.attachments.append(attachment)
    session.flush()
    _event(session, "course.updated", course, actor, module_id=module.id)
    return attachment


def _store(session: Session, storage: Storage, attachment: CourseAttachment, data: bytes) -> None:
    if documents.is_pdf(data):
        documents.check_pdf(data)
        attachment.kind, attachment.content_type = AttachmentKind.PDF, "application/pdf"
        photos.put_file(session, storage, attachment_key(attachment), data, attachment.content_type)
        return
    if documents.probe_audio(data) is not None:
        audio = documents.check_audio(data)
        attachment.kind, attachment.content_type = AttachmentKind.AUDIO, audio.content_type
        attachment.duration_seconds = audio.duration_seconds
        photos.put_file(session, storage, attachment_key(attachment), data, audio.content_type)
        return
    try:
        processed = photos.store_image(session, storage, attachment_prefix(attachment), data)
    except UnsupportedMediaType:
        raise UnsupportedMediaType("unsupported_attachment") from None
    attachment.kind, attachment.content_type = AttachmentKind.IMAGE, "image/webp"
    attachment.width, attachment.height = processed.width, processed.height
    attachment.sizes = {str(size): len(v) for size, v in processed.variants.items()}
    attachment.size_bytes = len(processed.variants[images.SIZES[-1]])


def delete_attachment(
    session: Session,
    *,
    actor: Actor,
    storage: Storage,
    course_id: str,
    module_id: str,
    attachment_id: str,
) -> None:
    course, module = get_module(
        session, actor=actor, course_id=course_id, module_id=module_id, action="edit"
    )
    _check_editable(course)
    doomed = next((a for a in module.attachments if a.id == attachment_id), None)
    if doomed is None:
        raise NotFound()
    _delete_files(session, storage, doomed)
    module.attachments.remove(doomed)
    for position, attachment in enumerate(module.attachments):
        attachment.position = position
    session.flush()
    _event(session, "course.updated", course, actor, module_id=module.id)


def _delete_files(session: Session, storage: Storage, attachment: CourseAttachment) -> None:
    """The attachment's files go once the transaction commits (a rollback leaves them)."""
    if attachment.kind == AttachmentKind.IMAGE:
        photos.delete_image(session, storage, attachment_prefix(attachment))
        return
    key = attachment_key(attachment)
    on_commit(session, lambda: photos.delete_files(storage, [key]))


# -- enrolments and progress -------------------------------------------------------------------


def enrol(session: Session, *, actor: Actor, course_id: str) -> tuple[Course, bool]:
    """She enrols in a published course; enrolling again changes nothing (``False``)."""
    user = actor.require_user()
    course = get_course(session, actor=actor, course_id=course_id)
    if enrolment_of(session, course.id, user.id) is not None:
        return course, False
    if course.status != PUBLISHED:
        raise Conflict("course_not_open")
    try:
        with session.begin_nested():
            session.add(CourseEnrolment(course_id=course.id, user_id=user.id))
    except IntegrityError:  # enrolled by a request at the same moment
        return course, False
    events.record(
        session,
        type="course_enrolment.created",
        subject=course,
        actor=actor,
        data={"course_id": course.id},
        audience=(course.organization_id,),
    )
    return course, True


def mark_module(
    session: Session, *, actor: Actor, course_id: str, module_id: str, done: bool = True
) -> Course:
    """Mark a module done (again: nothing changes) or not done; the course's progress follows."""
    user = actor.require_user()
    course, module = get_module(session, actor=actor, course_id=course_id, module_id=module_id)
    enrolment = enrolment_of(session, course.id, user.id)
    if enrolment is None:
        raise Conflict("not_enrolled")
    if course.status != PUBLISHED:
        raise Conflict("course_not_open")
    existing = next((p for p in enrolment.done if p.module_id == module.id), None)
    if done and existing is None:
        try:
            with session.begin_nested():
                enrolment.done.append(ModuleProgress(module_id=module.id))
        except IntegrityError:  # marked by a request at the same moment
            session.refresh(enrolment)
    elif not done and existing is not None:
        enrolment.done.remove(existing)
    session.flush()
    _complete_if_done(session, actor, course, enrolment)
    return course


def _complete_if_done(
    session: Session, actor: Actor, course: Course, enrolment: CourseEnrolment
) -> None:
    shown_progress = progress(course, enrolment)
    assert shown_progress is not None
    finished = shown_progress["modules_done"] == shown_progress["modules_total"] > 0
    if finished and enrolment.completed_at is None:
        enrolment.completed_at = utcnow()
        session.flush()
        events.record(
            session,
            type="course_enrolment.completed",
            subject=course,
            actor=actor,
            data={"course_id": course.id},
            audience=(course.organization_id,),
        )


def my_enrolments(
    session: Session, *, actor: Actor, limit: int, cursor: str | None = None, sort: str
) -> Page[Shown[Course]]:
    """The courses she enrolled in, with her progress, most recent first by default."""
    user = actor.require_user()
    page = paginate(
        session,
        select(CourseEnrolment).where(CourseEnrolment.user_id == user.id),
        model=CourseEnrolment,
        sort=sort,
        options=ENROLMENT_SORTS,
        limit=limit,
        cursor=cursor,
    )
    courses = {
        c.id: c
        for c in session.scalars(
            select(Course).where(Course.id.in_([e.course_id for e in page.items]))
        )
    }
    counts = enrolment_counts(session, list(courses))
    items = [_shown(session, actor, courses[e.course_id], counts, e) for e in page.items]
    return Page(items, page.next_cursor)
