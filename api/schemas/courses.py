"""Courses: their modules and attachments, enrolments and progress."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.http.context import state
from api.images import SIZES
from api.models import AttachmentKind, CourseLevel, CourseStatus, Organization, Topic
from api.schemas.common import (
    BaseSchema,
    PageQueryArgsSchema,
    Text,
    Timestamp,
    UpdatedSinceQueryArgsSchema,
    sort_field,
)
from api.schemas.mentoring import LANGUAGES
from api.schemas.references import Known
from api.services.training.courses import (
    ENROLMENT_SORTS,
    MAX_MODULES,
    SORTS,
    attachment_key,
)


class _NotEmpty:
    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if not data:
            raise ValidationError("Provide at least one field.", "_schema")


class CourseWriteSchema(BaseSchema):
    title = Text(min_length=3, max_length=120)
    summary = Text(max_length=2000)
    topic = fields.Enum(Topic, by_value=True, metadata={"description": "A mentoring topic."})
    level = fields.Enum(CourseLevel, by_value=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class CourseCreateSchema(CourseWriteSchema):
    """A new course (a draft), published by one of your verified organisations."""

    organization_id = fields.String(
        required=True,
        validate=validate.Length(max=32),
        metadata={"description": "Your verified university, CSR company or government office."},
    )
    title = Text(min_length=3, max_length=120, required=True)
    summary = Text(max_length=2000, load_default="")
    topic = fields.Enum(Topic, by_value=True, required=True)
    level = fields.Enum(CourseLevel, by_value=True, required=True)
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))


class CoursePatchSchema(_NotEmpty, CourseWriteSchema):
    """Changes to a course (send If-Match)."""


class ModuleWriteSchema(BaseSchema):
    title = Text(min_length=1, max_length=120)
    body = Text(max_length=20000, metadata={"description": "The module's text (plain text)."})


class ModuleCreateSchema(ModuleWriteSchema):
    """A new module, added at the end."""

    title = Text(min_length=1, max_length=120, required=True)
    body = Text(max_length=20000, load_default="")


class ModulePatchSchema(_NotEmpty, ModuleWriteSchema):
    """Changes to a module (send If-Match)."""


class ModuleOrderSchema(BaseSchema):
    """Every module's id, in the order to follow them."""

    module_ids = fields.List(
        fields.String(validate=validate.Length(max=32)),
        required=True,
        validate=validate.Length(min=1, max=MAX_MODULES),
    )


class AttachmentUploadSchema(Schema):
    """multipart/form-data with the file in `file`: a PDF, a JPEG/PNG/WebP image or short audio
    (MP3, M4A, Ogg), at most 5 MB, judged by its content."""

    file = Upload(required=True)


class AttachmentQueryArgsSchema(BaseSchema):
    """The attachment's title (a query parameter: the multipart body holds only the file)."""

    title = Text(max_length=120, load_default="")


class RenditionSchema(BaseSchema):
    url = fields.String(required=True)
    size_bytes = fields.Integer(required=True)


class AttachmentSchema(BaseSchema):
    """A file of a module; files never change, so they cache forever."""

    id = fields.String(required=True, metadata={"example": "cat_01M84..."})
    position = fields.Integer(required=True)
    kind = fields.Enum(AttachmentKind, by_value=True, required=True)
    title = fields.String(required=True)
    content_type = fields.String(required=True)
    url = fields.Method("file_url", required=True, metadata={"type": "string"})
    size_bytes = fields.Integer(
        required=True,
        metadata={"description": "Bytes of the file (of an image: its largest rendition)."},
    )
    renditions = fields.Method(
        "image_renditions",
        allow_none=True,
        required=True,
        metadata={
            "type": "object",
            "description": f"Images: width in pixels ({', '.join(map(str, SIZES))}) to "
            "`{url, size_bytes}` of the WebP at that width; null for other kinds.",
        },
    )
    width = fields.Integer(allow_none=True, required=True)
    height = fields.Integer(allow_none=True, required=True)
    duration_seconds = fields.Integer(allow_none=True, required=True)

    def file_url(self, attachment: Any) -> str:
        return str(state().storage.url(attachment_key(attachment)))

    def image_renditions(self, attachment: Any) -> dict[str, Any] | None:
        if attachment.kind != AttachmentKind.IMAGE:
            return None
        storage = state().storage
        return {
            str(size): {
                "url": storage.url(attachment_key(attachment, size)),
                "size_bytes": attachment.sizes.get(str(size), 0),
            }
            for size in SIZES
        }


class ModuleSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "cmd_01M84..."})
    position = fields.Integer(required=True, metadata={"description": "0 comes first."})
    title = fields.String(required=True)
    body = fields.String(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    updated_at = Timestamp(required=True)


class PublisherSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)


class ProgressSchema(BaseSchema):
    enrolled_at = Timestamp(required=True)
    completed_at = Timestamp(allow_none=True, required=True)
    modules_done = fields.Integer(required=True)
    modules_total = fields.Integer(required=True)
    percent = fields.Integer(required=True, metadata={"description": "0-100, rounded down."})
    done_module_ids = fields.List(fields.String(), required=True)


class CourseSchema(BaseSchema):
    id = fields.String(required=True, metadata={"example": "crs_01M84..."})
    publisher = fields.Nested(PublisherSchema, attribute="organization", required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    level = fields.Enum(CourseLevel, by_value=True, required=True)
    language = fields.String(required=True)
    status = fields.Enum(CourseStatus, by_value=True, required=True)
    modules = fields.List(fields.Nested(ModuleSchema), required=True)
    enrolment_count = fields.Integer(required=True)
    my_progress = fields.Nested(
        ProgressSchema,
        allow_none=True,
        required=True,
        metadata={"description": "Your progress when you are enrolled; otherwise null."},
    )
    allowed_actions = fields.List(fields.String(), required=True)
    published_at = Timestamp(allow_none=True, required=True)
    archived_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class CourseSummarySchema(BaseSchema):
    """A course in a list: compact (no module texts)."""

    id = fields.String(required=True)
    publisher = fields.Nested(PublisherSchema, attribute="organization", required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    topic = fields.Enum(Topic, by_value=True, required=True)
    level = fields.Enum(CourseLevel, by_value=True, required=True)
    language = fields.String(required=True)
    status = fields.Enum(CourseStatus, by_value=True, required=True)
    module_count = fields.Integer(required=True)
    enrolment_count = fields.Integer(required=True)
    my_progress = fields.Nested(ProgressSchema, allow_none=True, required=True)
    published_at = Timestamp(allow_none=True, required=True)
    created_at = Timestamp(required=True)


class CourseQueryArgsSchema(UpdatedSinceQueryArgsSchema, PageQueryArgsSchema):
    q = Text(
        min_length=1, max_length=100, metadata={"description": "Words of the title or summary."}
    )
    topic = fields.Enum(Topic, by_value=True)
    level = fields.Enum(CourseLevel, by_value=True)
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    publisher = Known(Organization, error="Unknown organisation.")
    status = fields.Enum(
        CourseStatus,
        by_value=True,
        load_default=CourseStatus.PUBLISHED,
        metadata={"description": "`draft` and `archived`: courses of your own organisations."},
    )
    sort = sort_field(SORTS, "-created_at")


class EnrolmentQueryArgsSchema(PageQueryArgsSchema):
    sort = sort_field(ENROLMENT_SORTS, "-enrolled_at")


class ModuleDoneSchema(BaseSchema):
    module_id = fields.String(required=True)
    done_at = Timestamp(required=True)


class EnrolmentExportSchema(BaseSchema):
    """A course you enrolled in, and the modules you marked done (your export)."""

    id = fields.String(required=True)
    course_id = fields.String(required=True)
    enrolled_at = Timestamp(required=True)
    completed_at = Timestamp(allow_none=True, required=True)
    done = fields.List(fields.Nested(ModuleDoneSchema), required=True)
