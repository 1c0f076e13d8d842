"""Courses: modules, attachments, enrolments and progress."""

from __future__ import annotations

from typing import Any

from api.documents import PDF_MAX_BYTES
from api.http.blueprint import Blueprint
from api.http.context import current_actor, db, state
from api.http.pages import page_response
from api.images import UPLOAD_LIMIT
from api.models import Course, CourseAttachment, CourseModule, Role
from api.pagination import Page
from api.schemas.common import page_of
from api.schemas.courses import (
    AttachmentQueryArgsSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    CourseCreateSchema,
    CoursePatchSchema,
    CourseQueryArgsSchema,
    CourseSchema,
    CourseSummarySchema,
    EnrolmentQueryArgsSchema,
    ModuleCreateSchema,
    ModuleOrderSchema,
    ModulePatchSchema,
    ModuleSchema,
)
from api.services.shown import Shown
from api.services.training import courses as service

COURSE = "/courses/<string:course_id>"
# Module ids by their prefix, so that the sibling route modules/order is never taken for one.
MODULE = COURSE + "/modules/<id(cmd):module_id>"
blp = Blueprint(
    "courses",
    __name__,
    scope="training",
    url_prefix="/v1",
    description=(
        "Courses of verified universities, CSR companies and government offices "
        "(draft -> published -> archived): modules in order with their attachments (PDF, "
        "images in the photo renditions, short audio; each with its size in bytes); "
        "alumnae enrol and mark modules done."
    ),
)


def _shown(course: Course) -> Shown[Course]:
    return service.shown(db(), current_actor(), course)


@blp.route("/courses", methods=["POST"])
@blp.auth(Role.MENTOR, Role.PARTNER, Role.ADMIN)
@blp.etag
@blp.arguments(CourseCreateSchema)
@blp.response(201, CourseSchema)
def create_course(data: dict[str, Any]) -> Shown[Course]:
    """Start a course (a draft) for your verified university, CSR company or government
    office."""
    return _shown(service.create_course(db(), actor=current_actor(), data=data))


@blp.route("/courses", methods=["GET"])
@blp.auth(optional=True)  # her progress, and drafts of her organisations
@blp.etag
@blp.arguments(CourseQueryArgsSchema, location="query")
@blp.response(200, page_of(CourseSummarySchema, changes=True))
def list_courses(args: dict[str, Any]) -> tuple[Page[Shown[Course]], dict[str, str]]:
    """Published courses, filtered by words, topic, level, language or publisher; with
    `updated_since`, what changed and what left the list (delta sync)."""
    actor = current_actor()
    page = service.list_courses(db(), actor=actor, **args)
    return page_response(service.shown_page(db(), actor, page))


@blp.route(COURSE, methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, CourseSchema)
def get_course(course_id: str) -> Shown[Course]:
    """Read a course with its modules (drafts only for the publisher); your progress if
    you are enrolled."""
    return _shown(service.get_course(db(), actor=current_actor(), course_id=course_id))


@blp.route(COURSE, methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(CoursePatchSchema)
@blp.response(200, CourseSchema)
def update_course(changes: dict[str, Any], course_id: str) -> Shown[Course]:
    """Change a course (send If-Match)."""
    actor = current_actor()
    course = service.get_course(db(), actor=actor, course_id=course_id, action="edit")
    blp.check_etag(_shown(course), CourseSchema)
    return _shown(service.update_course(db(), actor=actor, course=course, changes=changes))


@blp.action(COURSE + "/publish", response=CourseSchema)
def publish_course(course_id: str) -> Shown[Course]:
    """Publish a draft with at least one module: it is listed for everyone."""
    return _shown(service.act(db(), actor=current_actor(), course_id=course_id, action="publish"))


@blp.action(COURSE + "/archive", response=CourseSchema)
def archive_course(course_id: str) -> Shown[Course]:
    """Archive a course: no longer listed; the alumnae enrolled keep it and their progress."""
    return _shown(service.act(db(), actor=current_actor(), course_id=course_id, action="archive"))


# -- modules ---------------------------------------------------------------------------------


@blp.route(COURSE + "/modules", methods=["POST"])
@blp.auth()
@blp.etag
@blp.arguments(ModuleCreateSchema)
@blp.response(201, ModuleSchema)
@blp.alt_response(409, response="CONFLICT")
def create_course_module(data: dict[str, Any], course_id: str) -> CourseModule:
    """Add a module at the end of the course (at most 50)."""
    return service.add_module(db(), actor=current_actor(), course_id=course_id, data=data)


@blp.route(MODULE, methods=["GET"])
@blp.auth(optional=True)  # the answer depends on the caller
@blp.etag
@blp.response(200, ModuleSchema)
def get_course_module(course_id: str, module_id: str) -> CourseModule:
    """Read one module with its attachments."""
    _, module = service.get_module(
        db(), actor=current_actor(), course_id=course_id, module_id=module_id
    )
    return module


@blp.route(MODULE, methods=["PATCH"])
@blp.auth()
@blp.etag
@blp.arguments(ModulePatchSchema)
@blp.response(200, ModuleSchema)
@blp.alt_response(409, response="CONFLICT")
def update_course_module(changes: dict[str, Any], course_id: str, module_id: str) -> CourseModule:
    """Change a module's title or text (send If-Match)."""
    actor = current_actor()
    course, module = service.get_module(
        db(), actor=actor, course_id=course_id, module_id=module_id, action="edit"
    )
    blp.check_etag(module, ModuleSchema)
    return service.update_module(db(), actor=actor, course=course, module=module, changes=changes)


@blp.route(MODULE, methods=["DELETE"])
@blp.auth()
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
def delete_course_module(course_id: str, module_id: str) -> None:
    """Delete a module and its attachments; the others close the gap."""
    service.delete_module(
        db(),
        actor=current_actor(),
        storage=state().storage,
        course_id=course_id,
        module_id=module_id,
    )


@blp.route(COURSE + "/modules/order", methods=["PUT"])
@blp.auth()
@blp.arguments(ModuleOrderSchema)
@blp.response(200, CourseSchema)
@blp.alt_response(409, response="CONFLICT")
def order_course_modules(data: dict[str, Any], course_id: str) -> Shown[Course]:
    """Set the order of the modules (list every module once; safe to repeat)."""
    return _shown(service.reorder_modules(db(), actor=current_actor(), course_id=course_id, **data))


# -- attachments -----------------------------------------------------------------------------


@blp.route(MODULE + "/attachments", methods=["POST"])
@blp.max_body(UPLOAD_LIMIT)
@blp.auth()
@blp.arguments(AttachmentQueryArgsSchema, location="query")
@blp.arguments(AttachmentUploadSchema, location="files")
@blp.response(201, AttachmentSchema)
@blp.alt_response(409, response="CONFLICT")
def add_course_attachment(
    args: dict[str, Any], files: dict[str, Any], course_id: str, module_id: str
) -> CourseAttachment:
    """Attach a PDF, an image (re-encoded, metadata removed) or short audio (at most 15
    minutes) to a module: at most 5 MB each, 10 per module, judged by content."""
    return service.add_attachment(
        db(),
        actor=current_actor(),
        storage=state().storage,
        course_id=course_id,
        module_id=module_id,
        data=files["file"].read(PDF_MAX_BYTES + 1),
        title=args["title"],
    )


@blp.route(MODULE + "/attachments/<id(cat):attachment_id>", methods=["DELETE"])
@blp.auth()
@blp.response(204)
@blp.alt_response(409, response="CONFLICT")
def delete_course_attachment(course_id: str, module_id: str, attachment_id: str) -> None:
    """Remove an attachment; its files are deleted."""
    service.delete_attachment(
        db(),
        actor=current_actor(),
        storage=state().storage,
        course_id=course_id,
        module_id=module_id,
        attachment_id=attachment_id,
    )


# -- enrolment and progress ------------------------------------------------------------------


@blp.route(COURSE + "/enrolment", methods=["PUT"])
@blp.auth(Role.ALUMNA)
@blp.response(200, CourseSchema)
@blp.alt_response(409, response="CONFLICT")
def enrol_in_course(course_id: str) -> Shown[Course]:
    """Enrol in a published course (safe to repeat: enrolling again changes nothing)."""
    course, _ = service.enrol(db(), actor=current_actor(), course_id=course_id)
    return _shown(course)


@blp.route(MODULE + "/done", methods=["PUT"])
@blp.auth(Role.ALUMNA)
@blp.response(200, CourseSchema)
@blp.alt_response(409, response="CONFLICT")
def mark_course_module_done(course_id: str, module_id: str) -> Shown[Course]:
    """Mark a module done (safe to repeat); the course answers with your progress."""
    return _shown(
        service.mark_module(db(), actor=current_actor(), course_id=course_id, module_id=module_id)
    )


@blp.route(MODULE + "/done", methods=["DELETE"])
@blp.auth(Role.ALUMNA)
@blp.response(200, CourseSchema)
@blp.alt_response(409, response="CONFLICT")
def unmark_course_module_done(course_id: str, module_id: str) -> Shown[Course]:
    """Mark a module not done again (safe to repeat)."""
    return _shown(
        service.mark_module(
            db(), actor=current_actor(), course_id=course_id, module_id=module_id, done=False
        )
    )


@blp.route("/me/course-enrolments", methods=["GET"])
@blp.auth(Role.ALUMNA)
@blp.etag
@blp.arguments(EnrolmentQueryArgsSchema, location="query")
@blp.response(200, page_of(CourseSummarySchema))
def list_my_course_enrolments(args: dict[str, Any]) -> tuple[Page[Shown[Course]], dict[str, str]]:
    """The courses you enrolled in, with your progress in each."""
    return page_response(service.my_enrolments(db(), actor=current_actor(), **args))
